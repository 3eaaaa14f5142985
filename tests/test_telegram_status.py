"""/status over Telegram: the worker reads the reply with the receipt and adds to the case."""

from deployment import decrypt_cases, deployment
from reports import file_a_report

from crypto.envelope import Context, seal
from crypto.ids import new_entry_id
from crypto.keys import PublicKey
from crypto.payloads import encode_message
from storage import cases
from vocabulary import Author, CaseStatus, Purpose

REPLY = "We have spoken to the agency. Please tell us if the deductions stop."


async def caseworker_replies(running, text):
    """What the desk does: seal a reply to the partner and to the worker's case key."""
    async with running.service.sessions() as session, session.begin():
        (partner_case,) = await cases.list_cases(session, 1)
        case = await cases.get_case(session, partner_case.partner_id, partner_case.id)
        entry_id = new_entry_id()
        recipients = [running.partner_key.public_key, PublicKey(case.worker_public_key)]
        envelope = seal(encode_message(text), Context(case.id, entry_id, Purpose.REPLY), recipients)
        await cases.add_entry(
            session,
            case,
            cases.NewEntry(entry_id, Purpose.REPLY, Author.CASEWORKER, envelope.body,
                           dict(envelope.wraps)),
        )  # fmt: skip
        await cases.set_status(session, case, CaseStatus.INVESTIGATING)


async def test_the_worker_reads_the_reply_with_the_receipt_and_adds_information(
    database_url, tmp_path
):
    async with deployment(database_url, str(tmp_path / "data")) as running:
        # A test types faster than any person; the flood limit is not what this test is about.
        running.service.store.messages_per_window = 100
        worker, receipt = await file_a_report(running.api)
        digits = receipt.text.split("\n\n")[1]
        await worker.press("I have saved it", receipt)
        await caseworker_replies(running, REPLY)

        await worker.send_command("/status")
        await worker.wait_for_bot_message(lambda m: "receipt number" in m.text)
        typed = await worker.send_text(digits)
        answer = await worker.wait_for_bot_message(lambda m: REPLY in m.text, timeout=10)
        assert any("Being looked into" in m.text for m in worker.bot_messages())
        await running.api.wait_idle()
        assert typed in worker.deleted_ids()  # the receipt is not left in the chat

        await worker.press("Add information", answer)
        await worker.wait_for_bot_message(lambda m: "Write what you want to add" in m.text)
        await worker.send_text("The deductions continued this month.")
        done = await worker.wait_for_bot_message(lambda m: "I have finished reading" in str(
            m.button_texts()))  # fmt: skip
        await worker.press("I have finished reading", done)
        await running.api.wait_idle()
        assert not any(REPLY in m.text for m in worker.visible_messages())

    (case,) = await decrypt_cases(database_url, running.partner_key)
    assert case["messages"] == [
        ("reply", REPLY),
        ("follow-up", "The deductions continued this month."),
    ]
    assert case["case"].entries[-1].author == Author.WORKER


async def test_a_wrong_receipt_says_the_same_as_an_unknown_one(database_url, tmp_path):
    async with deployment(database_url, str(tmp_path / "data")) as running:
        worker = running.api.user(5005, "Tester")
        await worker.send_command("/status")
        await worker.wait_for_bot_message(lambda m: "receipt number" in m.text)
        await worker.send_text("1111 2222 3333 4444")
        answer = await worker.wait_for_bot_message(timeout=10)
        assert "No report was found" in answer.text
