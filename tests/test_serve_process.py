"""`grievance serve` as an operator meets it: a real process, the stand-in Bot API, SIGTERM.

Start-up failures are one sentence and a non-zero exit (never a traceback, never the token); a
clean stop logs no ERROR and confirms what was handled, so that a restart does not deliver it
again; `--no-telegram` runs the HTTP server (health check, case API) without any bot token.
"""

from __future__ import annotations

import json
import socket

import pytest
from deployment import free_port, register_partner
from fake_bot_api import FakeBotAPI
from serving import run_grievance, serving, wait_for_health

from crypto.keys import new_partner_key, new_signing_key, verify_key_text

TOKEN = "987654321:SENTINEL-TOKEN-abcdefghijklmnopqrstuvwxyz"
TOKEN_PARTS = (TOKEN, TOKEN.partition(":")[2], TOKEN.partition(":")[0], "SENTINEL-TOKEN")


def serve_env(database_url: str, api: FakeBotAPI | None, port: int, **extra: str) -> dict[str, str]:
    signing_key = new_signing_key()
    env = {
        "GRIEVANCE_DATABASE_URL": database_url,
        "GRIEVANCE_ADMIN_VERIFY_KEY": verify_key_text(signing_key.verify_key),
        "GRIEVANCE_TELEGRAM_TOKEN": TOKEN,
        "GRIEVANCE_HTTP_LISTEN": f"127.0.0.1:{port}",
    }
    if api is not None:
        env["GRIEVANCE_TELEGRAM_API_URL"] = api.base_url.removesuffix("/bot")
    env.update(extra)
    return env


async def deployed(database_url: str) -> str:
    """A database with a partner (any key: these tests never submit a report)."""
    await register_partner(database_url, new_signing_key(), new_partner_key())
    return database_url


def assert_calm(err: str) -> None:
    assert "Traceback" not in err
    assert not [line for line in err.splitlines() if line.startswith(("ERROR", "CRITICAL"))], err
    for part in TOKEN_PARTS:
        assert part not in err


async def test_sigterm_stops_cleanly_and_confirms_what_was_handled(database_url):
    url = await deployed(database_url)
    port = free_port()
    async with FakeBotAPI(token=TOKEN) as api, serving(env=serve_env(url, api, port)) as bot:
        await wait_for_health(port, bot)
        worker = api.user(1001, "Sentinel")
        await worker.send_command("/start")
        await worker.wait_for_bot_message(timeout=30)
        # The bot is back in its long poll with the handled update not yet confirmed.
        await api.wait_until(lambda: len(api.calls_for("getUpdates")) >= 2, timeout=30)
        stopped = await bot.stop()
        assert stopped.status == 0
        assert_calm(stopped.err)
        assert api.pending_update_count == 0  # confirmed: Telegram will not send it again
        last = api.calls_for("getUpdates")[-1]
        assert last["timeout"] == 0  # the confirmation did not wait for new updates

        # A restart against the same Bot API: the /start already answered is not answered twice.
        answered, polls = len(worker.bot_messages()), len(api.calls_for("getUpdates"))
        async with serving(env=serve_env(url, api, port)) as again:
            await wait_for_health(port, again)
            await api.wait_until(lambda: len(api.calls_for("getUpdates")) > polls, timeout=30)
            await api.wait_idle(timeout=10)
            assert len(worker.bot_messages()) == answered
            assert_calm((await again.stop()).err)


async def test_a_stop_the_bot_api_cannot_confirm_is_one_warning_not_an_error(tmp_path):
    url = await deployed(f"sqlite:///{tmp_path / 'grievance.sqlite3'}")
    port = free_port()
    async with FakeBotAPI(token=TOKEN) as api, serving(env=serve_env(url, api, port)) as bot:
        await wait_for_health(port, bot)
        worker = api.user(1002, "Sentinel")
        await worker.send_command("/start")
        await worker.wait_for_bot_message(timeout=30)
        # The bot is back in its long poll, which has not answered yet.
        await api.wait_until(lambda: len(api.calls_for("getUpdates")) >= 2, timeout=30)
        api.fail("getUpdates", 1, 502, "Bad Gateway")  # the next call is the confirmation
        stopped = await bot.stop()
    assert stopped.status == 0
    assert_calm(stopped.err)
    warnings = [line for line in stopped.err.splitlines() if line.startswith("WARNING")]
    assert len(warnings) == 1 and "may deliver them again" in warnings[0]


async def test_no_telegram_serves_health_and_the_case_api_without_a_token(tmp_path):
    data = tmp_path / "data"
    port = free_port()
    env = {"GRIEVANCE_DATA_DIR": str(data), "GRIEVANCE_HTTP_LISTEN": f"127.0.0.1:{port}"}
    async with serving("--no-telegram", env=env) as api_only:
        await wait_for_health(port, api_only)
        # A partner onboarded and a credential issued while it runs; the desk reads the queue.
        key = new_partner_key()
        signing = new_signing_key()
        await register_partner(f"sqlite:///{data / 'grievance.sqlite3'}", signing, key)
        issued = await run_grievance(
            "admin", "credential", "issue", "mekong-workers", "--json", env=env
        )
        assert issued.status == 0, issued.err
        token = json.loads(issued.out)["token"]
        status = await run_grievance(
            "desk", "status", "7KQ2M9XD4H1A", "new",
            env={"GRIEVANCE_SERVER": f"http://127.0.0.1:{port}", "GRIEVANCE_TOKEN": token},
        )  # fmt: skip
        assert status.status == 1 and "7KQ2M9XD4H1A" in status.err  # the API says: no such case
        stopped = await api_only.stop()
    assert stopped.status == 0
    assert_calm(stopped.err)
    assert "case API only" in stopped.err


def taken_port() -> socket.socket:
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    return holder


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("unreachable Bot API", "cannot reach the Bot API"),
        ("wrong token", "the Bot API refused GRIEVANCE_TELEGRAM_TOKEN"),
        ("malformed token", "does not look like a bot token"),
        ("port in use", "the address is already in use"),
        ("data dir is a file", "is a file, not a folder"),
        ("unsupported database URL", "names a mysql database"),
        ("garbage database URL", "is not a database URL"),
        ("no database configured", "no database is configured"),
        ("database server down", "cannot open the PostgreSQL database"),
        ("bad listen address", "GRIEVANCE_HTTP_LISTEN must be HOST:PORT"),
        ("bad log level", "GRIEVANCE_LOG_LEVEL must be one of"),
        ("bad idle minutes", "GRIEVANCE_CONVERSATION_IDLE_MINUTES must be a whole number"),
        ("no verify key", "GRIEVANCE_ADMIN_VERIFY_KEY is not set"),
        ("bad verify key", "GRIEVANCE_ADMIN_VERIFY_KEY:"),
    ],
)
async def test_a_serve_that_cannot_start_says_why_in_one_line(tmp_path, case, message):
    url = f"sqlite:///{tmp_path / 'grievance.sqlite3'}"
    holder = taken_port()
    try:
        async with FakeBotAPI(token=TOKEN) as api:
            env = serve_env(url, api, free_port())
            if case == "unreachable Bot API":
                env["GRIEVANCE_TELEGRAM_API_URL"] = f"http://127.0.0.1:{free_port()}"
            elif case == "wrong token":
                env["GRIEVANCE_TELEGRAM_TOKEN"] = "987654321:SENTINEL-TOKEN-wrongwrongwrongwrong"
            elif case == "malformed token":
                env["GRIEVANCE_TELEGRAM_TOKEN"] = "SENTINEL-TOKEN with spaces\nand a line"
            elif case == "port in use":
                env["GRIEVANCE_HTTP_LISTEN"] = f"127.0.0.1:{holder.getsockname()[1]}"
            elif case == "data dir is a file":
                (tmp_path / "data").write_text("not a folder")
                del env["GRIEVANCE_DATABASE_URL"]
                env["GRIEVANCE_DATA_DIR"] = str(tmp_path / "data")
            elif case == "unsupported database URL":
                env["GRIEVANCE_DATABASE_URL"] = "mysql://admin:SENTINEL-PASSWORD@db/grievance"
            elif case == "garbage database URL":
                env["GRIEVANCE_DATABASE_URL"] = "SENTINEL-PASSWORD"
            elif case == "no database configured":
                del env["GRIEVANCE_DATABASE_URL"]
            elif case == "database server down":
                env["GRIEVANCE_DATABASE_URL"] = (
                    f"postgresql://admin:SENTINEL-PASSWORD@127.0.0.1:{free_port()}/grievance"
                )
            elif case == "bad listen address":
                env["GRIEVANCE_HTTP_LISTEN"] = "localhost"
            elif case == "bad log level":
                env["GRIEVANCE_LOG_LEVEL"] = "LOUD"
            elif case == "bad idle minutes":
                env["GRIEVANCE_CONVERSATION_IDLE_MINUTES"] = "99999999999999999999"
            elif case == "no verify key":
                del env["GRIEVANCE_ADMIN_VERIFY_KEY"]
            elif case == "bad verify key":
                env["GRIEVANCE_ADMIN_VERIFY_KEY"] = "gvk1" + "zz" * 32
            ended = await run_grievance("serve", env=env)
    finally:
        holder.close()
    assert ended.status == 1
    assert ended.err.count("\n") == 1, ended.err
    assert ended.err.startswith("grievance: error: ") and message in ended.err
    assert ended.out == ""
    assert_calm(ended.err)
    assert "SENTINEL-PASSWORD" not in ended.err
