"""The console's own catalogs (domain "console"): Thai and Simplified Chinese complete, every
placeholder kept, the template in step with the words the console's code and pages use."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir, extract_from_file
from babel.messages.pofile import read_po

from desk.console import present
from desk.console.i18n import LANGUAGES, SOURCE_LANGUAGE, negotiate, translations
from vocabulary import STATUS_LABELS

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "locales" / "console.pot"
METHOD_MAP = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s|\{[a-z_]+\}")
UPDATE = "the commands at the top of desk/console/babel.cfg"


def _read(path: Path) -> Catalog:
    with path.open("rb") as source:
        return read_po(source)


def _key(message: Message) -> str | tuple[str, ...]:
    return tuple(message.id) if isinstance(message.id, list | tuple) else message.id


def _ids(message: Message) -> tuple[str, ...]:
    return tuple(message.id) if isinstance(message.id, list | tuple) else (message.id,)


def _forms(message: Message) -> tuple[str, ...]:
    return tuple(message.string) if isinstance(message.string, list | tuple) else (message.string,)


def test_the_console_template_lists_exactly_the_words_the_console_uses():
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    console = extract_from_dir(
        ROOT / "desk" / "console", METHOD_MAP, options_map=OPTIONS, keywords=keywords
    )
    # and what the worker reads for each status, which the console shows beside the status
    shared = extract_from_file("python", ROOT / "vocabulary.py", keywords=keywords)
    messages = [msg[2] for msg in console] + [msg[1] for msg in shared]
    found = {msg if isinstance(msg, str) else tuple(msg[:2]) for msg in messages}
    listed = {_key(m) for m in _read(TEMPLATE) if m.id}
    assert found == listed, f"locales/console.pot is stale: run {UPDATE}"


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != SOURCE_LANGUAGE])
def test_each_console_catalog_is_complete_and_keeps_every_placeholder(language):
    catalog = _read(ROOT / "locales" / language / "LC_MESSAGES" / "console.po")
    by_key = {_key(m): m for m in catalog if m.id}
    for wanted in (m for m in _read(TEMPLATE) if m.id):
        message = by_key.get(_key(wanted))
        assert message is not None, f"{language}: {wanted.id!r} is missing; run {UPDATE}"
        assert not message.fuzzy, f"{language}: {wanted.id!r} is fuzzy"
        forms = _forms(message)
        assert forms and all(forms), f"{language}: {wanted.id!r} is not translated"
        expected = set(PLACEHOLDER.findall(_ids(wanted)[-1]))
        for form in forms:
            assert set(PLACEHOLDER.findall(form)) == expected, f"{language}: {form!r}"


def test_the_console_names_statuses_as_the_worker_reads_them():
    bot_words = {_key(m) for m in _read(ROOT / "locales" / "messages.pot") if m.id}
    console_words = {_key(m) for m in _read(TEMPLATE) if m.id}
    assert present.REPLY_INTRO in bot_words  # the line the bot shows above a reply
    assert set(STATUS_LABELS.values()) <= bot_words & console_words
    thai = translations("th").gettext
    assert present.worker_label("investigating", thai) != "Being looked into"


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("th-TH,th;q=0.9,en;q=0.8", "th"),
        ("zh-CN,zh;q=0.9", "zh_Hans"),
        ("zh-Hans-SG", "zh_Hans"),
        ("zh-TW,zh;q=0.9", "zh_Hans"),
        ("zh-TW", "en"),
        ("de-DE,de;q=0.9", "en"),
        ("fr;q=0.9,th;q=0.5", "th"),
        ("en;q=0,th", "th"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_the_browser_language_picks_the_closest_console_language(header, language):
    assert negotiate(header) == language
