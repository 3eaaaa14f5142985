"""One worker's conversation, in memory only: the draft report, and what their screen shows.

Nothing here is ever written to disk or a database. The draft is dropped when the report is
submitted, cancelled or wiped, and the whole conversation when it has been idle too long.

Two kinds of state are kept apart. The `WorkingDraft` is what the worker has told us: where they
are in the questionnaire, their answers and files, and the case id and receipt drawn for it once.
The `Screen` is what the buttons on their screen mean right now (the token that makes older
buttons stale, the page of a long list, the ticks before Done): made anew at every step.
"""

from __future__ import annotations

import copy
import secrets
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from crypto.ids import new_case_id
from crypto.receipts import new_receipt
from handlers.i18n import SOURCE_LANGUAGE, Translator, translator
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
class WorkingDraft:
    """The report being written: where the worker is, and what they have answered so far."""

    position: int | None = None
    """Index of the current step; None before /start."""
    history: list[int] = field(default_factory=list)
    answers: dict[str, Any] = field(default_factory=dict)
    attachments: list[DraftAttachment] = field(default_factory=list)
    automatic: set[str] = field(default_factory=set)
    """Steps answered for the worker (the only country): going back passes over them."""
    site_label: str = ""
    """The chosen workplace's name, shown on the review screen."""
    returning_to: int | None = None
    """The step to go back to after /language."""
    submission: tuple[str, str] | None = None
    """(case id, receipt), drawn when the draft first reaches the review and kept until the draft
    is gone, so that sending it again after a lost answer finds the same case."""

    def clear(self) -> None:
        """Forget everything, in place: no other reference to this draft keeps its answers."""
        self.position = None
        self.history.clear()
        self.answers.clear()
        self.attachments.clear()
        self.automatic.clear()
        self.site_label = ""
        self.returning_to = None
        self.submission = None

    def attachment_bytes(self) -> int:
        """Memory the draft's attachments hold, to cap what one chat can make us keep."""
        return sum(len(d.attachment.data) for d in self.attachments)

    def files_for(self, step_id: str) -> int:
        """How many files answer the step."""
        return sum(1 for d in self.attachments if d.step == step_id)

    def case_id_and_receipt(self) -> tuple[str, str]:
        """The draft's case id and receipt, drawn on first use.

        Drawn before any Send press, they are part of what a failed input puts back, so every
        Send of this draft commits the same case (or finds it committed) with the same receipt.
        """
        if self.submission is None:
            self.submission = (new_case_id(), new_receipt())
        return self.submission


@dataclass
class Screen:
    """What the buttons of the last message mean; nothing of it is part of the report."""

    token: str = field(default_factory=new_token)
    """In every button's data: a press carrying another token is stale or forged."""
    page: int = 0
    """The page shown of a long list of choices (countries, workplaces)."""
    choices: list[str] = field(default_factory=list)
    """Ids behind the option buttons of the last render (languages, countries, sites)."""
    selection: list[str] = field(default_factory=list)
    """Options ticked so far on a multiple-choice step, before Done."""

    def clear(self) -> None:
        """A blank screen: no button shown before this works any more."""
        self.token = new_token()
        self.page = 0
        self.choices.clear()
        self.selection.clear()


@dataclass
class Conversation:
    """Everything the engine keeps for one chat, between two of its inputs."""

    key: str = ""
    """Keyed hash of the chat (never the chat id itself), for per-chat limits."""
    profile_language: str | None = None
    """The phone's language, used only to order the language picker; never stored."""
    language: str | None = None
    draft: WorkingDraft = field(default_factory=WorkingDraft)
    screen: Screen = field(default_factory=Screen)
    receipt_token: str | None = None
    """Token of the receipt's "I have saved it" button, valid after the draft is gone."""
    submitting: bool = False
    """A Send of this draft is being committed right now."""
    sent_token: str | None = None
    """Token of the last draft that was sent: its Send button, pressed again, changes nothing."""
    mode: Mode | None = None
    """Set while the worker checks a case with a receipt, outside the questionnaire."""
    case_view: Any = None
    """The case opened with a receipt (a handlers.ports.CaseView), in memory while it is read."""

    def tr(self) -> Translator:
        """The worker's language (English until they have chosen)."""
        return translator(self.language or SOURCE_LANGUAGE)

    def snapshot(self) -> Conversation:
        """A copy to go back to if answering an input fails half-way (attachments are shared)."""
        return copy.deepcopy(self)

    def restore(self, saved: Conversation) -> None:
        """Be again exactly what `saved` was (`saved` is used up)."""
        self.__dict__.update(saved.__dict__)

    def reset(self) -> None:
        """Forget the draft and the screen (language and the receipt button survive)."""
        self.draft.clear()
        self.screen.clear()
