"""What every benchmark shares: the machine it ran on, CPU clocks, percentiles and the table."""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def machine() -> str:
    """One line: cores, CPU model, Python, PyNaCl and libsodium, the load average."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    # PyNaCl bundles its libsodium and does not say which version at run time.
    return (
        f"{os.cpu_count()} cores ({model}); Python {platform.python_version()}; "
        f"PyNaCl {metadata.version('PyNaCl')} (its bundled libsodium); load average {load()}"
    )


def load() -> str:
    """The load average: other processes on a shared machine skew every figure."""
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of process `pid` so far (Linux /proc), 0.0 if unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), nearest rank; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


@dataclass
class Table:
    """Rows of figures printed as an aligned plain-text table (and as Markdown for the docs)."""

    title: str
    columns: Sequence[str]
    rows: list[Sequence[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *cells: str) -> None:
        self.rows.append(cells)

    def note(self, text: str) -> None:
        self.notes.append(text)

    def render(self, *, markdown: bool = False) -> str:
        table = [list(self.columns), *[list(row) for row in self.rows]]
        if markdown:
            lines = [f"| {' | '.join(row)} |" for row in table]
            lines.insert(1, "|" + "|".join("---" for _ in self.columns) + "|")
        else:
            widths = [max(len(row[i]) for row in table) for i in range(len(self.columns))]
            lines = [
                "  ".join(
                    cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                    for i, cell in enumerate(row)
                )
                for row in table
            ]
            lines.insert(1, "  ".join("-" * width for width in widths))
        return "\n".join([self.title, "", *lines, *([""] if self.notes else []), *self.notes])

    def print(self, *, markdown: bool = False) -> None:
        print(self.render(markdown=markdown), end="\n\n", flush=True)


def seconds(value: float) -> str:
    """A duration for a table: milliseconds below ten seconds."""
    return f"{value * 1000:.0f} ms" if value < 10 else f"{value:.1f} s"


def micro(value: float) -> str:
    """A small duration (CPU per update) in microseconds or milliseconds."""
    return f"{value * 1e6:.0f} µs" if value < 1e-3 else f"{value * 1000:.2f} ms"


def ratio(ours: float, limit: float, goal: float | None = None) -> str:
    """`ours / limit` as `2.31x`, with the goal's verdict when there is one."""
    if limit <= 0:
        return "n/a"
    text = f"{ours / limit:.2f}x"
    if goal is None:
        return text
    return f"{text} ({'meets' if ours / limit <= goal else 'OVER'} <= {goal:g}x)"
