"""Headless Chromium for the console's tests: Debian's /usr/bin/chromium, driven by Playwright.

Never `playwright install`: the browser is the system's. Each test gets a fresh profile. Every
page records dialogs (alert, confirm, prompt), script errors and console errors, so that a test
can show that nothing ran that should not have.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
REBINDING_HOST = "rebinding.example"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # A rebinding attacker's domain that resolves to this machine: pages of it reach the
    # console's port with their own name in the Host header.
    f"--host-resolver-rules=MAP {REBINDING_HOST} 127.0.0.1",
]
VIEWPORT = {"width": 1280, "height": 800}


def missing_reason() -> str | None:
    """Why browser tests cannot run here, or None."""
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        return (
            f"chromium is not installed at {CHROMIUM} (apt-get install chromium): "
            "browser tests skipped"
        )
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing (pip install -e .[dev]): browser tests skipped"
    return None


@dataclass
class Watched:
    """A page and everything it did that a person would call a fault."""

    page: Any
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    answers: list[str] = field(default_factory=list)
    """Pages answered with an error status (a form shown again with its error is one)."""

    def on_console(self, message: Any) -> None:
        if message.type not in {"error", "warning"}:
            return
        if message.text.startswith("Failed to load resource: the server responded"):
            self.answers.append(message.text)
        else:
            self.errors.append(f"console {message.type}: {message.text}")

    @property
    def faults(self) -> list[str]:
        """Dialogs, script errors and console errors (CSP refusals among them)."""
        return [*(f"dialog: {d}" for d in self.dialogs), *self.errors]


@dataclass
class Browser:
    """One Chromium profile."""

    context: Any

    async def page(self) -> Watched:
        page = await self.context.new_page()
        watched = Watched(page)

        async def on_dialog(dialog: Any) -> None:
            watched.dialogs.append(f"{dialog.type}: {dialog.message}")
            await dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("pageerror", lambda error: watched.errors.append(f"page error: {error}"))
        page.on("console", watched.on_console)
        return watched


@contextlib.asynccontextmanager
async def chromium(profile: Path) -> AsyncIterator[Browser]:
    """A fresh headless Chromium profile in `profile`."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=ARGS,
            viewport=VIEWPORT,
            locale="en-GB",
            accept_downloads=False,
        )
        try:
            yield Browser(context)
        finally:
            await context.close()
