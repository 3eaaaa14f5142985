"""The questionnaire: a TOML file of steps, validated on load with errors that name the step.

Texts in the file are English gettext message ids; `extract_questionnaire` lets Babel collect
them into the catalog template beside the strings of the code.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from typing import IO, Any, Final

from handlers.i18n import N_
from vocabulary import StepRole

DEFAULT_QUESTIONNAIRE: Final = "default.toml"
MAX_TEXT_LENGTH_LIMIT: Final = 3500
"""Free text is capped below Telegram's 4096-character message limit, leaving room for a prefix."""
MAX_FILES_LIMIT: Final = 20
NAMELESS_SITES: Final = frozenset({"other", "undisclosed"})
"""Answers to the site step that name no workplace of the directory: another one, or none."""


class StepType(StrEnum):
    """What a step asks for, and so how it is shown and answered."""

    LANGUAGE = "language"
    INFO = "info"
    CONSENT = "consent"
    COUNTRY = "country"
    SITE = "site"
    SINGLE = "single"
    MULTI = "multi"
    YES_NO = "yes_no"
    APPROX_DATE = "approx_date"
    NUMBER = "number"
    TEXT = "text"
    ATTACHMENTS = "attachments"
    REVIEW = "review"


class QuestionnaireError(ValueError):
    """The questionnaire file is malformed; the message names the step and the problem."""


@dataclass(frozen=True)
class Option:
    """One answer the worker can pick; `id` is what is stored, `label` what is shown."""

    id: str
    label: str


@dataclass(frozen=True)
class Condition:
    """Show a step only if an earlier answer includes one of `includes`."""

    step: str
    includes: frozenset[str]


@dataclass(frozen=True)
class Step:
    """One screen of the conversation."""

    id: str
    type: StepType
    prompt: str
    title: str = ""
    """Short name of what the step asks, for the review screen."""
    optional: bool = False
    when: Condition | None = None
    options: tuple[Option, ...] = ()
    """The answers of a single, multi or approx_date step, in the order shown."""
    labels: dict[str, str] = field(default_factory=dict)
    """Extra button texts by role: continue, agree, decline, other, undisclosed."""
    role: StepRole | None = None
    """What the step means to the desk (the country and site steps: by their type)."""
    voice: bool = False
    max_length: int = MAX_TEXT_LENGTH_LIMIT
    minimum: int = 0
    maximum: int = 0
    max_files: int = 0

    @property
    def danger(self) -> bool:
        """A yes here means someone is in danger now: the worker is shown emergency contacts."""
        return self.role == StepRole.DANGER


@dataclass(frozen=True)
class Questionnaire:
    """A validated list of steps."""

    id: str
    version: int
    steps: tuple[Step, ...]

    def only(self, step_type: StepType) -> Step:
        """The one step of a type every questionnaire has exactly once (country, site, review)."""
        return next(step for step in self.steps if step.type == step_type)

    @property
    def roles(self) -> dict[str, str]:
        """Role -> step id, as the sealed report names them for the desk."""
        return {step.role: step.id for step in self.steps if step.role is not None}


_COMMON_KEYS = {"id", "type", "prompt", "title", "optional", "when", "role"}
_KEYS_BY_TYPE: Final[dict[StepType, set[str]]] = {
    StepType.LANGUAGE: set(),
    StepType.INFO: {"continue"},
    StepType.CONSENT: {"agree", "decline"},
    StepType.COUNTRY: set(),
    StepType.SITE: {"other", "undisclosed"},
    StepType.SINGLE: {"options"},
    StepType.MULTI: {"options"},
    StepType.YES_NO: {"danger"},  # `danger = true`: the older spelling of `role = "danger"`
    StepType.APPROX_DATE: set(),
    StepType.NUMBER: {"min", "max"},
    StepType.TEXT: {"voice", "max_length"},
    StepType.ATTACHMENTS: {"max_files"},
    StepType.REVIEW: set(),
}
_REQUIRED_LABELS: Final[dict[StepType, tuple[str, ...]]] = {
    StepType.INFO: ("continue",),
    StepType.CONSENT: ("agree", "decline"),
    StepType.SITE: ("other", "undisclosed"),
}
_ROLE_BY_TYPE: Final = {StepType.COUNTRY: StepRole.COUNTRY, StepType.SITE: StepRole.WORKPLACE}
"""Roles a step has by its type (a questionnaire has exactly one step of each)."""
_ROLE_TYPES: Final[dict[StepRole, frozenset[StepType]]] = {
    StepRole.DANGER: frozenset({StepType.YES_NO}),
    StepRole.CATEGORIES: frozenset({StepType.MULTI, StepType.SINGLE}),
    StepRole.OWN_WORDS: frozenset({StepType.TEXT}),
}
"""Roles a step is given with `role = "..."`, and the step types that can carry each."""
_FIXED_ANSWERS: Final[dict[StepType, frozenset[str]]] = {
    StepType.YES_NO: frozenset({"yes", "no"}),
    # A workplace's slug is the administrators' to change, so a condition may name only these.
    StepType.SITE: NAMELESS_SITES,
}
APPROX_DATE_OPTIONS: Final = (
    Option("this_week", N_("This week")),
    Option("this_month", N_("This month")),
    Option("earlier", N_("Earlier")),
    Option("ongoing", N_("It is still going on")),
)
"""The answers of every approx_date step: the same everywhere, so they are not in the file."""


def load_default() -> Questionnaire:
    """The questionnaire shipped with the code."""
    source = resources.files("handlers") / "questionnaires" / DEFAULT_QUESTIONNAIRE
    return parse(source.read_text(encoding="utf-8"), DEFAULT_QUESTIONNAIRE)


def parse(text: str, name: str = "questionnaire") -> Questionnaire:
    """Validate and build; every mistake is a QuestionnaireError naming where it is."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise QuestionnaireError(f"{name}: not valid TOML: {exc}") from exc
    raw_steps = document.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise QuestionnaireError(f"{name}: needs a list of [[steps]]")
    steps: list[Step] = []
    for position, raw in enumerate(raw_steps, start=1):
        steps.append(_step(raw, steps, f"{name}: step {position}"))
    types = [s.type for s in steps]
    if types[0] != StepType.LANGUAGE:
        raise QuestionnaireError(f"{name}: the first step must be the language step")
    if types[-1] != StepType.REVIEW or types.count(StepType.REVIEW) != 1:
        raise QuestionnaireError(f"{name}: the last step, and only it, must be the review step")
    for needed, before in ((StepType.SITE, StepType.COUNTRY), (StepType.COUNTRY, None)):
        if types.count(needed) != 1:
            raise QuestionnaireError(f"{name}: needs exactly one {needed.value} step")
        if before is not None and types.index(before) > types.index(needed):
            raise QuestionnaireError(f"{name}: the site step must come after the country step")
    version = document.get("version", 1)
    if not isinstance(version, int):
        raise QuestionnaireError(f"{name}: version must be a whole number")
    return Questionnaire(id=str(document.get("id", "default")), version=version, steps=tuple(steps))


def _step(raw: Any, earlier: list[Step], where: str) -> Step:
    if not isinstance(raw, dict):
        raise QuestionnaireError(f"{where}: must be a table")
    step_id = raw.get("id")
    if not isinstance(step_id, str) or not step_id.isidentifier():
        raise QuestionnaireError(f"{where}: needs an id made of letters, digits and underscores")
    where = f"{where} ('{step_id}')"
    if any(s.id == step_id for s in earlier):
        raise QuestionnaireError(f"{where}: the id is used twice")
    try:
        step_type = StepType(str(raw.get("type")))
    except ValueError as exc:
        known = ", ".join(t.value for t in StepType)
        raise QuestionnaireError(f"{where}: unknown type {raw.get('type')!r} ({known})") from exc
    unknown = set(raw) - _COMMON_KEYS - _KEYS_BY_TYPE[step_type]
    if unknown:
        raise QuestionnaireError(f"{where}: unknown keys {sorted(unknown)}")
    prompt = raw.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise QuestionnaireError(f"{where}: needs a prompt")
    labels = {}
    for role in _REQUIRED_LABELS.get(step_type, ()):
        label = raw.get(role)
        if not isinstance(label, str) or not label.strip():
            raise QuestionnaireError(f"{where}: needs a '{role}' button text")
        labels[role] = label
    options = _options(raw, step_type, where)
    minimum, maximum = raw.get("min", 0), raw.get("max", 0)
    if step_type == StepType.NUMBER and not (
        isinstance(minimum, int) and isinstance(maximum, int) and 0 <= minimum < maximum
    ):
        raise QuestionnaireError(f"{where}: needs whole numbers min < max")
    max_length = raw.get("max_length", MAX_TEXT_LENGTH_LIMIT)
    if not isinstance(max_length, int) or not 1 <= max_length <= MAX_TEXT_LENGTH_LIMIT:
        raise QuestionnaireError(f"{where}: max_length must be 1 to {MAX_TEXT_LENGTH_LIMIT}")
    max_files = raw.get("max_files", MAX_FILES_LIMIT if step_type == StepType.ATTACHMENTS else 0)
    if step_type == StepType.ATTACHMENTS and not (
        isinstance(max_files, int) and 1 <= max_files <= MAX_FILES_LIMIT
    ):
        raise QuestionnaireError(f"{where}: max_files must be 1 to {MAX_FILES_LIMIT}")
    title = raw.get("title", "")
    if not isinstance(title, str):
        raise QuestionnaireError(f"{where}: title must be text")
    optional = raw.get("optional", False)
    if not isinstance(optional, bool):
        raise QuestionnaireError(f"{where}: optional must be true or false")
    if optional and step_type in {StepType.LANGUAGE, StepType.CONSENT, StepType.REVIEW}:
        raise QuestionnaireError(f"{where}: a {step_type.value} step cannot be optional")
    return Step(
        id=step_id,
        type=step_type,
        prompt=prompt,
        title=title,
        optional=optional,
        when=_condition(raw.get("when"), earlier, where),
        options=options,
        labels=labels,
        role=_role(raw, step_type, earlier, where),
        voice=bool(raw.get("voice", False)),
        max_length=max_length,
        minimum=minimum,
        maximum=maximum,
        max_files=max_files,
    )


def _role(
    raw: dict[str, Any], step_type: StepType, earlier: list[Step], where: str
) -> StepRole | None:
    if step_type in _ROLE_BY_TYPE:
        implied = _ROLE_BY_TYPE[step_type]
        if raw.get("role", implied) != implied:
            raise QuestionnaireError(f"{where}: a {step_type} step is the {implied}, by its type")
        return implied
    danger = raw.get("danger", False)
    if not isinstance(danger, bool) or (danger and "role" in raw):
        raise QuestionnaireError(f'{where}: say role = "danger" (or the older danger = true)')
    named = raw.get("role", StepRole.DANGER.value if danger else None)
    if named is None:
        return None
    try:
        role = StepRole(named)
    except ValueError:
        known = ", ".join(_ROLE_TYPES)
        raise QuestionnaireError(f"{where}: unknown role {named!r} ({known})") from None
    if role not in _ROLE_TYPES:
        owner = next(kind for kind, given in _ROLE_BY_TYPE.items() if given == role)
        raise QuestionnaireError(f"{where}: the {role} role is the {owner} step's, by its type")
    if step_type not in _ROLE_TYPES[role]:
        kinds = " or ".join(sorted(_ROLE_TYPES[role]))
        raise QuestionnaireError(f"{where}: the {role} role needs a {kinds} step")
    if any(step.role == role for step in earlier):
        raise QuestionnaireError(f"{where}: the {role.value} role is given twice")
    return role


def _options(raw: dict[str, Any], step_type: StepType, where: str) -> tuple[Option, ...]:
    if step_type == StepType.APPROX_DATE:
        return APPROX_DATE_OPTIONS
    if step_type not in {StepType.SINGLE, StepType.MULTI}:
        return ()
    raw_options = raw.get("options")
    if not isinstance(raw_options, list) or len(raw_options) < 2:
        raise QuestionnaireError(f"{where}: needs at least two options")
    options = []
    for item in raw_options:
        if not (
            isinstance(item, dict)
            and isinstance(item.get("id"), str)
            and item["id"].isidentifier()
            and isinstance(item.get("label"), str)
            and item["label"].strip()
        ):
            raise QuestionnaireError(f"{where}: each option needs an id and a label")
        options.append(Option(item["id"], item["label"]))
    if len({o.id for o in options}) != len(options):
        raise QuestionnaireError(f"{where}: option ids must differ")
    return tuple(options)


def answer_ids(step: Step) -> frozenset[str]:
    """The answer ids a condition may test for this step."""
    return frozenset(o.id for o in step.options) | _FIXED_ANSWERS.get(step.type, frozenset())


def _condition(raw: Any, earlier: list[Step], where: str) -> Condition | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or set(raw) != {"step", "includes"}:
        raise QuestionnaireError(f"{where}: 'when' needs exactly 'step' and 'includes'")
    target = next((s for s in earlier if s.id == raw["step"]), None)
    if target is None:
        raise QuestionnaireError(f"{where}: 'when' refers to {raw['step']!r}, not an earlier step")
    includes = raw["includes"]
    if not isinstance(includes, list) or not includes:
        raise QuestionnaireError(f"{where}: 'includes' needs a list of answer ids")
    unknown = set(includes) - answer_ids(target)
    if unknown:
        raise QuestionnaireError(f"{where}: {sorted(unknown)} are not answers of {target.id!r}")
    return Condition(target.id, frozenset(includes))


def extract_questionnaire(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel extraction method: every worker-facing text of a questionnaire file."""
    questionnaire = parse(fileobj.read().decode("utf-8"))
    for step in questionnaire.steps:
        comment = [f"questionnaire step '{step.id}'"]
        yield 0, "gettext", step.prompt, comment
        if step.title:
            yield 0, "gettext", step.title, comment
        for label in step.labels.values():
            yield 0, "gettext", label, comment
        for option in step.options:
            yield 0, "gettext", option.label, comment
