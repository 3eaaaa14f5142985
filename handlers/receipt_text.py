"""The receipt message: the one message of a report that stays until the worker has saved it."""

from __future__ import annotations

from typing import Final

from crypto.receipts import format_receipt
from handlers.i18n import Translator

GROUP_SEPARATOR: Final = "\u00a0"
"""A no-break space between the groups: it looks like a space, but the bidi algorithm counts it
a separator inside a number (class CS), so the groups keep their order in a right-to-left
message (Urdu) instead of being laid out last group first, and the number never breaks across
two lines. Receipts are read back with any white space (docs/FORMAT.md)."""


def receipt_message(tr: Translator, receipt: str, late: bool = False) -> str:
    """Plain advice on keeping the receipt, around the number in four groups.

    `late`: the receipt could not be delivered when the report was saved, and comes now.
    """
    _ = tr.gettext
    return "\n\n".join(
        [
            _("Your report was saved. Here is your receipt number:")
            if late
            else _("Your report has been sent. Your receipt number is:"),
            format_receipt(receipt, GROUP_SEPARATOR),
            _(
                "Write it on paper or keep it where others will not look. With this number you "
                "can read answers from the organisation: send /status. Anyone with the number "
                "can read them, so do not share it. We cannot show it to you again."
            ),
            _("When you have saved it, press the button. This message will then be deleted."),
        ]
    )
