"""Drive the conversation engine as a worker would, without any messenger."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from PIL import Image

from bot.intake.scrub import MediaScrubber
from crypto.receipts import parse_receipt
from handlers.conversation import Conversation
from handlers.engine import Engine
from handlers.i18n import OFFERED_LANGUAGES
from handlers.io import Button, CommandInput, Input, Media, Message, Press, Reply, Text
from handlers.media import AttachmentKind
from handlers.ports import CaseView, Draft, NoRoute, Route, SubmissionFailed
from handlers.questionnaire import load_default


@dataclass
class FakeDirectory:
    """Two countries: Thailand (a site and a default partner) and Malaysia (default only)."""

    contacts: str = "Hotline 1300 (24 hours)"
    covered: dict[str, str] = field(default_factory=lambda: {"TH": "mekong", "MY": "klang"})
    site_list: dict[str, list[tuple[str, str, str]]] = field(
        default_factory=lambda: {"TH": [("lamphun-2", "Lamphun Plant 2", "mekong")]}
    )

    async def countries(self) -> list[str]:
        return sorted(set(self.covered) | set(self.site_list))

    async def sites(self, country: str) -> list[tuple[str, str]]:
        return [(slug, name) for slug, name, _p in self.site_list.get(country, [])]

    async def route(self, country: str, site: str | None) -> Route | None:
        partner = next((p for s, _n, p in self.site_list.get(country, []) if s == site), None)
        partner = partner or self.covered.get(country)
        return None if partner is None else Route(partner, self.contacts)


@dataclass
class RecordingSubmitter:
    """Keeps drafts in a list; can be told to fail the next commits."""

    drafts: list[Draft] = field(default_factory=list)
    failures: int = 0
    no_route: bool = False

    async def submit(self, draft: Draft) -> str:
        if self.no_route:
            raise NoRoute(draft.country)
        if self.failures:
            self.failures -= 1
            raise SubmissionFailed
        self.drafts.append(draft)
        return f"{len(self.drafts):016d}"


@dataclass
class FakeTracker:
    """One known receipt; records follow-ups."""

    receipt: str = "1234567890123456"
    view: CaseView = field(
        default_factory=lambda: CaseView(
            "7KQ2M9XD4H1A", 1, "investigating", ("We called the agency.",)
        )
    )
    follow_ups: list[tuple[str | None, object]] = field(default_factory=list)
    lookups: int = 0

    async def lookup(self, receipt: str) -> CaseView | None:
        self.lookups += 1
        return self.view if parse_receipt(receipt) == self.receipt else None

    async def add_follow_up(self, view, language, text, attachment) -> None:
        self.follow_ups.append((text, attachment))


SCRUBBER = MediaScrubber()
"""The server's own scrubber: the engine's tests send real photos, voice notes and PDFs."""


def jpeg_bytes(size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


OGG_VOICE = b"OggS\x00\x02" + b"\x00" * 20 + b"\x01\x13" + b"OpusHead\x01\x01" + b"\x00" * 11


class Worker:
    """One worker's side of a conversation with the engine."""

    def __init__(
        self,
        engine: Engine | None = None,
        profile_language: str | None = None,
        directory: FakeDirectory | None = None,
        submitter: RecordingSubmitter | None = None,
        tracker: FakeTracker | None = None,
        limits=None,
    ) -> None:
        self.directory = directory or FakeDirectory()
        self.submitter = submitter or RecordingSubmitter()
        self.tracker = tracker or FakeTracker()
        self.engine = engine or Engine(
            load_default(), self.directory, self.submitter, self.tracker, limits, scrubber=SCRUBBER
        )
        self.conv = Conversation(key="k", profile_language=profile_language)
        self.replies: list[Reply] = []

    async def send(self, event: Input) -> Reply:
        reply = await self.engine.handle(self.conv, event)
        self.replies.append(reply)
        return reply

    async def text(self, text: str) -> Reply:
        return await self.send(Text(text))

    async def command(self, command) -> Reply:
        return await self.send(CommandInput(command))

    async def media(self, kind: AttachmentKind, data: bytes, size: int | None = None) -> Reply:
        async def fetch() -> bytes:
            return data

        return await self.send(Media(kind, size if size is not None else len(data), fetch))

    @property
    def last(self) -> Message:
        for reply in reversed(self.replies):
            if reply.messages:
                return reply.messages[-1]
        raise AssertionError("no message yet")

    def buttons(self, message: Message | None = None) -> list[Button]:
        return [b for row in (message or self.last).buttons for b in row]

    def button(self, label: str, message: Message | None = None) -> Button:
        for button in self.buttons(message):
            if label in button.label:
                return button
        labels = [b.label for b in self.buttons(message)]
        raise AssertionError(f"no button {label!r} in {labels}\n{(message or self.last).text}")

    async def press(self, label: str, message: Message | None = None) -> Reply:
        return await self.send(Press(self.button(label, message).data))

    async def choose_language(self, name: str) -> Reply:
        """Press the language named `name` on the picker, paging with More until it shows."""
        for _page in range(len(OFFERED_LANGUAGES)):
            if any(name in b.label for b in self.buttons()):
                return await self.press(name)
            more = [b for b in self.buttons() if b.data.endswith(":more")]
            assert more, f"no language {name!r} on the picker, and no More button"
            await self.send(Press(more[0].data))  # More, in whichever language it is
        raise AssertionError(f"no language {name!r} on any page of the picker")

    async def walk_to(self, step_id: str, choose_forced_labour: bool = False) -> None:
        """From nothing to the given step, answering like a typical worker in English."""
        from handlers.io import Command

        labels = ["English", "I have read this", "Yes, continue", "Thailand", "Lamphun Plant 2"]
        labels += ["Wages", *(["Forced labour"] if choose_forced_labour else []), "Done"]
        actions = [lambda: self.command(Command.START)]
        actions += [lambda label=label: self.press(label) for label in labels]
        for action in actions:
            await action()
            if self.at(step_id):
                return
        if not self.at(step_id):
            raise AssertionError(f"cannot walk to {step_id}; at {self.conv.draft.position}")

    def at(self, step_id: str) -> bool:
        position = self.conv.draft.position
        return position is not None and self.engine.questionnaire.steps[position].id == step_id
