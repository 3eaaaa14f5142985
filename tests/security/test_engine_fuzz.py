"""Property-based fuzzing of the conversation engine with random sequences of worker inputs.

Hypothesis draws interleavings of commands, button presses (valid, stale and forged callback
data), texts in many scripts, files good and bad, other kinds of message, and database outages
that come and go. After every input the engine must have answered without an exception, with
messages Telegram can show (non-empty, at most 4096 characters, button data at most 64 bytes),
and it must never have shown a receipt without a committed case, nor committed more cases than
Send presses that showed a receipt.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crypto.receipts import parse_receipt
from handlers.conversation import Conversation
from handlers.engine import Engine
from handlers.i18n import OFFERED_LANGUAGES, translator
from handlers.io import (
    Command,
    CommandInput,
    Effect,
    Input,
    Media,
    Other,
    Press,
    Reply,
    Text,
    Unsupported,
)
from handlers.media import AttachmentKind
from handlers.ports import CaseView, Draft, Route, StorageUnavailable
from handlers.questionnaire import load_default
from tests.engine_harness import OGG_VOICE, SCRUBBER, FakeDirectory, jpeg_bytes

BUSY = {
    translator(language).gettext(
        "The service is busy just now. Nothing was lost. Please try again in a few minutes."
    )
    for language in OFFERED_LANGUAGES
}
MAX_TEXT = 4096
MAX_CALLBACK_BYTES = 64
MAX_BUTTONS = 100
RECEIPT = "1234567890123456"


@dataclass
class Weather:
    """Whether the database is down right now (the fuzzer turns it on and off)."""

    down: bool = False

    def check(self) -> None:
        if self.down:
            raise StorageUnavailable


@dataclass
class FlakyDirectory(FakeDirectory):
    weather: Weather = field(default_factory=Weather)

    async def countries(self) -> list[str]:
        self.weather.check()
        return await super().countries()

    async def sites(self, country: str) -> list[tuple[str, str]]:
        self.weather.check()
        return await super().sites(country)

    async def route(self, country: str, site: str | None) -> Route | None:
        self.weather.check()
        return await super().route(country, site)


@dataclass
class StoringSubmitter:
    """Commits each draft's case once, by its case id, as the real submitter does."""

    weather: Weather
    committed: dict[str, str] = field(default_factory=dict)
    """case id -> receipt"""

    async def submit(self, draft: Draft) -> str:
        self.weather.check()
        return self.committed.setdefault(draft.case_id, draft.receipt)


@dataclass
class FlakyTracker:
    weather: Weather
    follow_ups: int = 0

    async def lookup(self, receipt: str) -> CaseView | None:
        self.weather.check()
        if parse_receipt(receipt) != RECEIPT:
            return None
        return CaseView("7KQ2M9XD4H1A", 1, "investigating", ("We called the agency.",))

    async def add_follow_up(self, view, language, text, attachment) -> None:
        self.weather.check()
        self.follow_ups += 1


@dataclass(frozen=True)
class PressShown:
    """Press a button shown earlier: 0 is the newest (valid), higher ones are older (stale)."""

    age: int
    which: int


@dataclass(frozen=True)
class Outage:
    down: bool


@dataclass(frozen=True)
class Again:
    """Send the previous input again if it was answered "busy", as a worker would."""


def _fetching(data: bytes):
    async def fetch() -> bytes:
        return data

    return fetch


SCRIPTS = [
    "หัวหน้าไลน์ตัดค่าล่วงเวลาของเรา",
    "မန်နေဂျာက လစာ မပေးဘူး",
    "工头扣了我们的加班费",
    "المدير لم يدفع الأجر",
    "Chủ không trả lương",
    "मालिक ने वेतन नहीं दिया",
    "😡😭🙏💸",
    "\u202eעזרה\u200b\u2066x\u2069\ufeff",
    "\x00\x07\x1b\x7f\u0085",
    " \n\t\u00a0\u3000 ",
    "๑๒๓๔ ๕๖๗๘ ๙๐๑๒ ๓๔๕๖",
    "1234 5678 9012 3456",
    "12",
    "١٢",
    "-5",
    "9" * 40,
    "ค่าจ้าง " * 1250,
    "/start",
    "a" * 5000,
]
FORGED = st.one_of(
    st.text(max_size=80),
    st.builds(
        lambda code: f"AAAAAAAA:{code}",
        st.sampled_from(
            [
                "send",
                "retry",
                "saved",
                "agree",
                "decline",
                "o0",
                "o99",
                "more",
                "back",
                "skip",
                "done",
                "yes",
                "stop",
                "follow_up",
                "read_done",
                "continue",
                "",
            ]
        ),
    ),
    st.binary(max_size=64).map(lambda b: b.decode("latin-1")),
)
MEDIA = st.builds(
    lambda kind, data, declared: Media(kind, declared, _fetching(data)),
    st.sampled_from(list(AttachmentKind)),
    st.sampled_from([jpeg_bytes(), OGG_VOICE, b"%PDF-1.7\n", b"MZ\x90\x00", b"", b"\xff" * 300]),
    st.one_of(st.none(), st.integers(min_value=0, max_value=50 * 1024 * 1024)),
)
ACTIONS = st.one_of(
    st.builds(CommandInput, st.sampled_from(list(Command))),
    st.builds(Text, st.one_of(st.sampled_from(SCRIPTS), st.text(max_size=300))),
    st.builds(PressShown, st.integers(0, 3), st.integers(0, 30)),
    st.builds(PressShown, st.just(0), st.integers(0, 30)),  # valid presses, more often
    st.builds(PressShown, st.just(0), st.integers(0, 30)),
    st.builds(Press, FORGED),
    MEDIA,
    st.builds(Other, st.sampled_from(list(Unsupported))),
    st.builds(Outage, st.booleans()),
)


def check_reply(reply: Reply) -> None:
    """What Telegram can show, and what a worker can act on."""
    if not reply.messages:
        assert reply.effects == [Effect.DELETE_PRESSED], reply  # "I have saved it": no words
    buttons = 0
    for message in reply.messages:
        assert message.text.strip(), reply
        assert len(message.text) <= MAX_TEXT, len(message.text)
        if message.later:
            assert len(message.later) <= MAX_TEXT
        for row in message.buttons:
            for button in row:
                buttons += 1
                assert button.label.strip()
                assert len(button.data.encode("utf-8")) <= MAX_CALLBACK_BYTES, button.data
    assert buttons <= MAX_BUTTONS


def receipt_shown(reply: Reply) -> str | None:
    kept = [m for m in reply.messages if m.keep]
    if not kept:
        return None
    (receipt,) = kept
    return parse_receipt(receipt.text.split("\n\n")[1])


async def play(actions: list[object], report_at: int | None = None) -> set[str]:
    """Run the inputs; returns the receipts shown (from `report_at` on, if given)."""
    weather = Weather()
    submitter = StoringSubmitter(weather)
    engine = Engine(
        load_default(),
        FlakyDirectory(weather=weather),
        submitter,
        FlakyTracker(weather),
        scrubber=SCRUBBER,
    )
    conv = Conversation(key="fuzz", profile_language="en-GB")
    shown: list[list[tuple[str, str]]] = []  # (label, data) of each reply's buttons, oldest first
    receipts_before: set[str] = set()
    receipts: set[str] = set()
    event: Input | None = None
    busy = False
    for index, action in enumerate(actions):
        if index == report_at:
            receipts_before = set(receipts)
        if isinstance(action, Outage):
            weather.down = action.down
            continue
        if isinstance(action, Again):
            if not busy or event is None:
                continue
        elif isinstance(action, PressLabel):
            newest = [b for datas in shown[::-1] for b in datas if action.label in b[0]]
            assert newest, f"no button {action.label!r}"
            event = Press(newest[0][1])
        elif isinstance(action, PressShown):
            offered = [data for datas in shown[::-1] for _label, data in datas][action.age :]
            if not offered:
                continue
            event = Press(offered[action.which % len(offered)])
        else:
            event = action  # type: ignore[assignment]
        before = conv.snapshot()
        reply = await engine.handle(conv, event)
        check_reply(reply)
        busy = any(m.text in BUSY for m in reply.messages)
        if busy:
            assert conv == before, "an outage changed the conversation"
        receipt = receipt_shown(reply)
        if weather.down:
            assert receipt is None, "a receipt while the database was down"
        if receipt is not None:
            assert receipt in submitter.committed.values(), "a receipt without a committed case"
            receipts.add(receipt)
        shown.append([(b.label, b.data) for m in reply.messages for row in m.buttons for b in row])
        # Never more cases than Sends that showed their receipt: no second case for a draft.
        assert len(submitter.committed) == len(receipts)
    return receipts if report_at is None else receipts - receipts_before


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(ACTIONS, min_size=1, max_size=40))
def test_random_input_sequences_never_break_the_engine_or_its_promises(actions):
    asyncio.run(play(actions))


@dataclass(frozen=True)
class PressLabel:
    """Press the newest button whose label has this text, as a worker reading the screen."""

    label: str


A_WHOLE_REPORT: list[object] = [
    Outage(False),
    CommandInput(Command.START),
    *map(PressLabel, ["English", "I have read this", "Yes, continue", "Thailand"]),
    *map(PressLabel, ["Lamphun Plant 2", "Wages", "Done", "No"]),
    Text("The line leader cut our overtime pay."),
    PressLabel("This month"),
    Text("12"),
    *map(PressLabel, ["Done", "Done", "Send"]),
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(ACTIONS, max_size=15),
    st.lists(st.booleans(), min_size=len(A_WHOLE_REPORT), max_size=len(A_WHOLE_REPORT)),
    st.lists(ACTIONS, max_size=15),
)
def test_random_inputs_and_outages_around_a_whole_report_keep_every_promise(before, outages, after):
    """A report sent for real in the middle of random noise: the promises hold around it."""
    report: list[object] = []
    for step, down in zip(A_WHOLE_REPORT, outages, strict=True):
        # An outage at this step: the worker is told, and tries again once it is over.
        report += [Outage(True), step, Outage(False), Again()] if down else [step]
    receipts = asyncio.run(play([*before, *report, *after], report_at=len(before)))
    assert receipts, "the report in the middle was not sent"
