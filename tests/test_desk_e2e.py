"""The issue's end-to-end test: from a worker's phone to the caseworker's desk and back.

A worker reports through the real PTB Application and the stand-in Bot API; the administrators
issue a credential with the real command; the desk lists and decrypts the case over the case API
of the running server, replies and sets a status; the worker reads the reply with /status and the
receipt. The database holds neither text in clear.
"""

from __future__ import annotations

import json

from deployment import deployment
from desk_world import PASSPHRASE, run_cli, run_subprocess, write_key_file
from reports import REPORT_TEXT, file_a_report

from crypto.keys import verify_key_text

REPLY = "SENTINEL-REPLY We have spoken to the agency. Please tell us if the deductions stop."


async def test_a_report_reaches_the_desk_and_the_answer_reaches_the_worker(
    database_url, tmp_path, stored_bytes, monkeypatch
):
    for variable in ("GRIEVANCE_SERVER", "GRIEVANCE_TOKEN", "GRIEVANCE_KEY_FILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("GRIEVANCE_PASSPHRASE", PASSPHRASE)
    async with deployment(database_url, str(tmp_path / "data")) as running:
        # A test types faster than any person; the flood limit is not what this test is about.
        running.service.store.messages_per_window = 100
        # The desk checks the active key's signed statement against the pinned verify key.
        pinned = verify_key_text(running.signing_key.verify_key)
        monkeypatch.setenv("GRIEVANCE_ADMIN_VERIFY_KEY", pinned)

        worker, receipt = await file_a_report(running.api)
        digits = receipt.text.split("\n\n")[1]
        await worker.press("I have saved it", receipt)

        issued = await run_subprocess(
            ["admin", "credential", "issue", "mekong-workers", "--label", "office", "--json"],
            {"GRIEVANCE_DATABASE_URL": database_url},
            tmp_path,
        )
        assert issued.status == 0, issued.err
        token = json.loads(issued.out)["token"]
        laptop = tmp_path / "laptop"
        laptop.mkdir()
        key_file = write_key_file(laptop / "partner.key", running.partner_key)
        connect = ["--server", f"http://127.0.0.1:{running.service.http_port}", "--token", token]

        listed = await run_cli(["desk", "cases", "--json", *connect, "--key", str(key_file)])
        assert listed.status == 0, listed.err
        (case,) = json.loads(listed.out)["cases"]
        assert case["status"] == "new" and not case["danger"] and not case["urgent"]
        assert case["workplace"] == "Lamphun Plant 2"
        assert case["categories"] == ["wages"]
        assert case["categories_text"] == "Wages and deductions"
        assert case["language"] == {"code": "en", "native": "English", "english": "English"}
        assert case["first_words"] == REPORT_TEXT
        assert case["attachments"] == 2

        shown = await run_cli(
            ["desk", "show", case["id"], "--json", *connect, "--key", str(key_file)]
        )
        assert shown.status == 0, shown.err
        view = json.loads(shown.out)
        assert view["report"]["what_happened"] == REPORT_TEXT
        answers = {a["step"]: a["answer"] for a in view["report"]["answers"]}
        assert answers["since_when"] == "This month" and answers["workers_affected"] == "12"
        assert [(t["kind"], t["media_type"]) for t in view["thread"]] == [
            ("photo", "image/jpeg"),
            ("voice", "audio/ogg"),
        ]

        replied = await run_cli(["desk", "reply", case["id"], REPLY, *connect])
        assert replied.status == 0, replied.err
        moved = await run_cli(["desk", "status", case["id"], "investigating", *connect])
        assert moved.status == 0, moved.err
        assert "Being looked into" in moved.out

        await worker.send_command("/status")
        await worker.wait_for_bot_message(lambda m: "receipt number" in m.text)
        await worker.send_text(digits)
        await worker.wait_for_bot_message(lambda m: REPLY in m.text, timeout=10)
        assert any("Being looked into" in m.text for m in worker.bot_messages())

        again = await run_cli(
            ["desk", "show", case["id"], "--json", *connect, "--key", str(key_file)]
        )
        *_, reply, change = json.loads(again.out)["thread"]
        assert (reply["purpose"], reply["author"], reply["text"]) == ("reply", "caseworker", REPLY)
        # The status change is recorded, sealed to the partner, with the day it happened.
        assert (change["purpose"], change["author"]) == ("note", "caseworker")
        assert change["status_change"] == {
            "status": "investigating",
            "previous": "new",
            "worker_status": "Being looked into",
        }
        await running.api.wait_idle()

    stored = await stored_bytes(database_url, tmp_path)
    for text in (REPORT_TEXT, "SENTINEL-REPORT", REPLY, "SENTINEL-REPLY", token):
        assert text.encode() not in stored, f"{text!r} is stored in clear"
