"""The console's own log: no content, no token, no exception text; other handlers untouched."""

from __future__ import annotations

import io
import logging

from desk.console import logs


def test_the_console_log_drops_content_and_secrets_and_leaves_the_record_to_others():
    ours, theirs = io.StringIO(), io.StringIO()
    root = logging.getLogger()
    earlier, level = root.handlers[:], root.level
    root.handlers.clear()  # only the console's handler and another one, nothing left by others
    logs.configure(stream=ours)
    other = logging.StreamHandler(theirs)
    root.addHandler(other)
    try:
        logging.getLogger("aiohttp.server").error("Error handling %s", "SENTINEL-CONTENT")
        logging.getLogger("desk.console").info("link http://127.0.0.1:9/?start=SENTINELTOKEN1")
        logging.getLogger("desk.console").info("token gct_SENTINELTOKEN2")
        try:
            raise ValueError("SENTINEL-EXCEPTION-TEXT")
        except ValueError:
            logging.getLogger("desk.console").exception("a page failed")
    finally:
        root.handlers[:] = earlier
        root.setLevel(level)
    written = ours.getvalue()
    assert "ERROR aiohttp.server: Error handling […]" in written
    assert "a page failed (ValueError)" in written
    assert "SENTINEL" not in written
    assert "SENTINEL-CONTENT" in theirs.getvalue()  # the record itself was not rewritten
