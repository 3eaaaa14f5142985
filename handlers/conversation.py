"""One worker's conversation, in memory only: the draft report and where they are in it.

Nothing here is ever written to disk or a database. It is dropped when the report is submitted,
cancelled or wiped, and when the conversation has been idle too long.
"""

from __future__ import annotations

import copy
import secrets
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from handlers.media import CleanAttachment

TOKEN_CHARS = 8


def new_token() -> str:
    """Fresh random button token: a press carrying any other token is stale or forged."""
    return secrets.token_urlsafe(6)[:TOKEN_CHARS]


class Mode(StrEnum):
    """Where a worker is when not answering the questionnaire."""

    RECEIPT = "receipt"
    """Asked for a receipt number."""
    CASE = "case"
    """Reading a case's status and replies."""
    FOLLOW_UP = "follow_up"
    """Adding information to a case."""


@dataclass(frozen=True)
class DraftAttachment:
    """A cleaned attachment waiting to be sealed, and the step it answers."""

    step: str
    attachment: CleanAttachment


@dataclass
class Conversation:
    """Where a worker is in the questionnaire and what they have answered so far."""

    key: str = ""
    """Keyed hash of the chat (never the chat id itself), for per-chat limits."""
    profile_language: str | None = None
    """The phone's language, used only to order the language picker; never stored."""
    language: str | None = None
    position: int | None = None
    """Index of the current step; None before /start."""
    history: list[int] = field(default_factory=list)
    answers: dict[str, Any] = field(default_factory=dict)
    attachments: list[DraftAttachment] = field(default_factory=list)
    selection: list[str] = field(default_factory=list)
    """Options ticked so far on a multiple-choice step, before Done."""
    page: int = 0
    choices: list[str] = field(default_factory=list)
    """Ids behind the option buttons of the last render (languages, countries, sites)."""
    automatic: set[str] = field(default_factory=set)
    """Steps answered for the worker (the only country): going back passes over them."""
    site_label: str = ""
    """The chosen workplace's name, shown on the review screen."""
    token: str = field(default_factory=new_token)
    receipt_token: str | None = None
    """Token of the receipt's "I have saved it" button, valid after the draft is gone."""
    submission: tuple[str, str] | None = None
    """(case id, receipt) drawn at the draft's first Send and kept until the draft is gone, so
    that sending it again after a lost answer finds the same case instead of making a second."""
    submitting: bool = False
    """A Send of this draft is being committed right now."""
    sent_token: str | None = None
    """Token of the last draft that was sent: its Send button, pressed again, changes nothing."""
    returning_to: int | None = None
    """The step to go back to after /language."""
    mode: Mode | None = None
    """Set while the worker checks a case with a receipt, outside the questionnaire."""
    case_view: Any = None
    """The case opened with a receipt (a handlers.ports.CaseView), in memory while it is read."""

    def attachment_bytes(self) -> int:
        """Memory the draft's attachments hold, to cap what one chat can make us keep."""
        return sum(len(d.attachment.data) for d in self.attachments)

    def snapshot(self) -> Conversation:
        """A copy to go back to if answering an input fails half-way (attachments are shared)."""
        return copy.deepcopy(self)

    def restore(self, saved: Conversation) -> None:
        """Be again exactly what `saved` was (`saved` is used up)."""
        self.__dict__.update(saved.__dict__)

    def reset(self) -> None:
        """Forget the draft (language and the receipt button survive)."""
        self.position = None
        self.history.clear()
        self.answers.clear()
        self.attachments.clear()
        self.selection.clear()
        self.page = 0
        self.choices.clear()
        self.site_label = ""
        self.automatic.clear()
        self.returning_to = None
        self.submission = None
        self.token = new_token()
