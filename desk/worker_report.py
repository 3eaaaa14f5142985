"""The worker's report as the desk reads it: the answers, and those it triages on found by the
roles the report names (vocabulary.StepRole), never by step id, so that a deployment's own
questionnaire keeps its urgency triage. docs/FORMAT.md, "Payloads", says what a report holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple

from crypto.payloads import PayloadError, decode_report
from desk.client import Entry
from desk.languages import Language, language
from vocabulary import DEFAULT_QUESTIONNAIRE_ROLES, StepRole

FIRST_WORDS: Final = 80
"""Characters of "what happened" shown in a case list."""
_KNOWN_ROLES: Final = frozenset(StepRole)


class Answer(NamedTuple):
    """One question of the report and its answer, in English words (a tuple: a queue builds
    ninety thousand of them for its search text, three times faster than a frozen dataclass)."""

    step: str
    question: str
    answer: str
    role: str | None = None
    """What the step means to the desk (vocabulary.StepRole), if anything."""


@dataclass(frozen=True)
class Report:
    """The worker's report: the answers, and what a case list needs at a glance."""

    entry_id: str
    day: str
    language: Language
    readable: Mapping[str, Any]
    """Step id -> {"question", "answer"} in English words, as sealed in the report."""
    raw_answers: Mapping[str, Any]
    danger: bool
    categories: tuple[str, ...]
    """Option ids, e.g. `wages`: stable across languages and questionnaire wording."""
    categories_text: str
    """The same in English words, as the report's `readable` has them."""
    workplace: str
    what_happened: str
    """The worker's own words, or `(voice message)`; empty if not answered."""
    questionnaire: str
    attachments: Mapping[str, tuple[str, str]]
    """Entry id -> (step, kind) of the files sent with the report."""
    roles: Mapping[str, str] = field(default_factory=lambda: DEFAULT_QUESTIONNAIRE_ROLES)
    """Role -> step id, as the report names them (those of the default questionnaire for a
    report sealed before reports named them)."""

    @property
    def answers(self) -> tuple[Answer, ...]:
        """Every question and answer, in the questionnaire's order (built when asked: a list of
        thousands of cases never needs them)."""
        role_of = {step: role for role, step in self.roles.items()}
        return tuple(
            Answer(
                str(step),
                str(pair.get("question", step)),
                str(pair.get("answer", "")),
                role_of.get(step),
            )
            for step, pair in self.readable.items()
            if isinstance(pair, dict)
        )

    def answer_to(self, role: StepRole) -> str:
        """The English words of the answer of the step with `role`; empty if none."""
        return _answer(self.readable, self.roles.get(role, ""))

    def raw_answer(self, role: StepRole) -> Any:
        """The answer as sealed (an option id, a slug, a country code ...) of the step with
        `role`; None if none."""
        return self.raw_answers.get(self.roles.get(role, ""))

    def first_words(self, limit: int = FIRST_WORDS) -> str:
        """The start of "what happened", on one line, cut at a word."""
        # Only the start is put on one line (the whole, when it has too few words): a worker may
        # have written pages, and the start of the one line is the one line of the start.
        text = " ".join(self.what_happened[: 4 * limit].split())
        if len(text) <= limit:
            text = " ".join(self.what_happened.split())
        if len(text) <= limit:
            return text
        cut = text[:limit].rsplit(" ", 1)[0] or text[:limit]
        return cut + " …"


def read_report(entry: Entry, plaintext: bytes) -> Report:
    """The report entry's answers; PayloadError (or another ValueError) if it is not one."""
    document = decode_report(plaintext)
    answers = document.get("answers")
    readable = document.get("readable")
    if not isinstance(answers, dict) or not isinstance(readable, dict):
        raise PayloadError("a report without answers")
    roles = _roles(document.get("roles"))
    categories = answers.get(roles.get(StepRole.CATEGORIES, ""))
    if isinstance(categories, str):  # a single-choice step
        categories = [categories]
    listed = {
        str(item["entry_id"]): (str(item.get("step", "")), str(item.get("kind", "file")))
        for item in document.get("attachments") or ()
        if isinstance(item, dict) and "entry_id" in item
    }
    return Report(
        entry_id=entry.id,
        day=entry.created_day,
        language=language(str(document.get("language") or "en")),
        readable=readable,
        raw_answers=answers,
        danger=answers.get(roles.get(StepRole.DANGER, "")) == "yes",
        categories=tuple(str(c) for c in categories) if isinstance(categories, list) else (),
        categories_text=_answer(readable, roles.get(StepRole.CATEGORIES, "")),
        workplace=_answer(readable, roles.get(StepRole.WORKPLACE, ""))
        or _answer(readable, roles.get(StepRole.COUNTRY, "")),
        what_happened=_what_happened(answers, roles.get(StepRole.OWN_WORDS, "")),
        questionnaire=f"{document.get('questionnaire')} v{document.get('questionnaire_version')}",
        attachments=listed,
        roles=roles,
    )


def _roles(sealed: Any) -> Mapping[str, str]:
    """The report's roles; a report sealed before reports named them came from the default
    questionnaire. Anyone with the partner's public key can seal a report: only string pairs
    of known roles are kept."""
    if sealed is None:
        return DEFAULT_QUESTIONNAIRE_ROLES
    if not isinstance(sealed, dict):
        raise PayloadError("a report whose roles are not a table")
    return {
        role: step
        for role, step in sealed.items()
        if role in _KNOWN_ROLES and isinstance(step, str)  # JSON keys are strings
    }


def _answer(readable: Mapping[str, Any], step: str) -> str:
    pair = readable.get(step)
    return str(pair.get("answer", "")) if isinstance(pair, dict) else ""


def _what_happened(answers: Mapping[str, Any], own_words: str) -> str:
    """The worker's account: the answer of the own-words step, else the first free-text one."""
    candidates = [answers.get(own_words), *answers.values()]
    for value in candidates:
        if isinstance(value, dict) and isinstance(value.get("text"), str):
            return str(value["text"])
        if isinstance(value, dict) and value.get("voice"):
            return "(voice message)"
    return ""
