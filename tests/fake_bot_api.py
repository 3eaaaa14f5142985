"""A local stand-in for the Telegram Bot API, so tests can drive the real PTB ``Application``.

The fake is an aiohttp server on 127.0.0.1. Point PTB at it with::

    ApplicationBuilder().token(api.token).base_url(api.base_url).base_file_url(api.base_file_url)

It speaks the wire format PTB uses: ``POST {base_url}{token}/{method}`` with parameters as
``application/x-www-form-urlencoded`` (every non-string value JSON-encoded, strings raw),
``multipart/form-data`` when files are uploaded, or an ``application/json`` body; files are served
at ``GET {base_file_url}{token}/{file_path}``. Every answer is ``{"ok": true, "result": ...}`` or
``{"ok": false, "error_code": N, "description": "..."}`` with the HTTP status ``N``.

Tests play the users: ``api.user(...)`` gives a :class:`FakeUser` in a private chat whose actions
(text, commands, button presses, media, edits) become Telegram-shaped updates, fetched by
``getUpdates`` or POSTed to the webhook. What the bot sends lands in that chat's transcript.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import io
import itertools
import json
import re
import secrets
import socket
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Self

import aiohttp
from aiohttp import web

JSON = dict[str, Any]
MethodHandler = Callable[[JSON], Awaitable[Any]]

HOST = "127.0.0.1"
MAX_DOWNLOAD_SIZE = 20 * 1024 * 1024  # getFile refuses larger files, as the real Bot API does
MAX_UPLOAD_SIZE = 64 * 1024 * 1024
MAX_TEXT_LENGTH = 4096
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200
DELETE_WINDOW_SECONDS = 48 * 3600  # bots may delete private-chat messages for 48 hours
FIRST_UPDATE_ID = 700_000_001

TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
SECRET_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?=\s|$)")
BOT_COMMAND_NAME_RE = re.compile(r"^[a-z0-9_]{1,32}$")

ALL_UPDATE_TYPES = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "message_reaction",
    "message_reaction_count",
    "inline_query",
    "chosen_inline_result",
    "callback_query",
    "shipping_query",
    "pre_checkout_query",
    "purchased_paid_media",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "chat_boost",
    "removed_chat_boost",
)
# Telegram's default when allowed_updates is empty: everything except these three.
DEFAULT_UPDATE_TYPES = frozenset(ALL_UPDATE_TYPES) - {
    "chat_member",
    "message_reaction",
    "message_reaction_count",
}
CHAT_ACTIONS = frozenset(
    [
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    ]
)
# Parameters whose value is a plain string even if it looks like JSON (e.g. a text "123").
STRING_PARAMS = frozenset(
    [
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "url",
        "secret_token",
        "ip_address",
        "file_id",
        "action",
        "language_code",
        "business_connection_id",
        "message_effect_id",
        "emoji",
        "name",
        "description",
        "short_description",
        "title",
        "question",
        "phone_number",
        "first_name",
        "last_name",
        "vcard",
        "sticker",
        "photo",
        "document",
        "voice",
        "audio",
        "video",
        "animation",
        "certificate",
    ]
)
# Buttons of an inline keyboard must carry exactly one action besides the text.
BUTTON_ACTIONS = frozenset(
    [
        "callback_data",
        "url",
        "login_url",
        "web_app",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    ]
)

MESSAGE_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
QUERY_ID_INVALID = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)


class BotAPIError(Exception):
    """An error answer of the Bot API; raise it from a method handler."""

    def __init__(self, error_code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(f"{error_code} {description}")
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def payload(self) -> JSON:
        """The JSON body Telegram would answer with."""
        body: JSON = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


class Call(NamedTuple):
    """One request the bot made: the method name and its decoded parameters."""

    method: str
    params: JSON


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request (e.g. a webhook certificate or a sent document)."""

    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(frozen=True)
class FakeFile:
    """A file known to the fake server, downloadable at ``{base_file_url}{token}/{file_path}``."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    size: int

    def as_dict(self) -> JSON:
        """The ``file_id``/``file_unique_id``/``file_size`` triple Telegram puts on media."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
        }


@dataclass(frozen=True)
class FailurePlan:
    """Pending injected failures of one method (see :meth:`FakeBotAPI.fail`)."""

    error_code: int
    description: str
    parameters: JSON | None


@dataclass(frozen=True)
class StallPlan:
    """A pending slow answer of one method (see :meth:`FakeBotAPI.stall`)."""

    seconds: float
    carry_out: bool


_MEDIA_KINDS = ("photo", "voice", "document", "sticker", "location", "contact", "text")


@dataclass(eq=False)
class FakeMessage:
    """A message in a fake private chat, sent by the bot or by the user.

    ``content`` holds the kind-specific fields exactly as Telegram sends them (``text`` and
    ``entities``, ``photo`` and ``caption``, ``voice``, ...). Item access (``m["text"]``) works
    like attribute access, falling back to the Telegram JSON of the message.
    """

    message_id: int
    chat: JSON
    sender: JSON
    from_bot: bool
    date: int
    content: JSON
    reply_markup: JSON | None = None
    deleted: bool = False
    edit_date: int | None = None
    previous_texts: list[str] = field(default_factory=list)

    @property
    def chat_id(self) -> int:
        """The chat this message belongs to."""
        return int(self.chat["id"])

    @property
    def text(self) -> str | None:
        """The text, or ``None`` for media messages."""
        return self.content.get("text")

    @property
    def caption(self) -> str | None:
        """The caption of a media message."""
        return self.content.get("caption")

    @property
    def kind(self) -> str:
        """One of ``text photo voice document sticker location contact``."""
        return next((k for k in _MEDIA_KINDS if k in self.content), "unknown")

    @property
    def inline_keyboard(self) -> list[list[JSON]] | None:
        """The rows of the inline keyboard, if the message has one."""
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            rows: list[list[JSON]] = self.reply_markup["inline_keyboard"]
            return rows
        return None

    def buttons(self) -> list[JSON]:
        """All inline buttons, row by row."""
        return [button for row in self.inline_keyboard or [] for button in row]

    def button_texts(self) -> list[str]:
        """The labels of all inline buttons."""
        return [str(button.get("text", "")) for button in self.buttons()]

    def find_button(self, label: str) -> JSON | None:
        """The button whose text, or else whose callback data, equals ``label``."""
        buttons = self.buttons()
        by_text = [b for b in buttons if b.get("text") == label]
        if by_text:
            return by_text[0]
        return next((b for b in buttons if b.get("callback_data") == label), None)

    def to_dict(self) -> JSON:
        """The message as Telegram serialises it (only inline keyboards are echoed back)."""
        data: JSON = {
            "message_id": self.message_id,
            "from": self.sender,
            "chat": self.chat,
            "date": self.date,
        }
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        data.update(self.content)
        if self.inline_keyboard is not None:
            data["reply_markup"] = {"inline_keyboard": self.inline_keyboard}
        return data

    def describe(self) -> str:
        """A one-line human summary, used in transcripts."""
        kind = self.kind
        if kind == "text":
            body = repr(self.text)
        elif kind == "photo":
            body = f"[photo {self.content['photo'][-1]['file_size']} B] {self.caption or ''}"
        elif kind == "voice":
            body = f"[voice {self.content['voice']['duration']} s]"
        elif kind == "document":
            doc = self.content["document"]
            body = f"[document {doc.get('file_name')!r} {doc.get('file_size')} B]"
        elif kind == "sticker":
            body = f"[sticker {self.content['sticker'].get('emoji', '')}]"
        elif kind == "location":
            loc = self.content["location"]
            body = f"[location {loc['latitude']}, {loc['longitude']}]"
        elif kind == "contact":
            body = f"[contact {self.content['contact']['phone_number']}]"
        else:
            body = repr(self.content)
        if self.inline_keyboard:
            labels = " | ".join(
                f"{b.get('text')}={b.get('callback_data', b.get('url', '?'))}"
                for b in self.buttons()
            )
            body += f"  [buttons: {labels}]"
        if self.edit_date is not None:
            body += "  (edited)"
        return body

    def __getitem__(self, key: str) -> Any:
        if key != "from" and hasattr(self, key):
            return getattr(self, key)
        return self.to_dict()[key]


@dataclass
class _CallbackState:
    """A callback query the bot has to answer."""

    user_id: int
    answer: JSON | None = None


@dataclass
class _Pending:
    """An update not yet confirmed (polling) or delivered (webhook)."""

    update: JSON
    chat_id: int


@dataclass
class _Webhook:
    """The current webhook and its delivery machinery."""

    url: str
    secret_token: str | None
    max_connections: int
    has_custom_certificate: bool
    ip_address: str | None
    semaphore: asyncio.Semaphore
    queues: dict[int, deque[int]] = field(default_factory=dict)
    workers: dict[int, asyncio.Task[None]] = field(default_factory=dict)
    last_error_date: int | None = None
    last_error_message: str | None = None


class _Pulse:
    """A broadcast signal: waiters grab :attr:`event` before checking state, then wait on it."""

    def __init__(self) -> None:
        self.event = asyncio.Event()

    def fire(self) -> None:
        """Wake everyone waiting on the current event and start a new one."""
        event, self.event = self.event, asyncio.Event()
        event.set()


async def _wait(event: asyncio.Event, timeout: float) -> None:  # noqa: ASYNC109
    """Wait for ``event`` at most ``timeout`` seconds, without raising on timeout."""
    if timeout <= 0:
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), timeout)


def _utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's entity offsets and limits."""
    return len(text.encode("utf-16-le")) // 2


def _now() -> int:
    return int(time.time())


def _random_file_id(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(48)[:64]


def _text_content(text: str) -> JSON:
    """``text`` plus the ``bot_command`` entity Telegram detects for a leading /command."""
    content: JSON = {"text": text}
    match = COMMAND_RE.match(text)
    if match:
        content["entities"] = [
            {"type": "bot_command", "offset": 0, "length": _utf16_len(match.group(0))}
        ]
    return content


def _visible_length(text: str, parse_mode: object) -> int:
    """Roughly what Telegram counts against the 4096 limit (HTML tags do not count)."""
    if str(parse_mode).lower() == "html":
        text = html.unescape(re.sub(r"<[^>]*>", "", text))
    return _utf16_len(text)


def _decode_form_value(name: str, raw: str) -> Any:
    """Undo PTB's encoding: strings travel raw, everything else as JSON text."""
    if name in STRING_PARAMS:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _decode_json_value(name: str, value: Any) -> Any:
    """A JSON-body value; nested objects may still arrive JSON-encoded as strings."""
    if isinstance(value, str) and name not in STRING_PARAMS and value[:1] in ("{", "["):
        with contextlib.suppress(ValueError):
            return json.loads(value)
    return value


def _int_param(params: JSON, name: str, default: int | None = None) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BotAPIError(400, f"Bad Request: invalid {name} specified") from None


def _bool_param(params: JSON, name: str) -> bool:
    value = params.get(name)
    if isinstance(value, str):
        return value.lower() in ("true", "1")
    return bool(value)


def _image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of an image, or ``None`` if Pillow cannot read it."""
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except Exception:
        return None


def _thumbnail(data: bytes, side: int) -> bytes | None:
    """A JPEG of at most ``side`` pixels per side, like Telegram's smaller photo sizes."""
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as source:
            image = source.convert("RGB")
            image.thumbnail((side, side))
            out = io.BytesIO()
            image.save(out, "JPEG", quality=80)
            return out.getvalue()
    except Exception:
        return None


class FakeUser:
    """A Telegram user talking to the bot in a private chat (chat id = user id).

    Every action enqueues one update and returns the ``message_id`` (or callback query id) it
    created; the bot receives it by ``getUpdates`` or on its webhook.
    """

    def __init__(
        self,
        api: FakeBotAPI,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> None:
        self.api = api
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.blocked = False
        self.chat_actions: list[str] = []
        self.chat_instance = str(secrets.randbelow(10**18) - 5 * 10**17)
        self._messages: dict[int, FakeMessage] = {}
        self._bot_log: list[FakeMessage] = []
        self._deleted: list[int] = []
        self._seen = 0
        self._next_message_id = 1
        self._pulse = _Pulse()

    # ----- identity -------------------------------------------------------------------------

    @property
    def chat_id(self) -> int:
        """The private chat's id, equal to the user id."""
        return self.id

    def as_dict(self) -> JSON:
        """The ``User`` object Telegram puts in ``from``."""
        data: JSON = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name is not None:
            data["last_name"] = self.last_name
        if self.username is not None:
            data["username"] = self.username
        if self.language_code is not None:
            data["language_code"] = self.language_code
        return data

    def chat_dict(self) -> JSON:
        """The private ``Chat`` object."""
        data: JSON = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name is not None:
            data["last_name"] = self.last_name
        if self.username is not None:
            data["username"] = self.username
        return data

    # ----- user actions ---------------------------------------------------------------------

    async def send_text(self, text: str) -> int:
        """Send a text message (a leading /command gets its ``bot_command`` entity)."""
        return self._send(_text_content(text))

    async def send_command(self, command: str) -> int:
        """Send a command such as ``/start`` or ``/start payload``."""
        if not command.startswith("/"):
            command = "/" + command
        return self._send(_text_content(command))

    async def send_photo(self, jpeg: bytes, caption: str | None = None) -> int:
        """Send a photo: ``photo`` lists sizes smallest first; the largest holds ``jpeg``."""
        return await self.send_photo_sizes(self.api.photo_sizes(jpeg), caption)

    async def send_photo_sizes(self, sizes: list[JSON], caption: str | None = None) -> int:
        """Send a photo registered once with ``api.photo_sizes`` (many sends, one encoding)."""
        content: JSON = {"photo": sizes}
        if caption is not None:
            content["caption"] = caption
        return self._send(content)

    async def send_voice(self, ogg: bytes, duration: int = 3) -> int:
        """Send a voice note (OGG/Opus)."""
        file = self.api.register_file(ogg, kind="voice", extension="oga")
        voice = {**file.as_dict(), "duration": duration, "mime_type": "audio/ogg"}
        return self._send({"voice": voice})

    async def send_document(
        self,
        data: bytes,
        file_name: str,
        mime_type: str,
        declared_size: int | None = None,
        caption: str | None = None,
    ) -> int:
        """Send a document; ``declared_size`` claims a size (e.g. 25 MB) without allocating it."""
        extension = file_name.rsplit(".", 1)[-1] if "." in file_name else "bin"
        file = self.api.register_file(
            data, kind="documents", extension=extension, declared_size=declared_size
        )
        document = {**file.as_dict(), "file_name": file_name, "mime_type": mime_type}
        content: JSON = {"document": document}
        if caption is not None:
            content["caption"] = caption
        return self._send(content)

    async def send_sticker(self, emoji: str = "👍", data: bytes | None = None) -> int:
        """Send a (static WebP) sticker."""
        payload = data if data is not None else b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00"
        file = self.api.register_file(payload, kind="stickers", extension="webp")
        sticker = {
            **file.as_dict(),
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "set_name": "FakeStickers",
        }
        return self._send({"sticker": sticker})

    async def send_location(self, lat: float, lon: float) -> int:
        """Send a location."""
        return self._send({"location": {"latitude": lat, "longitude": lon}})

    async def send_contact(
        self, phone: str, first_name: str, last_name: str | None = None, user_id: int | None = None
    ) -> int:
        """Send a contact card."""
        contact: JSON = {"phone_number": phone, "first_name": first_name}
        if last_name is not None:
            contact["last_name"] = last_name
        if user_id is not None:
            contact["user_id"] = user_id
        return self._send({"contact": contact})

    async def edit_message(self, message_id: int, new_text: str) -> int:
        """Edit one of the user's own text messages (an ``edited_message`` update)."""
        message = self._messages.get(message_id)
        if message is None or message.deleted or message.from_bot or message.text is None:
            raise AssertionError(
                f"user {self.id} has no text message #{message_id} to edit\n{self.transcript()}"
            )
        message.previous_texts.append(message.text)
        message.content = _text_content(new_text)
        message.edit_date = _now()
        self._pulse.fire()
        self.api._enqueue("edited_message", message.to_dict(), self.id)
        return message_id

    async def press(self, button: str, message: FakeMessage | int | None = None) -> str:
        """Press an inline button, found by its text or callback data.

        Looks in ``message``, else in the latest bot message with an inline keyboard. Returns the
        callback query id.
        """
        target = self._keyboard_message(message)
        found = target.find_button(button)
        if found is None:
            raise AssertionError(
                f"no button {button!r} in bot message #{target.message_id} "
                f"(buttons: {target.button_texts()})\n{self.transcript()}"
            )
        if "callback_data" not in found:
            raise AssertionError(f"button {button!r} has no callback_data: {found}")
        return self._callback(str(found["callback_data"]), target)

    async def send_raw_callback(self, data: str, message: FakeMessage | int | None = None) -> str:
        """A callback query with arbitrary (forged) data, on ``message`` or the latest bot one."""
        target: FakeMessage | None
        if message is None:
            target = next(
                (m for m in reversed(self._messages.values()) if m.from_bot and not m.deleted),
                None,
            )
        else:
            target = self._message(message)
        return self._callback(data, target)

    def block(self) -> None:
        """The user blocks the bot: sending to them fails with 403."""
        self.blocked = True

    def unblock(self) -> None:
        """The user unblocks the bot."""
        self.blocked = False

    def age_messages(self, seconds: int) -> None:
        """Move every message of the chat ``seconds`` into the past (e.g. past the 48 h)."""
        for message in self._messages.values():
            message.date -= seconds

    # ----- inspection -----------------------------------------------------------------------

    def bot_messages(self) -> list[FakeMessage]:
        """Bot messages still present in the chat, oldest first."""
        return [m for m in self._messages.values() if m.from_bot and not m.deleted]

    def visible_messages(self) -> list[FakeMessage]:
        """All messages of the chat not deleted, both sides, oldest first."""
        return [m for m in self._messages.values() if not m.deleted]

    def all_messages(self) -> list[FakeMessage]:
        """Every message of the chat, deleted ones included."""
        return list(self._messages.values())

    def deleted_ids(self) -> list[int]:
        """Ids of deleted messages, in the order they were deleted."""
        return list(self._deleted)

    def last_bot_message(self) -> FakeMessage | None:
        """The newest bot message still present."""
        present = self.bot_messages()
        return present[-1] if present else None

    def callback_answer(self, callback_id: str) -> JSON | None:
        """The ``answerCallbackQuery`` parameters for that query, or ``None`` if unanswered."""
        state = self.api._callbacks.get(callback_id)
        return state.answer if state else None

    def transcript(self) -> str:
        """The chat as text, one line per message, for assertion messages."""
        lines = [f"Transcript of chat {self.id} ({self.first_name}):"]
        for message in self._messages.values():
            who = "bot " if message.from_bot else "user"
            gone = " (deleted)" if message.deleted else ""
            lines.append(f"  #{message.message_id} {who}{gone}: {message.describe()}")
        if len(lines) == 1:
            lines.append("  (no messages)")
        return "\n".join(lines)

    # ----- waiting --------------------------------------------------------------------------

    async def wait_for_bot_message(
        self,
        predicate: Callable[[FakeMessage], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> FakeMessage:
        """The next bot message after the last one returned here (matching ``predicate``).

        Messages are taken in send order, deleted ones included; messages skipped by the
        predicate count as seen. Raises ``AssertionError`` with the transcript on timeout.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._pulse.event
            for index in range(self._seen, len(self._bot_log)):
                candidate = self._bot_log[index]
                if predicate is None or predicate(candidate):
                    self._seen = index + 1
                    return candidate
            remaining = deadline - loop.time()
            if remaining <= 0:
                what = (
                    "a bot message" if predicate is None else f"a bot message matching {predicate}"
                )
                raise AssertionError(
                    f"timed out after {timeout} s waiting for {what} in chat {self.id} "
                    f"({len(self._bot_log) - self._seen} unseen)\n{self.transcript()}"
                )
            await _wait(event, remaining)

    async def wait_until(
        self,
        condition: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> None:
        """Wait until ``condition()`` holds, re-checked whenever this chat changes."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._pulse.event
            if condition():
                return
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"timed out after {timeout} s waiting for {condition}\n{self.transcript()}"
                )
            await _wait(event, remaining)

    # ----- internals ------------------------------------------------------------------------

    def _add_message(
        self, *, from_bot: bool, content: JSON, reply_markup: JSON | None = None
    ) -> FakeMessage:
        message = FakeMessage(
            message_id=self._next_message_id,
            chat=self.chat_dict(),
            sender=self.api.bot_user() if from_bot else self.as_dict(),
            from_bot=from_bot,
            date=_now(),
            content=content,
            reply_markup=reply_markup,
        )
        self._next_message_id += 1
        self._messages[message.message_id] = message
        if from_bot:
            self._bot_log.append(message)
        self._pulse.fire()
        return message

    def _send(self, content: JSON) -> int:
        message = self._add_message(from_bot=False, content=content)
        self.api._enqueue("message", message.to_dict(), self.id)
        return message.message_id

    def _message(self, ref: FakeMessage | int) -> FakeMessage:
        message_id = ref.message_id if isinstance(ref, FakeMessage) else ref
        message = self._messages.get(message_id)
        if message is None or message.deleted:
            raise AssertionError(f"message #{message_id} is not in the chat\n{self.transcript()}")
        return message

    def _keyboard_message(self, ref: FakeMessage | int | None) -> FakeMessage:
        if ref is not None:
            return self._message(ref)
        for message in reversed(self._messages.values()):
            if message.from_bot and not message.deleted and message.inline_keyboard:
                return message
        raise AssertionError(f"no bot message with an inline keyboard\n{self.transcript()}")

    def _callback(self, data: str, message: FakeMessage | None) -> str:
        callback_id = str(secrets.randbelow(9 * 10**18) + 10**18)
        self.api._callbacks[callback_id] = _CallbackState(user_id=self.id)
        query: JSON = {
            "id": callback_id,
            "from": self.as_dict(),
            "chat_instance": self.chat_instance,
            "data": data,
        }
        if message is not None:
            query["message"] = message.to_dict()
        self.api._enqueue("callback_query", query, self.id)
        return callback_id

    def __repr__(self) -> str:
        return f"FakeUser(id={self.id}, first_name={self.first_name!r})"


class FakeBotAPI:
    """The fake Bot API server. Use ``async with FakeBotAPI() as api:`` or start()/stop()."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        *,
        bot_username: str = "grievance_test_bot",
        bot_first_name: str = "Grievance Test Bot",
        port: int = 0,
    ) -> None:
        if not TOKEN_RE.match(token):
            raise ValueError(f"not a Bot API token: {token!r}")
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.calls: list[Call] = []
        self.dropped_updates: list[JSON] = []
        self.files: dict[str, FakeFile] = {}
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.users: dict[int, FakeUser] = {}
        self._port = port
        self._files_by_path: dict[str, FakeFile] = {}
        self._file_counter = itertools.count()
        self._update_ids = itertools.count(FIRST_UPDATE_ID)
        self._pending: dict[int, _Pending] = {}
        self._fetched_max = 0
        self._allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
        self._explicit_allowed: list[str] | None = None
        self._callbacks: dict[str, _CallbackState] = {}
        self._failures: dict[str, deque[FailurePlan]] = {}
        self._stalls: dict[str, deque[StallPlan]] = {}
        self.stalled = 0
        """Calls answered late so far (the client has usually given up on them)."""
        self._webhook: _Webhook | None = None
        self._poll_generation = 0
        self._updates_pulse = _Pulse()
        self._activity_pulse = _Pulse()
        self._inflight = 0
        self._last_activity = 0.0
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._handlers: dict[str, MethodHandler] = {
            "getMe": self._get_me,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "deleteMessages": self._delete_messages,
            "answerCallbackQuery": self._answer_callback_query,
            "getFile": self._get_file,
            "sendChatAction": self._send_chat_action,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "close": self._true,
            "logOut": self._true,
        }
        # Method names are case-insensitive, as in the real Bot API.
        self._method_names = {name.lower(): name for name in [*self._handlers, "getUpdates"]}

    # ----- lifecycle ------------------------------------------------------------------------

    async def start(self) -> Self:
        """Listen on 127.0.0.1 (an ephemeral port unless one was given)."""
        if self._runner is not None:
            raise RuntimeError("FakeBotAPI already started")
        app = web.Application(client_max_size=MAX_UPLOAD_SIZE)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_file)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown_path)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind((HOST, self._port))
            site = web.SockSite(runner, sock)
            await site.start()
        except BaseException:
            sock.close()
            await runner.cleanup()
            raise
        self._port = sock.getsockname()[1]
        self._runner = runner
        self._session = aiohttp.ClientSession()
        self._closing = False
        self._last_activity = asyncio.get_running_loop().time()
        return self

    async def stop(self) -> None:
        """Stop delivering, end pending long polls and close the server."""
        self._closing = True
        self._updates_pulse.fire()
        await self._teardown_webhook()
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        if self._runner is None:
            raise RuntimeError("FakeBotAPI is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """What to pass to ``ApplicationBuilder.base_url``: ``http://127.0.0.1:PORT/bot``."""
        return f"http://{HOST}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """What to pass to ``ApplicationBuilder.base_file_url``."""
        return f"http://{HOST}:{self.port}/file/bot"

    # ----- test-facing helpers --------------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> FakeUser:
        """The user with that id (created on first use) in a private chat with the bot."""
        existing = self.users.get(user_id)
        if existing is not None:
            return existing
        created = FakeUser(self, user_id, first_name, last_name, username, language_code)
        self.users[user_id] = created
        return created

    def photo_sizes(self, jpeg: bytes) -> list[JSON]:
        """Register ``jpeg`` and its thumbnails as Telegram does: sizes smallest first."""
        sizes: list[JSON] = []
        dims = _image_size(jpeg)
        width, height = dims or (1280, 960)
        for side in (90, 320, 800):
            if dims is None or max(width, height) <= side:
                continue
            small = _thumbnail(jpeg, side)
            if small is None:
                continue
            small_dims = _image_size(small) or (side, side)
            thumb = self.register_file(small, kind="photos", extension="jpg")
            sizes.append({**thumb.as_dict(), "width": small_dims[0], "height": small_dims[1]})
        full = self.register_file(jpeg, kind="photos", extension="jpg")
        sizes.append({**full.as_dict(), "width": width, "height": height})
        return sizes

    def bot_user(self) -> JSON:
        """The bot's ``User`` object, as in ``from`` of its messages."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def register_file(
        self,
        data: bytes,
        *,
        kind: str = "documents",
        extension: str = "bin",
        declared_size: int | None = None,
    ) -> FakeFile:
        """Store bytes under a fresh ``file_id``; ``declared_size`` overrides the reported size."""
        number = next(self._file_counter)
        file = FakeFile(
            file_id=_random_file_id("BQACAgIAAxkBAAI"),
            file_unique_id="AgAD" + secrets.token_urlsafe(9)[:12],
            file_path=f"{kind}/file_{number}.{extension}",
            data=data,
            size=declared_size if declared_size is not None else len(data),
        )
        self.files[file.file_id] = file
        self._files_by_path[file.file_path] = file
        return file

    def flood(self, method: str, times: int = 1, retry_after: float = 1) -> None:
        """The next ``times`` calls of ``method`` answer 429 with ``retry_after`` seconds.

        Telegram always names whole seconds; a fraction keeps a test's waits short.
        """
        self.fail(
            method,
            times,
            429,
            f"Too Many Requests: retry after {retry_after}",
            parameters={"retry_after": retry_after},
        )

    def fail(
        self,
        method: str,
        times: int,
        error_code: int,
        description: str,
        parameters: JSON | None = None,
    ) -> None:
        """The next ``times`` calls of ``method`` fail with that error (e.g. 500, 403)."""
        plans = self._failures.setdefault(method.lower(), deque())
        plans.extend([FailurePlan(error_code, description, parameters)] * times)

    def stall(
        self, method: str, times: int = 1, seconds: float = 1.0, *, carry_out: bool = True
    ) -> None:
        """The next ``times`` calls of ``method`` answer only after ``seconds``.

        With ``carry_out`` the call takes effect at once (a message lands in the chat) and only
        its answer is late, as when Telegram's answer is lost on the way back: a client that
        times out and sends again makes a second copy. Without it, nothing happens at all.
        """
        plans = self._stalls.setdefault(method.lower(), deque())
        plans.extend([StallPlan(seconds, carry_out)] * times)

    def clear_faults(self) -> None:
        """Forget every failure and stall not yet used up."""
        self._failures.clear()
        self._stalls.clear()

    def add_method(self, name: str, handler: MethodHandler) -> None:
        """Serve an extra method; ``handler(params)`` returns the result or raises BotAPIError."""
        self._handlers[name] = handler
        self._method_names[name.lower()] = name

    def calls_for(self, method: str) -> list[JSON]:
        """Parameters of every call of ``method``, in order."""
        return [call.params for call in self.calls if call.method == method]

    def method_names(self) -> list[str]:
        """The sequence of methods called, getUpdates left out."""
        return [call.method for call in self.calls if call.method != "getUpdates"]

    def commands_for(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        """The commands set for ``scope`` (default scope if ``None``) and language."""
        return list(self.commands.get(self._commands_key(scope, language_code), []))

    @property
    def webhook_url(self) -> str | None:
        """The webhook currently set, if any."""
        return self._webhook.url if self._webhook else None

    @property
    def pending_update_count(self) -> int:
        """Updates not yet confirmed by getUpdates or delivered to the webhook."""
        return len(self._pending)

    async def wait_idle(self, timeout: float = 5.0, quiet: float = 0.05) -> None:  # noqa: ASYNC109
        """Wait until every queued update was fetched (or delivered to the webhook), no bot
        request is in flight and none arrived for ``quiet`` seconds.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._activity_pulse.event
            now = loop.time()
            busy = self._busy_reason()
            if busy is None:
                remaining_quiet = self._last_activity + quiet - now
                if remaining_quiet <= 0:
                    return
                wait_for = remaining_quiet
            else:
                wait_for = deadline - now
            if now >= deadline:
                raise AssertionError(f"bot not idle after {timeout} s: {busy or 'still active'}")
            await _wait(event, min(wait_for, deadline - now))

    async def wait_until(
        self,
        condition: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> None:
        """Wait until ``condition()`` holds, re-checked on every request, update or delivery."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._activity_pulse.event
            if condition():
                return
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"timed out after {timeout} s waiting for {condition}")
            await _wait(event, remaining)

    # ----- updates --------------------------------------------------------------------------

    def _enqueue(self, kind: str, payload: JSON, chat_id: int) -> int:
        update_id = next(self._update_ids)
        update = {"update_id": update_id, kind: payload}
        if kind not in self._allowed_updates:
            self.dropped_updates.append(update)
            return update_id
        self._pending[update_id] = _Pending(update, chat_id)
        if self._webhook is not None:
            self._schedule_delivery(self._webhook, update_id)
        self._mark_activity()
        self._updates_pulse.fire()
        return update_id

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            keep = -offset
            while len(self._pending) > keep:
                del self._pending[next(iter(self._pending))]
            return
        while self._pending:
            first = next(iter(self._pending))
            if first >= offset:
                break
            del self._pending[first]

    def _set_allowed_updates(self, allowed: Any) -> None:
        if not isinstance(allowed, list):
            raise BotAPIError(400, "Bad Request: can't parse allowed updates")
        self._explicit_allowed = [str(kind) for kind in allowed]
        known = frozenset(self._explicit_allowed) & frozenset(ALL_UPDATE_TYPES)
        self._allowed_updates = known or DEFAULT_UPDATE_TYPES

    def _busy_reason(self) -> str | None:
        if self._webhook is not None:
            if self._pending:
                return f"{len(self._pending)} update(s) not delivered to the webhook"
        else:
            unfetched = sum(1 for update_id in self._pending if update_id > self._fetched_max)
            if unfetched:
                return f"{unfetched} update(s) not fetched by getUpdates"
        if self._inflight:
            return f"{self._inflight} bot request(s) in flight"
        return None

    def _mark_activity(self) -> None:
        self._last_activity = asyncio.get_running_loop().time()
        self._activity_pulse.fire()

    async def _get_updates(self, params: JSON, request: web.Request) -> list[JSON]:
        if self._webhook is not None:
            raise BotAPIError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = _int_param(params, "offset", 0) or 0
        limit = min(max(_int_param(params, "limit", 100) or 100, 1), 100)
        try:
            timeout = max(float(params.get("timeout") or 0), 0.0)
        except (TypeError, ValueError):
            raise BotAPIError(400, "Bad Request: invalid timeout specified") from None
        if "allowed_updates" in params:
            self._set_allowed_updates(params["allowed_updates"])
        self._poll_generation += 1
        generation = self._poll_generation
        self._updates_pulse.fire()  # a newer getUpdates ends any older one with 409
        self._confirm(offset)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._updates_pulse.event
            if self._closing:
                return []
            if self._webhook is not None:
                raise BotAPIError(409, "Conflict: terminated by setWebhook request")
            if generation != self._poll_generation:
                raise BotAPIError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            if self._pending:
                if request.transport is None or request.transport.is_closing():
                    return []  # the client gave up; keep the updates for its next call
                batch = [
                    pending.update for pending in itertools.islice(self._pending.values(), limit)
                ]
                self._fetched_max = max(self._fetched_max, batch[-1]["update_id"])
                self._mark_activity()
                return batch
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            await _wait(event, remaining)

    # ----- webhook --------------------------------------------------------------------------

    def _schedule_delivery(self, webhook: _Webhook, update_id: int) -> None:
        chat_id = self._pending[update_id].chat_id
        webhook.queues.setdefault(chat_id, deque()).append(update_id)
        if chat_id not in webhook.workers:
            webhook.workers[chat_id] = asyncio.get_running_loop().create_task(
                self._deliver_chat(webhook, chat_id), name=f"FakeBotAPI webhook chat {chat_id}"
            )

    async def _deliver_chat(self, webhook: _Webhook, chat_id: int) -> None:
        """Deliver one chat's updates in order; chats are delivered concurrently."""
        queue = webhook.queues[chat_id]
        try:
            while queue:
                update_id = queue[0]
                pending = self._pending.get(update_id)
                if pending is not None:
                    await self._deliver_until_accepted(webhook, pending.update)
                    self._pending.pop(update_id, None)
                    self._mark_activity()
                queue.popleft()
        finally:
            if webhook.workers.get(chat_id) is asyncio.current_task():
                del webhook.workers[chat_id]
                if not queue:
                    webhook.queues.pop(chat_id, None)

    async def _deliver_until_accepted(self, webhook: _Webhook, update: JSON) -> None:
        delay = 0.05
        while True:
            async with webhook.semaphore:
                error = await self._post_update(webhook, update)
            if error is None:
                return
            webhook.last_error_date = _now()
            webhook.last_error_message = error
            self._mark_activity()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)

    async def _post_update(self, webhook: _Webhook, update: JSON) -> str | None:
        """POST one update; ``None`` on a 2xx answer, else Telegram's error text."""
        assert self._session is not None
        headers = {"Content-Type": "application/json"}
        if webhook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = webhook.secret_token
        try:
            async with self._session.post(
                webhook.url,
                data=json.dumps(update),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=10),
            ) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return None
                return f"Wrong response from the webhook: {response.status} {response.reason}"
        except TimeoutError:
            return "Connection timed out"
        except aiohttp.ClientError as exc:
            return f"Connection refused: {exc}"

    async def _teardown_webhook(self) -> None:
        webhook, self._webhook = self._webhook, None
        if webhook is None:
            return
        tasks = list(webhook.workers.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        webhook.workers.clear()
        webhook.queues.clear()
        self._updates_pulse.fire()

    # ----- HTTP -----------------------------------------------------------------------------

    @staticmethod
    def _json(payload: JSON, status: int = 200) -> web.Response:
        return web.json_response(payload, status=status)

    def _error(self, error: BotAPIError) -> web.Response:
        return self._json(error.payload(), status=error.error_code)

    def _check_token(self, token: str) -> None:
        if not TOKEN_RE.match(token):
            raise BotAPIError(404, "Not Found")
        if token != self.token:
            raise BotAPIError(401, "Unauthorized")

    async def _read_params(self, request: web.Request) -> JSON:
        params: JSON = {k: _decode_form_value(k, v) for k, v in request.query.items()}
        content_type = request.content_type
        if content_type == "application/json":
            raw = await request.read()
            if raw.strip():
                try:
                    body = json.loads(raw)
                except ValueError:
                    raise BotAPIError(400, "Bad Request: can't parse JSON object") from None
                if not isinstance(body, dict):
                    raise BotAPIError(400, "Bad Request: JSON object expected")
                params.update({k: _decode_json_value(k, v) for k, v in body.items()})
        elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    params[key] = UploadedFile(
                        value.filename, value.content_type, value.file.read()
                    )
                else:
                    params[key] = _decode_form_value(key, str(value))
        return params

    async def _handle_method(self, request: web.Request) -> web.Response:
        try:
            self._check_token(request.match_info["token"])
        except BotAPIError as error:
            return self._error(error)
        requested = request.match_info["method"]
        name = self._method_names.get(requested.lower(), requested)
        is_poll = name == "getUpdates"
        if not is_poll:
            self._inflight += 1
            self._mark_activity()
        try:
            try:
                params = await self._read_params(request)
            except BotAPIError as error:
                self.calls.append(Call(name, {}))
                return self._error(error)
            self.calls.append(Call(name, params))
            plans = self._failures.get(name.lower())
            if plans:
                plan = plans.popleft()
                return self._error(BotAPIError(plan.error_code, plan.description, plan.parameters))
            handler = self._handlers.get(name)
            if handler is None and not is_poll:
                return self._error(BotAPIError(404, "Not Found"))
            stalls = self._stalls.get(name.lower())
            stall = stalls.popleft() if stalls else None
            if stall is not None and not stall.carry_out:
                self.stalled += 1
                await asyncio.sleep(stall.seconds)
                return self._error(BotAPIError(504, "Gateway Timeout"))
            try:
                if handler is None:
                    result = await self._get_updates(params, request)
                else:
                    result = await handler(params)
            except BotAPIError as error:
                return self._error(error)
            if stall is not None:
                self.stalled += 1
                await asyncio.sleep(stall.seconds)
            return self._json({"ok": True, "result": result})
        finally:
            if not is_poll:
                self._inflight -= 1
                self._mark_activity()

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        try:
            self._check_token(request.match_info["token"])
        except BotAPIError as error:
            return self._error(error)
        file = self._files_by_path.get(request.match_info["file_path"])
        self._mark_activity()
        if file is None:
            return self._error(BotAPIError(404, "Not Found"))
        return web.Response(body=file.data, content_type="application/octet-stream")

    async def _handle_unknown_path(self, request: web.Request) -> web.Response:
        return self._error(BotAPIError(404, "Not Found"))

    # ----- methods --------------------------------------------------------------------------

    def _chat(self, params: JSON, *, sending: bool = False) -> FakeUser:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise BotAPIError(400, "Bad Request: chat_id is empty")
        try:
            chat_id = int(raw)
        except (TypeError, ValueError):
            raise BotAPIError(400, "Bad Request: chat not found") from None
        user = self.users.get(chat_id)
        if user is None:
            raise BotAPIError(400, "Bad Request: chat not found")
        if sending and user.blocked:
            raise BotAPIError(403, "Forbidden: bot was blocked by the user")
        return user

    @staticmethod
    def _check_text(params: JSON) -> str:
        text = params.get("text")
        if text is None or not str(text).strip():
            raise BotAPIError(400, "Bad Request: message text is empty")
        text = str(text)
        if _visible_length(text, params.get("parse_mode")) > MAX_TEXT_LENGTH:
            raise BotAPIError(400, "Bad Request: message is too long")
        return text

    @staticmethod
    def _check_markup(markup: Any, *, inline_only: bool = False) -> JSON | None:
        if markup is None or markup == "":
            return None
        if not isinstance(markup, dict):
            raise BotAPIError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in markup:
            if inline_only:
                raise BotAPIError(400, "Bad Request: inline keyboard expected")
            return markup
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise BotAPIError(400, "Bad Request: can't parse inline keyboard button")
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not button.get("text"):
                    raise BotAPIError(400, "Bad Request: can't parse inline keyboard button")
                actions = BUTTON_ACTIONS & button.keys()
                if len(actions) != 1:
                    raise BotAPIError(
                        400, "Bad Request: text buttons are unallowed in the inline keyboard"
                    )
                if "callback_data" in button:
                    data = str(button["callback_data"]).encode()
                    if not 1 <= len(data) <= MAX_CALLBACK_DATA_BYTES:
                        raise BotAPIError(400, "Bad Request: BUTTON_DATA_INVALID")
        return markup

    @staticmethod
    def _commands_key(scope: Any, language_code: Any) -> tuple[str, str]:
        scope = scope or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(language_code or "")

    async def _true(self, params: JSON) -> bool:
        return True

    async def _get_me(self, params: JSON) -> JSON:
        return {
            **self.bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _set_webhook(self, params: JSON) -> bool:
        url = str(params.get("url") or "")
        if not url:
            return await self._delete_webhook(params)
        if not url.startswith(("http://", "https://")):
            raise BotAPIError(400, "Bad Request: bad webhook: An HTTPS URL must be provided")
        secret = params.get("secret_token")
        if secret is not None and not SECRET_TOKEN_RE.match(str(secret)):
            raise BotAPIError(400, "Bad Request: secret token contains unallowed characters")
        max_connections = _int_param(params, "max_connections", 40) or 40
        if not 1 <= max_connections <= 100:
            raise BotAPIError(400, "Bad Request: bad webhook: max_connections must be 1-100")
        if "allowed_updates" in params:
            self._set_allowed_updates(params["allowed_updates"])
        await self._teardown_webhook()
        if _bool_param(params, "drop_pending_updates"):
            self._pending.clear()
        webhook = _Webhook(
            url=url,
            secret_token=str(secret) if secret else None,
            max_connections=max_connections,
            has_custom_certificate=isinstance(params.get("certificate"), UploadedFile),
            ip_address=params.get("ip_address"),
            semaphore=asyncio.Semaphore(max_connections),
        )
        self._webhook = webhook
        for update_id in list(self._pending):
            self._schedule_delivery(webhook, update_id)
        self._updates_pulse.fire()  # a long poll in progress now ends with 409
        return True

    async def _delete_webhook(self, params: JSON) -> bool:
        await self._teardown_webhook()
        if _bool_param(params, "drop_pending_updates"):
            self._pending.clear()
        return True

    async def _get_webhook_info(self, params: JSON) -> JSON:
        webhook = self._webhook
        info: JSON = {
            "url": webhook.url if webhook else "",
            "has_custom_certificate": bool(webhook and webhook.has_custom_certificate),
            "pending_update_count": len(self._pending),
        }
        if webhook is not None:
            info["max_connections"] = webhook.max_connections
            if webhook.ip_address:
                info["ip_address"] = webhook.ip_address
            if webhook.last_error_date is not None:
                info["last_error_date"] = webhook.last_error_date
                info["last_error_message"] = webhook.last_error_message
            if self._explicit_allowed is not None:
                info["allowed_updates"] = self._explicit_allowed
        return info

    async def _send_message(self, params: JSON) -> JSON:
        user = self._chat(params, sending=True)
        text = self._check_text(params)
        markup = self._check_markup(params.get("reply_markup"))
        message = user._add_message(from_bot=True, content={"text": text}, reply_markup=markup)
        return message.to_dict()

    def _editable(self, params: JSON) -> tuple[FakeUser, FakeMessage]:
        if params.get("inline_message_id"):
            raise BotAPIError(400, "Bad Request: message to edit not found")
        user = self._chat(params)
        message_id = _int_param(params, "message_id", 0)
        if not message_id:
            raise BotAPIError(400, "Bad Request: message identifier is not specified")
        message = user._messages.get(message_id)
        if message is None or message.deleted:
            raise BotAPIError(400, "Bad Request: message to edit not found")
        if not message.from_bot:
            raise BotAPIError(400, "Bad Request: message can't be edited")
        return user, message

    async def _edit_message_text(self, params: JSON) -> JSON:
        user, message = self._editable(params)
        if message.text is None:
            raise BotAPIError(400, "Bad Request: there is no text in the message to edit")
        text = self._check_text(params)
        markup = self._check_markup(params.get("reply_markup"), inline_only=True)
        if text == message.text and markup == (
            {"inline_keyboard": message.inline_keyboard} if message.inline_keyboard else None
        ):
            raise BotAPIError(400, MESSAGE_NOT_MODIFIED)
        message.previous_texts.append(message.text)
        message.content = {"text": text}
        message.reply_markup = markup  # no reply_markup in the edit removes the keyboard
        message.edit_date = _now()
        user._pulse.fire()
        return message.to_dict()

    async def _edit_message_reply_markup(self, params: JSON) -> JSON:
        user, message = self._editable(params)
        markup = self._check_markup(params.get("reply_markup"), inline_only=True)
        current = {"inline_keyboard": message.inline_keyboard} if message.inline_keyboard else None
        if markup == current:
            raise BotAPIError(400, MESSAGE_NOT_MODIFIED)
        message.reply_markup = markup
        message.edit_date = _now()
        user._pulse.fire()
        return message.to_dict()

    @staticmethod
    def _deletable(message: FakeMessage) -> bool:
        return _now() - message.date < DELETE_WINDOW_SECONDS

    @staticmethod
    def _mark_deleted(user: FakeUser, messages: Iterable[FakeMessage]) -> None:
        for message in messages:
            message.deleted = True
            user._deleted.append(message.message_id)
        user._pulse.fire()

    async def _delete_message(self, params: JSON) -> bool:
        user = self._chat(params)
        message_id = _int_param(params, "message_id", 0)
        message = user._messages.get(message_id or 0)
        if message is None or message.deleted:
            raise BotAPIError(400, "Bad Request: message to delete not found")
        if not self._deletable(message):
            raise BotAPIError(400, "Bad Request: message can't be deleted for everyone")
        self._mark_deleted(user, [message])
        return True

    async def _delete_messages(self, params: JSON) -> bool:
        ids = params.get("message_ids")
        if not ids:
            raise BotAPIError(400, "Bad Request: message identifiers are not specified")
        if not isinstance(ids, list):
            raise BotAPIError(400, "Bad Request: expected an Array of message identifiers")
        if len(ids) > 100:
            raise BotAPIError(400, "Bad Request: too many message identifiers specified")
        if not all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in ids):
            raise BotAPIError(400, "Bad Request: invalid message identifier specified")
        user = self._chat(params)
        # Like Telegram: identifiers of missing or already deleted messages are skipped.
        found = [user._messages[i] for i in dict.fromkeys(ids) if i in user._messages]
        found = [m for m in found if not m.deleted]
        if not all(self._deletable(m) for m in found):
            raise BotAPIError(400, "Bad Request: message can't be deleted")
        self._mark_deleted(user, found)
        return True

    async def _answer_callback_query(self, params: JSON) -> bool:
        callback_id = str(params.get("callback_query_id") or "")
        state = self._callbacks.get(callback_id)
        if state is None or state.answer is not None:
            raise BotAPIError(400, QUERY_ID_INVALID)
        text = params.get("text")
        if text is not None and _utf16_len(str(text)) > MAX_CALLBACK_ANSWER_LENGTH:
            raise BotAPIError(400, "Bad Request: MESSAGE_TOO_LONG")
        state.answer = dict(params)
        user = self.users.get(state.user_id)
        if user is not None:
            user._pulse.fire()
        return True

    async def _get_file(self, params: JSON) -> JSON:
        file = self.files.get(str(params.get("file_id") or ""))
        if file is None:
            raise BotAPIError(400, "Bad Request: invalid file_id")
        if file.size > MAX_DOWNLOAD_SIZE:
            raise BotAPIError(400, "Bad Request: file is too big")
        return {**file.as_dict(), "file_path": file.file_path}

    async def _send_chat_action(self, params: JSON) -> bool:
        user = self._chat(params, sending=True)
        action = params.get("action")
        if action not in CHAT_ACTIONS:
            raise BotAPIError(400, "Bad Request: wrong parameter action in request")
        user.chat_actions.append(str(action))
        return True

    async def _set_my_commands(self, params: JSON) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise BotAPIError(400, "Bad Request: can't parse commands JSON object")
        if len(commands) > 100:
            raise BotAPIError(400, "Bad Request: too many commands specified")
        for command in commands:
            if not isinstance(command, dict):
                raise BotAPIError(400, "Bad Request: can't parse BotCommand")
            if not BOT_COMMAND_NAME_RE.match(str(command.get("command", "")).lstrip("/")):
                raise BotAPIError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise BotAPIError(400, "Bad Request: command description must be non-empty")
        key = self._commands_key(params.get("scope"), params.get("language_code"))
        self.commands[key] = [
            {"command": str(c["command"]).lstrip("/"), "description": str(c["description"])}
            for c in commands
        ]
        return True

    async def _get_my_commands(self, params: JSON) -> list[JSON]:
        key = self._commands_key(params.get("scope"), params.get("language_code"))
        return list(self.commands.get(key, []))

    async def _delete_my_commands(self, params: JSON) -> bool:
        key = self._commands_key(params.get("scope"), params.get("language_code"))
        self.commands.pop(key, None)
        return True
