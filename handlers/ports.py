"""What the engine needs from the rest of the system, as small interfaces it can be tested with.

The server's implementations are in bot/intake/ (directory, submission, tracking, scrub); the
limits are handlers.sessions.SessionStore's; the tests have fakes in tests/engine_harness.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from handlers.conversation import DraftAttachment
from handlers.media import AttachmentKind, CleanAttachment


@dataclass(frozen=True)
class Route:
    """Where a report goes: the partner, and what to show a worker in danger."""

    partner: str
    emergency_contacts: str


@dataclass(frozen=True)
class Draft:
    """A finished draft, ready to be sealed.

    `case_id` and `receipt` are drawn once per draft, so that sending the same draft again after
    an answer was lost finds the case already stored and returns the same receipt.
    """

    case_id: str
    receipt: str
    questionnaire: str
    questionnaire_version: int
    language: str
    answers: dict[str, Any]
    readable: dict[str, dict[str, str]]
    """Step id -> {"question", "answer"} in English words, for the caseworker."""
    roles: dict[str, str]
    """Role -> step id (vocabulary.StepRole): which answers the desk triages on."""
    attachments: tuple[DraftAttachment, ...]
    country: str
    site: str | None


@dataclass(frozen=True)
class CaseView:
    """What a receipt shows: the status and the caseworker's replies, oldest first."""

    case_id: str
    partner_id: int
    status: str
    replies: tuple[str, ...]


class NoRoute(Exception):
    """No partner can take this report now (none covers it, or its key is not usable)."""


class StorageUnavailable(Exception):
    """The database cannot be used just now (down, unreachable, full, timed out).

    Every server-side port raises this one exception for it, and the engine answers it at one
    place, in the worker's language, without changing the conversation: nothing is lost.
    """


class SubmissionFailed(StorageUnavailable):
    """The case could not be committed; nothing was stored, the worker can try again."""


class Directory(Protocol):
    """Countries, workplaces and routes, as the administrators configured them."""

    async def countries(self) -> list[str]:
        """ISO codes of countries where some partner takes reports.

        Every method here raises StorageUnavailable when the directory cannot be read.
        """
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
        """The receipt (16 digits); raises NoRoute or StorageUnavailable.

        Idempotent per draft: if the draft's case is already stored, its receipt is returned.
        """
        ...


class Tracker(Protocol):
    """The worker's way back to a case with the receipt."""

    async def lookup(self, receipt: str) -> CaseView | None:
        """The case the receipt opens, or None (wrong and unknown look the same).

        Raises StorageUnavailable when the cases cannot be read.
        """
        ...

    async def add_follow_up(
        self, view: CaseView, language: str, text: str | None, attachment: CleanAttachment | None
    ) -> None:
        """Seal a follow-up to the case's partner; raises NoRoute or StorageUnavailable."""
        ...


class Scrubber(Protocol):
    """Checks a file a worker sent and rebuilds it from its content alone (no EXIF, no author).

    A port rather than a call into the engine's own code: cleaning needs heavy libraries (Pillow,
    pypdf) that another channel, or a test of the engine, need not load; and it takes up to
    seconds of CPU, so the implementation decides where that work runs (the server's runs it in
    a thread), and the engine never blocks its event loop nor keeps a thread pool of its own.
    The engine decides whether a file is wanted at all; the Scrubber, how it is cleaned.
    """

    async def scrub(self, kind: AttachmentKind, data: bytes) -> CleanAttachment:
        """The cleaned file; raises AttachmentRejected with the reason it cannot be used."""
        ...


class Limits(Protocol):
    """Per-chat allowances, kept in memory under the chat's keyed hash."""

    def allow_report(self, key: str) -> bool:
        """Whether the chat may send another report today."""
        ...

    def record_report(self, key: str) -> None:
        """Count a report that was stored."""
        ...

    def allow_receipt_check(self, key: str) -> bool:
        """Count a receipt check; False once the chat has guessed too often."""
        ...


class NoLimits:
    """For the sandbox and tests that are not about limits."""

    def allow_report(self, key: str) -> bool:
        """Always allowed."""
        return True

    def record_report(self, key: str) -> None:
        """Nothing to count."""

    def allow_receipt_check(self, key: str) -> bool:
        """Always allowed."""
        return True
