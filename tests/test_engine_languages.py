"""The sixteen languages through the engine: the picker, numbers in the worker's script and
locale, and the whole questionnaire walked in each language without a word of English left."""

import re
import unicodedata
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.pofile import read_po
from engine_harness import FakeDirectory, FakeTracker, Worker, jpeg_bytes
from languages import (
    BUTTON_WIDTH,
    SHARED_ROW_WIDTH,
    SIXTEEN,
    width,
)

from handlers.countries import country_name
from handlers.i18n import SOURCE_LANGUAGE, language_name, preselect, translator
from handlers.io import Command, Message, Press
from handlers.media import AttachmentKind
from handlers.ports import StorageUnavailable
from handlers.screens import PAGE_SIZE, TICKED, UNTICKED
from vocabulary import STATUS_LABELS

DIGIT_ZERO = {
    "th": 0x0E50,  # Thai
    "my": 0x1040,  # Burmese
    "ne": 0x0966,  # Devanagari
    "hi": 0x0966,
    "bn": 0x09E6,  # Bengali
    "ta": 0x0BE6,  # Tamil
    "ur": 0x06F0,  # Extended Arabic-Indic (Urdu)
    "zh_Hans": 0xFF10,  # full-width, as a Chinese input method types them
}
"""The digits a worker of each language may type; the others type ASCII digits."""
TEMPLATE = Path(__file__).resolve().parents[1] / "locales" / "messages.pot"
BIDI_CONTROLS = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")
WHOLE_NUMBER = "Please send a whole number, without a dot or a comma, for example 20."
RANGE = "Please send a number from {low} to {high}, for example 20."
DATA = (FakeDirectory().contacts, FakeTracker().view.replies[0])
"""What the directory and the caseworker wrote: names and words of theirs, not the bot's."""


def _english_ids() -> list[str]:
    """Every English text of the template (singular and plural of plural messages)."""
    with TEMPLATE.open("rb") as template:
        ids = [m.id for m in read_po(template) if m.id]
    return [text for i in ids for text in (i if isinstance(i, tuple) else (i,))]


def _words(text: str) -> set[str]:
    return {word.lower() for word in re.findall(r"[A-Za-z]{3,}", text)}


ENGLISH = frozenset().union(*map(_words, _english_ids()))
"""The English words of the bot's messages."""


def _foreign_english(language: str) -> frozenset[str]:
    """English words that cannot be the language's own: those its translations never use
    (a Latin-script translation may keep Telegram, PDF or /status, or share a word)."""
    if language == SOURCE_LANGUAGE:
        return frozenset()
    _ = translator(language).gettext
    translated = [_(text) for text in _english_ids() if _(text) != text]
    return ENGLISH - frozenset().union(*map(_words, translated))


def digits(number: int, language: str) -> str:
    zero = DIGIT_ZERO.get(language, ord("0"))
    return "".join(chr(zero + int(d)) for d in str(number))


def press_code(worker: Worker, code: str) -> Press:
    """The press of the newest button whose data ends in `code` (a ButtonCode or o<n>)."""
    shown = [m for reply in worker.replies for m in reply.messages if m.buttons]
    found = [b for row in shown[-1].buttons for b in row if b.data.endswith(f":{code}")]
    assert found, f"no button {code!r} in {shown[-1].buttons}"
    return Press(found[0].data)


# The picker ----------------------------------------------------------------------------------


async def test_the_picker_lists_all_sixteen_in_their_scripts_a_page_at_a_time():
    worker = Worker()
    await worker.command(Command.START)
    seen: list[str] = []
    for _page in range(3):
        labels = [b.label for b in worker.buttons()]
        assert len(labels) <= PAGE_SIZE + 1  # a small phone's screen, and "More"
        seen += labels[:-1]
        await worker.send(press_code(worker, "more"))
    assert seen[: len(SIXTEEN)] == [
        language_name(lang) for lang in ["en", "ms", "th", "ne", "my", "bn", "id", "ur"]
    ] + [language_name(lang) for lang in ["ta", "hi", "vi", "zh_Hans", "fil", "es", "cs", "uk"]]
    assert seen[len(SIXTEEN) :] == seen[:PAGE_SIZE]  # More on the last page starts again


@pytest.mark.parametrize(
    ("countries", "profile", "first_page"),
    [
        # Thailand: Thai, then Myanmar migrants' Burmese; a phone in English puts English first.
        ({"TH": "mekong"}, "en-US", ["en", "th", "my", "zh_Hans", "ms", "id", "vi", "fil"]),
        # Czechia, a phone in Hindi: Hindi, Czech, then Ukrainian and Vietnamese workers'.
        ({"CZ": "praha"}, "hi", ["hi", "cs", "uk", "vi", "en", "zh_Hans", "th", "ms"]),
        # Mexico and the Philippines; Telegram's "tl" is Filipino; traditional Chinese is not.
        ({"MX": "bajio", "PH": "laguna"}, "tl", ["fil", "es", "en", "zh_Hans", "th", "ms"]),
        ({"CN": "szx"}, "zh-TW", ["en", "zh_Hans", "th", "ms", "id", "vi", "fil", "my"]),
        ({"CN": "szx"}, "zh-hans", ["zh_Hans", "en", "th", "ms", "id", "vi", "fil", "my"]),
    ],
)
async def test_the_deployments_languages_come_first_and_the_phones_before_them(
    countries, profile, first_page
):
    directory = FakeDirectory(covered=countries, site_list={})
    worker = Worker(profile_language=profile, directory=directory)
    await worker.command(Command.START)
    labels = [b.label for b in worker.buttons()][:-1]
    assert labels[: len(first_page)] == [language_name(lang) for lang in first_page]
    first = translator(first_page[0]).gettext("Choose your language.")
    assert worker.last.text.splitlines()[0] == first


async def test_the_picker_still_works_when_the_directory_cannot_be_read():
    class Down(FakeDirectory):
        async def countries(self) -> list[str]:
            raise StorageUnavailable

    worker = Worker(profile_language="my", directory=Down())
    await worker.command(Command.START)
    assert worker.buttons()[0].label == "မြန်မာ"
    await worker.press("မြန်မာ")
    assert worker.at("safety")


async def test_the_phones_language_orders_the_picker_and_is_never_kept():
    worker = await _at_the_number_question("th", profile="hi-IN")  # reads Thai, phone in Hindi
    await worker.text("12")
    for code in ["done", "done", "send"]:  # no evidence, no outcome, Send
        await worker.send(press_code(worker, code))
    (draft,) = worker.submitter.drafts
    assert draft.language == "th"
    assert "hi-IN" not in repr(draft) and "hi" not in draft.answers.values()


# Numbers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "million"),
    [("en", "1,000,000"), ("es", "1.000.000"), ("hi", "10,00,000"), ("cs", "1\xa0000\xa0000")],
)
async def test_the_range_of_a_number_is_written_as_the_language_writes_numbers(language, million):
    worker = await _at_the_number_question(language)
    reply = await worker.text("0")
    asked = translator(language).gettext(RANGE)
    assert reply.messages[0].text == asked.format(low="1", high=million)


@pytest.mark.parametrize("language", [*DIGIT_ZERO, "en"])
async def test_digits_of_the_workers_script_are_read_as_the_number(language):
    worker = await _at_the_number_question(language)
    typed = digits(12, language)
    if language == "ur":
        typed = f"\u200f{typed}\u200f"  # the marks an Urdu keyboard adds
    await worker.text(typed)
    assert worker.at("evidence")
    assert worker.conv.draft.answers["workers_affected"] == 12


@pytest.mark.parametrize("typed", ["12.5", "1,5", "٣٫٥", "१२.५"])
@pytest.mark.parametrize("language", ["th", "my", "zh_Hans"])
async def test_a_fraction_is_refused_calmly_in_the_workers_language(language, typed):
    worker = await _at_the_number_question(language)
    reply = await worker.text(typed)
    assert [m.text for m in reply.messages] == [translator(language).gettext(WHOLE_NUMBER)]
    assert reply.messages[0].text != WHOLE_NUMBER
    assert worker.at("workers_affected")


@pytest.mark.parametrize(
    ("language", "typed", "number"),
    [("en", "1,000", 1000), ("es", "1.000", 1000), ("hi", "१,००,०००", 100000)],
)
async def test_thousands_separated_as_the_language_does_are_a_whole_number(language, typed, number):
    worker = await _at_the_number_question(language)
    await worker.text(typed)
    assert worker.conv.draft.answers["workers_affected"] == number


async def _at_the_number_question(language: str, profile: str | None = None) -> Worker:
    """A worker of `language` (their phone's language unless `profile` says otherwise) at the
    question of how many workers are affected."""
    worker = Worker(profile_language=profile or language.replace("_", "-"))
    await worker.command(Command.START)
    if profile is not None:
        assert worker.buttons()[0].label == language_name(preselect(profile))  # the phone's, first
    await worker.choose_language(language_name(language))
    for step in ["safety", "consent"]:
        await worker.send(press_code(worker, "continue" if step == "safety" else "agree"))
    await worker.press(country_name("TH", language))
    await worker.press("Lamphun Plant 2")
    await worker.send(press_code(worker, "o1"))  # wages
    await worker.send(press_code(worker, "done"))
    await worker.send(press_code(worker, "no"))  # nobody in danger
    await worker.text(language_name(language))
    await worker.send(press_code(worker, "o1"))  # this month
    assert worker.at("workers_affected")
    return worker


# The whole questionnaire in each language -------------------------------------------------------


@pytest.mark.parametrize("language", SIXTEEN)
async def test_the_whole_questionnaire_speaks_the_workers_language(language):
    """Every screen from the safety notice to the receipt, /help and /status: no English words
    that the language's catalog does not use itself, nothing over Telegram's 4,096 characters
    or a phone's button width, no bidi controls; every Urdu paragraph opens with an Urdu letter."""
    screens = await _walk_everything(language)
    assert len(screens) > 20
    vocabulary = _foreign_english(language)
    problems = []
    for message in screens:
        problems += _problems(message, language, vocabulary)
    assert not problems, f"{language}:\n" + "\n".join(problems)


async def _walk_everything(language: str) -> list[Message]:
    """The worker's whole report, in `language`, answering every step, with the refusals a
    worker meets; returns every message the bot sent after the language was chosen."""
    tr = translator(language)
    worker = Worker(profile_language=language.replace("_", "-"))
    await worker.command(Command.START)
    start = len(worker.replies)  # the picker speaks two languages on purpose: not checked
    await worker.press(language_name(language))
    said = tr.gettext("Wages and deductions")  # a worker's own words, in their language
    await worker.send(press_code(worker, "continue"))
    await worker.send(press_code(worker, "agree"))
    await worker.press(country_name("TH", language))
    await worker.send(press_code(worker, "o1"))  # another workplace
    await worker.text(said)
    await worker.send(press_code(worker, "done"))  # nothing chosen: asked to choose
    await worker.send(press_code(worker, "o0"))  # forced labour
    await worker.send(press_code(worker, "done"))
    await worker.send(press_code(worker, "yes"))  # documents held
    await worker.send(press_code(worker, "yes"))  # someone in danger: the emergency message
    await worker.text("🙂")  # no words: asked for words
    await worker.text(said)
    await worker.send(press_code(worker, "o3"))  # still going on
    for typed in ["12.5", "0"]:  # a fraction, then out of range
        await worker.text(typed)
    await worker.text(digits(12, language))
    await worker.media(AttachmentKind.PHOTO, jpeg_bytes())
    await worker.send(press_code(worker, "done"))
    await worker.send(press_code(worker, "o0"))  # stop the problem
    await worker.send(press_code(worker, "done"))
    await worker.send(press_code(worker, "send"))
    assert worker.submitter.drafts, "the report was not sent"
    await worker.command(Command.HELP)
    await worker.command(Command.STATUS)
    receipt = "".join(digits(int(d), language) for d in worker.tracker.receipt)
    await worker.text(f"\u200f{receipt}\u200f" if language == "ur" else receipt)
    status = tr.gettext(STATUS_LABELS[worker.tracker.view.status])
    assert status in worker.replies[-1].messages[0].text, "the receipt did not open the case"
    return [m for reply in worker.replies[start:] for m in reply.messages]


def _problems(message: Message, language: str, vocabulary: frozenset[str]) -> list[str]:
    text = message.text
    for data in DATA:
        text = text.replace(data, "")
    problems = []
    english = sorted(_words(text) & vocabulary)
    if english:
        problems.append(f"English {english} in {message.text!r}")
    if len(message.text.encode("utf-16-le")) // 2 > 4096:
        problems.append(f"over 4,096 characters: {message.text[:60]!r}")
    if BIDI_CONTROLS.search(message.text):
        problems.append(f"a bidi control in {message.text!r}")
    if Locale.parse(language).character_order == "right-to-left":
        # Telegram takes a message's direction (Android: each paragraph's) from its first letter.
        for paragraph in [message.text, *text.split("\n")]:
            if _first_strong(paragraph) not in {None, "R", "AL"}:
                problems.append(f"a paragraph opens left to right: {paragraph!r}")
    for row in message.buttons:
        for button in row:
            label = button.label.removeprefix(TICKED).removeprefix(UNTICKED)
            limit = BUTTON_WIDTH if len(row) == 1 else SHARED_ROW_WIDTH
            if width(label) > limit:
                problems.append(f"button wider than {limit}: {label!r}")
            found = _words(label) & vocabulary
            if found:
                problems.append(f"English {sorted(found)} on the button {label!r}")
    return problems


def _first_strong(text: str) -> str | None:
    """The bidi class of the first letter that sets a paragraph's direction (L, R or AL)."""
    return next((c for c in map(unicodedata.bidirectional, text) if c in {"L", "R", "AL"}), None)
