"""What the engine needs from the rest of the system, as small interfaces it can be tested with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from handlers.conversation import DraftAttachment


@dataclass(frozen=True)
class Route:
    """Where a report goes: the partner, and what to show a worker in danger."""

    partner: str
    emergency_contacts: str


@dataclass(frozen=True)
class Draft:
    """A finished draft, ready to be sealed."""

    questionnaire: str
    questionnaire_version: int
    language: str
    answers: dict[str, Any]
    readable: dict[str, dict[str, str]]
    """Step id -> {"question", "answer"} in English words, for the caseworker."""
    attachments: tuple[DraftAttachment, ...]
    country: str
    site: str | None


class NoRoute(Exception):
    """No partner can take this report now (none covers it, or its key is not usable)."""


class SubmissionFailed(Exception):
    """The case could not be committed; nothing was stored, the worker can try again."""


class Directory(Protocol):
    """Countries, workplaces and routes, as the administrators configured them."""

    async def countries(self) -> list[str]:
        """ISO codes of countries where some partner takes reports."""
        ...

    async def sites(self, country: str) -> list[tuple[str, str]]:
        """(slug, name) of the workplaces of a country."""
        ...

    async def route(self, country: str, site: str | None) -> Route | None:
        """The site's partner, else the country's default partner, else None."""
        ...


class Submitter(Protocol):
    """Seals and commits a draft; returns the receipt only after the commit."""

    async def submit(self, draft: Draft) -> str:
        """The receipt (16 digits); raises NoRoute or SubmissionFailed."""
        ...
