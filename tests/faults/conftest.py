"""The fault suites report their figures at the end of every run, passed or failed.

CI does not pass `-s`, so a suite's figures (kill points, receipts shown, cases found, ...) go
through `report_figures` into the terminal summary, which pytest prints even with `-q`.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

FIGURES = pytest.StashKey[list[str]]()


@pytest.fixture
def report_figures(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Add a line, prefixed with the test's id, to the "fault suites" summary section."""
    lines = request.config.stash.setdefault(FIGURES, [])

    def add(line: str) -> None:
        lines.append(f"{request.node.name}: {line}")

    return add


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    lines = config.stash.get(FIGURES, [])
    if lines:
        terminalreporter.section("fault suites: figures")
        for line in lines:
            terminalreporter.write_line(line)
