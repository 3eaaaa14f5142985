"""A case opened with its receipt: the status, the organisation's answers, and follow-ups.

Outside the questionnaire, and beside it: a worker in the middle of a draft can check a case
and come back to the draft where they left it. The receipt they type is deleted from the chat
whatever it opens, and guessing is throttled per chat (the Limits port).
"""

from __future__ import annotations

from typing import Final

from crypto.errors import InvalidReceipt
from crypto.receipts import parse_receipt
from handlers.buttons import ButtonCode
from handlers.conversation import Conversation, Mode, new_token
from handlers.i18n import SOURCE_LANGUAGE
from handlers.io import Effect, Media, Message, Reply, Text
from handlers.media import AttachmentRejected, CleanAttachment, check_declared_size
from handlers.ports import CaseView, Limits, NoRoute, Scrubber, Tracker
from handlers.refusals import rejection, text_problem
from handlers.screens import Screens
from handlers.text import clean_text
from vocabulary import status_label

MAX_FOLLOW_UP_LENGTH: Final = 3500
CODES: Final = frozenset({ButtonCode.STOP, ButtonCode.FOLLOW_UP, ButtonCode.READ_DONE})
"""The buttons of this mode."""


class CaseMode:
    """/status: asks for the receipt, shows the case, takes follow-ups to it."""

    def __init__(
        self, tracker: Tracker | None, limits: Limits, scrubber: Scrubber, screens: Screens
    ) -> None:
        self.tracker = tracker
        self.limits = limits
        self.scrubber = scrubber
        self.screens = screens

    def ask_receipt(self, conv: Conversation) -> Reply:
        """Enter the mode: ask for the receipt number."""
        _ = conv.tr().gettext
        if self.tracker is None:
            return Reply([Message(_("Checking a report is not available here."))])
        conv.mode, conv.screen.token = Mode.RECEIPT, new_token()
        stop = self.screens.button(conv, _("Stop"), ButtonCode.STOP)
        text = _("Please send your receipt number (16 digits).")
        return Reply([Message(text, ((stop,),))])

    async def input(self, conv: Conversation, event: Text | Media) -> Reply:
        """A text or a file while in the mode: a receipt, a follow-up, or neither."""
        _ = conv.tr().gettext
        if conv.mode == Mode.RECEIPT and isinstance(event, Text):
            return await self._check_receipt(conv, event.text)
        if conv.mode == Mode.FOLLOW_UP:
            return await self._follow_up(conv, event)
        if conv.mode == Mode.RECEIPT:
            return Reply([Message(_("Please send your receipt number (16 digits)."))])
        return Reply([Message(_("Please use the buttons below.")), *self._case_messages(conv)])

    async def press(self, conv: Conversation, code: ButtonCode) -> Reply:
        """One of the mode's buttons: add a follow-up, or leave (back to a draft, if any)."""
        _ = conv.tr().gettext
        if code == ButtonCode.FOLLOW_UP and conv.case_view is not None:
            conv.mode, conv.screen.token = Mode.FOLLOW_UP, new_token()
            done = self.screens.button(conv, _("I have finished reading"), ButtonCode.READ_DONE)
            text = _("Write what you want to add, or send a voice message or a photo.")
            return Reply([Message(text, ((done,),))])
        conv.mode, conv.case_view = None, None
        reply = Reply([], [Effect.DELETE_CONVERSATION])
        if conv.draft.position is not None:
            reply.messages.append(await self.screens.render(conv))
        else:
            reply.messages.append(Message(_("Done."), must_see=True))
        return reply

    async def _check_receipt(self, conv: Conversation, typed: str) -> Reply:
        _ = conv.tr().gettext
        assert self.tracker is not None
        # The receipt the worker typed is deleted from the chat at once, whatever it opens.
        if not self.limits.allow_receipt_check(conv.key):
            text = _("Too many tries. Please wait a quarter of an hour, then try again.")
            return Reply([Message(text)], [Effect.DELETE_INPUT])
        try:
            parse_receipt(typed)
        except InvalidReceipt:
            text = _("A receipt number has 16 digits. Please check it and send it again.")
            return Reply([Message(text)], [Effect.DELETE_INPUT])
        view = await self.tracker.lookup(typed)
        if view is None:
            text = _("No report was found with this number. Please check it and send it again.")
            return Reply([Message(text)], [Effect.DELETE_INPUT])
        conv.mode, conv.case_view = Mode.CASE, view
        return Reply(self._case_messages(conv), [Effect.DELETE_INPUT])

    def _case_messages(self, conv: Conversation) -> list[Message]:
        _ = conv.tr().gettext
        view: CaseView = conv.case_view
        conv.screen.token = new_token()
        label = _(status_label(view.status))
        messages = [Message(_("Status of your report: {status}").format(status=label))]
        if not view.replies:
            messages.append(Message(_("There is no answer from the organisation yet.")))
        for reply in view.replies:
            intro = _("Answer from the organisation:")
            messages.append(Message(f"{intro}\n\n{reply}"))
        buttons = (
            (self.screens.button(conv, _("Add information"), ButtonCode.FOLLOW_UP),),
            (self.screens.button(conv, _("I have finished reading"), ButtonCode.READ_DONE),),
        )
        last = messages[-1]
        messages[-1] = Message(last.text, buttons)
        return messages

    async def _follow_up(self, conv: Conversation, event: Text | Media) -> Reply:
        tr = conv.tr()
        _ = tr.gettext
        assert self.tracker is not None and conv.case_view is not None
        text: str | None = None
        attachment: CleanAttachment | None = None
        if isinstance(event, Text):
            text = clean_text(event.text)
            problem = text_problem(tr, text, MAX_FOLLOW_UP_LENGTH)
            if problem is not None:
                return Reply([Message(problem)])
        else:
            try:
                check_declared_size(event.declared_size)
                attachment = await self.scrubber.scrub(event.kind, await event.fetch())
            except AttachmentRejected as rejected:
                return Reply([Message(rejection(tr, rejected.reason))])
        try:
            await self.tracker.add_follow_up(
                conv.case_view, conv.language or SOURCE_LANGUAGE, text, attachment
            )
        except NoRoute:
            return Reply([Message(_("Sorry, this cannot be sent to the organisation now."))])
        conv.mode = Mode.CASE
        sent = Message(_("Thank you. The organisation will see it."))
        return Reply([sent, *self._case_messages(conv)[-1:]])
