"""The gettext catalogs: complete in all sixteen languages, faithful to placeholders, commands and
each language's plural rule, short enough for Telegram and a phone's buttons, free of bidi
controls, and in step with the messages the code actually shows.

Run `pytest -s tests/test_catalogs.py` to see the completeness report.
"""

import gettext
import re
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir, extract_from_file
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po
from languages import (
    BUTTON_WIDTH,
    SHARED_ROW,
    SHARED_ROW_WIDTH,
    SIXTEEN,
    width,
)

from handlers.i18n import OFFERED_LANGUAGES, SOURCE_LANGUAGE, language_name, translator
from handlers.questionnaire import load_default

ROOT = Path(__file__).resolve().parents[1]
LOCALES = ROOT / "locales"
TEMPLATE = LOCALES / "messages.pot"
SOURCE_DIRS = ("handlers", "bot")
SOURCE_FILES = ("vocabulary.py",)
"""Outside those folders: the shared words (the status labels a worker reads)."""
METHOD_MAP = [("**.py", "python"), ("**.toml", "questionnaire")]
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None}
UPDATE_COMMANDS = (
    "pybabel extract -F babel.cfg -k N_ --no-wrap --sort-by-file -o locales/messages.pot "
    "handlers bot vocabulary.py\n"
    "pybabel update -i locales/messages.pot -d locales --no-wrap"
)

TRANSLATED = tuple(lang for lang in SIXTEEN if lang != SOURCE_LANGUAGE)
BIDI_CONTROLS = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")
"""Marks, embeddings, overrides and isolates: Telegram lays a message out from its first strong
letter, and a stray mark in a catalog breaks that (or hides text) in one language only."""
TELEGRAM_LIMIT = 4096
"""Characters of one message, counted as Telegram does, in UTF-16 code units."""
ENGINE_BUTTONS = (
    "Send", "More …", "Stop", "I have finished reading", "Add information", "Try again",
    "I have saved it", *sorted(SHARED_ROW),
)  # fmt: skip
"""Labels of the buttons the engine draws itself (the questionnaire's come from the file)."""

PLACEHOLDER = re.compile(r"\{[^{}]*\}")
COMMAND = re.compile(r"(?<![\w/])/[a-z]+")

MessageKey = str | tuple[str, ...]


def _key(message: Message) -> MessageKey:
    """A message's identity: the msgid, or (msgid, msgid_plural) for a plural message."""
    return tuple(message.id) if isinstance(message.id, list | tuple) else message.id


def _read(path: Path) -> Catalog:
    with path.open("rb") as source:
        return read_po(source)


def _catalog_file(language: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / "messages.po"


def _catalog_languages() -> list[str]:
    return sorted(p.parent.parent.name for p in LOCALES.glob("*/LC_MESSAGES/messages.po"))


def _forms(message: Message) -> tuple[str, ...]:
    """Every translated form of a message (one for a singular message, one per plural form)."""
    if isinstance(message.string, list | tuple):
        return tuple(message.string)
    return (message.string,)


def _sources(message: Message) -> tuple[str, ...]:
    return tuple(message.id) if isinstance(message.id, list | tuple) else (message.id,)


def _is_translated(message: Message, plurals: int) -> bool:
    """Fuzzy entries do not count: they are left out when the catalog is compiled."""
    forms = _forms(message)
    wanted = plurals if message.pluralizable else 1
    return not message.fuzzy and len(forms) >= wanted and all(forms[:wanted])


def _template_keys() -> set[MessageKey]:
    return {_key(m) for m in _read(TEMPLATE) if m.id}


def _completeness(language: str, template: set[MessageKey]) -> float:
    """Percentage of the template's messages the language's catalog translates."""
    if language == SOURCE_LANGUAGE:
        return 100.0
    path = _catalog_file(language)
    if not path.is_file():
        return 0.0
    catalog = _read(path)
    done = sum(
        1
        for m in catalog
        if m.id and _key(m) in template and _is_translated(m, catalog.num_plurals)
    )
    return 100.0 * done / len(template)


def _listing(keys: set[MessageKey]) -> str:
    return "\n".join(f"  {key!r}" for key in sorted(keys, key=repr))


# Completeness -------------------------------------------------------------------------------


def test_the_sixteen_languages_are_offered_and_the_report_shows_their_completeness():
    template = _template_keys()
    assert template, "the template holds no messages"
    report = {language: _completeness(language, template) for language in SIXTEEN}
    print(f"\nCatalog completeness ({len(template)} messages):")
    for language, percent in report.items():
        print(f"  {language:8} {percent:6.1f}%")
    assert sorted(OFFERED_LANGUAGES) == sorted(SIXTEEN)
    assert sorted(_catalog_languages()) == sorted(TRANSLATED)


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_catalog_translates_every_message(language):
    template = _template_keys()
    catalog = _read(_catalog_file(language))
    done = {_key(m) for m in catalog if m.id and _is_translated(m, catalog.num_plurals)}
    missing = template - done
    assert not missing, f"{language}: empty, fuzzy or missing:\n{_listing(missing)}"


# Translations keep what the code and Telegram rely on ------------------------------------------


@pytest.mark.parametrize("language", _catalog_languages())
def test_translations_keep_placeholders_and_commands(language):
    catalog = _read(_catalog_file(language))
    problems = []
    for message in catalog:
        if not message.id:
            continue
        sources = _sources(message)
        placeholders = {frozenset(PLACEHOLDER.findall(s)) for s in sources}
        commands = {frozenset(COMMAND.findall(s)) for s in sources}
        for index, form in enumerate(_forms(message)):
            if not form:
                continue
            if frozenset(PLACEHOLDER.findall(form)) not in placeholders:
                problems.append(f"{message.id!r} [{index}] placeholders: {form!r}")
            if frozenset(COMMAND.findall(form)) not in commands:
                problems.append(f"{message.id!r} [{index}] commands: {form!r}")
    assert not problems, f"{language}:\n" + "\n".join(problems)


@pytest.mark.parametrize("language", _catalog_languages())
def test_catalog_header_is_valid_and_has_no_fuzzy_entries(language):
    catalog = _read(_catalog_file(language))
    assert str(catalog.locale) == language
    assert catalog.num_plurals >= 1
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not fuzzy, f"{language}: fuzzy entries are not shown to workers: {fuzzy}"


@pytest.mark.parametrize("language", _catalog_languages())
def test_babels_checkers_find_nothing(language):
    """babel.messages.checkers: the number of plural forms, and %-style placeholders."""
    catalog = _read(_catalog_file(language))
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check()]
    assert not problems, f"{language}: {problems}"


@pytest.mark.parametrize("language", _catalog_languages())
def test_plural_forms_follow_the_languages_rule(language):
    """The header's Plural-Forms is Babel's for the language, and picks one form for all the
    counts that CLDR puts in one plural category (and distinct forms for distinct ones)."""
    catalog = _read(_catalog_file(language))
    expected = get_plural(language)
    assert catalog.num_plurals == expected.num_plurals
    assert catalog.plural_expr.replace(" ", "") == expected.plural_expr.replace(" ", "")
    form = gettext.c2py(catalog.plural_expr)
    cldr = Locale.parse(language).plural_form
    forms_of: dict[str, set[int]] = {}
    for n in [*range(1000), 1000000]:
        forms_of.setdefault(cldr(n), set()).add(form(n))
    assert all(len(forms) == 1 for forms in forms_of.values()), forms_of
    if expected.num_plurals > 1:
        assert len({min(forms) for forms in forms_of.values()}) == expected.num_plurals


@pytest.mark.parametrize("language", _catalog_languages())
def test_no_catalog_holds_a_bidi_control_character(language):
    catalog = _read(_catalog_file(language))
    found = [m.id for m in catalog if m.id and any(BIDI_CONTROLS.search(f) for f in _forms(m))]
    assert not found, f"{language}: bidi controls in {found}"


@pytest.mark.parametrize("language", SIXTEEN)
def test_no_message_is_too_long_for_telegram_once_formatted(language):
    tr = translator(language)
    longest = {
        "count": tr.number(1000000),
        "low": tr.number(1000000),
        "high": tr.number(1000000),
        "limit": tr.number(1000000),
        "status": "x" * 100,
    }
    for message in _read(TEMPLATE):
        if not message.id:
            continue
        if isinstance(message.id, str):
            shown = [tr.gettext(message.id)]
        else:
            shown = [tr.ngettext(*message.id, n) for n in range(200)]
        for text in shown:
            formatted = text.format(**longest) if "{" in text else text
            assert len(formatted.encode("utf-16-le")) // 2 <= TELEGRAM_LIMIT, message.id


def _button_labels() -> set[str]:
    labels = set(ENGINE_BUTTONS)
    for step in load_default().steps:
        labels |= {option.label for option in step.options} | set(step.labels.values())
    return labels


def test_the_button_labels_are_messages_of_the_template():
    assert _button_labels() <= _template_keys()


@pytest.mark.parametrize("language", SIXTEEN)
def test_every_button_label_fits_a_phone(language):
    """At most 37 characters alone on a row, 16 in a shared row, marks on letters not counted."""
    _ = translator(language).gettext
    too_wide = {}
    for label in _button_labels():
        limit = SHARED_ROW_WIDTH if label in SHARED_ROW else BUTTON_WIDTH
        if width(_(label)) > limit:
            too_wide[label] = (_(label), width(_(label)), limit)
    assert not too_wide, f"{language}: {too_wide}"


# The template and the catalogs are in step with the code ----------------------------------------


def test_template_matches_the_messages_in_the_code():
    extracted: set[MessageKey] = set()
    for folder in SOURCE_DIRS:
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT / folder), METHOD_MAP, keywords=KEYWORDS
        ):
            extracted.add(tuple(message) if isinstance(message, list | tuple) else message)
    for name in SOURCE_FILES:
        for _line, message, _comments, _context in extract_from_file(
            "python", str(ROOT / name), keywords=KEYWORDS
        ):
            extracted.add(tuple(message) if isinstance(message, list | tuple) else message)
    assert extracted, "nothing was extracted: is the package installed (for the extractor)?"
    template = _template_keys()
    missing = extracted - template
    extra = template - extracted
    assert not missing and not extra, (
        "locales/messages.pot is out of date with the code.\n"
        f"In the code but not in the template:\n{_listing(missing) or '  (none)'}\n"
        f"In the template but no longer in the code:\n{_listing(extra) or '  (none)'}\n"
        f"From the project root, run:\n{UPDATE_COMMANDS}\n"
        "then translate the new messages in every catalog."
    )


@pytest.mark.parametrize("language", _catalog_languages())
def test_catalog_has_exactly_the_templates_messages(language):
    template = _template_keys()
    keys = {_key(m) for m in _read(_catalog_file(language)) if m.id}
    missing = template - keys
    stale = keys - template
    assert not missing and not stale, (
        f"locales/{language} is out of step with locales/messages.pot.\n"
        f"Missing:\n{_listing(missing) or '  (none)'}\n"
        f"Stale:\n{_listing(stale) or '  (none)'}\n"
        "Run: pybabel update -i locales/messages.pot -d locales --no-wrap"
    )


# What the worker sees --------------------------------------------------------------------------

NATIVE_NAMES = {
    "en": "English", "zh_Hans": "中文 (简体)", "th": "ไทย", "ms": "Melayu", "id": "Indonesia",
    "vi": "Tiếng Việt", "fil": "Filipino", "my": "မြန်မာ", "ne": "नेपाली", "bn": "বাংলা",
    "hi": "हिन्दी", "ta": "தமிழ்", "es": "Español", "cs": "Čeština", "uk": "Українська", "ur": "اردو",
}  # fmt: skip
"""What the picker shows: Babel's (CLDR's) name of each language in that language, checked
for a worker (Filipino, not Tagalog; မြန်မာ; simplified, not traditional, Chinese)."""


@pytest.mark.parametrize("language", SIXTEEN)
def test_the_picker_names_each_language_in_its_own_script(language):
    assert language_name(language) == NATIVE_NAMES[language]


@pytest.mark.parametrize(
    ("language", "report_a_problem", "count_files"),
    [
        ("th", "แจ้งปัญหา", "{count} ไฟล์"),
        ("my", "ပြဿနာ တင်ပြရန်", "ဖိုင် {count} ခု"),
        ("zh_Hans", "反映问题", "{count} 个文件"),
    ],
)
def test_translator_compiles_the_po_in_memory(language, report_a_problem, count_files):
    assert not list(LOCALES.rglob("*.mo")), "no compiled .mo belongs in locales/"
    tr = translator(language)
    assert tr.language == language
    assert tr.gettext("Report a problem") == report_a_problem
    for n in (0, 1, 2, 11):
        assert tr.ngettext("{count} file", "{count} files", n) == count_files


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_translation_reaches_the_worker(language):
    """Each message, compiled as the bot compiles it, comes back as the catalog says (none lost)."""
    tr = translator(language)
    catalog = _read(_catalog_file(language))
    plural_form = gettext.c2py(catalog.plural_expr)
    # One count per plural form, so that ngettext is asked for each form in turn.
    counts = [
        next(n for n in [*range(1000), 1000000] if plural_form(n) == i)
        for i in range(catalog.num_plurals)
    ]
    lost = []
    for message in catalog:
        if not message.id or not all(_forms(message)):
            continue  # an untranslated message: the completeness test names it
        if isinstance(message.id, str):
            shown: tuple[str, ...] = (tr.gettext(message.id),)
        else:
            shown = tuple(tr.ngettext(*message.id, n) for n in counts)
        if shown != _forms(message):
            lost.append(message.id)
    assert not lost, f"{language}: not shown as translated: {lost}"
