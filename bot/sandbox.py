"""`grievance chat`: the same conversation engine in a terminal, on a throwaway SQLite sandbox.

It sets up a demo partner (its key file in the sandbox folder), lets a person walk the whole
questionnaire, submits for real, then opens the stored case with the partner's key and shows
it as the caseworker will see it. Nothing here talks to Telegram.

The folder is deleted only if this command made it: it writes a marker file into every folder it
creates, and refuses any folder without one. The terminal is read outside the event loop (each
engine step runs on its own), so one Ctrl-C leaves at once, whether the prompt is waiting or the
report is being sealed and stored: the step in progress is cancelled, the database closed, and one
line says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import shutil
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, TextIO

from bot import admin
from bot.database import open_database
from bot.errors import UserError
from bot.intake.directory import StoredDirectory
from bot.intake.receipts import receipt_salt
from bot.intake.scrub import MediaScrubber
from bot.intake.submission import StoredSubmitter
from bot.intake.tracking import StoredTracker
from crypto.envelope import Context, Envelope, open_envelope
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
from storage import cases, partners
from vocabulary import Purpose

SANDBOX_PASSPHRASE: Final = "sandbox passphrase, demo keys only"  # noqa: S105 (demo keys only)
PARTNER: Final = "demo-partner"
MARKER: Final = ".grievance-sandbox"
MARKER_TEXT: Final = (
    "Made by 'grievance chat'. The next 'grievance chat' here deletes this folder.\n"
)
INTERRUPTED: Final = "Interrupted (Ctrl-C): left the sandbox; nothing more was done."
PHOTO_SUFFIXES: Final = frozenset({".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif"})
VOICE_SUFFIXES: Final = frozenset({".ogg", ".oga", ".opus"})
BUTTON_LETTERS: Final = "abcdefghijklmnopqrstuvwxyz"
HELP: Final = (
    "Type a letter to press a button, text to answer, /command for a command,\n"
    "'file PATH' to send a photo, voice note (.ogg) or PDF, and 'quit' to leave."
)


class SandboxRefused(UserError):
    """The folder given is not one this command made: nothing in it is touched."""


def terminal_input(prompt: str) -> str:
    """`input()`, except that a Ctrl-C is seen at once.

    The kernel hands SIGINT to any thread of the process; when a worker thread (SQLite's, the
    Argon2 pool's) takes it, `input()` in the main thread is not interrupted and Python runs the
    handler only after Enter: the first Ctrl-C seems swallowed. So the prompt waits in `select`
    on the terminal and on the signal wake-up pipe, which the signal always reaches.
    """
    if os.name != "posix" or not sys.stdin.isatty():
        return input(prompt)
    sys.stdout.write(prompt)
    sys.stdout.flush()
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    previous = signal.set_wakeup_fd(wake_write)
    try:
        terminal = sys.stdin.fileno()
        while True:
            ready, _, _ = select.select([terminal, wake_read], [], [])
            if terminal in ready:
                # A terminal in line mode hands over one line per read.
                line = os.read(terminal, 65536)
                if not line:
                    raise EOFError
                return line.decode(sys.stdin.encoding or "utf-8", "replace").rstrip("\r\n")
            os.read(wake_read, 512)  # a signal came: its handler runs now (KeyboardInterrupt)
    finally:
        signal.set_wakeup_fd(previous)
        os.close(wake_read)
        os.close(wake_write)


def run_sandbox(
    folder: Path, read: Callable[[str], str] = terminal_input, out: TextIO = sys.stdout
) -> int:
    """Run one sandbox session in `folder` (made fresh); returns an exit status."""
    folder = folder.absolute()
    with asyncio.Runner() as runner:
        try:
            return _session(runner, folder, read, out)
        except KeyboardInterrupt:
            print(f"\n{INTERRUPTED}", file=out, flush=True)
            return 130


def _session(runner: asyncio.Runner, folder: Path, read: Callable[[str], str], out: TextIO) -> int:
    fresh_folder(folder)
    url = f"sqlite+aiosqlite:///{folder / 'grievance.sqlite3'}"
    signing_key, partner_key = new_signing_key(), new_partner_key()
    key_file = folder / "partner.key"
    write_partner_key(key_file, partner_key, SANDBOX_PASSPHRASE)
    with contextlib.ExitStack() as closing:
        stack = contextlib.AsyncExitStack()
        sessions = runner.run(stack.enter_async_context(open_database(url)))
        closing.callback(runner.run, stack.aclose())
        runner.run(_demo_partner(sessions, admin.signing.Signer(signing_key), partner_key))
        salt = runner.run(receipt_salt(sessions))
        directory = StoredDirectory(sessions)
        submitter = StoredSubmitter(sessions, directory, signing_key.verify_key, salt)
        tracker = StoredTracker(sessions, salt, signing_key.verify_key)
        engine = Engine(load_default(), directory, submitter, tracker, scrubber=MediaScrubber())
        print(f"Sandbox in {folder}/ (SQLite; the demo partner's key is {key_file}).", file=out)
        print(HELP, file=out)
        if not _converse(runner, engine, read, out):
            return 0
        opened = read_partner_key(key_file, SANDBOX_PASSPHRASE)
        for view in runner.run(_caseworker_views(sessions, opened)):
            print(view, file=out)
    return 0


def fresh_folder(folder: Path) -> None:
    """Make `folder` anew: only if it does not exist, or an earlier run made it (its marker)."""
    if folder.is_symlink():
        raise SandboxRefused(
            f"{folder} is a symbolic link, not a sandbox folder; nothing was deleted"
        )
    if folder.exists():
        if not folder.is_dir():
            raise SandboxRefused(f"{folder} is a file, not a sandbox folder; nothing was deleted")
        marker = folder / MARKER
        if marker.is_symlink() or not marker.is_file():
            raise SandboxRefused(
                f"{folder} was not made by 'grievance chat' (it has no {MARKER} file), so "
                "nothing in it is deleted: give --folder a folder that does not exist yet"
            )
        shutil.rmtree(folder)
    folder.mkdir(mode=0o700, parents=True)
    (folder / MARKER).write_text(MARKER_TEXT, encoding="utf-8")


async def _demo_partner(sessions: Any, signer: admin.signing.Signer, key: PrivateKey) -> None:
    async with sessions() as session, session.begin():
        await admin.partners.add_partner(
            session, signer, PARTNER, "Demo monitoring partner", key.public_key, ["TH", "MY"]
        )
        await admin.sites.add_site(session, "lamphun-2", "Lamphun Plant 2", "TH", PARTNER)
        await admin.sites.add_site(session, "ayutthaya-1", "Ayutthaya Plant 1", "TH", PARTNER)
        await admin.partners.set_emergency_contacts(
            session, PARTNER, "Demo hotline 1300 (24 hours)"
        )


async def _caseworker_views(sessions: Any, key: PrivateKey) -> list[str]:
    async with sessions() as session:
        partner = await partners.get_partner(session, PARTNER)
        stored = await cases.list_cases(session, partner.id, with_entries=True)
        return [_caseworker_view(case, key) for case in stored]


def _converse(
    runner: asyncio.Runner, engine: Engine, read: Callable[[str], str], out: TextIO
) -> bool:
    """The terminal loop; True once a report was submitted. The prompt waits outside the event
    loop, so Ctrl-C there is an ordinary KeyboardInterrupt."""
    conversation = Conversation(key="sandbox")
    reply = runner.run(engine.handle(conversation, CommandInput(Command.START)))
    buttons = _show(reply, out)
    while True:
        try:
            line = read("> ").strip()
        except EOFError:
            print(file=out)
            return False
        if line.lower() in {"quit", "exit"}:
            return False
        event = _input(line, buttons, out)
        if event is None:
            continue
        reply = runner.run(engine.handle(conversation, event))
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
        context = Context(case.id, entry.id, entry.purpose, entry.author)
        plaintext = open_envelope(envelope, context, key)
        if entry.purpose == Purpose.REPORT:
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
