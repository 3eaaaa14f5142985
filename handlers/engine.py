"""The conversation engine: one input from a worker in, one reply out, in the worker's language.

It knows nothing of Telegram: it takes an `Input` and a `Conversation` (memory only) and returns
a `Reply` of messages and effects. This module dispatches: commands it answers itself, a press
goes by its token to the receipt, to the case mode or to the questionnaire walk, and anything
typed or sent goes to the case mode while a case is open, else to the walk. What the rest of
the system does for the engine comes in through the ports (handlers/ports.py).
"""

from __future__ import annotations

from handlers.buttons import ButtonCode, decode
from handlers.casemode import CODES, CaseMode
from handlers.conversation import Conversation, Mode
from handlers.io import (
    Button,
    Command,
    CommandInput,
    Effect,
    Input,
    Message,
    Other,
    Press,
    Reply,
    Text,
    Unsupported,
)
from handlers.ports import (
    Directory,
    Limits,
    NoLimits,
    Scrubber,
    StorageUnavailable,
    Submitter,
    Tracker,
)
from handlers.questionnaire import Questionnaire, StepType
from handlers.screens import Screens
from handlers.sending import SEND_CODES, Sending
from handlers.walk import Walk


class Engine:
    """One engine serves every conversation; all per-worker state is in the Conversation."""

    def __init__(
        self,
        questionnaire: Questionnaire,
        directory: Directory,
        submitter: Submitter,
        tracker: Tracker | None = None,
        limits: Limits | None = None,
        *,
        scrubber: Scrubber,
    ) -> None:
        self.questionnaire = questionnaire
        self.directory = directory
        self.submitter = submitter
        self.tracker = tracker
        self.limits: Limits = limits if limits is not None else NoLimits()
        self.scrubber = scrubber
        self.screens = Screens(questionnaire, directory)
        self.sending = Sending(questionnaire, submitter, self.limits, self.screens)
        self.walk = Walk(questionnaire, directory, scrubber, self.screens, self.sending)
        self.case_mode = CaseMode(tracker, self.limits, scrubber, self.screens)

    async def handle(self, conv: Conversation, event: Input) -> Reply:
        """Answer one input from the worker (one at a time per conversation).

        A database outage anywhere on the way is answered here, at one place: the conversation
        is put back exactly as it was before the input, so the worker loses nothing and every
        button on their screen still works.
        """
        saved = conv.snapshot()
        try:
            return await self._dispatch(conv, event)
        except StorageUnavailable:
            conv.restore(saved)
            return self._busy(conv, event)

    def slow_down(self, conv: Conversation) -> Reply:
        """The one answer to a chat sending faster than anyone types."""
        _ = conv.tr().gettext
        return Reply([Message(_("You are sending messages very fast. Please wait a moment."))])

    async def _dispatch(self, conv: Conversation, event: Input) -> Reply:
        if isinstance(event, CommandInput):
            return await self._command(conv, event.command)
        if isinstance(event, Press):
            return await self._press(conv, event.data)
        if isinstance(event, Other):
            return self._other(conv, event.kind)
        if conv.mode is not None:
            return await self.case_mode.input(conv, event)
        if conv.draft.position is None:
            return await self.walk.start(conv)
        if isinstance(event, Text):
            return await self.walk.text(conv, event.text)
        return await self.walk.media(conv, event)

    def _busy(self, conv: Conversation, event: Input) -> Reply:
        """The answer to a database outage; the conversation is as it was before the input."""
        _ = conv.tr().gettext
        text = _(
            "The service is busy just now. Nothing was lost. Please try again in a few minutes."
        )
        rows: tuple[tuple[Button, ...], ...] = ()
        at_review = (
            conv.draft.position is not None and self.screens.step(conv).type == StepType.REVIEW
        )
        if conv.mode is None and at_review:
            rows = ((self.screens.button(conv, _("Try again"), ButtonCode.RETRY),),)
        # A typed receipt is deleted from the chat whatever happens to it.
        effects = (
            [Effect.DELETE_INPUT] if conv.mode == Mode.RECEIPT and isinstance(event, Text) else []
        )
        return Reply([Message(text, rows)], effects)

    # Commands -------------------------------------------------------------------------------

    async def _command(self, conv: Conversation, command: Command) -> Reply:
        _ = conv.tr().gettext
        if command not in {Command.LANGUAGE, Command.HELP}:
            conv.mode, conv.case_view = None, None
        if command == Command.START:
            conv.reset()
            conv.language = None
            return await self.walk.start(conv)
        if command == Command.REPORT:
            if conv.language is None:
                return await self.walk.start(conv)
            return await self.walk.first_question(conv)
        if command == Command.LANGUAGE:
            return await self.walk.change_language(conv)
        if command == Command.CANCEL:
            conv.reset()
            text = _("Stopped. Nothing was sent or kept. Send /start to begin again.")
            return Reply([Message(text, must_see=True)], [Effect.DELETE_CONVERSATION])
        if command == Command.WIPE:
            conv.reset()
            # One neutral word, so the worker knows the wipe happened, gone with their next
            # message: a blank chat after a command looks like a failure and gets repeated.
            return Reply([Message(_("Done."), fleeting=True)], [Effect.WIPE])
        if command == Command.STATUS:
            return self.case_mode.ask_receipt(conv)
        return Reply([Message(self._help(conv))])

    def _help(self, conv: Conversation) -> str:
        _ = conv.tr().gettext
        return "\n".join(
            [
                _("This service lets you report a problem at work safely, without your name."),
                "",
                _("/report – report a problem"),  # noqa: RUF001 (a dash, on purpose)
                _("/status – check your report with your receipt number"),  # noqa: RUF001 (a dash, on purpose)
                _("/language – change the language"),  # noqa: RUF001 (a dash, on purpose)
                _("/cancel – stop and throw away what you wrote"),  # noqa: RUF001 (a dash, on purpose)
                _("/wipe – delete the messages of this chat"),  # noqa: RUF001 (a dash, on purpose)
                "",
                _("To remove the chat completely, also delete it in Telegram."),
            ]
        )

    # Button presses -------------------------------------------------------------------------

    async def _press(self, conv: Conversation, data: str) -> Reply:
        """A press goes where its token belongs: the receipt, the case, or the draft."""
        pressed = decode(data)
        token, code = pressed.token, pressed.code
        current = token == conv.screen.token
        if (
            conv.receipt_token is not None
            and token == conv.receipt_token
            and code == ButtonCode.SAVED
        ):
            conv.receipt_token = None
            return Reply(effects=[Effect.DELETE_PRESSED])
        if current and conv.mode is not None and code is not None and code in CODES:
            return await self.case_mode.press(conv, code)
        if code in SEND_CODES and not current:
            return await self.sending.again(conv, token)
        if conv.draft.position is None or not current or (code is None and pressed.option is None):
            return await self.screens.expired(conv)
        return await self.walk.press(conv, pressed)

    # Anything else --------------------------------------------------------------------------

    def _other(self, conv: Conversation, kind: Unsupported) -> Reply:
        _ = conv.tr().gettext
        if kind in {Unsupported.LOCATION, Unsupported.CONTACT}:
            text = _(
                "For your safety I deleted that message. "
                "This service never needs your location or phone number."
            )
            return Reply([Message(text)], [Effect.DELETE_INPUT])
        if kind == Unsupported.EDITED:
            return Reply([Message(_("I can only read new messages. Please send it again."))])
        if kind == Unsupported.UNKNOWN_COMMAND:
            return Reply([Message(self._help(conv))])
        text = _("I can read text, voice messages, photos and PDF files here.")
        return Reply([Message(text)])
