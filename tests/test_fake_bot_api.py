"""The fake Bot API lets the real PTB ``Application`` run over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import hashlib
import io
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from fake_bot_api import FakeBotAPI, UploadedFile
from PIL import Image
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Conflict, EndPointNotFound, Forbidden, InvalidToken
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

App = Application[Any, Any, Any, Any, Any, Any]
TOKEN = "123456:TEST-TOKEN"
SECRET = "s3cr3t-Token_ok"
KEYBOARD = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("Yes", callback_data="answer:yes"),
            InlineKeyboardButton("No", callback_data="answer:no"),
        ]
    ]
)


# ----- a tiny echo/button bot ----------------------------------------------------------------


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet with a Yes/No keyboard."""
    assert update.effective_message is not None
    await update.effective_message.reply_text("Welcome! Continue?", reply_markup=KEYBOARD)


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Echo the text back."""
    assert update.effective_message is not None
    await update.effective_message.reply_text(f"echo: {update.effective_message.text}")


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the press and replace the keyboard message with the choice."""
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.answer("Noted")
    await query.edit_message_text(f"You chose {query.data.split(':', 1)[1]}")


async def on_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Download the largest photo size and report its hash."""
    message = update.effective_message
    assert message is not None
    file = await message.photo[-1].get_file()
    data = bytes(await file.download_as_bytearray())
    context.bot_data.setdefault("photos", []).append(data)
    await message.reply_text(f"photo {hashlib.sha256(data).hexdigest()}")


def build_app(
    api: FakeBotAPI, *, rate_limiter: AIORateLimiter | None = None, updater: bool = True
) -> App:
    """The bot, pointed at the fake server."""
    builder: Any = (
        ApplicationBuilder()
        .token(api.token)
        .base_url(api.base_url)
        .base_file_url(api.base_file_url)
    )
    if rate_limiter is not None:
        builder = builder.rate_limiter(rate_limiter)
    if not updater:
        builder = builder.updater(None)
    app: App = builder.build()
    app.add_handler(CommandHandler("start", on_start))
    app.add_handler(MessageHandler(filters.PHOTO, on_photo))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    app.add_handler(CallbackQueryHandler(on_button))
    return app


@contextlib.asynccontextmanager
async def polling(app: App) -> AsyncIterator[App]:
    """Run ``app`` in polling mode and shut it down cleanly afterwards."""
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1, bootstrap_retries=0)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


def plain_bot(api: FakeBotAPI, token: str | None = None) -> Bot:
    """A bare PTB ``Bot`` talking to the fake server."""
    return Bot(token or api.token, base_url=api.base_url, base_file_url=api.base_file_url)


def jpeg(width: int = 1000, height: int = 750) -> bytes:
    """A real JPEG image."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    """A started fake server; afterwards, no task may be left running."""
    async with FakeBotAPI(token=TOKEN) as server:
        yield server
    current = asyncio.current_task()
    leftover = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
    assert not leftover, f"tasks left running: {leftover}"


# ----- tests ---------------------------------------------------------------------------------


async def test_polling_round_trip_of_text_and_button(api: FakeBotAPI) -> None:
    async with polling(build_app(api)):
        ana = api.user(1001, "Ana", last_name="Lima", username="ana_l", language_code="pt-br")
        assert await ana.send_command("/start") == 1
        welcome = await ana.wait_for_bot_message()
        assert (welcome.message_id, welcome.text) == (2, "Welcome! Continue?")
        assert welcome.button_texts() == ["Yes", "No"]

        assert await ana.send_text("hello") == 3
        echo = await ana.wait_for_bot_message()
        assert (echo.message_id, echo.text) == (4, "echo: hello")

        callback_id = await ana.press("Yes")
        await api.wait_idle()

    assert api.calls_for("answerCallbackQuery") == [
        {"callback_query_id": callback_id, "text": "Noted"}
    ]
    assert ana.callback_answer(callback_id) == {"callback_query_id": callback_id, "text": "Noted"}
    [edit] = api.calls_for("editMessageText")
    assert (edit["chat_id"], edit["message_id"]) == (1001, welcome.message_id)
    assert welcome.text == "You chose yes"
    assert welcome.inline_keyboard is None  # an edit without reply_markup drops the keyboard
    assert welcome.previous_texts == ["Welcome! Continue?"]
    assert [m.message_id for m in ana.visible_messages()] == [1, 2, 3, 4]
    assert ana.deleted_ids() == []

    # What PTB put on the wire, decoded: ints stay ints, the keyboard is a nested object.
    first_send = api.calls_for("sendMessage")[0]
    assert first_send == {
        "chat_id": 1001,
        "text": "Welcome! Continue?",
        "reply_markup": {
            "inline_keyboard": [
                [
                    {"text": "Yes", "callback_data": "answer:yes"},
                    {"text": "No", "callback_data": "answer:no"},
                ]
            ]
        },
    }
    assert api.method_names() == [
        "getMe",
        "deleteWebhook",
        "sendMessage",
        "sendMessage",
        "answerCallbackQuery",
        "editMessageText",
    ]


async def test_every_kind_of_user_message_parses_in_ptb(api: FakeBotAPI) -> None:
    user = api.user(2002, "Bo", last_name="Chen", username="bo_c", language_code="zh-hans")
    image = jpeg()
    text_id = await user.send_text("hi 123")
    await user.send_command("/start abc")
    await user.send_photo(image, caption="the wall")
    await user.send_voice(b"OggS\x00\x02fake-opus", duration=4)
    await user.send_document(
        b"%PDF-1.4 tiny", "payslip.pdf", "application/pdf", declared_size=25 * 1024 * 1024
    )
    await user.send_sticker()
    await user.send_location(10.762622, 106.660172)
    await user.send_contact("+84 123 456 789", "Lan")
    await user.edit_message(text_id, "hi edited")

    async with plain_bot(api) as bot:
        menu = await bot.send_message(user.chat_id, "Pick", reply_markup=KEYBOARD)
        pressed = await user.press("answer:no")  # by callback data this time
        forged = await user.send_raw_callback("../../admin?drop=1")
        updates = await bot.get_updates(timeout=0)

        assert [u.update_id for u in updates] == sorted({u.update_id for u in updates})
        assert len(updates) == 11
        text, command, photo, voice, document, sticker, location, contact = (
            u.message for u in updates[:8]
        )
        edited, press, forge = updates[8].edited_message, updates[9], updates[10]
        for message in (text, command, photo, voice, document, sticker, location, contact):
            assert message is not None
            assert message.chat.id == 2002 and message.chat.type == "private"
            assert message.from_user is not None
            assert message.from_user.to_dict() == {
                "id": 2002,
                "is_bot": False,
                "first_name": "Bo",
                "last_name": "Chen",
                "username": "bo_c",
                "language_code": "zh-hans",
            }
            age = dtm.datetime.now(dtm.UTC) - message.date
            assert dtm.timedelta(0) <= age < dtm.timedelta(minutes=1)
        assert [u.message.message_id for u in updates[:8] if u.message] == list(range(1, 9))
        assert menu.message_id == 9  # one counter per chat, shared by both sides

        assert text is not None and text.text == "hi 123" and not text.entities
        assert command is not None and command.text == "/start abc"
        assert command.entities[0].type == "bot_command" and command.entities[0].length == 6
        assert photo is not None and photo.caption == "the wall"
        assert [(p.width, p.height) for p in photo.photo] == [
            (90, 68),
            (320, 240),
            (800, 600),
            (1000, 750),
        ]
        assert photo.photo[-1].file_size == len(image)
        assert voice is not None and voice.voice is not None
        assert voice.voice.to_dict()["duration"] == 4
        assert voice.voice.mime_type == "audio/ogg"
        assert document is not None and document.document is not None
        assert document.document.file_name == "payslip.pdf"
        assert document.document.file_size == 25 * 1024 * 1024
        assert sticker is not None and sticker.sticker is not None
        assert sticker.sticker.emoji == "👍"
        assert location is not None and location.location is not None
        assert location.location.latitude == pytest.approx(10.762622)
        assert contact is not None and contact.contact is not None
        assert contact.contact.phone_number == "+84 123 456 789"
        assert edited is not None and edited.text == "hi edited"
        assert edited.message_id == text_id and edited.edit_date is not None
        assert press.callback_query is not None and press.callback_query.id == pressed
        assert press.callback_query.data == "answer:no"
        assert press.callback_query.message is not None
        assert press.callback_query.message.message_id == menu.message_id
        assert forge.callback_query is not None and forge.callback_query.id == forged
        assert forge.callback_query.data == "../../admin?drop=1"

        # Like Telegram, getFile refuses files over 20 MB.
        with pytest.raises(BadRequest, match="File is too big"):
            await bot.get_file(document.document.file_id)


async def test_photo_download_returns_the_same_bytes(api: FakeBotAPI) -> None:
    image = jpeg(640, 480)
    app = build_app(api)
    async with polling(app):
        user = api.user(3003, "Chi")
        await user.send_photo(image)
        reply = await user.wait_for_bot_message()
    assert reply.text == f"photo {hashlib.sha256(image).hexdigest()}"
    assert app.bot_data["photos"] == [image]
    [photo_message] = [m for m in user.visible_messages() if m.kind == "photo"]
    [get_file] = api.calls_for("getFile")
    assert get_file == {"file_id": photo_message.content["photo"][-1]["file_id"]}


async def test_delete_message_and_messages_behave_like_telegram(api: FakeBotAPI) -> None:
    user = api.user(4004, "Dana")
    secret_id = await user.send_text("my secret")
    async with plain_bot(api) as bot:
        one = await bot.send_message(user.chat_id, "one")
        two = await bot.send_message(user.chat_id, "two")
        three = await bot.send_message(user.chat_id, "three")

        assert await bot.delete_message(user.chat_id, one.message_id) is True
        with pytest.raises(BadRequest, match=r"^Message to delete not found$"):
            await bot.delete_message(user.chat_id, one.message_id)

        # A bot may delete the user's messages too; unknown identifiers are skipped.
        assert await bot.delete_messages(user.chat_id, [secret_id, two.message_id, 999]) is True
        assert user.deleted_ids() == [one.message_id, secret_id, two.message_id]
        assert [m.text for m in user.visible_messages()] == ["three"]
        assert [m.text for m in user.bot_messages()] == ["three"]

        # deleteMessages skips messages already gone (no error), deleteMessage does not.
        assert await bot.delete_messages(user.chat_id, [secret_id, two.message_id]) is True
        assert user.deleted_ids() == [one.message_id, secret_id, two.message_id]
        with pytest.raises(BadRequest, match="Message to delete not found"):
            await bot.delete_message(user.chat_id, two.message_id)
        with pytest.raises(BadRequest, match="Message to edit not found"):
            await bot.edit_message_text("again", chat_id=user.chat_id, message_id=one.message_id)

        # Past 48 hours a private-chat message can no longer be deleted.
        user.age_messages(49 * 3600)
        with pytest.raises(BadRequest, match="can't be deleted"):
            await bot.delete_message(user.chat_id, three.message_id)
        assert [m.text for m in user.visible_messages()] == ["three"]


# PTB's own RetryAfter.__init__ reads its deprecated int-valued `retry_after`.
@pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")
async def test_flood_429_is_retried_by_the_aio_rate_limiter(api: FakeBotAPI) -> None:
    api.flood("sendMessage", times=1, retry_after=1)
    app = build_app(api, rate_limiter=AIORateLimiter(max_retries=2))
    loop = asyncio.get_running_loop()
    async with polling(app):
        user = api.user(5005, "Eli")
        await user.send_text("hi")
        started = loop.time()
        reply = await user.wait_for_bot_message(timeout=5)
        waited = loop.time() - started
    assert reply.text == "echo: hi"
    assert waited >= 1.0  # PTB slept retry_after (+0.1 s) before retrying
    assert len(api.calls_for("sendMessage")) == 2  # the refused call, then the retry
    assert [m.text for m in user.bot_messages()] == ["echo: hi"]


async def test_flood_error_body_is_telegrams(api: FakeBotAPI) -> None:
    api.flood("getMe", times=1, retry_after=7)
    async with aiohttp.ClientSession() as http:
        response = await http.post(f"{api.base_url}{api.token}/getMe")
        assert response.status == 429
        assert await response.json() == {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 7",
            "parameters": {"retry_after": 7},
        }
        response = await http.get(f"{api.base_url}{api.token}/getMe")
        assert response.status == 200
        body = await response.json()
        assert body["ok"] is True and body["result"]["id"] == 123456


def _listening_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


async def test_webhook_mode_delivers_updates_with_the_secret(api: FakeBotAPI) -> None:
    app = build_app(api, updater=False)
    refused: list[str | None] = []

    async def hook(request: web.Request) -> web.Response:
        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token")
        if secret != SECRET:
            refused.append(secret)
            return web.Response(status=403)
        await app.update_queue.put(Update.de_json(await request.json(), app.bot))
        return web.Response()

    hook_app = web.Application()
    hook_app.router.add_post("/hook", hook)
    runner = web.AppRunner(hook_app)
    await runner.setup()
    sock = _listening_socket()
    await web.SockSite(runner, sock).start()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
    try:
        async with app:
            await app.start()
            try:
                assert await app.bot.set_webhook(url, secret_token="wrong-secret")
                user = api.user(6006, "Fern")
                await user.send_text("via webhook")

                # The hook refuses the wrong secret; Telegram keeps the update and says why.
                await api.wait_until(lambda: bool(refused))
                info = await app.bot.get_webhook_info()
                assert info.url == url and info.pending_update_count == 1
                assert info.last_error_message == "Wrong response from the webhook: 403 Forbidden"
                with pytest.raises(Conflict, match="webhook is active"):
                    await app.bot.get_updates(timeout=0)

                # Re-set with the right secret (and a certificate: a multipart upload).
                assert await app.bot.set_webhook(
                    url, secret_token=SECRET, certificate=b"-----BEGIN CERTIFICATE-----\n"
                )
                reply = await user.wait_for_bot_message()
                assert reply.text == "echo: via webhook"
                await api.wait_idle()
                info = await app.bot.get_webhook_info()
                assert info.pending_update_count == 0 and info.has_custom_certificate

                assert await app.bot.delete_webhook()
                assert api.webhook_url is None
            finally:
                await app.stop()
    finally:
        await runner.cleanup()
    assert refused and set(refused) == {"wrong-secret"}
    certificate = api.calls_for("setWebhook")[-1]["certificate"]
    assert isinstance(certificate, UploadedFile)
    assert certificate.data == b"-----BEGIN CERTIFICATE-----\n"
    assert api.calls_for("setWebhook")[-1]["secret_token"] == SECRET


async def test_get_updates_long_polling_offset_limit_and_allowed_updates(
    api: FakeBotAPI,
) -> None:
    url = f"{api.base_url}{api.token}/getUpdates"
    loop = asyncio.get_running_loop()
    user = api.user(7007, "Gia")
    async with aiohttp.ClientSession() as http:

        async def get_updates(**params: object) -> dict[str, object]:
            async with http.post(url, json=params) as response:
                body: dict[str, object] = await response.json()
                return body

        # Nothing queued: the call lasts `timeout` seconds.
        started = loop.time()
        assert await get_updates(timeout=0.3) == {"ok": True, "result": []}
        assert 0.25 <= loop.time() - started < 1.0

        # An update queued during the wait ends it at once.
        waiting = asyncio.create_task(get_updates(timeout=5))
        await asyncio.sleep(0.05)
        started = loop.time()
        await user.send_text("one")
        result = (await waiting)["result"]
        assert loop.time() - started < 0.5
        assert isinstance(result, list) and [u["message"]["text"] for u in result] == ["one"]
        first = result[0]["update_id"]

        # Unconfirmed updates come again; offset confirms, limit caps.
        await user.send_text("two")
        await user.send_text("three")
        again = (await get_updates(offset=first, limit=2))["result"]
        assert isinstance(again, list)
        assert [u["update_id"] for u in again] == [first, first + 1]
        async with http.post(url, data={"offset": str(first + 2)}) as response:  # form-encoded
            rest = (await response.json())["result"]
        assert [u["message"]["text"] for u in rest] == ["three"]
        assert api.pending_update_count == 1

        # allowed_updates filters what gets queued from now on.
        assert await get_updates(offset=first + 3, allowed_updates=["callback_query"]) == {
            "ok": True,
            "result": [],
        }
        await user.send_text("ignored")
        await user.send_raw_callback("cb")
        only = (await get_updates(offset=first + 3))["result"]
        assert isinstance(only, list) and list(only[0]) == ["update_id", "callback_query"]
        assert [u["message"]["text"] for u in api.dropped_updates] == ["ignored"]

        # A second getUpdates terminates the first, as on Telegram.
        older = asyncio.create_task(http.post(url, json={"offset": first + 5, "timeout": 5}))
        await asyncio.sleep(0.05)
        assert (await get_updates(offset=first + 5))["result"] == []
        response = await older
        assert response.status == 409
        assert (await response.json())["description"].startswith(
            "Conflict: terminated by other getUpdates request"
        )
        response.release()


async def test_errors_look_like_telegrams(api: FakeBotAPI) -> None:
    user = api.user(8008, "Hana")
    async with aiohttp.ClientSession() as http:
        response = await http.post(f"{api.base_url}654321:WRONG/getMe")
        assert (response.status, await response.json()) == (
            401,
            {"ok": False, "error_code": 401, "description": "Unauthorized"},
        )
        response = await http.post(f"{api.base_url}{api.token}/sendFancyThing")
        assert (response.status, await response.json()) == (
            404,
            {"ok": False, "error_code": 404, "description": "Not Found"},
        )
        response = await http.post(
            f"{api.base_url}{api.token}/deleteMessage", data={"chat_id": "8008", "message_id": "5"}
        )
        assert await response.json() == {
            "ok": False,
            "error_code": 400,
            "description": "Bad Request: message to delete not found",
        }

    with pytest.raises(InvalidToken):
        async with plain_bot(api, token="654321:WRONG"):
            pass
    async with plain_bot(api) as bot:
        with pytest.raises(EndPointNotFound):
            await bot.do_api_request("sendFancyThing")
        with pytest.raises(BadRequest, match="Chat not found"):
            await bot.send_message(9999, "nobody")
        with pytest.raises(BadRequest, match="Message text is empty"):
            await bot.send_message(user.chat_id, " ")
        with pytest.raises(BadRequest, match="Message is too long"):
            await bot.send_message(user.chat_id, "x" * 4097)
        too_long = InlineKeyboardMarkup([[InlineKeyboardButton("B", callback_data="x" * 65)]])
        with pytest.raises(BadRequest, match="Button_data_invalid"):
            await bot.send_message(user.chat_id, "keys", reply_markup=too_long)

        sent = await bot.send_message(user.chat_id, "same", reply_markup=KEYBOARD)
        with pytest.raises(BadRequest, match="Message is not modified"):
            await bot.edit_message_text(
                "same", chat_id=user.chat_id, message_id=sent.message_id, reply_markup=KEYBOARD
            )
        callback_id = await user.press("No")
        assert await bot.answer_callback_query(callback_id)
        with pytest.raises(BadRequest, match="Query is too old"):
            await bot.answer_callback_query(callback_id)

        await bot.edit_message_reply_markup(user.chat_id, sent.message_id, reply_markup=None)
        assert user.bot_messages()[0].inline_keyboard is None
        with pytest.raises(BadRequest, match="Message is not modified"):
            await bot.edit_message_reply_markup(user.chat_id, sent.message_id, reply_markup=None)

        user.block()
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(user.chat_id, "hello?")
    assert [m.text for m in user.bot_messages()] == ["same"]


async def test_commands_chat_action_close_and_log_out(api: FakeBotAPI) -> None:
    user = api.user(9009, "Ivo")
    commands = [BotCommand("start", "Begin a report"), BotCommand("wipe", "Delete this chat")]
    async with plain_bot(api) as bot:
        assert await bot.set_my_commands(commands)
        assert await bot.set_my_commands([BotCommand("start", "Bắt đầu")], language_code="vi")
        assert await bot.get_my_commands() == tuple(commands)
        assert [c.description for c in await bot.get_my_commands(language_code="vi")] == ["Bắt đầu"]
        assert await bot.delete_my_commands()
        assert await bot.get_my_commands() == ()
        assert api.commands_for(language_code="vi") == [
            {"command": "start", "description": "Bắt đầu"}
        ]

        assert await bot.send_chat_action(user.chat_id, "typing")
        assert user.chat_actions == ["typing"]
        with pytest.raises(BadRequest, match="Wrong parameter action"):
            await bot.send_chat_action(user.chat_id, "dancing")
        assert await bot.close()
        assert await bot.log_out()


async def test_many_users_at_once(api: FakeBotAPI) -> None:
    users = [api.user(10_000 + n, f"User {n}") for n in range(150)]
    async with polling(build_app(api)):
        await asyncio.gather(*(u.send_text(f"hello from {u.id}") for u in users))
        replies = await asyncio.gather(*(u.wait_for_bot_message() for u in users))
        await api.wait_idle()
    for user, reply in zip(users, replies, strict=True):
        assert reply.text == f"echo: hello from {user.id}"
        assert [m.message_id for m in user.visible_messages()] == [1, 2]


async def test_waiting_fails_clearly(api: FakeBotAPI) -> None:
    user = api.user(11011, "Jo")
    await user.send_text("anyone there?")
    with pytest.raises(AssertionError, match="not fetched by getUpdates"):
        await api.wait_idle(timeout=0.1)
    with pytest.raises(AssertionError) as failure:
        await user.wait_for_bot_message(timeout=0.1)
    assert "Transcript of chat 11011" in str(failure.value)
    assert "#1 user: 'anyone there?'" in str(failure.value)
    with pytest.raises(AssertionError, match="no bot message with an inline keyboard"):
        await user.press("Yes")
