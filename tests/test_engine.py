"""The conversation engine, step by step, as a worker experiences it (no messenger involved)."""

import pytest

from handlers.io import Command, Effect, Other, Press, Unsupported
from handlers.media import AttachmentKind
from tests.engine_harness import (
    OGG_VOICE,
    SCRUBBER,
    FakeDirectory,
    RecordingSubmitter,
    Worker,
    jpeg_bytes,
)


async def test_language_picker_shows_native_names_and_preselects_the_phone_language():
    worker = Worker(profile_language="th")
    await worker.command(Command.START)
    labels = [b.label for b in worker.buttons()]
    assert labels[0] == "ไทย"
    assert "မြန်မာ" in labels  # Thailand's Myanmar workers, on the first page
    assert "เลือกภาษา" in worker.last.text  # the prompt in the preselected language
    await worker.choose_language("中文 (简体)")
    assert worker.at("safety")


async def test_choosing_a_language_switches_every_text():
    worker = Worker()
    await worker.command(Command.START)
    await worker.press("ไทย")
    assert worker.at("safety")
    assert "Telegram" in worker.last.text
    assert "We do not keep" not in worker.last.text


async def test_safety_notice_says_what_is_kept_and_how_to_wipe():
    worker = Worker()
    await worker.command(Command.START)
    await worker.press("English")
    assert "Telegram itself can see this chat" in worker.last.text
    assert "/wipe" in worker.last.text


async def test_a_whole_report_reaches_the_submitter_and_the_receipt_is_kept():
    worker = Worker()
    await worker.walk_to("categories")
    await worker.press("Wages")
    await worker.press("Health and safety")
    await worker.press("Done")
    assert worker.at("danger")
    await worker.press("No")
    await worker.text("My wages were cut by 2000 baht without reason.")
    await worker.press("It is still going on")
    await worker.text("๔๐")  # forty, in Thai digits
    await worker.media(AttachmentKind.PHOTO, jpeg_bytes())
    assert "1 file" in worker.last.text
    await worker.press("Done")
    await worker.press("Get the money I am owed")
    await worker.press("Done")
    assert worker.at("review")
    review = worker.last.text
    for shown in ("Thailand", "Lamphun Plant 2", "Wages and deductions", "2000 baht", "40"):
        assert shown in review
    reply = await worker.press("Send")
    (draft,) = worker.submitter.drafts
    assert draft.country == "TH" and draft.site == "lamphun-2" and draft.language == "en"
    assert draft.answers["categories"] == ["wages", "health_safety"]
    assert draft.answers["danger"] == "no"
    assert draft.answers["what_happened"] == {
        "text": "My wages were cut by 2000 baht without reason."
    }
    assert draft.answers["since_when"] == "ongoing"
    assert draft.answers["workers_affected"] == 40
    assert draft.answers["outcome"] == ["paid"]
    assert [a.attachment.kind for a in draft.attachments] == [AttachmentKind.PHOTO]
    (receipt,) = reply.messages
    assert receipt.keep and "0000\u00a00000\u00a00000\u00a00001" in receipt.text  # unbroken
    assert reply.effects == [Effect.DELETE_CONVERSATION]
    assert worker.conv.draft.answers == {} and worker.conv.draft.attachments == []
    saved = await worker.press("I have saved it", receipt)
    assert saved.effects == [Effect.DELETE_PRESSED]


async def test_a_conditional_step_appears_only_for_the_answers_it_depends_on():
    worker = Worker()
    await worker.walk_to("danger", choose_forced_labour=False)
    assert "documents_held" not in worker.conv.draft.answers
    worker = Worker()
    await worker.walk_to("documents_held", choose_forced_labour=True)
    await worker.press("Yes")
    assert worker.at("danger")


async def test_changing_an_answer_drops_a_conditional_answer_that_no_longer_applies():
    worker = Worker()
    await worker.walk_to("documents_held", choose_forced_labour=True)
    await worker.press("Yes")  # documents held
    await worker.press("Back")
    await worker.press("Back")
    assert worker.at("categories")
    await worker.press("Forced labour")  # untick
    await worker.press("Done")
    assert worker.at("danger")
    assert "documents_held" not in worker.conv.draft.answers


async def test_danger_shows_the_partners_emergency_contacts_at_once():
    worker = Worker()
    await worker.walk_to("danger")
    reply = await worker.press("Yes")
    assert "Hotline 1300 (24 hours)" in reply.messages[0].text
    assert worker.at("what_happened")


async def test_danger_without_configured_contacts_points_to_emergency_services():
    worker = Worker(directory=FakeDirectory(contacts=""))
    await worker.walk_to("danger")
    reply = await worker.press("Yes")
    assert "local emergency number" in reply.messages[0].text


async def test_back_goes_one_step_and_keeps_the_earlier_choice():
    worker = Worker()
    await worker.walk_to("danger")
    await worker.press("Back")
    assert worker.at("categories")
    assert "✅ Wages" in [b.label for b in worker.buttons()][1]


async def test_optional_steps_can_be_skipped_and_required_ones_cannot():
    worker = Worker()
    await worker.walk_to("danger")
    assert "Skip" not in [b.label for b in worker.buttons()]
    await worker.press("No")
    await worker.text("Overtime every Sunday")
    assert worker.at("since_when")
    await worker.press("Skip")
    assert worker.at("workers_affected")
    assert worker.conv.draft.answers["since_when"] is None
    await worker.press("Skip")
    await worker.press("Done")  # no evidence
    await worker.press("Done")  # no outcome
    assert worker.at("review")
    assert "When: —" in worker.last.text


async def test_a_required_multiple_choice_needs_one_choice():
    worker = Worker()
    await worker.walk_to("categories")
    reply = await worker.press("Done")
    assert "at least one" in reply.messages[0].text
    assert worker.at("categories")


async def test_a_voice_message_answers_a_text_question():
    worker = Worker()
    await worker.walk_to("danger")
    await worker.press("No")
    await worker.media(AttachmentKind.VOICE, OGG_VOICE)
    assert worker.at("since_when")
    assert worker.conv.draft.answers["what_happened"] == {"voice": True}
    assert [a.step for a in worker.conv.draft.attachments] == ["what_happened"]


async def test_a_file_where_a_question_is_asked_is_not_downloaded():
    worker = Worker()
    await worker.walk_to("danger")
    fetched = []

    async def fetch():
        fetched.append(True)
        return jpeg_bytes()

    from handlers.io import Media

    reply = await worker.send(Media(AttachmentKind.PHOTO, 1000, fetch))
    assert "cannot use a file here" in reply.messages[0].text
    assert fetched == []
    assert worker.at("danger")


async def test_text_where_a_button_is_expected_gets_the_buttons_again():
    worker = Worker()
    await worker.walk_to("danger")
    reply = await worker.text("yes")
    assert "use the buttons" in reply.messages[0].text
    assert reply.messages[1].buttons
    assert worker.at("danger")


@pytest.mark.parametrize(
    ("typed", "answer"),
    [
        ("", "Please write a few words"),
        ("   \n\t ", "Please write a few words"),
        ("x" * 10_000, "too long"),
        ("😡😡😡🏭", "in words"),
        ("\u200b\u202e\u2066", "Please write a few words"),
        ("\x00\x01\x07\x1b\x7f", "Please write a few words"),
    ],
    ids=["empty", "blank", "10000 characters", "only emoji", "only invisible", "control chars"],
)
async def test_bad_free_text_gets_a_calm_answer_and_is_not_kept(typed, answer):
    worker = Worker()
    await worker.walk_to("danger")
    await worker.press("No")
    reply = await worker.text(typed)
    assert answer in reply.messages[0].text
    assert worker.at("what_happened")
    assert "what_happened" not in worker.conv.draft.answers


async def test_right_to_left_text_is_kept_and_disguising_characters_are_removed():
    worker = Worker()
    await worker.walk_to("danger")
    await worker.press("No")
    await worker.text("تنخواہ نہیں ملی\u202e\u200b ٣ مہینے")
    assert worker.conv.draft.answers["what_happened"] == {"text": "تنخواہ نہیں ملی ٣ مہینے"}


async def test_control_characters_are_removed_from_text():
    worker = Worker()
    await worker.walk_to("danger")
    await worker.press("No")
    await worker.text("no pay\x00 for\x1b 3 months\nline two")
    assert worker.conv.draft.answers["what_happened"] == {"text": "no pay for 3 months\nline two"}


@pytest.mark.parametrize("typed", ["many", "-5", "0", "20 people", "99999999999"])
async def test_a_number_out_of_range_or_not_a_number_is_asked_again(typed):
    worker = Worker()
    await worker.walk_to("danger")
    await worker.press("No")
    await worker.text("forced overtime")
    await worker.press("This week")
    reply = await worker.text(typed)
    assert "Please send a number" in reply.messages[0].text
    assert worker.at("workers_affected")


@pytest.mark.parametrize("typed", ["1,200", "1 200", "１２００", "१२००"])
async def test_numbers_in_any_script_with_group_separators(typed):
    worker = Worker()
    await worker.walk_to("danger")
    await worker.press("No")
    await worker.text("forced overtime")
    await worker.press("This week")
    await worker.text(typed)
    assert worker.conv.draft.answers["workers_affected"] == 1200


async def test_a_stale_button_has_expired_and_shows_where_the_worker_is():
    worker = Worker()
    await worker.walk_to("danger")
    old = worker.button("Yes")
    await worker.press("No")
    reply = await worker.send(Press(old.data))
    assert "expired" in reply.messages[0].text
    assert worker.at("what_happened")
    assert "danger" not in worker.conv.draft.answers or worker.conv.draft.answers["danger"] == "no"


@pytest.mark.parametrize(
    "data", ["", "x", ":", "AAAAAAAA:o0", "zzzz:yes", "\x00" * 64, "a" * 64, "🙂:o1"]
)
async def test_forged_callback_data_is_refused_gently(data):
    worker = Worker()
    await worker.walk_to("danger")
    reply = await worker.send(Press(data))
    assert "expired" in reply.messages[0].text
    assert worker.at("danger")


@pytest.mark.parametrize("code", ["o²", "o٣", "o-1", "o99", "o", "oo1", "o1 "])
async def test_a_forged_choice_carrying_the_screens_own_token_is_refused_gently(code):
    worker = Worker()
    await worker.walk_to("categories")
    token = worker.button("Wages").data.split(":")[0]
    reply = await worker.send(Press(f"{token}:{code}"))
    assert "expired" in reply.messages[0].text
    assert worker.at("categories")
    assert "✅" not in " ".join(b.label for b in worker.buttons())


async def test_a_button_from_another_conversation_has_expired():
    first, second = Worker(), Worker()
    await first.walk_to("danger")
    await second.walk_to("danger")
    reply = await second.send(Press(first.button("Yes").data))
    assert "expired" in reply.messages[0].text
    assert "danger" not in second.conv.draft.answers


async def test_a_button_before_start_asks_to_start():
    worker = Worker()
    reply = await worker.send(Press("abcdefgh:o0"))
    assert "/start" in reply.messages[0].text


async def test_when_the_commit_fails_nothing_is_retyped():
    submitter = RecordingSubmitter(failures=1)
    worker = Worker(submitter=submitter)
    await worker.walk_to("danger")
    await worker.press("No")
    await worker.text("Wages withheld since March")
    await worker.press("Skip")
    await worker.press("Skip")
    await worker.press("Done")
    await worker.press("Done")
    reply = await worker.press("Send")
    assert "The service is busy just now. Nothing was lost." in reply.messages[0].text
    assert not any(m.keep for m in reply.messages)
    assert Effect.DELETE_CONVERSATION not in reply.effects
    reply = await worker.press("Try again")
    assert reply.messages[0].keep
    assert submitter.drafts[0].answers["what_happened"] == {"text": "Wages withheld since March"}


async def test_when_no_partner_can_take_it_the_worker_is_told_and_nothing_is_kept():
    worker = Worker(submitter=RecordingSubmitter(no_route=True))
    await worker.walk_to("danger")
    await worker.press("No")
    await worker.text("text")
    for _ in range(4):
        await worker.press(
            "Skip" if worker.at("since_when") or worker.at("workers_affected") else "Done"
        )
    reply = await worker.press("Send")
    assert "no organisation can receive this" in reply.messages[0].text
    assert worker.conv.draft.answers == {}


async def test_a_workplace_without_a_partner_is_said_at_once():
    directory = FakeDirectory(covered={}, site_list={"TH": [("lamphun-2", "Lamphun", "mekong")]})
    worker = Worker(directory=directory)
    await worker.walk_to("site")
    reply = await worker.press("Another workplace")
    assert "no organisation can receive this" in reply.messages[0].text


async def test_one_country_is_chosen_for_the_worker():
    worker = Worker(directory=FakeDirectory(covered={"MY": "klang"}, site_list={}))
    await worker.walk_to("site")
    assert worker.at("site")
    assert worker.conv.draft.answers["country"] == "MY"
    await worker.press("Back")
    assert worker.at("consent")


async def test_consent_declined_keeps_nothing():
    worker = Worker()
    await worker.command(Command.START)
    await worker.press("English")
    await worker.press("I have read this")
    reply = await worker.press("No, stop")
    assert "Nothing was sent or kept" in reply.messages[0].text
    assert Effect.DELETE_CONVERSATION in reply.effects
    assert worker.conv.draft.position is None


async def test_cancel_and_wipe_forget_the_draft():
    worker = Worker()
    await worker.walk_to("danger")
    reply = await worker.command(Command.CANCEL)
    assert Effect.DELETE_CONVERSATION in reply.effects and worker.conv.draft.answers == {}
    await worker.walk_to("danger")
    reply = await worker.command(Command.WIPE)
    assert reply.effects == [Effect.WIPE] and worker.conv.draft.answers == {}


async def test_language_can_be_changed_midway_and_the_worker_returns_to_the_same_step():
    worker = Worker()
    await worker.walk_to("danger")
    await worker.command(Command.LANGUAGE)
    await worker.choose_language("中文")
    assert worker.at("danger")
    assert worker.conv.draft.answers["categories"] == ["wages"]


async def test_help_and_status_answer_in_the_workers_language():
    worker = Worker()
    await worker.command(Command.START)
    await worker.press("ไทย")
    help_reply = await worker.command(Command.HELP)
    assert "/wipe" in help_reply.messages[0].text
    assert "This service" not in help_reply.messages[0].text
    status = await worker.command(Command.STATUS)
    assert status.messages[0].text


@pytest.mark.parametrize(
    ("kind", "effect"),
    [
        (Unsupported.STICKER, None),
        (Unsupported.LOCATION, Effect.DELETE_INPUT),
        (Unsupported.CONTACT, Effect.DELETE_INPUT),
        (Unsupported.EDITED, None),
        (Unsupported.OTHER, None),
    ],
)
async def test_other_kinds_of_message_get_a_clear_answer(kind, effect):
    worker = Worker()
    await worker.walk_to("danger")
    reply = await worker.send(Other(kind))
    assert reply.messages[0].text
    assert reply.effects == ([effect] if effect else [])
    assert worker.at("danger")


async def test_evidence_accepts_several_files_and_refuses_bad_ones_calmly():
    worker = Worker()
    await worker.walk_to("danger")
    await worker.press("No")
    await worker.text("chemicals")
    await worker.press("Skip")
    await worker.press("Skip")
    assert worker.at("evidence")
    await worker.media(AttachmentKind.PHOTO, jpeg_bytes())
    await worker.media(AttachmentKind.DOCUMENT, b"MZ\x90\x00 not a pdf at all")
    assert "Only photos, voice messages and PDF" in worker.last.text
    await worker.media(AttachmentKind.PHOTO, jpeg_bytes()[:200])
    assert "damaged" in worker.last.text or "could not be read" in worker.last.text
    await worker.media(AttachmentKind.DOCUMENT, b"", size=25 * 1024 * 1024)
    assert "too large" in worker.last.text
    await worker.media(AttachmentKind.VOICE, OGG_VOICE)
    assert "2 files" in worker.last.text
    assert len(worker.conv.draft.attachments) == 2


async def test_a_report_limit_per_day_is_told_plainly():
    from handlers.engine import Engine
    from handlers.ports import NoLimits
    from handlers.questionnaire import load_default

    directory, submitter = FakeDirectory(), RecordingSubmitter()

    class NoMoreReports(NoLimits):
        def allow_report(self, key):
            return False

    engine = Engine(load_default(), directory, submitter, limits=NoMoreReports(), scrubber=SCRUBBER)
    worker = Worker(engine=engine, directory=directory, submitter=submitter)
    await worker.walk_to("danger")
    await worker.press("No")
    await worker.text("text")
    await worker.press("Skip")
    await worker.press("Skip")
    await worker.press("Done")
    await worker.press("Done")
    reply = await worker.press("Send")
    assert "try again tomorrow" in reply.messages[0].text
    assert submitter.drafts == []
