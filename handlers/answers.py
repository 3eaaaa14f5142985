"""A draft's answers in words: on the review screen in the worker's language, and in English for
the caseworker, sealed with the report so that the desk needs no questionnaire to read it."""

from __future__ import annotations

from typing import Any, Final

from handlers.conversation import WorkingDraft
from handlers.countries import country_name
from handlers.i18n import SOURCE_LANGUAGE, Translator, translator
from handlers.questionnaire import Questionnaire, Step, StepType

REVIEW_TEXT_PREVIEW: Final = 300
"""Characters of a long text answer shown on the review screen."""
SILENT: Final = frozenset({StepType.LANGUAGE, StepType.INFO, StepType.CONSENT, StepType.REVIEW})
"""Steps that ask nothing to report."""


def answered(questionnaire: Questionnaire, draft: WorkingDraft) -> list[tuple[Step, Any]]:
    """The answered questions, in questionnaire order."""
    return [
        (step, draft.answers[step.id])
        for step in questionnaire.steps
        if step.type not in SILENT and step.id in draft.answers
    ]


def readable(questionnaire: Questionnaire, draft: WorkingDraft) -> dict[str, dict[str, str]]:
    """Step id -> {"question", "answer"} in English words, in full."""
    english = translator(SOURCE_LANGUAGE)
    return {
        step.id: {
            "question": step.title or step.prompt,
            "answer": describe(step, value, english, draft.site_label, preview=False),
        }
        for step, value in answered(questionnaire, draft)
    }


def summary(questionnaire: Questionnaire, draft: WorkingDraft, tr: Translator) -> str:
    """One line per answer, for the review screen."""
    _ = tr.gettext
    lines = []
    for step, value in answered(questionnaire, draft):
        title = _(step.title) if step.title else _(step.prompt)
        lines.append(f"• {title}: {describe(step, value, tr, draft.site_label)}")
    return "\n".join(lines)


def describe(step: Step, value: Any, tr: Translator, site_label: str, preview: bool = True) -> str:
    """One answer in words; `preview` shortens a long text (the review screen)."""
    _ = tr.gettext
    if value is None:
        return "—"
    if step.type == StepType.COUNTRY:
        return country_name(str(value), tr.language)
    if step.type == StepType.SITE:
        role = "other" if value == "other" else "undisclosed"
        return site_label or _(step.labels[role])
    if step.type in {StepType.SINGLE, StepType.APPROX_DATE, StepType.MULTI}:
        labels = {option.id: option.label for option in step.options}
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
        return tr.ngettext("{count} file", "{count} files", value).format(count=tr.number(value))
    return str(value)
