"""What a button press means: a code from one enum, carried with the screen's token.

A button's data is `token:code`, where the code is a `ButtonCode` or `o<n>` for the n-th choice
on the screen. Data comes back from the messenger untrusted (stale, replayed or forged), so
`decode` accepts only what `encode` makes and turns everything else into "no code".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from handlers.io import Button

SEP: Final = ":"
OPTION_PREFIX: Final = "o"


class ButtonCode(StrEnum):
    """Every button the engine shows, apart from the choices of a list."""

    BACK = "back"
    MORE = "more"
    """The next page of a long list."""
    SKIP = "skip"
    DONE = "done"
    CONTINUE = "continue"
    AGREE = "agree"
    DECLINE = "decline"
    YES = "yes"
    NO = "no"
    SEND = "send"
    RETRY = "retry"
    """Send again, after the service was busy."""
    SAVED = "saved"
    """The receipt was saved: delete it."""
    STOP = "stop"
    FOLLOW_UP = "follow_up"
    READ_DONE = "read_done"


@dataclass(frozen=True)
class Pressed:
    """A press, decoded: the token and either a code, or the index of a choice, or neither."""

    token: str
    code: ButtonCode | None = None
    option: int | None = None


def encode(token: str, code: ButtonCode | int) -> str:
    """The data of a button: an int is the index of a choice on the screen."""
    if isinstance(code, ButtonCode):
        return f"{token}{SEP}{code.value}"
    return f"{token}{SEP}{OPTION_PREFIX}{code}"


def button(token: str, label: str, code: ButtonCode | int) -> Button:
    """A button with a label in the worker's language."""
    return Button(label=label, data=encode(token, code))


def decode(data: str) -> Pressed:
    """The token and the code of a press; a code `encode` never makes decodes as neither."""
    token, _sep, code = data.partition(SEP)
    if code.startswith(OPTION_PREFIX):
        digits = code.removeprefix(OPTION_PREFIX)
        # ASCII digits only: str.isdigit() also takes "²" and "٣", which int() refuses or reads.
        if digits.isascii() and digits.isdigit():
            return Pressed(token, option=int(digits))
        return Pressed(token)
    try:
        return Pressed(token, code=ButtonCode(code))
    except ValueError:
        return Pressed(token)
