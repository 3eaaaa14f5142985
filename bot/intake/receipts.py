"""Every Argon2id run of the server (making and checking receipts) on one small thread pool.

Argon2id takes about a tenth of a second and 64 MiB. On its own pool, one thread fewer than
there are cores, a burst of reports or /status checks queues there instead of taking every core
(and the memory) from the event loop that serves everyone else.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Final

from crypto.receipts import CaseKeys, derive_case_keys

THREADS: Final = max(1, (os.cpu_count() or 2) - 1)
_POOL: Final = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="argon2")


async def case_keys(receipt: str, salt: bytes) -> CaseKeys:
    """Derive a receipt's lookup id and case key pair off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(_POOL, derive_case_keys, receipt, salt)
