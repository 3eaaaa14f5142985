"""CLI start: how long `grievance --help`, `grievance desk cases --help` and `python -m desk
--help` take against a bare `python -c pass`, in one run (the goal: each at most 5x).

Run from the project root::

    .venv/bin/python -m bench.cli_start             # 30 rounds
    .venv/bin/python -m bench.cli_start --rounds 100

The commands run in turns (one of each per round), so that a busy moment of a shared machine
falls on all of them alike; the table gives each one's median and best, and its median as a
multiple of the bare interpreter's. Then, for each command, the slowest imports of one run
(`python -X importtime`). Nothing here asserts; it prints.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from bench.harness import ROOT, Table, machine, ratio, seconds

GOAL = 5.0
TIMEOUT = 60
COMMANDS = {
    "python -c pass": ["-c", "pass"],
    "grievance --help": ["-m", "bot.cli", "--help"],
    "grievance desk cases --help": ["-m", "bot.cli", "desk", "cases", "--help"],
    "python -m desk --help": ["-m", "desk", "--help"],
}


def timed(argv: list[str]) -> float:
    """Seconds from start to exit of one process."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, *argv], cwd=ROOT, capture_output=True, check=True, timeout=TIMEOUT
    )
    return time.perf_counter() - started


def slowest_imports(argv: list[str], count: int) -> list[tuple[float, str]]:
    """The `count` top-level imports that took longest (cumulative milliseconds) in one run."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    found = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.split("|")
        if not name.startswith("  "):  # a top-level import, not one nested in another
            found.append((int(cumulative) / 1000, name.strip()))
    return sorted(found, reverse=True)[:count]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30, help="runs of each command")
    parser.add_argument("--imports", type=int, default=6, help="slowest imports shown")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = parser.parse_args()
    if not 1 <= args.rounds <= 500:
        parser.error("--rounds must be 1 to 500")
    runs: dict[str, list[float]] = {label: [] for label in COMMANDS}
    for argv in COMMANDS.values():  # warm the file cache and the bytecode
        timed(argv)
    for _ in range(args.rounds):
        for label, argv in COMMANDS.items():
            runs[label].append(timed(argv))
    bare = statistics.median(runs["python -c pass"])
    table = Table(
        f"CLI start, {args.rounds} rounds ({machine()})", ["command", "median", "best", "ratio"]
    )
    for label, took in runs.items():
        median = statistics.median(took)
        table.add(label, seconds(median), seconds(min(took)), ratio(median, bare, GOAL))
    for label, argv in list(COMMANDS.items())[1:]:
        slowest = ", ".join(f"{name} {ms:.1f}" for ms, name in slowest_imports(argv, args.imports))
        table.note(f"{label}: slowest imports (ms): {slowest}")
    table.print(markdown=args.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
