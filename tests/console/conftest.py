"""Fixtures of the console's tests: the browser, skipped with one reason where it is missing."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from console_browser import Browser, chromium, missing_reason


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[Browser]:
    """Headless Chromium with a fresh profile (the test is skipped if Chromium is missing)."""
    reason = missing_reason()
    if reason is not None:
        pytest.skip(reason)
    async with chromium(tmp_path / "chromium-profile") as opened:
        yield opened
