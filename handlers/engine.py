"""The conversation engine: walks a worker through the questionnaire, one input at a time.

It knows nothing of Telegram: it takes an `Input` and a `Conversation` (memory only) and returns a
`Reply` of messages and effects. Every text it returns is in the worker's language.
"""

from __future__ import annotations

from typing import Any, Final

from crypto.errors import InvalidReceipt
from crypto.ids import new_case_id
from crypto.receipts import new_receipt, parse_receipt
from handlers.conversation import Conversation, DraftAttachment, Mode, new_token
from handlers.countries import country_name
from handlers.i18n import (
    N_,
    OFFERED_LANGUAGES,
    SOURCE_LANGUAGE,
    Translator,
    language_name,
    preselect,
    translator,
)
from handlers.io import (
    Button,
    Command,
    CommandInput,
    Effect,
    Input,
    Media,
    Message,
    Other,
    Press,
    Reply,
    Text,
    Unsupported,
)
from handlers.media import AttachmentKind, AttachmentRejected, RejectReason, check_declared_size
from handlers.ports import (
    CaseView,
    Directory,
    Draft,
    Limits,
    NoLimits,
    NoRoute,
    Route,
    Scrubber,
    StorageUnavailable,
    Submitter,
    Tracker,
)
from handlers.questionnaire import Questionnaire, Step, StepType
from handlers.receipt_text import receipt_message
from handlers.text import clean_text, has_words, parse_number

PAGE_SIZE: Final = 8
"""Choice buttons per screen; longer lists (countries, workplaces) get a "More" button."""
MAX_DRAFT_BYTES: Final = 60 * 1024 * 1024
"""Attachments one draft may hold in memory, so that one chat cannot exhaust the server."""
REVIEW_TEXT_PREVIEW: Final = 300
SEP: Final = ":"

MAX_FOLLOW_UP_LENGTH: Final = 3500
MODE_CODES: Final = frozenset({"stop", "follow_up", "read_done"})
SEND_CODES: Final = frozenset({"send", "retry"})
STATUS_LABELS: Final = {
    "new": N_("Received"),
    "acknowledged": N_("Seen by the organisation"),
    "investigating": N_("Being looked into"),
    "remediation": N_("Being put right"),
    "resolved": N_("Resolved"),
    "closed": N_("Closed"),
}
"""What a worker reads for each case status, in their language."""

APPROX_DATE_OPTIONS: Final = (
    ("this_week", "This week"),
    ("this_month", "This month"),
    ("earlier", "Earlier"),
    ("ongoing", "It is still going on"),
)


# Marked here so that Babel extracts them; translated when shown.
N_("This week")
N_("This month")
N_("Earlier")
N_("It is still going on")


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
        self.scrubber = scrubber
        self.directory = directory
        self.submitter = submitter
        self.tracker = tracker
        self.limits: Limits = limits if limits is not None else NoLimits()

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

    async def _dispatch(self, conv: Conversation, event: Input) -> Reply:
        if isinstance(event, CommandInput):
            return await self._command(conv, event.command)
        if isinstance(event, Press):
            return await self._press(conv, event.data)
        if isinstance(event, Other):
            return self._other(conv, event.kind)
        if conv.mode is not None and isinstance(event, Text | Media):
            return await self._mode_input(conv, event)
        if conv.position is None:
            return await self._start(conv)
        if isinstance(event, Text):
            return await self._text(conv, event.text)
        return await self._media(conv, event)

    def slow_down(self, conv: Conversation) -> Reply:
        """The one answer to a chat sending faster than anyone types."""
        _ = self._t(conv).gettext
        return Reply([Message(_("You are sending messages very fast. Please wait a moment."))])

    def _busy(self, conv: Conversation, event: Input) -> Reply:
        """The answer to a database outage; the conversation is as it was before the input."""
        _ = self._t(conv).gettext
        text = _(
            "The service is busy just now. Nothing was lost. Please try again in a few minutes."
        )
        rows: tuple[tuple[Button, ...], ...] = ()
        at_review = conv.position is not None and self._step(conv).type == StepType.REVIEW
        if conv.mode is None and at_review:
            rows = ((self._button(conv, _("Try again"), "retry"),),)
        # A typed receipt is deleted from the chat whatever happens to it.
        effects = (
            [Effect.DELETE_INPUT] if conv.mode == Mode.RECEIPT and isinstance(event, Text) else []
        )
        return Reply([Message(text, rows)], effects)

    # Commands -------------------------------------------------------------------------------

    async def _command(self, conv: Conversation, command: Command) -> Reply:
        _ = self._t(conv).gettext
        if command not in {Command.LANGUAGE, Command.HELP}:
            conv.mode, conv.case_view = None, None
        if command == Command.START:
            conv.reset()
            conv.language = None
            return await self._start(conv)
        if command == Command.REPORT:
            conv.reset()
            if conv.language is None:
                return await self._start(conv)
            return await self._go(conv, self._next_visible(conv, 1))
        if command == Command.LANGUAGE:
            conv.returning_to = conv.position
            conv.position = 0
            return Reply([await self._render(conv)])
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
            return self._ask_receipt(conv)
        return Reply([Message(self._help(conv))])

    def _help(self, conv: Conversation) -> str:
        _ = self._t(conv).gettext
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

    async def _start(self, conv: Conversation) -> Reply:
        conv.reset()
        conv.position = 0
        return Reply([await self._render(conv)])

    # Button presses -------------------------------------------------------------------------

    async def _press(self, conv: Conversation, data: str) -> Reply:
        token, _sep, code = data.partition(SEP)
        if conv.receipt_token is not None and token == conv.receipt_token and code == "saved":
            conv.receipt_token = None
            return Reply(effects=[Effect.DELETE_PRESSED])
        if token == conv.token and conv.mode is not None and code in MODE_CODES:
            return await self._mode_press(conv, code)
        if code in SEND_CODES and token != conv.token:
            return await self._send_again(conv, token)
        if conv.position is None or token != conv.token or not code:
            return await self._expired(conv)
        step = self._step(conv)
        if code == "back":
            return await self._back(conv)
        if code == "more":
            conv.page += 1
            return Reply([await self._render(conv, edit=True)])
        if code == "skip" and step.optional:
            conv.answers[step.id] = None
            return await self._forward(conv)
        handler = {
            StepType.LANGUAGE: self._press_language,
            StepType.INFO: self._press_info,
            StepType.CONSENT: self._press_consent,
            StepType.COUNTRY: self._press_country,
            StepType.SITE: self._press_site,
            StepType.SINGLE: self._press_single,
            StepType.MULTI: self._press_multi,
            StepType.YES_NO: self._press_yes_no,
            StepType.APPROX_DATE: self._press_single,
            StepType.ATTACHMENTS: self._press_attachments,
            StepType.REVIEW: self._press_review,
        }.get(step.type)
        if handler is None:
            return await self._expired(conv)
        return await handler(conv, step, code)

    async def _send_again(self, conv: Conversation, token: str) -> Reply:
        """A Send whose draft is gone: sent already, or lost with the server's memory."""
        _ = self._t(conv).gettext
        if token == conv.sent_token:
            text = _("This report has already been sent. You do not need to send it again.")
            return Reply([Message(text)])
        if conv.position is not None:
            return await self._expired(conv)
        text = _(
            "Your report may not have been sent. If you have a receipt number, send /status "
            "to check it. If not, please start again with /report."
        )
        return Reply([Message(text)])

    async def _expired(self, conv: Conversation) -> Reply:
        _ = self._t(conv).gettext
        if conv.position is None:
            return Reply([Message(_("This button has expired. Send /start to begin."))])
        expired = Message(_("This button has expired. Here is where you are:"))
        return Reply([expired, await self._render(conv)])

    async def _press_language(self, conv: Conversation, step: Step, code: str) -> Reply:
        chosen = self._choice(conv, code)
        if chosen is None:
            return await self._expired(conv)
        conv.language = chosen
        if conv.returning_to is not None and conv.returning_to > 0:
            position, conv.returning_to = conv.returning_to, None
            conv.position = position
            return Reply([await self._render(conv)])
        return await self._forward(conv)

    async def _press_info(self, conv: Conversation, step: Step, code: str) -> Reply:
        if code != "continue":
            return await self._expired(conv)
        return await self._forward(conv)

    async def _press_consent(self, conv: Conversation, step: Step, code: str) -> Reply:
        if code == "agree":
            return await self._forward(conv)
        if code != "decline":
            return await self._expired(conv)
        _ = self._t(conv).gettext
        conv.reset()
        text = _("All right. Nothing was sent or kept. You can start again at any time: /start")
        return Reply([Message(text, must_see=True)], [Effect.DELETE_CONVERSATION])

    async def _press_country(self, conv: Conversation, step: Step, code: str) -> Reply:
        chosen = self._choice(conv, code)
        if chosen is None:
            return await self._expired(conv)
        if conv.answers.get(step.id) != chosen:
            conv.answers.pop(self._site_step().id, None)
        conv.answers[step.id] = chosen
        return await self._forward(conv)

    async def _press_site(self, conv: Conversation, step: Step, code: str) -> Reply:
        chosen = self._choice(conv, code)
        if chosen is None:
            return await self._expired(conv)
        country = conv.answers[self._country_step().id]
        site = None if chosen in {"other", "undisclosed"} else chosen
        route = await self.directory.route(country, site)
        if route is None:
            return self._no_route(conv)
        conv.site_label = dict(await self.directory.sites(country)).get(chosen, "")
        conv.answers[step.id] = chosen
        return await self._forward(conv)

    async def _press_single(self, conv: Conversation, step: Step, code: str) -> Reply:
        ids = self._option_ids(step)
        index = _option_index(code, len(ids))
        if index is None:
            return await self._expired(conv)
        conv.answers[step.id] = ids[index]
        return await self._forward(conv)

    async def _press_multi(self, conv: Conversation, step: Step, code: str) -> Reply:
        ids = self._option_ids(step)
        if code == "done":
            if not conv.selection:
                if step.optional:
                    conv.answers[step.id] = None
                    return await self._forward(conv)
                _ = self._t(conv).gettext
                return Reply([Message(_("Please choose at least one, then press Done."))])
            conv.answers[step.id] = [i for i in ids if i in conv.selection]
            return await self._forward(conv)
        index = _option_index(code, len(ids))
        if index is None:
            return await self._expired(conv)
        option = ids[index]
        if option in conv.selection:
            conv.selection.remove(option)
        else:
            conv.selection.append(option)
        return Reply([await self._render(conv, edit=True, keep_token=True)])

    async def _press_yes_no(self, conv: Conversation, step: Step, code: str) -> Reply:
        if code not in {"yes", "no"}:
            return await self._expired(conv)
        conv.answers[step.id] = code
        reply = await self._forward(conv)
        if step.danger and code == "yes":
            reply.messages.insert(0, Message(await self._emergency_text(conv)))
        return reply

    async def _press_attachments(self, conv: Conversation, step: Step, code: str) -> Reply:
        if code != "done":
            return await self._expired(conv)
        count = sum(1 for d in conv.attachments if d.step == step.id)
        if count == 0 and not step.optional:
            _ = self._t(conv).gettext
            return Reply([Message(_("Please send at least one file, then press Done."))])
        conv.answers[step.id] = count or None
        return await self._forward(conv)

    async def _press_review(self, conv: Conversation, step: Step, code: str) -> Reply:
        if code not in {"send", "retry"}:
            return await self._expired(conv)
        return await self._submit(conv)

    # Typed text and media -------------------------------------------------------------------

    async def _text(self, conv: Conversation, raw: str) -> Reply:
        step = self._step(conv)
        tr = self._t(conv)
        _ = tr.gettext
        if step.type == StepType.TEXT:
            text = clean_text(raw)
            problem = self._text_problem(conv, text, step.max_length)
            if problem is not None:
                return Reply([Message(problem)])
            conv.answers[step.id] = {"text": text}
            return await self._forward(conv)
        if step.type == StepType.NUMBER:
            number = parse_number(raw)
            if number is None or not step.minimum <= number <= step.maximum:
                message = _("Please send a number from {low} to {high}, for example 20.").format(
                    low=step.minimum, high=step.maximum
                )
                return Reply([Message(message)])
            conv.answers[step.id] = number
            return await self._forward(conv)
        if step.type == StepType.ATTACHMENTS:
            message = _("Please send a photo, a voice message or a PDF, or press Done.")
            return Reply([Message(message)])
        return Reply([Message(_("Please use the buttons below.")), await self._render(conv)])

    async def _media(self, conv: Conversation, media: Media) -> Reply:
        step = self._step(conv)
        _ = self._t(conv).gettext
        voice_answer = step.type == StepType.TEXT and step.voice
        voice_answer = voice_answer and media.kind == AttachmentKind.VOICE
        if step.type != StepType.ATTACHMENTS and not voice_answer:
            message = _("I cannot use a file here. Please answer the question below.")
            return Reply([Message(message), await self._render(conv)])
        if step.type == StepType.ATTACHMENTS:
            count = sum(1 for d in conv.attachments if d.step == step.id)
            if count >= step.max_files:
                message = _("That is the most files one report can take. Please press Done.")
                return Reply([Message(message)])
        try:
            check_declared_size(media.declared_size)
            if conv.attachment_bytes() + (media.declared_size or 0) > MAX_DRAFT_BYTES:
                raise AttachmentRejected(RejectReason.TOO_LARGE)
            clean = await self.scrubber.scrub(media.kind, await media.fetch())
        except AttachmentRejected as rejected:
            return Reply([Message(self._rejection(conv, rejected.reason))])
        if conv.attachment_bytes() + len(clean.data) > MAX_DRAFT_BYTES:
            return Reply([Message(self._rejection(conv, RejectReason.TOO_LARGE))])
        conv.attachments = [d for d in conv.attachments if not (voice_answer and d.step == step.id)]
        conv.attachments.append(DraftAttachment(step.id, clean))
        if voice_answer:
            conv.answers[step.id] = {"voice": True}
            return await self._forward(conv)
        count = sum(1 for d in conv.attachments if d.step == step.id)
        tr = self._t(conv)
        received = tr.ngettext(
            "Received. You have sent {count} file.",
            "Received. You have sent {count} files.",
            count,
        ).format(count=count)
        more = tr.gettext("Send more, or press Done.")
        return Reply([Message(f"{received} {more}", self._nav(conv, step, done=True))])

    def _rejection(self, conv: Conversation, reason: RejectReason) -> str:
        _ = self._t(conv).gettext
        texts = {
            RejectReason.TOO_LARGE: _("This file is too large. Files can be up to 20 MB."),
            RejectReason.NOT_AN_IMAGE: _("This photo could not be read. Please try another one."),
            RejectReason.DAMAGED: _("This file is damaged or incomplete. Please try again."),
            RejectReason.TOO_MANY_PIXELS: _(
                "This picture is too big to process. Please send a smaller photo."
            ),
            RejectReason.UNSUPPORTED_TYPE: _(
                "Only photos, voice messages and PDF files can be sent."
            ),
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

    def _other(self, conv: Conversation, kind: Unsupported) -> Reply:
        _ = self._t(conv).gettext
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

    # Moving between steps -------------------------------------------------------------------

    async def _forward(self, conv: Conversation) -> Reply:
        assert conv.position is not None
        return await self._go(conv, self._next_visible(conv, conv.position + 1))

    async def _go(self, conv: Conversation, position: int) -> Reply:
        if conv.position is not None:
            conv.history.append(conv.position)
        conv.position = position
        step = self._step(conv)
        conv.page = 0
        previous = conv.answers.get(step.id)
        conv.selection = list(previous) if step.type == StepType.MULTI and previous else []
        if step.type == StepType.COUNTRY:
            countries = await self.directory.countries()
            conv.automatic.discard(step.id)
            if not countries:
                return self._no_route(conv)
            if len(countries) == 1:
                conv.answers[step.id] = countries[0]
                conv.automatic.add(step.id)
                conv.answers.pop(self._site_step().id, None)
                return await self._go(conv, self._next_visible(conv, position + 1))
        return Reply([await self._render(conv)])

    async def _back(self, conv: Conversation) -> Reply:
        if not conv.history:
            return Reply([await self._render(conv)])
        conv.position = conv.history.pop()
        while conv.history and self._auto_answered(conv):
            conv.position = conv.history.pop()
        step = self._step(conv)
        previous = conv.answers.get(step.id)
        conv.selection = list(previous) if step.type == StepType.MULTI and previous else []
        conv.page = 0
        return Reply([await self._render(conv)])

    def _auto_answered(self, conv: Conversation) -> bool:
        """A country step answered for the worker (only one country) is passed over going back."""
        return self._step(conv).id in conv.automatic

    def _next_visible(self, conv: Conversation, start: int) -> int:
        steps = self.questionnaire.steps
        for position in range(start, len(steps)):
            condition = steps[position].when
            if condition is None or _answer_ids(conv.answers.get(condition.step)) & set(
                condition.includes
            ):
                return position
            conv.answers.pop(steps[position].id, None)
            conv.attachments = [d for d in conv.attachments if d.step != steps[position].id]
        return len(steps) - 1

    # Rendering ------------------------------------------------------------------------------

    async def _render(
        self, conv: Conversation, edit: bool = False, keep_token: bool = False
    ) -> Message:
        if not keep_token:
            conv.token = new_token()
        step = self._step(conv)
        tr = self._t(conv)
        _ = tr.gettext
        text = _(step.prompt)
        rows: list[tuple[Button, ...]] = []
        if step.type == StepType.LANGUAGE:
            first = preselect(conv.profile_language)
            languages = [first, *(lang for lang in OFFERED_LANGUAGES if lang != first)]
            if conv.language is None:
                text = translator(first).gettext(step.prompt)
                if text != step.prompt:
                    text = f"{text}\n{step.prompt}"
            rows = self._choice_rows(conv, [(lang, language_name(lang)) for lang in languages])
            return Message(text, tuple(rows), edit=edit)
        if step.type == StepType.INFO:
            rows = [(self._button(conv, self._label(conv, step, "continue"), "continue"),)]
        elif step.type == StepType.CONSENT:
            rows = [
                (self._button(conv, self._label(conv, step, "agree"), "agree"),),
                (self._button(conv, self._label(conv, step, "decline"), "decline"),),
            ]
        elif step.type == StepType.COUNTRY:
            codes = await self.directory.countries()
            named = sorted(
                ((code, country_name(code, tr.language)) for code in codes), key=lambda c: c[1]
            )
            rows = self._choice_rows(conv, named)
        elif step.type == StepType.SITE:
            country = conv.answers[self._country_step().id]
            sites = await self.directory.sites(country)
            sites.append(("other", self._label(conv, step, "other")))
            sites.append(("undisclosed", self._label(conv, step, "undisclosed")))
            rows = self._choice_rows(conv, sites)
        elif step.type in {StepType.SINGLE, StepType.APPROX_DATE}:
            rows = [
                (self._button(conv, _(label), f"o{i}"),)
                for i, label in enumerate(self._option_labels(step))
            ]
        elif step.type == StepType.MULTI:
            rows = [
                (
                    self._button(
                        conv,
                        ("✅ " if option.id in conv.selection else "▫️ ") + _(option.label),
                        f"o{i}",
                    ),
                )
                for i, option in enumerate(step.options)
            ]
        elif step.type == StepType.YES_NO:
            rows = [(self._button(conv, _("Yes"), "yes"), self._button(conv, _("No"), "no"))]
        elif step.type == StepType.REVIEW:
            self._submission(conv)
            text = f"{text}\n\n{await self._summary(conv)}"
            rows = [(self._button(conv, _("Send"), "send"),)]
        nav = self._nav(conv, step, done=step.type in {StepType.MULTI, StepType.ATTACHMENTS})
        return Message(text, (*rows, *nav), edit=edit)

    def _nav(
        self, conv: Conversation, step: Step, done: bool = False
    ) -> tuple[tuple[Button, ...], ...]:
        _ = self._t(conv).gettext
        row = []
        if conv.history or (conv.position or 0) > 0:
            row.append(self._button(conv, _("← Back"), "back"))
        if step.optional and step.type not in {StepType.MULTI, StepType.ATTACHMENTS}:
            row.append(self._button(conv, _("Skip"), "skip"))
        if done:
            row.append(self._button(conv, _("Done"), "done"))
        return (tuple(row),) if row else ()

    def _choice_rows(
        self, conv: Conversation, items: list[tuple[str, str]]
    ) -> list[tuple[Button, ...]]:
        """One button per choice, a page at a time; `conv.choices` remembers what index means."""
        pages = max(1, -(-len(items) // PAGE_SIZE))
        page = conv.page % pages
        shown = items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
        conv.choices = [choice_id for choice_id, _label in shown]
        rows: list[tuple[Button, ...]] = [
            (self._button(conv, label, f"o{i}"),) for i, (_id, label) in enumerate(shown)
        ]
        if pages > 1:
            _ = self._t(conv).gettext
            rows.append((self._button(conv, _("More …"), "more"),))
        return rows

    def _label(self, conv: Conversation, step: Step, role: str) -> str:
        """A button text from the questionnaire (extracted from there, not from here)."""
        return self._t(conv).gettext(step.labels[role])

    def _button(self, conv: Conversation, label: str, code: str) -> Button:
        return Button(label=label, data=f"{conv.token}{SEP}{code}")

    def _choice(self, conv: Conversation, code: str) -> str | None:
        index = _option_index(code, len(conv.choices))
        return None if index is None else conv.choices[index]

    def _answered(self, conv: Conversation) -> list[tuple[Step, Any]]:
        """The answered questions, in questionnaire order."""
        silent = {StepType.LANGUAGE, StepType.INFO, StepType.CONSENT, StepType.REVIEW}
        return [
            (step, conv.answers[step.id])
            for step in self.questionnaire.steps
            if step.type not in silent and step.id in conv.answers
        ]

    def _readable(self, conv: Conversation) -> dict[str, dict[str, str]]:
        """Each answer in English words, sealed with the report: the desk needs no questionnaire."""
        english = translator(SOURCE_LANGUAGE)
        return {
            step.id: {
                "question": step.title or step.prompt,
                "answer": self._describe(conv, step, value, english, preview=False),
            }
            for step, value in self._answered(conv)
        }

    async def _summary(self, conv: Conversation) -> str:
        tr = self._t(conv)
        _ = tr.gettext
        lines = []
        for step, value in self._answered(conv):
            title = _(step.title) if step.title else _(step.prompt)
            lines.append(f"• {title}: {self._describe(conv, step, value, tr)}")
        return "\n".join(lines)

    def _describe(
        self, conv: Conversation, step: Step, value: Any, tr: Translator, preview: bool = True
    ) -> str:
        _ = tr.gettext
        if value is None:
            return "—"
        if step.type == StepType.COUNTRY:
            return country_name(str(value), tr.language)
        if step.type == StepType.SITE:
            role = "other" if value == "other" else "undisclosed"
            return conv.site_label or tr.gettext(step.labels[role])
        if step.type in {StepType.SINGLE, StepType.APPROX_DATE, StepType.MULTI}:
            labels = dict(zip(self._option_ids(step), self._option_labels(step), strict=True))
            chosen = value if isinstance(value, list) else [value]
            return ", ".join(_(labels[c]) for c in chosen)
        if step.type == StepType.YES_NO:
            return _("Yes") if value == "yes" else _("No")
        if step.type == StepType.TEXT:
            if "voice" in value:
                return _("(voice message)")
            text = str(value["text"])
            if not preview or len(text) <= REVIEW_TEXT_PREVIEW:
                return text
            return text[:REVIEW_TEXT_PREVIEW] + " …"
        if step.type == StepType.ATTACHMENTS:
            return tr.ngettext("{count} file", "{count} files", value).format(count=value)
        return str(value)

    # Submission -----------------------------------------------------------------------------

    async def _submit(self, conv: Conversation) -> Reply:
        _ = self._t(conv).gettext
        if conv.submitting:
            # The same press delivered twice, or pressed again while the first is committed.
            return Reply([Message(_("Your report is being sent. Please wait a moment."))])
        if not self.limits.allow_report(conv.key):
            text = _("You have sent many reports today. Please try again tomorrow.")
            return Reply([Message(text)])
        case_id, receipt = self._submission(conv)
        country = conv.answers[self._country_step().id]
        site = conv.answers.get(self._site_step().id)
        draft = Draft(
            case_id=case_id,
            receipt=receipt,
            questionnaire=self.questionnaire.id,
            questionnaire_version=self.questionnaire.version,
            language=conv.language or SOURCE_LANGUAGE,
            answers=dict(conv.answers),
            readable=self._readable(conv),
            attachments=tuple(conv.attachments),
            country=country,
            site=None if site in {None, "other", "undisclosed"} else site,
        )
        conv.submitting = True
        try:
            receipt = await self.submitter.submit(draft)
        except NoRoute:
            return self._no_route(conv)
        finally:
            conv.submitting = False
        self.limits.record_report(conv.key)
        sent = conv.token
        conv.reset()
        conv.sent_token = sent
        conv.receipt_token = new_token()
        tr = self._t(conv)
        saved = Button(_("I have saved it"), f"{conv.receipt_token}{SEP}saved")
        message = Message(
            receipt_message(tr, receipt),
            ((saved,),),
            keep=True,
            must_see=True,
            later=receipt_message(tr, receipt, late=True),
        )
        return Reply([message], [Effect.DELETE_CONVERSATION])

    def _submission(self, conv: Conversation) -> tuple[str, str]:
        """The draft's case id and receipt, drawn once when it first reaches the review.

        Drawn before any Send press, they are part of what a failed input puts back, so every
        Send of this draft commits the same case (or finds it committed) with the same receipt.
        """
        if conv.submission is None:
            conv.submission = (new_case_id(), new_receipt())
        return conv.submission

    def _no_route(self, conv: Conversation) -> Reply:
        _ = self._t(conv).gettext
        conv.reset()
        # Neutral, as it stays in the chat: it names no report and no workplace.
        text = _(
            "Sorry, no organisation can receive this through this service yet. "
            "Nothing was sent or kept."
        )
        return Reply([Message(text, must_see=True)], [Effect.DELETE_CONVERSATION])

    async def _emergency_text(self, conv: Conversation) -> str:
        _ = self._t(conv).gettext
        country = conv.answers.get(self._country_step().id)
        site = conv.answers.get(self._site_step().id)
        route: Route | None = None
        if country is not None:
            site_slug = None if site in {None, "other", "undisclosed"} else site
            route = await self.directory.route(country, site_slug)
        if route is not None and route.emergency_contacts.strip():
            intro = _("If someone is in danger now, get help at once:")
            return f"{intro}\n{route.emergency_contacts.strip()}"
        return _("If someone is in danger now, call your local emergency number at once.")

    # A case, opened with its receipt --------------------------------------------------------

    def _ask_receipt(self, conv: Conversation) -> Reply:
        _ = self._t(conv).gettext
        if self.tracker is None:
            return Reply([Message(_("Checking a report is not available here."))])
        conv.mode, conv.token = Mode.RECEIPT, new_token()
        stop = self._button(conv, _("Stop"), "stop")
        text = _("Please send your receipt number (16 digits).")
        return Reply([Message(text, ((stop,),))])

    async def _mode_input(self, conv: Conversation, event: Text | Media) -> Reply:
        _ = self._t(conv).gettext
        if conv.mode == Mode.RECEIPT and isinstance(event, Text):
            return await self._check_receipt(conv, event.text)
        if conv.mode == Mode.FOLLOW_UP:
            return await self._follow_up(conv, event)
        if conv.mode == Mode.RECEIPT:
            return Reply([Message(_("Please send your receipt number (16 digits)."))])
        return Reply([Message(_("Please use the buttons below.")), *self._case_messages(conv)])

    async def _check_receipt(self, conv: Conversation, typed: str) -> Reply:
        _ = self._t(conv).gettext
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
        tr = self._t(conv)
        _ = tr.gettext
        view: CaseView = conv.case_view
        conv.token = new_token()
        label = _(STATUS_LABELS.get(view.status, view.status))
        messages = [Message(_("Status of your report: {status}").format(status=label))]
        if not view.replies:
            messages.append(Message(_("There is no answer from the organisation yet.")))
        for reply in view.replies:
            intro = _("Answer from the organisation:")
            messages.append(Message(f"{intro}\n\n{reply}"))
        buttons = (
            (self._button(conv, _("Add information"), "follow_up"),),
            (self._button(conv, _("I have finished reading"), "read_done"),),
        )
        last = messages[-1]
        messages[-1] = Message(last.text, buttons)
        return messages

    async def _mode_press(self, conv: Conversation, code: str) -> Reply:
        _ = self._t(conv).gettext
        if code == "follow_up" and conv.case_view is not None:
            conv.mode, conv.token = Mode.FOLLOW_UP, new_token()
            done = self._button(conv, _("I have finished reading"), "read_done")
            text = _("Write what you want to add, or send a voice message or a photo.")
            return Reply([Message(text, ((done,),))])
        conv.mode, conv.case_view = None, None
        reply = Reply([], [Effect.DELETE_CONVERSATION])
        if conv.position is not None:
            reply.messages.append(await self._render(conv))
        else:
            reply.messages.append(Message(_("Done."), must_see=True))
        return reply

    async def _follow_up(self, conv: Conversation, event: Text | Media) -> Reply:
        _ = self._t(conv).gettext
        assert self.tracker is not None and conv.case_view is not None
        text: str | None = None
        attachment = None
        if isinstance(event, Text):
            text = clean_text(event.text)
            problem = self._text_problem(conv, text, MAX_FOLLOW_UP_LENGTH)
            if problem is not None:
                return Reply([Message(problem)])
        else:
            try:
                check_declared_size(event.declared_size)
                attachment = await self.scrubber.scrub(event.kind, await event.fetch())
            except AttachmentRejected as rejected:
                return Reply([Message(self._rejection(conv, rejected.reason))])
        try:
            await self.tracker.add_follow_up(
                conv.case_view, conv.language or SOURCE_LANGUAGE, text, attachment
            )
        except NoRoute:
            return Reply([Message(_("Sorry, this cannot be sent to the organisation now."))])
        conv.mode = Mode.CASE
        sent = Message(_("Thank you. The organisation will see it."))
        return Reply([sent, *self._case_messages(conv)[-1:]])

    def _text_problem(self, conv: Conversation, text: str, limit: int) -> str | None:
        """What is wrong with a typed answer, in the worker's language, or None."""
        _ = self._t(conv).gettext
        if not text:
            return _("Please write a few words, or send a voice message.")
        if len(text) > limit:
            return _(
                "That is too long. Please keep it under {limit} characters, "
                "or send a voice message."
            ).format(limit=limit)
        if not has_words(text):
            return _("Please describe it in words, or send a voice message.")
        return None

    # Small helpers --------------------------------------------------------------------------

    def _t(self, conv: Conversation) -> Translator:
        return translator(conv.language or SOURCE_LANGUAGE)

    def _step(self, conv: Conversation) -> Step:
        assert conv.position is not None
        return self.questionnaire.steps[conv.position]

    def _country_step(self) -> Step:
        return next(s for s in self.questionnaire.steps if s.type == StepType.COUNTRY)

    def _site_step(self) -> Step:
        return next(s for s in self.questionnaire.steps if s.type == StepType.SITE)

    def _option_ids(self, step: Step) -> list[str]:
        if step.type == StepType.APPROX_DATE:
            return [option_id for option_id, _label in APPROX_DATE_OPTIONS]
        return [o.id for o in step.options]

    def _option_labels(self, step: Step) -> list[str]:
        if step.type == StepType.APPROX_DATE:
            return [label for _id, label in APPROX_DATE_OPTIONS]
        return [o.label for o in step.options]


def _tick(selected: bool) -> str:
    """Ticked and unticked boxes on multiple-choice buttons."""
    return "✅ " if selected else "▫️ "


def _option_index(code: str, count: int) -> int | None:
    # ASCII digits only: isdigit() also takes "²" (which int() refuses) and "٣" (which it reads).
    if not code.startswith("o") or not (code[1:].isascii() and code[1:].isdigit()):
        return None
    index = int(code[1:])
    return index if index < count else None


def _answer_ids(value: Any) -> set[str]:
    if isinstance(value, list):
        return {str(v) for v in value}
    return {str(value)} if value is not None else set()
