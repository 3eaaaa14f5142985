"""Logging: no token, id or exception text gets through, whatever the level."""

import io
import logging

import pytest

from bot import logs

TOKEN = "123456789:AAHsecretsecretsecretsecretsecret"


@pytest.fixture
def captured():
    stream = io.StringIO()
    logs.configure("DEBUG", secrets=(TOKEN,), stream=stream)
    yield stream
    logs.configure("WARNING", stream=io.StringIO())


def test_the_token_and_long_numbers_are_redacted(captured):
    log = logging.getLogger("bot.anything")
    log.info("calling https://api.telegram.org/bot%s/getMe for chat %d", TOKEN, 777000111)
    log.info("plain token %s", TOKEN.split(":")[1])
    text = captured.getvalue()
    assert TOKEN not in text and "777000111" not in text
    assert TOKEN.split(":")[1] not in text
    assert "[secret]" in text and "[number]" in text


@pytest.mark.parametrize("name", ["telegram.ext.Application", "httpx", "aiosqlite", "sqlalchemy"])
def test_third_party_debug_and_info_lines_never_appear(captured, name):
    logging.getLogger(name).debug("Update: {'first_name': 'SentinelName'}")
    logging.getLogger(name).info("HTTP Request: POST https://x/bot%s/getUpdates", TOKEN)
    logging.getLogger(name).warning("a warning still shows")
    text = captured.getvalue()
    assert "SentinelName" not in text and "getUpdates" not in text
    assert "a warning still shows" in text


def test_an_exceptions_text_is_dropped_but_its_kind_is_kept(captured):
    try:
        raise ValueError("worker wrote: my supervisor is SentinelName")
    except ValueError:
        logging.getLogger("bot.x").exception("update failed")
    text = captured.getvalue()
    assert "SentinelName" not in text
    assert "update failed (ValueError)" in text


def test_log_lines_carry_no_time():
    assert "asctime" not in logs.FORMAT


def test_an_unknown_level_is_refused():
    with pytest.raises(ValueError, match="unknown log level"):
        logs.configure("LOUD")
