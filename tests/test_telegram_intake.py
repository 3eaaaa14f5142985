"""A worker files a report through the real PTB Application and a stand-in Bot API."""

import io

from deployment import GPS_DATUM, TOKEN, decrypt_cases, deployment, voice_note
from PIL import ExifTags, Image
from reports import REPORT_TEXT, USER, file_a_report


async def test_a_worker_files_a_report_and_only_the_receipt_remains(database_url, tmp_path):
    async with deployment(database_url, str(tmp_path / "data")) as running:
        worker, receipt = await file_a_report(running.api)
        digits = receipt.text.split("\n\n")[1]
        assert len(digits) == 19 and digits.replace("\u00a0", "").isdigit()  # groups unbroken
        # Everything else of the conversation, both sides, is gone from the chat.
        assert [m.message_id for m in worker.visible_messages()] == [receipt.message_id]
        await worker.press("I have saved it", receipt)
        await worker.wait_until(lambda: not worker.visible_messages())

        (case,) = await decrypt_cases(database_url, running.partner_key)
        report = case["report"]
        assert report["language"] == "en"
        assert report["answers"]["site"] == "lamphun-2"
        assert report["answers"]["categories"] == ["wages"]
        assert report["answers"]["danger"] == "no"
        assert report["answers"]["what_happened"] == {"text": REPORT_TEXT}
        assert report["answers"]["since_when"] == "this_month"
        assert report["answers"]["workers_affected"] == 12
        assert report["readable"]["site"] == {"question": "Workplace", "answer": "Lamphun Plant 2"}
        assert report["readable"]["categories"]["answer"] == "Wages and deductions"
        (photo_header, photo), (voice_header, voice) = case["files"]
        assert (photo_header.kind, voice_header.kind) == ("photo", "voice")
        assert voice == voice_note()
        image = Image.open(io.BytesIO(photo))
        assert image.size == (64, 48)
        assert not image.getexif()
        assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert GPS_DATUM.encode() not in photo and b"SENTINEL-SERIAL" not in photo


async def test_nothing_identifying_is_stored_or_logged(database_url, tmp_path, stored_bytes):
    data_dir = tmp_path / "data"
    async with deployment(database_url, str(data_dir)) as running:
        await file_a_report(running.api)
        file_ids = [f for f in running.api.files.values()]
        log_text = running.log.getvalue()
    sentinels = [
        str(USER["user_id"]),
        USER["first_name"],
        USER["last_name"],
        USER["username"],
        USER["language_code"],  # the phone's language orders the picker, and is kept nowhere
        TOKEN,
        TOKEN.split(":")[1],
        REPORT_TEXT,
        "SENTINEL-REPORT",
        GPS_DATUM,
        "SENTINEL-SERIAL",
    ]
    for registered in file_ids:
        sentinels += [registered.file_id, registered.file_unique_id]
    stored = await stored_bytes(database_url, tmp_path)
    assert "DEBUG bot.telegram.adapter: handled Media" in log_text  # the capture did capture
    for sentinel in sentinels:
        assert sentinel.encode() not in stored, f"{sentinel!r} is stored"
        assert sentinel not in log_text, f"{sentinel!r} is logged"
