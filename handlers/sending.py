"""Send on the review screen: the finished draft goes to the Submitter, then the receipt shows.

The receipt is shown only after the Submitter says the case is committed. A Send pressed twice,
delivered twice, or pressed on a screen from before a restart never makes a second case: the
draft's case id and receipt are drawn once, and a Send whose draft is gone says what happened.
"""

from __future__ import annotations

from typing import Final

from handlers.answers import readable
from handlers.buttons import ButtonCode, button
from handlers.conversation import Conversation, new_token
from handlers.i18n import SOURCE_LANGUAGE
from handlers.io import Effect, Message, Reply
from handlers.ports import Draft, Limits, NoRoute, Submitter
from handlers.questionnaire import NAMELESS_SITES, Questionnaire, StepType
from handlers.receipt_text import receipt_message
from handlers.screens import Screens

SEND_CODES: Final = frozenset({ButtonCode.SEND, ButtonCode.RETRY})
"""Send, and Send again after the service was busy."""


class Sending:
    """Turns a reviewed draft into a committed case and its receipt."""

    def __init__(
        self,
        questionnaire: Questionnaire,
        submitter: Submitter,
        limits: Limits,
        screens: Screens,
    ) -> None:
        self.questionnaire = questionnaire
        self.submitter = submitter
        self.limits = limits
        self.screens = screens

    async def submit(self, conv: Conversation) -> Reply:
        """Commit the draft; the receipt, once committed; the draft is then gone."""
        _ = conv.tr().gettext
        if conv.submitting:
            # The same press delivered twice, or pressed again while the first is committed.
            return Reply([Message(_("Your report is being sent. Please wait a moment."))])
        if not self.limits.allow_report(conv.key):
            text = _("You have sent many reports today. Please try again tomorrow.")
            return Reply([Message(text)])
        draft = self._finished(conv)
        conv.submitting = True
        try:
            receipt = await self.submitter.submit(draft)
        except NoRoute:
            return no_route(conv)
        finally:
            conv.submitting = False
        self.limits.record_report(conv.key)
        sent = conv.screen.token
        conv.reset()
        conv.sent_token = sent
        conv.receipt_token = new_token()
        tr = conv.tr()
        saved = button(conv.receipt_token, _("I have saved it"), ButtonCode.SAVED)
        message = Message(
            receipt_message(tr, receipt),
            ((saved,),),
            keep=True,
            must_see=True,
            later=receipt_message(tr, receipt, late=True),
        )
        return Reply([message], [Effect.DELETE_CONVERSATION])

    async def again(self, conv: Conversation, token: str) -> Reply:
        """A Send whose draft is gone: sent already, or lost with the server's memory."""
        _ = conv.tr().gettext
        if token == conv.sent_token:
            text = _("This report has already been sent. You do not need to send it again.")
            return Reply([Message(text)])
        if conv.draft.position is not None:
            return await self.screens.expired(conv)
        text = _(
            "Your report may not have been sent. If you have a receipt number, send /status "
            "to check it. If not, please start again with /report."
        )
        return Reply([Message(text)])

    def _finished(self, conv: Conversation) -> Draft:
        """The draft as the Submitter takes it: answers, their words, files, and the route."""
        working = conv.draft
        case_id, receipt = working.case_id_and_receipt()
        answers = working.answers
        country = answers[self.questionnaire.only(StepType.COUNTRY).id]
        site = answers.get(self.questionnaire.only(StepType.SITE).id)
        return Draft(
            case_id=case_id,
            receipt=receipt,
            questionnaire=self.questionnaire.id,
            questionnaire_version=self.questionnaire.version,
            language=conv.language or SOURCE_LANGUAGE,
            answers=dict(answers),
            readable=readable(self.questionnaire, working),
            roles=self.questionnaire.roles,
            attachments=tuple(working.attachments),
            country=country,
            site=None if site is None or site in NAMELESS_SITES else site,
        )


def no_route(conv: Conversation) -> Reply:
    """No organisation can take the report: the draft is dropped, and the worker told so."""
    _ = conv.tr().gettext
    conv.reset()
    # Neutral, as it stays in the chat: it names no report and no workplace.
    text = _(
        "Sorry, no organisation can receive this through this service yet. "
        "Nothing was sent or kept."
    )
    return Reply([Message(text, must_see=True)], [Effect.DELETE_CONVERSATION])
