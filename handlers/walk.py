"""The questionnaire walk: an answer to the step on the screen, then the next step to show.

Steps whose condition an earlier answer does not meet are passed over (and whatever they held is
dropped), a country is answered for the worker when only one is covered, and Back retraces the
steps the worker saw. Files are fetched only when the step wants them, and cleaned through the
Scrubber port before they join the draft.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Final

from handlers.buttons import ButtonCode, Pressed
from handlers.conversation import Conversation, DraftAttachment
from handlers.io import Effect, Media, Message, Reply
from handlers.media import AttachmentKind, AttachmentRejected, RejectReason, check_declared_size
from handlers.ports import Directory, Route, Scrubber
from handlers.questionnaire import NAMELESS_SITES, Questionnaire, Step, StepType
from handlers.refusals import rejection, text_problem
from handlers.screens import Screens
from handlers.sending import SEND_CODES, Sending, no_route
from handlers.text import NotWhole, clean_text, parse_number

MAX_DRAFT_BYTES: Final = 60 * 1024 * 1024
"""Attachments one draft may hold in memory, so that one chat cannot exhaust the server."""

_Answer = Callable[[Conversation, Step, Pressed], Awaitable[Reply]]


class Walk:
    """Moves one worker through the questionnaire; the state is all in their Conversation."""

    def __init__(
        self,
        questionnaire: Questionnaire,
        directory: Directory,
        scrubber: Scrubber,
        screens: Screens,
        sending: Sending,
    ) -> None:
        self.questionnaire = questionnaire
        self.directory = directory
        self.scrubber = scrubber
        self.screens = screens
        self.sending = sending
        self._answers: dict[StepType, _Answer] = {
            StepType.LANGUAGE: self._language,
            StepType.INFO: self._info,
            StepType.CONSENT: self._consent,
            StepType.COUNTRY: self._country,
            StepType.SITE: self._site,
            StepType.SINGLE: self._single,
            StepType.APPROX_DATE: self._single,
            StepType.MULTI: self._multi,
            StepType.YES_NO: self._yes_no,
            StepType.ATTACHMENTS: self._attachments,
            StepType.REVIEW: self._review,
        }

    async def start(self, conv: Conversation) -> Reply:
        """A new draft, at the language step."""
        conv.reset()
        conv.draft.position = 0
        return Reply([await self.screens.render(conv)])

    async def first_question(self, conv: Conversation) -> Reply:
        """A new draft in the language already chosen: the first step after the language."""
        conv.reset()
        return await self.go(conv, self.next_visible(conv, 1))

    async def change_language(self, conv: Conversation) -> Reply:
        """The language step, then back to where the worker was."""
        conv.draft.returning_to = conv.draft.position
        conv.draft.position = 0
        return Reply([await self.screens.render(conv)])

    # Button presses -------------------------------------------------------------------------

    async def press(self, conv: Conversation, pressed: Pressed) -> Reply:
        """A press on the current screen (its token already checked)."""
        step = self.screens.step(conv)
        if pressed.code == ButtonCode.BACK:
            return await self.back(conv)
        if pressed.code == ButtonCode.MORE:
            conv.screen.page += 1
            return Reply([await self.screens.render(conv, edit=True)])
        if pressed.code == ButtonCode.SKIP and step.optional:
            conv.draft.answers[step.id] = None
            return await self.forward(conv)
        answer = self._answers.get(step.type)
        if answer is None:
            return await self.screens.expired(conv)
        return await answer(conv, step, pressed)

    async def _language(self, conv: Conversation, step: Step, pressed: Pressed) -> Reply:
        chosen = self.screens.choice(conv, pressed.option)
        if chosen is None:
            return await self.screens.expired(conv)
        conv.language = chosen
        draft = conv.draft
        if draft.returning_to is not None and draft.returning_to > 0:
            draft.position, draft.returning_to = draft.returning_to, None
            return Reply([await self.screens.render(conv)])
        return await self.forward(conv)

    async def _info(self, conv: Conversation, step: Step, pressed: Pressed) -> Reply:
        if pressed.code != ButtonCode.CONTINUE:
            return await self.screens.expired(conv)
        return await self.forward(conv)

    async def _consent(self, conv: Conversation, step: Step, pressed: Pressed) -> Reply:
        if pressed.code == ButtonCode.AGREE:
            return await self.forward(conv)
        if pressed.code != ButtonCode.DECLINE:
            return await self.screens.expired(conv)
        _ = conv.tr().gettext
        conv.reset()
        text = _("All right. Nothing was sent or kept. You can start again at any time: /start")
        return Reply([Message(text, must_see=True)], [Effect.DELETE_CONVERSATION])

    async def _country(self, conv: Conversation, step: Step, pressed: Pressed) -> Reply:
        chosen = self.screens.choice(conv, pressed.option)
        if chosen is None:
            return await self.screens.expired(conv)
        answers = conv.draft.answers
        if answers.get(step.id) != chosen:
            answers.pop(self.questionnaire.only(StepType.SITE).id, None)
        answers[step.id] = chosen
        return await self.forward(conv)

    async def _site(self, conv: Conversation, step: Step, pressed: Pressed) -> Reply:
        chosen = self.screens.choice(conv, pressed.option)
        if chosen is None:
            return await self.screens.expired(conv)
        country = conv.draft.answers[self.questionnaire.only(StepType.COUNTRY).id]
        route = await self.directory.route(country, None if chosen in NAMELESS_SITES else chosen)
        if route is None:
            return no_route(conv)
        conv.draft.site_label = dict(await self.directory.sites(country)).get(chosen, "")
        conv.draft.answers[step.id] = chosen
        return await self.forward(conv)

    async def _single(self, conv: Conversation, step: Step, pressed: Pressed) -> Reply:
        if pressed.option is None or pressed.option >= len(step.options):
            return await self.screens.expired(conv)
        conv.draft.answers[step.id] = step.options[pressed.option].id
        return await self.forward(conv)

    async def _multi(self, conv: Conversation, step: Step, pressed: Pressed) -> Reply:
        selection = conv.screen.selection
        if pressed.code == ButtonCode.DONE:
            if not selection:
                if step.optional:
                    conv.draft.answers[step.id] = None
                    return await self.forward(conv)
                _ = conv.tr().gettext
                return Reply([Message(_("Please choose at least one, then press Done."))])
            conv.draft.answers[step.id] = [o.id for o in step.options if o.id in selection]
            return await self.forward(conv)
        if pressed.option is None or pressed.option >= len(step.options):
            return await self.screens.expired(conv)
        option = step.options[pressed.option].id
        if option in selection:
            selection.remove(option)
        else:
            selection.append(option)
        return Reply([await self.screens.render(conv, edit=True, redraw=True)])

    async def _yes_no(self, conv: Conversation, step: Step, pressed: Pressed) -> Reply:
        if pressed.code not in {ButtonCode.YES, ButtonCode.NO}:
            return await self.screens.expired(conv)
        conv.draft.answers[step.id] = pressed.code.value
        reply = await self.forward(conv)
        if step.danger and pressed.code == ButtonCode.YES:
            reply.messages.insert(0, Message(await self._emergency_text(conv)))
        return reply

    async def _attachments(self, conv: Conversation, step: Step, pressed: Pressed) -> Reply:
        if pressed.code != ButtonCode.DONE:
            return await self.screens.expired(conv)
        count = conv.draft.files_for(step.id)
        if count == 0 and not step.optional:
            _ = conv.tr().gettext
            return Reply([Message(_("Please send at least one file, then press Done."))])
        conv.draft.answers[step.id] = count or None
        return await self.forward(conv)

    async def _review(self, conv: Conversation, step: Step, pressed: Pressed) -> Reply:
        if pressed.code not in SEND_CODES:
            return await self.screens.expired(conv)
        return await self.sending.submit(conv)

    async def _emergency_text(self, conv: Conversation) -> str:
        _ = conv.tr().gettext
        answers = conv.draft.answers
        country = answers.get(self.questionnaire.only(StepType.COUNTRY).id)
        site = answers.get(self.questionnaire.only(StepType.SITE).id)
        route: Route | None = None
        if country is not None:
            slug = None if site is None or site in NAMELESS_SITES else site
            route = await self.directory.route(country, slug)
        if route is not None and route.emergency_contacts.strip():
            intro = _("If someone is in danger now, get help at once:")
            return f"{intro}\n{route.emergency_contacts.strip()}"
        return _("If someone is in danger now, call your local emergency number at once.")

    # Typed text and files -------------------------------------------------------------------

    async def text(self, conv: Conversation, raw: str) -> Reply:
        """A typed answer to the current step."""
        step = self.screens.step(conv)
        tr = conv.tr()
        _ = tr.gettext
        if step.type == StepType.TEXT:
            text = clean_text(raw)
            problem = text_problem(tr, text, step.max_length)
            if problem is not None:
                return Reply([Message(problem)])
            conv.draft.answers[step.id] = {"text": text}
            return await self.forward(conv)
        if step.type == StepType.NUMBER:
            try:
                number = parse_number(raw, tr.decimal_symbol)
            except NotWhole:
                message = _("Please send a whole number, without a dot or a comma, for example 20.")
                return Reply([Message(message)])
            if number is None or not step.minimum <= number <= step.maximum:
                message = _("Please send a number from {low} to {high}, for example 20.").format(
                    low=tr.number(step.minimum), high=tr.number(step.maximum)
                )
                return Reply([Message(message)])
            conv.draft.answers[step.id] = number
            return await self.forward(conv)
        if step.type == StepType.ATTACHMENTS:
            message = _("Please send a photo, a voice message or a PDF, or press Done.")
            return Reply([Message(message)])
        return Reply([Message(_("Please use the buttons below.")), await self.screens.render(conv)])

    async def media(self, conv: Conversation, media: Media) -> Reply:
        """A file: evidence on an attachments step, or a voice answer to a text question."""
        step = self.screens.step(conv)
        tr = conv.tr()
        _ = tr.gettext
        draft = conv.draft
        voice_answer = step.type == StepType.TEXT and step.voice
        voice_answer = voice_answer and media.kind == AttachmentKind.VOICE
        if step.type != StepType.ATTACHMENTS and not voice_answer:
            message = _("I cannot use a file here. Please answer the question below.")
            return Reply([Message(message), await self.screens.render(conv)])
        if step.type == StepType.ATTACHMENTS and draft.files_for(step.id) >= step.max_files:
            message = _("That is the most files one report can take. Please press Done.")
            return Reply([Message(message)])
        try:
            check_declared_size(media.declared_size)
            if draft.attachment_bytes() + (media.declared_size or 0) > MAX_DRAFT_BYTES:
                raise AttachmentRejected(RejectReason.TOO_LARGE)
            clean = await self.scrubber.scrub(media.kind, await media.fetch())
        except AttachmentRejected as rejected:
            return Reply([Message(rejection(tr, rejected.reason))])
        if draft.attachment_bytes() + len(clean.data) > MAX_DRAFT_BYTES:
            return Reply([Message(rejection(tr, RejectReason.TOO_LARGE))])
        draft.attachments = [
            d for d in draft.attachments if not (voice_answer and d.step == step.id)
        ]
        draft.attachments.append(DraftAttachment(step.id, clean))
        if voice_answer:
            draft.answers[step.id] = {"voice": True}
            return await self.forward(conv)
        count = draft.files_for(step.id)
        received = tr.ngettext(
            "Received. You have sent {count} file.",
            "Received. You have sent {count} files.",
            count,
        ).format(count=tr.number(count))
        more = _("Send more, or press Done.")
        return Reply([Message(f"{received} {more}", self.screens.nav(conv, step, done=True))])

    # Moving between steps -------------------------------------------------------------------

    async def forward(self, conv: Conversation) -> Reply:
        """The next step whose condition holds."""
        assert conv.draft.position is not None
        return await self.go(conv, self.next_visible(conv, conv.draft.position + 1))

    async def go(self, conv: Conversation, position: int) -> Reply:
        """Show the step at `position` (a single covered country is answered on the way)."""
        draft = conv.draft
        if draft.position is not None:
            draft.history.append(draft.position)
        draft.position = position
        step = self.screens.step(conv)
        self._fresh_screen(conv, step)
        if step.type == StepType.COUNTRY:
            countries = await self.directory.countries()
            draft.automatic.discard(step.id)
            if not countries:
                return no_route(conv)
            if len(countries) == 1:
                draft.answers[step.id] = countries[0]
                draft.automatic.add(step.id)
                draft.answers.pop(self.questionnaire.only(StepType.SITE).id, None)
                return await self.go(conv, self.next_visible(conv, position + 1))
        return Reply([await self.screens.render(conv)])

    async def back(self, conv: Conversation) -> Reply:
        """The step shown before this one (passing over a country answered for the worker)."""
        draft = conv.draft
        if not draft.history:
            return Reply([await self.screens.render(conv)])
        draft.position = draft.history.pop()
        while draft.history and self.screens.step(conv).id in draft.automatic:
            draft.position = draft.history.pop()
        self._fresh_screen(conv, self.screens.step(conv))
        return Reply([await self.screens.render(conv)])

    def next_visible(self, conv: Conversation, start: int) -> int:
        """The first step from `start` whose condition holds; those passed over lose their
        answers and files."""
        draft = conv.draft
        steps = self.questionnaire.steps
        for position in range(start, len(steps)):
            condition = steps[position].when
            if condition is None or _answer_ids(draft.answers.get(condition.step)) & set(
                condition.includes
            ):
                return position
            draft.answers.pop(steps[position].id, None)
            draft.attachments = [d for d in draft.attachments if d.step != steps[position].id]
        return len(steps) - 1

    def _fresh_screen(self, conv: Conversation, step: Step) -> None:
        """The first page of a step, its boxes ticked as the draft has them."""
        previous = conv.draft.answers.get(step.id)
        conv.screen.page = 0
        conv.screen.selection = list(previous) if step.type == StepType.MULTI and previous else []


def _answer_ids(value: Any) -> set[str]:
    if isinstance(value, list):
        return {str(v) for v in value}
    return {str(value)} if value is not None else set()
