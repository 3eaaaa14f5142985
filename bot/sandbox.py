"""`grievance chat`: the same conversation engine in a terminal, on a throwaway SQLite sandbox.

It sets up a demo partner (its key file in the sandbox folder), lets a person walk the whole
questionnaire, submits for real, then opens the stored case with the partner's key and shows
it as the caseworker will see it. Nothing here talks to Telegram.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, TextIO

from bot import admin
from bot.database import open_database
from crypto.envelope import Author, Context, Envelope, Purpose, open_envelope
from crypto.keyfile import read_partner_key, write_partner_key
from crypto.keys import PrivateKey, new_partner_key, new_signing_key
from crypto.payloads import decode_attachment, decode_report
from handlers.conversation import Conversation
from handlers.engine import Engine
from handlers.io import (
    Button,
    Command,
    CommandInput,
    Effect,
    Input,
    Media,
    Message,
    Press,
    Reply,
    Text,
)
from handlers.media import AttachmentKind
from handlers.questionnaire import load_default
from handlers.routing import StoredDirectory
from handlers.submission import StoredSubmitter, receipt_salt
from handlers.tracking import StoredTracker
from storage import cases, partners

SANDBOX_PASSPHRASE: Final = "sandbox passphrase, demo keys only"  # noqa: S105 (demo keys only)
PARTNER: Final = "demo-partner"
PHOTO_SUFFIXES: Final = frozenset({".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif"})
VOICE_SUFFIXES: Final = frozenset({".ogg", ".oga", ".opus"})
BUTTON_LETTERS: Final = "abcdefghijklmnopqrstuvwxyz"
HELP: Final = (
    "Type a letter to press a button, text to answer, /command for a command,\n"
    "'file PATH' to send a photo, voice note (.ogg) or PDF, and 'quit' to leave."
)


async def chat(folder: Path, read: Callable[[str], str] = input, out: TextIO = sys.stdout) -> int:
    """Run one sandbox session in `folder` (wiped first); returns an exit status."""
    await asyncio.to_thread(_fresh_folder, folder)
    url = f"sqlite+aiosqlite:///{(folder / 'grievance.sqlite3').absolute()}"
    signing_key, partner_key = new_signing_key(), new_partner_key()
    key_file = folder / "partner.key"
    await asyncio.to_thread(write_partner_key, key_file, partner_key, SANDBOX_PASSPHRASE)
    async with open_database(url) as sessions:
        async with sessions() as session, session.begin():
            await _demo_partner(session, admin.Signer(signing_key), partner_key)
        directory = StoredDirectory(sessions)
        submitter = StoredSubmitter(
            sessions, directory, signing_key.verify_key, await receipt_salt(sessions)
        )
        salt = await receipt_salt(sessions)
        tracker = StoredTracker(sessions, salt, signing_key.verify_key)
        engine = Engine(load_default(), directory, submitter, tracker)
        print(f"Sandbox in {folder}/ (SQLite; the demo partner's key is {key_file}).", file=out)
        print(HELP, file=out)
        submitted = await _converse(engine, read, out)
        if not submitted:
            return 0
        opened = await asyncio.to_thread(read_partner_key, key_file, SANDBOX_PASSPHRASE)
        async with sessions() as session:
            partner = await partners.get_partner(session, PARTNER)
            for case in await cases.list_cases(session, partner.id, with_entries=True):
                print(_caseworker_view(case, opened), file=out)
    return 0


def _fresh_folder(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(mode=0o700, parents=True)


async def _demo_partner(session: Any, signer: admin.Signer, key: PrivateKey) -> None:
    await admin.add_partner(
        session, signer, PARTNER, "Demo monitoring partner", key.public_key, ["TH", "MY"]
    )
    await admin.add_site(session, "lamphun-2", "Lamphun Plant 2", "TH", PARTNER)
    await admin.add_site(session, "ayutthaya-1", "Ayutthaya Plant 1", "TH", PARTNER)
    await admin.set_emergency_contacts(session, PARTNER, "Demo hotline 1300 (24 hours)")


async def _converse(engine: Engine, read: Callable[[str], str], out: TextIO) -> bool:
    """The terminal loop; True once a report was submitted."""
    conversation = Conversation(key="sandbox")
    reply = await engine.handle(conversation, CommandInput(Command.START))
    buttons = _show(reply, out)
    while True:
        try:
            line = read("> ").strip()
        except (EOFError, KeyboardInterrupt):
            print(file=out)
            return False
        if line.lower() in {"quit", "exit"}:
            return False
        event = _input(line, buttons, out)
        if event is None:
            continue
        reply = await engine.handle(conversation, event)
        buttons = _show(reply, out) or buttons
        if any(message.keep for message in reply.messages):
            print("\n(This is where the worker's chat would be cleared.)", file=out)
            return True


def _input(line: str, buttons: list[Button], out: TextIO) -> Input | None:
    if len(line) == 1 and line.isalpha() and line.isascii() and buttons:
        index = ord(line.lower()) - ord("a")
        if 0 <= index < len(buttons):
            return Press(buttons[index].data)
        print(f"There is no button {line}.", file=out)
        return None
    if line.startswith("/"):
        name = line[1:].split()[0].lower() if len(line) > 1 else ""
        if name in {c.value for c in Command}:
            return CommandInput(Command(name))
    if line.lower().startswith("file "):
        path = Path(line[5:].strip()).expanduser()
        if not path.is_file():
            print(f"No file at {path}.", file=out)
            return None
        suffix = path.suffix.lower()
        kind = (
            AttachmentKind.PHOTO
            if suffix in PHOTO_SUFFIXES
            else AttachmentKind.VOICE
            if suffix in VOICE_SUFFIXES
            else AttachmentKind.DOCUMENT
        )
        data = path.read_bytes()

        async def fetch() -> bytes:
            return data

        return Media(kind, len(data), fetch)
    return Text(line)


def _show(reply: Reply, out: TextIO) -> list[Button]:
    """Print the bot's messages; buttons get numbers. Returns the buttons of the last message."""
    buttons: list[Button] = []
    for message in reply.messages:
        buttons = _print_message(message, out)
    if Effect.DELETE_INPUT in reply.effects:
        print("(The bot would delete your last message.)", file=out)
    return buttons


def _print_message(message: Message, out: TextIO) -> list[Button]:
    print(f"\n{message.text}", file=out)
    flat = [button for row in message.buttons for button in row]
    for letter, button in zip(BUTTON_LETTERS, flat, strict=False):
        print(f"  [{letter}] {button.label}", file=out)
    return flat


def _caseworker_view(case: Any, key: PrivateKey) -> str:
    """The case as the partner's caseworker opens it: decrypted on their machine."""
    lines = ["", "=" * 60, f"Case {case.id}  ({case.created_day}, status: {case.status.value})"]
    report: dict[str, Any] = {}
    files = []
    for entry in case.entries:
        envelope = Envelope(entry.body, {w.key_id: w.sealed_key for w in entry.wraps})
        purpose, author = Purpose(entry.purpose.value), Author(entry.author.value)
        plaintext = open_envelope(envelope, Context(case.id, entry.id, purpose, author), key)
        if entry.purpose.value == "report":
            report = decode_report(plaintext)
        else:
            files.append(decode_attachment(plaintext))
    lines.append(f"Language: {report.get('language')}")
    for shown in report.get("readable", {}).values():
        lines.append(f"{shown['question']}: {shown['answer']}")
    for header, data in files:
        size = f"{header.kind}, {header.media_type}, {len(data)} bytes"
        lines.append(f"Attachment ({header.step}): {size}")
    lines.append("=" * 60)
    return "\n".join(lines)
