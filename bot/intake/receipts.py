"""Receipts on the server: the deployment's salt, and every Argon2id run on one small pool.

The salt is drawn once per deployment and kept in the database: every receipt's keys depend on
it. Argon2id takes about a tenth of a second and 64 MiB. On its own pool, one thread fewer than
there are cores, a burst of reports or /status checks queues there instead of taking every core
(and the memory) from the event loop that serves everyone else.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crypto.receipts import CaseKeys, derive_case_keys, new_salt
from storage import settings

RECEIPT_SALT_SETTING: Final = "receipt_salt"
THREADS: Final = max(1, (os.cpu_count() or 2) - 1)
_POOL: Final = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="argon2")


async def case_keys(receipt: str, salt: bytes) -> CaseKeys:
    """Derive a receipt's lookup id and case key pair off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(_POOL, derive_case_keys, receipt, salt)


async def receipt_salt(sessions: async_sessionmaker[AsyncSession]) -> bytes:
    """The deployment's receipt salt, made on first use and kept in the database."""
    async with sessions() as session, session.begin():
        return await settings.get_or_create(session, RECEIPT_SALT_SETTING, new_salt)
