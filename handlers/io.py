"""What the engine receives from a messenger and what it answers: no messenger types here.

A messenger adapter (Telegram today) turns its updates into `Input`s and carries out `Reply`s.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum

from handlers.media import AttachmentKind


class Command(StrEnum):
    """The commands a worker can type."""

    START = "start"
    REPORT = "report"
    STATUS = "status"
    LANGUAGE = "language"
    WIPE = "wipe"
    HELP = "help"
    CANCEL = "cancel"


class Unsupported(StrEnum):
    """Kinds of messages the engine does not take, each with its own calm answer."""

    STICKER = "sticker"
    LOCATION = "location"
    CONTACT = "contact"
    EDITED = "edited"
    UNKNOWN_COMMAND = "unknown_command"
    OTHER = "other"


@dataclass(frozen=True)
class Text:
    """A typed message."""

    text: str


@dataclass(frozen=True)
class Press:
    """A button press; `data` is the button's opaque callback data, possibly forged."""

    data: str


@dataclass(frozen=True)
class CommandInput:
    """A /command."""

    command: Command


@dataclass(frozen=True)
class Media:
    """A photo, voice note or document. Downloaded only if the current step wants it."""

    kind: AttachmentKind
    declared_size: int | None
    fetch: Callable[[], Awaitable[bytes]]


@dataclass(frozen=True)
class Other:
    """Anything else a messenger can deliver."""

    kind: Unsupported


Input = Text | Press | CommandInput | Media | Other


@dataclass(frozen=True)
class Button:
    """An inline button: a label in the worker's language and short opaque data."""

    label: str
    data: str


@dataclass(frozen=True)
class Message:
    """One message to show. `edit` replaces the message whose button was pressed."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    edit: bool = False
    keep: bool = False
    """Survives later clean-ups (the receipt, until the worker says it is saved, or /wipe)."""
    must_see: bool = False
    """If it cannot be delivered now, it is kept (in memory, for a bounded time) and shown first
    on the worker's next message; the reply's clean-up waits until it has been delivered. For
    what nothing else would tell the worker again: the receipt, the last word of a conversation."""
    later: str = ""
    """What to show instead when it is delivered late (the receipt says why it comes now)."""
    fleeting: bool = False
    """Removed as soon as the worker sends their next message (the confirmation of /wipe)."""


class Effect(StrEnum):
    """What the adapter does besides sending messages.

    The deleting effects apply to the messages from before this reply: the reply's own messages
    stay, so that the last word of a conversation is not deleted with it.
    """

    DELETE_CONVERSATION = "delete_conversation"
    """Delete every message of this conversation that the messenger lets us, except kept ones."""
    WIPE = "wipe"
    """Delete every message of this chat the messenger lets us, kept ones included."""
    DELETE_PRESSED = "delete_pressed"
    """Delete the message whose button was pressed (the receipt, once saved)."""
    DELETE_INPUT = "delete_input"
    """Delete the worker's message just received (a location or contact we never want)."""


@dataclass
class Reply:
    """The engine's answer to one input."""

    messages: list[Message] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
