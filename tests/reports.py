"""A worker's whole report through the running bot, for the end-to-end tests that need a case
filed as a worker on a phone files it (the intake, the desk, key rotation, /status)."""

from deployment import phone_photo, voice_note

REPORT_TEXT = "SENTINEL-REPORT my wages were cut by 2000 baht in October"
USER = {
    "user_id": 777000111,
    "first_name": "SentinelFirst",
    "last_name": "SentinelLast",
    "username": "sentinel_username",
    # The phone's language, as Telegram says it: long enough to search the database and logs for.
    "language_code": "zh-hans",
}


async def file_a_report(api):
    """The whole conversation, as a worker on a phone goes through it."""
    worker = api.user(**USER)
    await worker.send_command("/start")
    picker = await worker.wait_for_bot_message()
    assert picker.button_texts()[0] == "中文 (简体)"  # the phone's language comes first
    await worker.press("English")
    await worker.wait_for_bot_message(lambda m: "Telegram itself can see this chat" in m.text)
    await worker.press("I have read this")
    await worker.wait_for_bot_message(lambda m: "Do you want to continue?" in m.text)
    await worker.press("Yes, continue")
    # One country is covered, so the worker is asked for the workplace at once.
    await worker.wait_for_bot_message(lambda m: "Which workplace" in m.text)
    await worker.press("Lamphun Plant 2")
    await worker.wait_for_bot_message(lambda m: "What is the problem about?" in m.text)
    await worker.press("▫️ Wages and deductions")
    await worker.wait_until(
        lambda: "✅ Wages and deductions" in worker.last_bot_message().button_texts()
    )
    await worker.press("Done")
    await worker.wait_for_bot_message(lambda m: "in danger" in m.text)
    await worker.press("No")
    await worker.wait_for_bot_message(lambda m: "What happened?" in m.text)
    await worker.send_text(REPORT_TEXT)
    await worker.wait_for_bot_message(lambda m: "When did it happen?" in m.text)
    await worker.press("This month")
    await worker.wait_for_bot_message(lambda m: "how many workers" in m.text)
    await worker.send_text("12")
    await worker.wait_for_bot_message(lambda m: "evidence" in m.text)
    await worker.send_photo(phone_photo())
    await worker.wait_for_bot_message(lambda m: "1 file" in m.text)
    await worker.send_voice(voice_note())
    await worker.wait_for_bot_message(lambda m: "2 files" in m.text)
    await worker.press("Done")
    await worker.wait_for_bot_message(lambda m: "What would you like to happen?" in m.text)
    await worker.press("Done")
    review = await worker.wait_for_bot_message(lambda m: "Please check your answers" in m.text)
    assert "Lamphun Plant 2" in review.text and "2 files" in review.text
    await worker.press("Send")
    receipt = await worker.wait_for_bot_message(lambda m: "receipt number" in m.text)
    await api.wait_idle()
    return worker, receipt
