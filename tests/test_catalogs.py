"""The gettext catalogs: complete for every offered language, faithful to placeholders and commands,
and in step with the messages the code actually shows.

Run `pytest -s tests/test_catalogs.py` to see the completeness report of the whole target set.
"""

import gettext
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir, extract_from_file
from babel.messages.pofile import read_po

from handlers.i18n import OFFERED_LANGUAGES, SOURCE_LANGUAGE, language_name, translator

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

TARGET_LANGUAGES = (
    "en", "zh_Hans", "th", "ms", "id", "vi", "tl", "my",
    "ne", "bn", "hi", "ta", "es", "cs", "uk", "ur",
)  # fmt: skip
"""Every language the channel is meant to speak (docs: DESIGN.md, "Languages")."""

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
    return not message.fuzzy and len(forms) >= plurals and all(forms[:plurals])


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


def test_completeness_report_and_every_offered_language_is_complete():
    template = _template_keys()
    assert template, "the template holds no messages"
    assert set(OFFERED_LANGUAGES) <= set(TARGET_LANGUAGES)
    report = {language: _completeness(language, template) for language in TARGET_LANGUAGES}
    print(f"\nCatalog completeness ({len(template)} messages):")
    for language, percent in report.items():
        mark = "offered" if language in OFFERED_LANGUAGES else ""
        print(f"  {language:8} {percent:6.1f}%  {mark}".rstrip())
    incomplete = {lang: report[lang] for lang in OFFERED_LANGUAGES if report[lang] < 100.0}
    assert not incomplete, f"offered languages must be 100% translated: {incomplete}"


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

NATIVE_NAMES = {"en": "English", "th": "ไทย", "my": "မြန်မာ", "zh_Hans": "中文 (简体)"}


@pytest.mark.parametrize("language", OFFERED_LANGUAGES)
def test_the_picker_names_each_language_in_its_own_script(language):
    name = language_name(language)
    assert name
    if language != SOURCE_LANGUAGE:
        assert not name.isascii(), f"{language} is named {name!r}, not in its own script"
    if language in NATIVE_NAMES:
        assert name == NATIVE_NAMES[language]


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


@pytest.mark.parametrize(
    "language", [lang for lang in OFFERED_LANGUAGES if lang != SOURCE_LANGUAGE]
)
def test_every_translation_reaches_the_worker(language):
    """Each message, compiled as the bot compiles it, comes back as the catalog says (none lost)."""
    tr = translator(language)
    catalog = _read(_catalog_file(language))
    plural_form = gettext.c2py(catalog.plural_expr)
    # One count per plural form, so that ngettext is asked for each form in turn.
    counts = [
        next(n for n in range(1000) if plural_form(n) == i) for i in range(catalog.num_plurals)
    ]
    lost = []
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, str):
            shown: tuple[str, ...] = (tr.gettext(message.id),)
        else:
            shown = tuple(tr.ngettext(*message.id, n) for n in counts)
        if shown != _forms(message):
            lost.append(message.id)
    assert not lost, f"{language}: not shown as translated: {lost}"
