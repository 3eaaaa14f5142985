"""The calm sentences for what the engine cannot take: a text it cannot use, a file refused.

Shared by the questionnaire and by follow-ups to a case, so a worker reads the same words for
the same mistake wherever they make it.
"""

from __future__ import annotations

from handlers.i18n import Translator
from handlers.media import RejectReason
from handlers.text import has_words


def text_problem(tr: Translator, text: str, limit: int) -> str | None:
    """What is wrong with a typed (and cleaned) answer, in the worker's language, or None."""
    _ = tr.gettext
    if not text:
        return _("Please write a few words, or send a voice message.")
    if len(text) > limit:
        return _(
            "That is too long. Please keep it under {limit} characters, or send a voice message."
        ).format(limit=tr.number(limit))
    if not has_words(text):
        return _("Please describe it in words, or send a voice message.")
    return None


def rejection(tr: Translator, reason: RejectReason) -> str:
    """Why a file cannot be used, and what to do instead."""
    _ = tr.gettext
    texts = {
        RejectReason.TOO_LARGE: _("This file is too large. Files can be up to 20 MB."),
        RejectReason.NOT_AN_IMAGE: _("This photo could not be read. Please try another one."),
        RejectReason.DAMAGED: _("This file is damaged or incomplete. Please try again."),
        RejectReason.TOO_MANY_PIXELS: _(
            "This picture is too big to process. Please send a smaller photo."
        ),
        RejectReason.UNSUPPORTED_TYPE: _("Only photos, voice messages and PDF files can be sent."),
        RejectReason.ENCRYPTED_PDF: _(
            "This PDF is protected by a password. Please send it without the password."
        ),
        RejectReason.MULTI_PAGE_IMAGE: _(
            "This picture has several pages. Please send each page as a photo."
        ),
        RejectReason.TOO_COMPLEX: _(
            "This file is too complex to check. Please send photos of its pages instead."
        ),
        RejectReason.NOT_A_VOICE_NOTE: _(
            "This voice message could not be read. Please record it again."
        ),
    }
    return texts.get(reason, _("This file cannot be used. Please try another one."))
