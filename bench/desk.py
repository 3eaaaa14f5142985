"""Desk vs the crypto's limit: list and decrypt a partner's queue of 10,000 cases.

Run from the project root (about four minutes at 10,000 cases, most of it GnuPG)::

    .venv/bin/python -m bench.desk
    .venv/bin/python -m bench.desk --cases 2000 --repeat 5 --gpg-sample 100
    .venv/bin/python -m bench.desk --no-gpg

The queue is made and served as bench/queue.py says (real case API in a process of its own,
SQLite, everything on 127.0.0.1). Timed in turns, `--repeat` times each, key already open:

* **bare PyNaCl**: the limit: for each report, `crypto_box_seal_open` of its wrap, then
  XChaCha20-Poly1305 and unpadding of its body, in one loop, from bytes already in memory;
* **server only**: every page fetched through `desk.client`, nothing decrypted;
* **desk**: `desk.actions.list_cases`, what `desk cases` and the console do: fetch every page,
  check it, decrypt every report, parse it, sort for triage (goal: at most 2x the bare loop);
* **GnuPG** (bench/gnupg.py), same reports: one `gpg` process per report over a sample,
  extrapolated to all, and one `--decrypt-files` batch over all;
* the commands end to end, from interpreter start to exit, with the key file's Argon2id.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from nacl import bindings

from bench import gnupg
from bench.harness import Table, machine, process_cpu, ratio, seconds
from bench.queue import PASSPHRASE, Made, SealedReport, prepare, served
from crypto.envelope import NONCE_BYTES, PAD_BLOCK, Context
from crypto.keyfile import read_partner_key
from crypto.keys import PrivateKey
from desk.actions import list_cases
from desk.cases import Keyring
from desk.client import CaseClient
from vocabulary import Purpose

GOAL = 2.0
COMMAND_TIMEOUT = 300


def bare_open(reports: list[SealedReport], key: PrivateKey) -> int:
    """The crypto alone: unseal each wrap, open each body; the bytes opened."""
    public, secret = bytes(key.public_key), bytes(key)
    opened = 0
    for report in reports:
        data_key = bindings.crypto_box_seal_open(report.wrap, public, secret)
        body = report.body
        context = Context(report.case_id, report.entry_id, Purpose.REPORT)
        padded = bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
            body[1 + NONCE_BYTES :], context.associated_data(body[0]), body[1 : 1 + NONCE_BYTES],
            data_key,
        )  # fmt: skip
        opened += len(bindings.sodium_unpad(padded, PAD_BLOCK))
    return opened


async def fetch_only(server: str, token: str) -> int:
    async with CaseClient(server, token) as client:
        return sum([len(page) async for page in client.pages()])


async def desk_list(server: str, token: str, key: PrivateKey) -> int:
    async with CaseClient(server, token) as client:
        views = await list_cases(client, Keyring([key]))
    if any(view.report is None for view in views):
        raise RuntimeError("some reports did not open")
    return len(views)


@dataclass
class Runs:
    """Wall seconds, this process's CPU seconds and the server's, one of each per run."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    server: list[float] = field(default_factory=list)

    def time(self, action: Callable[[], object], server_pid: int) -> None:
        cpu0, server0, wall0 = time.process_time(), process_cpu(server_pid), time.perf_counter()
        action()
        self.wall.append(time.perf_counter() - wall0)
        self.cpu.append(time.process_time() - cpu0)
        self.server.append(process_cpu(server_pid) - server0)


def commands(made: Made, server: str, repeat: int, table: Table) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIEVANCE_")}
    env.update(GRIEVANCE_SERVER=server, GRIEVANCE_TOKEN=made.token,
               GRIEVANCE_KEY_FILE=str(made.key_file), GRIEVANCE_PASSPHRASE=PASSPHRASE)  # fmt: skip
    for label, argv in (
        ("grievance desk cases (process)", ["-m", "bot.cli", "desk", "cases"]),
        ("python -m desk cases (process)", ["-m", "desk", "cases"]),
    ):
        runs = []
        for _ in range(repeat):
            started = time.perf_counter()
            done = subprocess.run([sys.executable, *argv], env=env, capture_output=True,
                                  timeout=COMMAND_TIMEOUT, check=False)  # fmt: skip
            runs.append(time.perf_counter() - started)
            if done.returncode != 0:
                raise RuntimeError(done.stderr.decode(errors="replace").strip())
        table.add(label, seconds(min(runs)), seconds(statistics.median(runs)), "", "", "", "")


def gpg_rows(made: Made, sample: int, desk_best: float, table: Table) -> None:
    reports = made.reports
    with gnupg.gnupg() as peer:
        started = time.perf_counter()
        encrypted = peer.encrypt_files([report.plaintext for report in reports])
        table.note(f"GnuPG: {len(encrypted)} reports encrypted to cv25519 beforehand in "
                   f"{time.perf_counter() - started:.0f} s (untimed)")  # fmt: skip
        peer.decrypt_each(encrypted[:5])  # the agent started, the key loaded
        shown = encrypted[:sample]
        each = peer.decrypt_each(shown) / len(shown) * len(encrypted)
        batch = peer.decrypt_batch(encrypted)
        for index in (0, len(reports) - 1):
            if encrypted[index].with_suffix("").read_bytes() != reports[index].plaintext:
                raise RuntimeError("gpg decrypted something else")
    table.add(f"gpg, a process per report ({len(shown)} run, x{len(encrypted) / len(shown):.0f})",
              seconds(each), "", ratio(each, desk_best), "", "", "")  # fmt: skip
    table.add("gpg --decrypt-files, one process", seconds(batch), "", ratio(batch, desk_best),
              "", "", "")  # fmt: skip
    table.note("gpg ratios are against the desk's best run: above 1x, the desk is faster.")


def run(args: argparse.Namespace, folder: Path) -> None:
    url = f"sqlite:///{folder / 'grievance.sqlite3'}"
    print(f"desk bench: {args.cases} cases; {machine()}\n", flush=True)
    made = asyncio.run(prepare(url, folder, args.cases, args.seed))
    print(f"queue: {made.describe()}\n", flush=True)
    with served(url) as server:
        started = time.perf_counter()
        key = read_partner_key(made.key_file, PASSPHRASE)
        argon = time.perf_counter() - started
        bare, fetch, desk = Runs(), Runs(), Runs()
        for _ in range(args.repeat):  # in turns: a busy moment falls on all of them alike
            bare.time(lambda: bare_open(made.reports, key), server.pid)
            fetch.time(lambda: asyncio.run(fetch_only(server.url, made.token)), server.pid)
            desk.time(lambda: asyncio.run(desk_list(server.url, made.token, key)), server.pid)
        table = Table(
            f"Listing and decrypting {args.cases} cases ({args.repeat} runs each)",
            ["what", "best", "median", "vs bare", "CPU here", "vs bare", "CPU server"],
        )
        best, cpu = min(bare.wall), statistics.median(bare.cpu)
        for label, runs, goal in (
            ("bare PyNaCl loop (unseal + open)", bare, None),
            ("server only (fetch every page)", fetch, None),
            ("desk.actions.list_cases", desk, GOAL),
        ):
            here = statistics.median(runs.cpu)
            server_cpu = seconds(statistics.median(runs.server)) if runs is not bare else ""
            table.add(label, seconds(min(runs.wall)), seconds(statistics.median(runs.wall)),
                      ratio(min(runs.wall), best, goal), seconds(here), ratio(here, cpu, goal),
                      server_cpu)  # fmt: skip
        table.note(
            "CPU here: this process (the caseworker's machine), median; CPU server: the "
            "case API's process. Wall times share 2 cores with the server and whatever "
            "else runs: the CPU ratio is what a busy machine distorts least."
        )
        table.note(f"key file opened (Argon2id, 256 MiB) in {argon:.2f} s, not in the rows above "
                   "but in the commands' ones")  # fmt: skip
        if not args.no_commands:
            commands(made, server.url, args.repeat, table)
    if not args.no_gpg and gnupg.available():
        gpg_rows(made, min(args.gpg_sample, args.cases), min(desk.wall), table)
    table.print(markdown=args.markdown)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000, help="cases in the queue")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each timing")
    parser.add_argument("--seed", type=int, default=4, help="seed of the queue's contents")
    parser.add_argument("--gpg-sample", type=int, default=300, help="gpg processes timed")
    parser.add_argument("--no-gpg", action="store_true", help="leave GnuPG out")
    parser.add_argument("--no-commands", action="store_true", help="leave the commands out")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = parser.parse_args(argv)
    if not 1 <= args.cases <= 100_000 or not 1 <= args.repeat <= 20 or args.gpg_sample < 1:
        parser.error("--cases must be 1 to 100000, --repeat 1 to 20, --gpg-sample at least 1")
    folder = Path(tempfile.mkdtemp(prefix="grievance-desk-bench-"))
    try:
        run(args, folder)
        return 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
