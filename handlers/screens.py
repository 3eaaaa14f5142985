"""Rendering a step into a message: its prompt in the worker's language and its buttons.

Every render draws a new screen token (unless it only redraws the same screen, as when a box is
ticked), so the buttons of earlier messages go stale: a worker cannot answer a question twice,
nor answer a question other than the one on their screen.
"""

from __future__ import annotations

from typing import Final

from handlers.answers import summary
from handlers.buttons import ButtonCode, button
from handlers.conversation import Conversation, new_token
from handlers.countries import country_name
from handlers.i18n import Translator, language_name, translator
from handlers.io import Button, Message, Reply
from handlers.picker import picker_order
from handlers.ports import Directory, StorageUnavailable
from handlers.questionnaire import Questionnaire, Step, StepType

PAGE_SIZE: Final = 8
"""Choice buttons per screen; longer lists (countries, workplaces) get a "More" button."""
TICKED: Final = "✅ "
UNTICKED: Final = "▫️ "
"""The boxes on multiple-choice buttons."""
DONE_STEPS: Final = frozenset({StepType.MULTI, StepType.ATTACHMENTS})
"""Steps the worker ends with Done (and that never have a Skip button: Done without a choice
is the skip)."""

Rows = tuple[tuple[Button, ...], ...]


class Screens:
    """Draws the steps of one questionnaire; lists of countries and workplaces come from the
    directory."""

    def __init__(self, questionnaire: Questionnaire, directory: Directory) -> None:
        self.questionnaire = questionnaire
        self.directory = directory

    def step(self, conv: Conversation) -> Step:
        """The step the worker is at (only while they are at one)."""
        assert conv.draft.position is not None
        return self.questionnaire.steps[conv.draft.position]

    def button(self, conv: Conversation, label: str, code: ButtonCode | int) -> Button:
        """A button of the current screen."""
        return button(conv.screen.token, label, code)

    async def render(self, conv: Conversation, edit: bool = False, redraw: bool = False) -> Message:
        """The current step as a message; `redraw` keeps the screen's token (a box ticked)."""
        if not redraw:
            conv.screen.token = new_token()
        step = self.step(conv)
        tr = conv.tr()
        _ = tr.gettext
        text = _(step.prompt)
        rows: list[tuple[Button, ...]] = []
        if step.type == StepType.LANGUAGE:
            return await self._languages(conv, step, edit)
        if step.type == StepType.INFO:
            rows = [(self._labelled(conv, step, ButtonCode.CONTINUE),)]
        elif step.type == StepType.CONSENT:
            rows = [
                (self._labelled(conv, step, ButtonCode.AGREE),),
                (self._labelled(conv, step, ButtonCode.DECLINE),),
            ]
        elif step.type == StepType.COUNTRY:
            codes = await self.directory.countries()
            named = sorted(
                ((code, country_name(code, tr.language)) for code in codes), key=lambda c: c[1]
            )
            rows = self._choice_rows(conv, named)
        elif step.type == StepType.SITE:
            country = conv.draft.answers[self.questionnaire.only(StepType.COUNTRY).id]
            sites = await self.directory.sites(country)
            sites.append(("other", _(step.labels["other"])))
            sites.append(("undisclosed", _(step.labels["undisclosed"])))
            rows = self._choice_rows(conv, sites)
        elif step.type in {StepType.SINGLE, StepType.APPROX_DATE}:
            rows = [
                (self.button(conv, _(option.label), index),)
                for index, option in enumerate(step.options)
            ]
        elif step.type == StepType.MULTI:
            rows = [
                (self.button(conv, _box(option.id in conv.screen.selection) + _(option.label), i),)
                for i, option in enumerate(step.options)
            ]
        elif step.type == StepType.YES_NO:
            rows = [
                (
                    self.button(conv, _("Yes"), ButtonCode.YES),
                    self.button(conv, _("No"), ButtonCode.NO),
                )
            ]
        elif step.type == StepType.REVIEW:
            conv.draft.case_id_and_receipt()
            text = f"{text}\n\n{summary(self.questionnaire, conv.draft, tr)}"
            rows = [(self.button(conv, _("Send"), ButtonCode.SEND),)]
        nav = self.nav(conv, step, done=step.type in DONE_STEPS)
        return Message(text, (*rows, *nav), edit=edit)

    async def _languages(self, conv: Conversation, step: Step, edit: bool) -> Message:
        """The picker; before the worker has chosen, it speaks the phone's language and English."""
        try:
            countries = await self.directory.countries()
        except StorageUnavailable:
            countries = []  # the picker still works; the order is only less helpful
        languages = picker_order(conv.profile_language, countries)
        tr = conv.tr() if conv.language is not None else translator(languages[0])
        text = tr.gettext(step.prompt)
        if conv.language is None and text != step.prompt:
            text = f"{text}\n{step.prompt}"
        named = [(lang, language_name(lang)) for lang in languages]
        return Message(text, tuple(self._choice_rows(conv, named, tr)), edit=edit)

    def nav(self, conv: Conversation, step: Step, done: bool = False) -> Rows:
        """Back, Skip (if the step may be skipped) and Done (if asked), in one row."""
        _ = conv.tr().gettext
        row = []
        if conv.draft.history or (conv.draft.position or 0) > 0:
            row.append(self.button(conv, _("← Back"), ButtonCode.BACK))
        if step.optional and step.type not in DONE_STEPS:
            row.append(self.button(conv, _("Skip"), ButtonCode.SKIP))
        if done:
            row.append(self.button(conv, _("Done"), ButtonCode.DONE))
        return (tuple(row),) if row else ()

    def choice(self, conv: Conversation, option: int | None) -> str | None:
        """The id behind a choice button of the last render, or None if there is none."""
        choices = conv.screen.choices
        return choices[option] if option is not None and option < len(choices) else None

    async def expired(self, conv: Conversation) -> Reply:
        """A button that is stale, forged or no longer means anything: where the worker is."""
        _ = conv.tr().gettext
        if conv.draft.position is None:
            return Reply([Message(_("This button has expired. Send /start to begin."))])
        expired = Message(_("This button has expired. Here is where you are:"))
        return Reply([expired, await self.render(conv)])

    def _choice_rows(
        self, conv: Conversation, items: list[tuple[str, str]], tr: Translator | None = None
    ) -> list[tuple[Button, ...]]:
        """One button per choice, a page at a time; the screen remembers what each index means."""
        pages = max(1, -(-len(items) // PAGE_SIZE))
        page = conv.screen.page % pages
        shown = items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
        conv.screen.choices = [choice_id for choice_id, _label in shown]
        rows: list[tuple[Button, ...]] = [
            (self.button(conv, label, index),) for index, (_id, label) in enumerate(shown)
        ]
        if pages > 1:
            _ = (tr or conv.tr()).gettext
            rows.append((self.button(conv, _("More …"), ButtonCode.MORE),))
        return rows

    def _labelled(self, conv: Conversation, step: Step, code: ButtonCode) -> Button:
        """A button whose text the questionnaire gives (extracted from there, not from here)."""
        return self.button(conv, conv.tr().gettext(step.labels[code.value]), code)


def _box(ticked: bool) -> str:
    return TICKED if ticked else UNTICKED
