"""Console benchmark: from the passphrase to the first page of the queue, and one search.

Run from the project root::

    .venv/bin/python bench/console.py                # 10,000 cases
    .venv/bin/python bench/console.py --cases 1000

The queue is made as bench/desk.py makes it (its `prepare` and `serve`: cases sealed as the bot
seals them, the real case API in a process of its own, the key file at its real Argon2id cost).
The console runs in this process and is driven over HTTP as the browser drives it: the start
link, then the unlock form, then `GET /` until it is the queue rather than the "opening" page.

Timed: unlock to the first page of the queue (Argon2id, download, decryption of every report
and message, the rows with their search text, the page rendered); then one search over every
case through the page, and the same search in memory alone. Goals of issue 9: 2 s and 200 ms
on the 2-core machine. Nothing here asserts; it prints.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import multiprocessing
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from crypto.keyfile import read_partner_key  # noqa: E402
from desk.console.app import running_console  # noqa: E402
from desk.console.config import ConsoleConfig, save  # noqa: E402
from desk.console.queue import Filters  # noqa: E402

_spec = importlib.util.spec_from_file_location("desk_bench", ROOT / "bench" / "desk.py")
assert _spec is not None and _spec.loader is not None
desk_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(desk_bench)

FIRST_UNLOCK = re.compile(r'name="csrf" value="([^"]+)"')


async def drive(folder: Path, server: str, token: str, key_file: Path) -> None:
    config = folder / "console.json"
    save(config, ConsoleConfig(server, token, str(key_file)))
    async with (
        running_console(config) as console,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,
    ):
        async with http.get(console.url) as page:
            csrf = FIRST_UNLOCK.search(await page.text())
        assert csrf is not None
        started = time.perf_counter()
        form = {"csrf": csrf.group(1), "passphrase": desk_bench.PASSPHRASE}
        async with http.post(f"{console.base_url}/unlock", data=form) as page:
            text = await page.text()
        while 'table class="queue"' not in text:
            async with http.get(f"{console.base_url}/") as page:
                text = await page.text()
        first_page = time.perf_counter() - started
        vault = console.state.vault
        queue = await vault.queue(0)
        assert queue is not None
        print(f"  unlock to the first page of the queue: {first_page:.2f} s "
              f"({len(queue.rows)} cases; Argon2id, download, decryption, rows, page)")  # fmt: skip

        started = time.perf_counter()
        search = {"csrf": csrf.group(1), "query": "supervisor dormitory"}
        async with http.post(f"{console.base_url}/queue", data=search) as page:
            await page.text()
        through_page = time.perf_counter() - started
        started = time.perf_counter()
        found = queue.select(Filters(query="supervisor dormitory"))
        in_memory = time.perf_counter() - started
        print(f"  one search over all of them: {through_page * 1000:.0f} ms through the page, "
              f"{in_memory * 1000:.0f} ms in memory ({len(found)} found)")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=9)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="grievance-console-bench-"))
    process = None
    try:
        url = f"sqlite:///{folder / 'grievance.sqlite3'}"
        print(f"console bench: {args.cases} cases; load average {desk_bench._load()}")
        made = asyncio.run(desk_bench.prepare(url, folder, args.cases, args.seed))
        # bench/desk.py is loaded by path, so a spawned child could not import it: fork.
        context = multiprocessing.get_context("fork")
        pipe, child_end = context.Pipe()
        process = context.Process(target=desk_bench.serve, args=(url, child_end), daemon=True)
        process.start()
        if not pipe.poll(60):
            raise RuntimeError("the API server did not start within 60 s")
        server = f"http://127.0.0.1:{pipe.recv()}"
        started = time.perf_counter()
        read_partner_key(made["key_file"], desk_bench.PASSPHRASE)
        print(f"  (the key file alone, Argon2id at its real cost: "
              f"{time.perf_counter() - started:.2f} s)")  # fmt: skip
        asyncio.run(drive(folder, server, made["token"], made["key_file"]))
        pipe.send("stop")
        process.join(30)
        return 0
    finally:
        if process is not None and process.is_alive():
            process.terminate()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
