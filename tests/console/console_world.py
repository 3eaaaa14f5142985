"""What the console's tests stand on: a console served on 127.0.0.1 against a real case API,
its settings file, a clock the test moves, and a worker who reports through the real bot.

The case API comes from `desk_world` (cases sealed as the bot seals them) or from `deployment`
(the real bot against the stand-in Bot API); both are helper modules, not test modules.
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from console_voice import opus_voice_note
from deployment import Deployment, phone_photo, walk_to
from fake_bot_api import FakeMessage, FakeUser

from bot import admin
from bot.database import open_database
from desk.console import logs
from desk.console.app import Running, running_console
from desk.console.config import ConsoleConfig, save

REPORT_WORDS = "SENTINEL-CONSOLE the agency took our passports and keeps 3000 baht a month"
"""What the worker writes at "What happened?" in `file_report`."""


@dataclass
class Clock:
    """time.monotonic for the console's idle lock, moved by the test."""

    now: float = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Console:
    """A running console and what a test looks at."""

    running: Running
    clock: Clock
    config_path: Path
    log: io.StringIO

    @property
    def start_url(self) -> str:
        return self.running.url

    @property
    def base(self) -> str:
        return self.running.base_url


@contextlib.asynccontextmanager
async def console_for(
    folder: Path,
    server: str,
    token: str,
    key_file: Path,
    *,
    lock_minutes: float = 15.0,
    verify_key: str | None = None,
    configured: bool = True,
) -> AsyncIterator[Console]:
    """A console whose settings file names `server`, `token` and `key_file` (unless not
    `configured`: then the setup page comes first)."""
    config_path = folder / "console-settings" / "console.json"
    if configured:
        save(config_path, ConsoleConfig(server, token, str(key_file)))
    log = io.StringIO()
    handler = logs.configure(stream=log)
    clock = Clock()
    try:
        async with running_console(
            config_path, lock_minutes=lock_minutes, verify_key=verify_key, clock=clock
        ) as running:
            yield Console(running, clock, config_path, log)
    finally:
        logging.getLogger().removeHandler(handler)


async def issue_token(database_url: str, slug: str = "mekong-workers") -> str:
    """`grievance admin credential issue SLUG`: a caseworker token."""
    async with open_database(database_url) as sessions, sessions() as session, session.begin():
        issued = await admin.credentials.issue(session, slug, "console laptop")
    return str(issued.credential.token)


async def file_report(running: Deployment, words: str = REPORT_WORDS) -> tuple[FakeUser, str]:
    """A worker reports through the real bot: a photo and a voice note as evidence.

    Returns the worker and the receipt's digits."""
    running.service.store.messages_per_window = 100  # a test types faster than a person
    worker = running.api.user(user_id=777000222, first_name="SentinelFirst", language_code="en")
    evidence = await walk_to(worker, "evidence", what_happened=words)
    await worker.send_photo(phone_photo())
    await worker.wait_for_bot_message(lambda m: "1 file" in (m.text or ""))
    await worker.send_voice(opus_voice_note())
    await worker.wait_for_bot_message(lambda m: "2 files" in (m.text or ""))
    await worker.press("Done", evidence)
    outcome = await worker.wait_for_bot_message(lambda m: "like to happen" in (m.text or ""))
    await worker.press("Done", outcome)
    review = await worker.wait_for_bot_message(lambda m: "check your answers" in (m.text or ""))
    await worker.press("Send", review)
    receipt: FakeMessage = await worker.wait_for_bot_message(
        lambda m: "receipt number" in (m.text or "")
    )
    await worker.press("I have saved it", receipt)
    await running.api.wait_idle()
    return worker, receipt.text.split("\n\n")[1]


async def read_status(worker: FakeUser, digits: str, expect: str) -> None:
    """The worker asks for news with the receipt until `expect` is in the bot's answer."""
    await worker.send_command("/status")
    await worker.wait_for_bot_message(lambda m: "receipt number" in (m.text or ""))
    await worker.send_text(digits)
    await worker.wait_for_bot_message(lambda m: expect in (m.text or ""), timeout=10)


async def add_information(worker: FakeUser, digits: str, text: str) -> None:
    """The worker asks with the receipt (/status), presses "Add information" and writes."""
    await worker.send_command("/status")
    await worker.wait_for_bot_message(lambda m: "receipt number" in (m.text or ""))
    await worker.send_text(digits)
    status = await worker.wait_for_bot_message(
        lambda m: "Add information" in str(m.button_texts()), timeout=10
    )
    await worker.press("Add information", status)
    await worker.wait_for_bot_message(lambda m: "Write what you want to add" in (m.text or ""))
    await worker.send_text(text)
    await worker.wait_for_bot_message(lambda m: "The organisation will see it" in (m.text or ""))


async def unlock_in(page: Any, url: str, passphrase: str) -> None:
    """Open the start link, give the passphrase, wait for the queue."""
    await page.goto(url)
    await page.fill("#passphrase", passphrase)
    await page.click("form[action='/unlock'] button")
    await page.wait_for_selector("table.queue, .matching")


async def api_get(server: str, token: str, path: str) -> Any:
    """What the case API answers a caseworker's credential (to check what the console did)."""
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(headers=headers) as http, http.get(server + path) as answer:
        assert answer.status == 200, await answer.text()
        return await answer.json()
