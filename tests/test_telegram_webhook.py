"""GRIEVANCE_WEBHOOK_URL mode: Telegram (the stand-in) POSTs updates to the bot's own server."""

import json
import time

import aiohttp
import pytest
from deployment import deployment, free_port, walk_on, walk_to
from fake_bot_api import SECRET_TOKEN_RE

from handlers.i18n import translator

th = translator("th").gettext
WORKER = {"user_id": 881000001, "first_name": "Malee", "language_code": "th"}
STRANGER = {"user_id": 881000002, "first_name": "Stranger", "language_code": "en"}
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@pytest.fixture
async def running(database_url, tmp_path):
    port = free_port()
    changes = {"webhook_url": f"http://127.0.0.1:{port}", "http_listen": f"127.0.0.1:{port}"}
    async with deployment(database_url, str(tmp_path / "data"), config_changes=changes) as running:
        yield running


def base(running) -> str:
    return f"http://127.0.0.1:{running.service.http_port}"


def webhook(running) -> str:
    return f"{base(running)}/telegram/webhook"


def secret(running) -> str:
    (call,) = running.api.calls_for("setWebhook")
    return str(call["secret_token"])


def command_update(user, text: str, update_id: int = 990000001) -> dict:
    """An update as Telegram would POST it: `user` typed `text` (a /command)."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": 9001,
            "from": user.as_dict(),
            "chat": user.chat_dict(),
            "date": int(time.time()),
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}],
        },
    }


async def post(running, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    async with (
        aiohttp.ClientSession() as client,
        client.post(
            webhook(running), data=body, headers={"Content-Type": "application/json", **headers}
        ) as response,
    ):
        return response.status, await response.read()


def sent_to(running, user) -> list[dict]:
    return [c for c in running.api.calls_for("sendMessage") if int(c["chat_id"]) == user.id]


async def test_the_webhook_is_set_with_a_secret_token_and_no_polling(running):
    (call,) = running.api.calls_for("setWebhook")
    assert call["url"] == webhook(running)
    assert running.api.webhook_url == webhook(running)
    assert SECRET_TOKEN_RE.match(call["secret_token"]) and len(call["secret_token"]) >= 32
    assert running.api.calls_for("getUpdates") == []


async def test_a_worker_gets_through_the_first_steps_over_the_webhook(running):
    worker = running.api.user(**WORKER)
    safety = await walk_to(worker, "safety", "th")
    assert th("I have read this") in safety.button_texts()
    await walk_on(worker, "safety", safety, "consent", "th")
    await running.api.wait_idle()
    assert running.api.pending_update_count == 0  # every update was delivered to the webhook
    assert running.api.calls_for("getUpdates") == []


async def test_a_post_without_the_right_secret_is_refused_and_changes_nothing(running):
    worker = running.api.user(**WORKER)
    stranger = running.api.user(**STRANGER)
    safety = await walk_to(worker, "safety", "th")
    await running.api.wait_idle()
    before = len(running.api.calls)

    cancel = json.dumps(command_update(worker, "/cancel")).encode()
    start = json.dumps(command_update(stranger, "/start", 990000002)).encode()
    for headers in [
        {},
        {SECRET_HEADER: ""},
        {SECRET_HEADER: "not-the-secret"},
        {SECRET_HEADER: secret(running).swapcase()},
        {SECRET_HEADER: secret(running)[:-1]},
    ]:
        assert (await post(running, cancel, headers))[0] == 403, headers
        assert (await post(running, start, headers))[0] == 403, headers
    await running.api.wait_idle()
    assert running.api.calls[before:] == []  # the bot did nothing at all
    assert sent_to(running, stranger) == []
    await walk_on(worker, "safety", safety, "consent", "th")  # not cancelled

    # The same update with the secret is taken: the refusal was the secret's doing.
    assert (await post(running, start, {SECRET_HEADER: secret(running)}))[0] == 200
    await stranger.wait_until(lambda: len(sent_to(running, stranger)) == 1)


async def test_a_body_over_256_kib_is_refused(running):
    stranger = running.api.user(**STRANGER)
    update = command_update(stranger, "/start")
    update["message"]["padding"] = "x" * (256 * 1024)
    body = json.dumps(update).encode()
    assert len(body) > 256 * 1024
    status, _body = await post(running, body, {SECRET_HEADER: secret(running)})
    assert status == 413
    await running.api.wait_idle()
    assert sent_to(running, stranger) == []


async def test_a_body_that_is_no_update_is_refused_with_400(running):
    for body in [b"{not json", b"{}", b'{"message": {}}']:
        status, _body = await post(running, body, {SECRET_HEADER: secret(running)})
        assert status == 400, body


async def test_json_that_is_no_object_is_refused_with_400(running):
    for body in [b"[]", b"null", b"5", b'"update"']:
        status, _body = await post(running, body, {SECRET_HEADER: secret(running)})
        assert status == 400, body


async def test_the_health_check_answers_ok(running):
    async with (
        aiohttp.ClientSession() as client,
        client.get(f"{base(running)}/healthz") as response,
    ):
        assert response.status == 200
        assert await response.json() == {"status": "ok"}
