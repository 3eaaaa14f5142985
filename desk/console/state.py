"""What one running console holds: its settings file, this start's guard, and the vault."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from aiohttp import web

from desk.console import config as settings
from desk.console.i18n import pick
from desk.console.security import Guard
from desk.console.vault import Vault
from desk.reports import ReportRequest


@dataclass
class ConsoleState:
    """The console's state between requests (one caseworker, one browser)."""

    config_path: Path
    config: settings.ConsoleConfig
    guard: Guard
    vault: Vault
    verify_key: str | None = None
    """The administrators' verify key (GRIEVANCE_ADMIN_VERIFY_KEY), checked before sealing."""
    notice: str = ""
    """A line for the next page ("Reply sent."); never case content."""
    report: ReportRequest | None = None
    """What the reports page was last asked for (a grouping, months, k: no case content, so it
    outlives a lock); None until the caseworker picks."""

    def language(self, request: web.Request) -> str:
        """The caseworker's chosen language, else the browser's."""
        return pick(self.config.language, request.headers.get("Accept-Language"))

    def partner_name(self) -> str:
        """The partner's name while unlocked (the server gave it), else empty."""
        return "" if self.vault.locked else self.vault.require().partner.name

    def take_notice(self) -> str:
        """The notice for this page, shown once."""
        notice, self.notice = self.notice, ""
        return notice

    def save(self, config: settings.ConsoleConfig) -> None:
        """Keep new settings, in memory and in the settings file."""
        settings.save(self.config_path, config)
        self.config = config


STATE: Final = web.AppKey("state", ConsoleState)


def state_of(request: web.Request) -> ConsoleState:
    """The state of the console serving `request`."""
    return request.app[STATE]
