"""The caseworker's desk against the real case API: what a caseworker sees and does."""

from __future__ import annotations

import csv
import io
import json
import stat

import pytest
from babel import Locale
from desk_world import (
    PASSPHRASE,
    SLUG,
    DeskWorld,
    add_follow_up,
    add_follow_up_file,
    desk_world_for_commands,
    kid,
    open_stored,
    run_subprocess,
    store_report,
    stored_entries,
    write_key_file,
)
from languages import SIXTEEN

import desk.client
from bot import admin
from crypto.envelope import Envelope, unwrap_data_key, wrap_data_key
from crypto.errors import DecryptionError
from crypto.keys import new_partner_key
from crypto.payloads import AttachmentHeader, decode_message
from desk.client import DeskError, parse_case_id
from desk.languages import language
from handlers.i18n import language_name
from storage import cases, partners
from vocabulary import CaseStatus

PHOTO = b"\xff\xd8\xff\xe0SENTINEL-PHOTO" + bytes(range(256)) * 4
VOICE = b"OggS" + b"\x00" * 40 + b"SENTINEL-VOICE"
FILES = [
    (AttachmentHeader("photo", "image/jpeg", ".jpg", "evidence"), PHOTO),
    (AttachmentHeader("voice", "audio/ogg", ".ogg", "evidence"), VOICE),
]
THAI = "หัวหน้างานยึดหนังสือเดินทางของเรา และหักค่าจ้างทุกเดือนโดยไม่บอกเหตุผล"


@pytest.fixture
async def world(database_url, tmp_path, monkeypatch):
    async with desk_world_for_commands(database_url, tmp_path, monkeypatch) as world:
        yield world


async def queue(world: DeskWorld) -> dict[str, str]:
    """Five cases a caseworker must triage; name -> case id."""
    key = world.partner_key.public_key
    made = {
        "plain new": await store_report(world.sessions, key, "The canteen food made us sick"),
        "danger new": await store_report(
            world.sessions, key, THAI, language="th", danger=True,
            categories=[("forced_labour", "Forced labour, recruitment fees or documents taken")],
        ),
        "danger investigating": await store_report(
            world.sessions, key, "Locked fire exits on line 4", danger=True,
            status=CaseStatus.INVESTIGATING,
        ),
        "danger closed": await store_report(
            world.sessions, key, "A machine guard was missing", danger=True,
            status=CaseStatus.CLOSED,
        ),
        "acknowledged": await store_report(
            world.sessions, key, "word " * 60, language="my",
            categories=[("contracts", "Contracts, agency work or dismissal"), ("hours", "Hours")],
            status=CaseStatus.ACKNOWLEDGED,
        ),
    }  # fmt: skip
    return {name: sealed.id for name, sealed in made.items()}


async def test_the_list_puts_urgent_and_new_first_with_what_triage_needs(world, monkeypatch):
    ids = await queue(world)
    # Two cases a page: the desk must follow the pages to the end.
    monkeypatch.setattr(desk.client, "PAGE_SIZE", 2)
    ran = await world.desk("cases", "--json", key=world.key_file)
    assert ran.status == 0, ran.err
    listed = json.loads(ran.out)["cases"]
    order = ["danger new", "danger investigating", "plain new", "acknowledged", "danger closed"]
    assert [c["id"] for c in listed] == [ids[name] for name in order]

    first = listed[0]
    assert first["status"] == "new" and first["urgent"] and first["danger"]
    assert first["language"] == {"code": "th", "native": "ไทย", "english": "Thai"}
    assert first["workplace"] == "Lamphun Plant 2"
    assert first["categories"] == ["forced_labour"]
    assert first["categories_text"] == "Forced labour, recruitment fees or documents taken"
    assert first["first_words"] == THAI  # short enough to show whole
    assert len(first["day"]) == 10 and first["day"] == first["updated_day"]
    closed = listed[-1]
    assert closed["danger"] and not closed["urgent"]  # settled: no longer urgent
    long = listed[3]
    assert long["categories"] == ["contracts", "hours"]
    assert long["language"]["english"] == "Burmese"
    assert long["first_words"].endswith(" …") and len(long["first_words"]) <= 82

    text = await world.desk("cases", key=world.key_file)
    assert text.status == 0, text.err
    lines = text.out.splitlines()
    assert lines[0].startswith(ids["danger new"]) and "URGENT" in lines[0]
    assert "ไทย (Thai)" in lines[0] and "Lamphun Plant 2" in lines[0]
    assert lines[1].strip().startswith(THAI[:20])
    assert "5 cases: 2 urgent, 2 new." in text.out

    only_new = await world.desk("cases", "--status", "new", "--json", key=world.key_file)
    assert {c["id"] for c in json.loads(only_new.out)["cases"]} == {
        ids["plain new"],
        ids["danger new"],
    }


async def test_show_opens_the_whole_thread_and_writes_files_only_when_asked(world, tmp_path):
    key = world.partner_key.public_key
    case = await store_report(world.sessions, key, "They took our passports", files=FILES)
    await add_follow_up(world.sessions, key, case.id, THAI, "th")
    assert (await world.desk("reply", case.id, "We will visit on Monday.")).status == 0
    assert (await world.desk("note", case.id, "Call the agency first.")).status == 0
    before = sorted(tmp_path.rglob("*"))

    shown = await world.desk("show", case.id.lower(), "--json", key=world.key_file)
    assert shown.status == 0, shown.err
    view = json.loads(shown.out)
    assert sorted(tmp_path.rglob("*")) == before  # nothing decrypted touched the disk
    answers = {a["step"]: a["answer"] for a in view["report"]["answers"]}
    assert answers["what_happened"] == "They took our passports"
    assert answers["site"] == "Lamphun Plant 2" and answers["categories"] == "Wages and deductions"
    thread = view["thread"]
    assert [(t["seq"], t["purpose"], t["author"]) for t in thread] == [
        (2, "attachment", "worker"),
        (3, "attachment", "worker"),
        (4, "follow-up", "worker"),
        (5, "reply", "caseworker"),
        (6, "note", "caseworker"),
    ]
    photo, voice, follow_up, reply, note = thread
    assert (photo["kind"], photo["media_type"], photo["size"]) == (
        "photo",
        "image/jpeg",
        len(PHOTO),
    )
    assert (voice["kind"], voice["media_type"], voice["size"]) == ("voice", "audio/ogg", len(VOICE))
    assert photo["saved_to"] is None
    assert follow_up["text"] == THAI and follow_up["language"]["english"] == "Thai"
    assert reply["text"] == "We will visit on Monday."
    assert note["text"] == "Call the agency first."

    text = await world.desk("show", case.id, key=world.key_file)
    assert "Workplace: Lamphun Plant 2" in text.out
    assert "worker      follow-up (ไทย (Thai)): " + THAI in text.out
    assert "caseworker  note: Call the agency first." in text.out
    assert "photo, image/jpeg" in text.out and "saved to" not in text.out

    folder = tmp_path / "evidence"
    saved = await world.desk(
        "show", case.id, "--save-attachments", str(folder), "--json", key=world.key_file
    )
    assert saved.status == 0, saved.err
    files = {p.name: p for p in folder.iterdir()}
    assert files == {
        f"{case.id}-002-photo.jpg": folder / f"{case.id}-002-photo.jpg",
        f"{case.id}-003-voice.ogg": folder / f"{case.id}-003-voice.ogg",
    }
    assert files[f"{case.id}-002-photo.jpg"].read_bytes() == PHOTO
    assert files[f"{case.id}-003-voice.ogg"].read_bytes() == VOICE
    for path in files.values():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert json.loads(saved.out)["thread"][0]["saved_to"] == str(
        folder / f"{case.id}-002-photo.jpg"
    )

    again = await world.desk("show", case.id, "--save-attachments", str(folder), key=world.key_file)
    assert again.status == 1 and "already exists" in again.err and again.err.count("\n") == 1
    assert files[f"{case.id}-002-photo.jpg"].read_bytes() == PHOTO


async def test_status_changes_and_says_what_the_worker_will_read(world):
    case = await store_report(world.sessions, world.partner_key.public_key, "Unpaid overtime")
    ran = await world.desk("status", case.id, "investigating")
    assert ran.status == 0, ran.err
    assert (
        ran.out.strip()
        == f'Case {case.id} is now investigating; the worker sees "Being looked into".'
    )
    async with world.sessions() as session:
        (partner,) = await partners.list_partners(session)
        stored = await cases.get_case(session, partner.id, case.id, with_entries=False)
        assert stored.status == CaseStatus.INVESTIGATING
    as_json = json.loads((await world.desk("status", case.id, "resolved", "--json")).out)
    assert as_json["status"] == "resolved" and as_json["worker_status"] == "Resolved"
    wrong = await world.desk("status", case.id, "done")
    assert wrong.status == 2 and "invalid choice" in wrong.err


async def test_a_reply_reaches_worker_and_partner_and_a_note_only_the_partner(world):
    case = await store_report(world.sessions, world.partner_key.public_key, "Unpaid overtime")
    reply = "We have spoken to the agency. Tell us if the deductions stop."
    assert (await world.desk("reply", case.id, reply)).status == 0
    added = await world.desk("note", case.id, "Worker seems to be on line 4.", "--json")
    assert added.status == 0 and json.loads(added.out)["wraps"] == [kid(world.partner_key)]

    *_, stored_reply, stored_note = await stored_entries(world.sessions, case.id)
    assert {w.key_id for w in stored_reply.wraps} == {kid(world.partner_key), kid(case.worker_key)}
    assert decode_message(open_stored(case.id, stored_reply, case.worker_key)) == reply
    assert decode_message(open_stored(case.id, stored_reply, world.partner_key)) == reply
    assert {w.key_id for w in stored_note.wraps} == {kid(world.partner_key)}
    assert decode_message(open_stored(case.id, stored_note, world.partner_key)).startswith("Worker")
    with pytest.raises(DecryptionError):
        open_stored(case.id, stored_note, case.worker_key)

    too_long = await world.desk("reply", case.id, "x" * 3501)
    assert too_long.status == 1 and "at most 3500" in too_long.err
    assert len(await stored_entries(world.sessions, case.id)) == 3


async def test_export_writes_every_case_decrypted_as_csv_or_json(world, tmp_path):
    key = world.partner_key.public_key
    formula = '=HYPERLINK("http://evil.example","click")'
    first = await store_report(world.sessions, key, formula, files=FILES[:1])
    second = await store_report(world.sessions, key, THAI, language="th", danger=True)
    await world.desk("reply", first.id, "We are on it.")

    out = tmp_path / "export.csv"
    ran = await world.desk("export", "--format", "csv", "--out", str(out), key=world.key_file)
    assert ran.status == 0, ran.err
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8"))))
    by_id = {row["case"]: row for row in rows}
    assert list(by_id) == [second.id, first.id]  # urgent first
    assert by_id[second.id]["what_happened"] == THAI
    assert by_id[second.id]["language"] == "ไทย (Thai)" and by_id[second.id]["danger"] == "yes"
    assert by_id[first.id]["what_happened"] == "'" + formula  # a spreadsheet will not run it
    assert by_id[first.id]["When"] == "This month"
    assert "caseworker reply: We are on it." in by_id[first.id]["thread"]
    assert "photo" in by_id[first.id]["attachments"]

    again = await world.desk("export", "--format", "csv", "--out", str(out), key=world.key_file)
    assert again.status == 1 and "already exists" in again.err

    as_json = await world.desk("export", "--format", "json", key=world.key_file)
    assert as_json.status == 0, as_json.err
    exported = json.loads(as_json.out)
    assert exported["format"] == "grievance-desk-export" and exported["partner"] == SLUG
    assert [c["id"] for c in exported["cases"]] == [second.id, first.id]
    assert exported["cases"][1]["report"]["what_happened"] == formula
    assert exported["cases"][1]["thread"][-1]["text"] == "We are on it."


async def test_mistakes_are_one_calm_line(world, tmp_path):
    case = await store_report(world.sessions, world.partner_key.public_key, "Unpaid overtime")

    def one_line(ran, *fragments):
        assert ran.status == 1, ran
        assert ran.err.count("\n") == 1 and ran.err.startswith("grievance: error: "), ran.err
        assert "Traceback" not in ran.err
        for fragment in fragments:
            assert fragment in ran.err, ran.err

    world.token, token = "gct_" + "A" * 43, world.token
    one_line(await world.desk("status", case.id, "closed"), "not valid or was revoked")
    world.token = token

    async with world.sessions() as session, session.begin():
        issued = await admin.credentials.issue(session, SLUG, "lost laptop")
    async with world.sessions() as session, session.begin():
        await admin.credentials.revoke(session, issued.credential.id)
    world.token = issued.credential.token
    one_line(await world.desk("cases", key=world.key_file), "not valid or was revoked")
    world.token = token

    unknown = "7KQ2M9XD4H1A"
    one_line(await world.desk("show", unknown, key=world.key_file), f"no case {unknown} in your")
    one_line(await world.desk("reply", unknown, "hello"), f"no case {unknown} in your partner's")
    one_line(await world.desk("status", "not-a-case", "closed"), "is not a case id")

    stranger = write_key_file(tmp_path / "stranger.key", new_partner_key())
    one_line(await world.desk("cases", key=stranger), "is not a key of partner 'mekong-workers'")

    world.url, url = "http://127.0.0.1:9", world.url
    one_line(await world.desk("status", case.id, "closed"), "cannot reach the server at")
    world.url = url

    # A separate process, configured through the environment as on a caseworker's laptop.
    env = {
        "GRIEVANCE_SERVER": world.url,
        "GRIEVANCE_TOKEN": world.token,
        "GRIEVANCE_KEY_FILE": str(world.key_file),
        "GRIEVANCE_PASSPHRASE": "not the passphrase at all",
    }
    wrong = await run_subprocess(["desk", "cases"], env, tmp_path)
    one_line(wrong, "the passphrase does not open", str(world.key_file))
    right = await run_subprocess(
        ["desk", "cases"], {**env, "GRIEVANCE_PASSPHRASE": PASSPHRASE}, tmp_path
    )
    assert right.status == 0 and case.id in right.out
    both = {**env, "GRIEVANCE_TOKEN": "gct_" + "B" * 43}  # two mistakes: still one line
    one_line(await run_subprocess(["desk", "cases"], both, tmp_path), "not valid or was revoked")
    del env["GRIEVANCE_KEY_FILE"]
    one_line(await run_subprocess(["desk", "cases"], env, tmp_path), "GRIEVANCE_KEY_FILE")
    one_line(await run_subprocess(["desk", "cases"], {}, tmp_path), "GRIEVANCE_SERVER")


def test_case_ids_are_read_as_a_caseworker_types_them():
    assert parse_case_id(" 7kq2-m9xd-4h1a ") == "7KQ2M9XD4H1A"
    assert parse_case_id("7KQ2M9XD4HIA") == "7KQ2M9XD4H1A"  # I read as 1
    with pytest.raises(DeskError):
        parse_case_id("7KQ2M9XD4H1")


def test_the_desk_names_languages_as_the_bot_does():
    for code in SIXTEEN:
        assert language(code).native == language_name(code)  # what the worker pressed
        assert language(code).english == Locale.parse(code).get_display_name("en")
    assert language("ur").label() == "اردو (Urdu)"
    assert language("fil").label() == "Filipino"
    assert language("zh_Hans").label() == "中文 (简体) (Chinese (Simplified))"
    assert language("not a language").label() == "not a language"


async def test_a_file_name_never_comes_from_the_sealed_header(world, tmp_path):
    # Anyone holding the partner's public key can seal a "report": its header is not trusted.
    hostile = AttachmentHeader("../../escape", "image/jpeg", "/../../x.sh", "evidence")
    case = await store_report(
        world.sessions, world.partner_key.public_key, "x", files=[(hostile, PHOTO)]
    )
    folder = tmp_path / "files"
    ran = await world.desk("show", case.id, "--save-attachments", str(folder), key=world.key_file)
    assert ran.status == 0, ran.err
    assert [p.name for p in folder.iterdir()] == [f"{case.id}-002-file.bin"]
    assert not [p for p in tmp_path.parent.rglob("*") if "escape" in p.name or p.suffix == ".sh"]


async def test_rewrap_moves_what_the_keys_given_open_and_names_what_is_left(world, tmp_path):
    first = await store_report(world.sessions, world.partner_key.public_key, "under key 1")
    second_key, third_key = new_partner_key(), new_partner_key()
    async with world.sessions() as session, session.begin():
        await admin.partners.rotate_key(session, world.signer, SLUG, second_key.public_key)
    second = await store_report(world.sessions, second_key.public_key, "under key 2", files=FILES)
    async with world.sessions() as session, session.begin():
        await admin.partners.rotate_key(session, world.signer, SLUG, third_key.public_key)
    key_1, key_3 = world.key_file, write_key_file(tmp_path / "third.key", third_key)

    ran = await world.desk("rewrap", key=[key_1, key_3])  # the active key's file vouches for it
    assert ran.status == 1
    assert ran.out.startswith("Re-wrapped 1 entries of 1 cases")
    assert ran.err.count("\n") == 1
    assert f"3 entries are sealed to key {kid(second_key)}" in ran.err and "--key" in ran.err

    key_2 = write_key_file(tmp_path / "second.key", second_key)
    done = await world.desk("rewrap", "--json", key=[key_2, key_3])
    assert done.status == 0, done.err
    assert json.loads(done.out)["rewrapped"] == 3
    for case in (first, second):
        for entry in await stored_entries(world.sessions, case.id):
            assert {w.key_id for w in entry.wraps} == {kid(third_key)}
            open_stored(case.id, entry, third_key)


async def test_the_list_flags_what_the_worker_added_until_a_caseworker_opens_it(world):
    """Follow-ups (and files sent as follow-ups) nobody at the partner has opened flag their case
    and sort it with the new ones; listing and exporting leave the flag, showing the case clears
    it, and the next follow-up raises it again."""
    key = world.partner_key.public_key
    sessions = world.sessions
    made = {
        "urgent": await store_report(
            sessions, key, "Locked fire exits", danger=True, status=CaseStatus.INVESTIGATING
        ),
        "quiet": await store_report(sessions, key, "Old news", status=CaseStatus.ACKNOWLEDGED),
        "followed up": await store_report(
            sessions, key, "Wages missing", status=CaseStatus.REMEDIATION
        ),
        "file sent": await store_report(
            sessions, key, "Overtime unpaid", status=CaseStatus.ACKNOWLEDGED, files=FILES[:1]
        ),
        "new": await store_report(sessions, key, "The canteen food made us sick"),
    }
    ids = {name: sealed.id for name, sealed in made.items()}
    await add_follow_up(sessions, key, ids["followed up"], "SENTINEL-FOLLOW-UP it got worse", "en")
    photo = AttachmentHeader("photo", "image/jpeg", ".jpg", "follow_up")
    await add_follow_up_file(sessions, key, ids["file sent"], photo, PHOTO)

    async def listed() -> dict[str, dict]:
        ran = await world.desk("cases", "--json", key=world.key_file)
        assert ran.status == 0, ran.err
        return {c["id"]: c for c in json.loads(ran.out)["cases"]}

    for _ in range(2):  # listing twice: listing marks nothing seen
        cases_ = await listed()
        order = list(cases_)
        assert order[0] == ids["urgent"]
        assert order[1] == ids["new"]  # then the new ones and the unread, by status
        assert set(order[2:4]) == {ids["followed up"], ids["file sent"]}
        assert order[4] == ids["quiet"]
        unread = {name: cases_[ids[name]]["unread_follow_ups"] for name in ids}
        # The report of a new case and the report's own photo are not follow-ups.
        assert unread == {"urgent": 0, "quiet": 0, "followed up": 1, "file sent": 1, "new": 0}
    exported = await world.desk("export", "--format", "json", key=world.key_file)
    assert exported.status == 0, exported.err
    text = await world.desk("cases", key=world.key_file)
    lines = {line.split()[0]: line for line in text.out.splitlines() if line[:1].isalnum()}
    assert "+1 unread" in lines[ids["followed up"]] and "+1 unread" in lines[ids["file sent"]]
    assert "+1 unread" not in lines[ids["quiet"]] and "unread" not in lines[ids["new"]]
    assert "5 cases: 1 urgent, 1 new, 2 with follow-ups nobody has opened." in text.out

    shown = await world.desk("show", ids["followed up"], key=world.key_file)
    assert shown.status == 0, shown.err
    follow_up = next(line for line in shown.out.splitlines() if "SENTINEL-FOLLOW-UP" in line)
    assert "NEW follow-up" in follow_up
    shown_file = await world.desk("show", ids["file sent"], "--json", key=world.key_file)
    thread = json.loads(shown_file.out)["thread"]
    assert [(item["step"], item["seen"]) for item in thread] == [
        ("evidence", False),  # as it was before this showing: nobody had opened the case
        ("follow_up", False),
    ]

    cases_ = await listed()
    order = list(cases_)
    assert order[:2] == [ids["urgent"], ids["new"]]
    # Opened: back among the rest, by status (acknowledged before remediation).
    assert set(order[2:4]) == {ids["quiet"], ids["file sent"]} and order[4] == ids["followed up"]
    assert [cases_[ids[n]]["unread_follow_ups"] for n in ("followed up", "file sent")] == [0, 0]
    again = await world.desk("show", ids["followed up"], key=world.key_file)
    assert "NEW" not in again.out

    await add_follow_up(sessions, key, ids["quiet"], "One more thing", "en")
    cases_ = await listed()
    assert list(cases_)[1:3] == [ids["new"], ids["quiet"]]
    assert cases_[ids["quiet"]]["unread_follow_ups"] == 1


async def test_a_rewrap_cut_short_completes_when_run_again(world, tmp_path, monkeypatch):
    """The connection drops mid-run, once after the server stored a re-wrap (the desk never
    heard) and once before: running `rewrap` again finishes the job, nothing is lost, and the
    server, which never replaces a wrap, refuses nothing the second run sends."""
    key = world.partner_key.public_key
    made = [await store_report(world.sessions, key, f"case {n}", files=FILES) for n in range(3)]
    new_key = new_partner_key()
    async with world.sessions() as session, session.begin():
        await admin.partners.rotate_key(session, world.signer, SLUG, new_key.public_key)
    new_file = write_key_file(tmp_path / "new.key", new_key)
    real = desk.client.CaseClient.replace_wraps
    calls = {"n": 0}

    async def flaky(self, entry_id, add, remove):
        calls["n"] += 1
        if calls["n"] == 3:
            await real(self, entry_id, add, remove)  # stored; the answer is lost
            raise DeskError("cannot reach the server: the connection was closed")
        if calls["n"] == 5:
            raise DeskError("cannot reach the server: the connection was closed")
        return await real(self, entry_id, add, remove)

    monkeypatch.setattr(desk.client.CaseClient, "replace_wraps", flaky)
    cut = await world.desk("rewrap", key=[world.key_file, new_file])
    assert cut.status == 1 and "connection was closed" in cut.err
    monkeypatch.setattr(desk.client.CaseClient, "replace_wraps", real)
    done = await world.desk("rewrap", "--json", key=[world.key_file, new_file])
    assert done.status == 0, done.err
    assert json.loads(done.out)["missing_keys"] == {} and json.loads(done.out)["damaged"] == 0
    for case in made:
        entries = await stored_entries(world.sessions, case.id)
        assert len(entries) == 3
        for entry in entries:
            assert {w.key_id for w in entry.wraps} == {kid(new_key)}
            open_stored(case.id, entry, new_key)
    again = await world.desk("rewrap", "--json", key=[world.key_file, new_file])
    assert json.loads(again.out)["rewrapped"] == 0 and again.status == 0


async def test_two_desks_rewrapping_at_once_both_finish(world, tmp_path, monkeypatch):
    """Another desk re-wraps an entry between this desk's listing and its request: the server
    refuses to replace that wrap (409), and this desk reads the entry again and moves on."""
    key = world.partner_key.public_key
    made = await store_report(world.sessions, key, "one case", files=FILES)
    new_key = new_partner_key()
    async with world.sessions() as session, session.begin():
        await admin.partners.rotate_key(session, world.signer, SLUG, new_key.public_key)
    new_file = write_key_file(tmp_path / "new.key", new_key)
    real = desk.client.CaseClient.replace_wraps
    raced: list[str] = []

    async def racing(self, entry_id, add, remove):
        if not raced:  # the other desk, a moment earlier, with its own sealing of the data key
            raced.append(entry_id)
            (sealed,) = add.values()
            data_key = unwrap_data_key(Envelope(b"", {kid(new_key): sealed}), new_key)
            await real(self, entry_id, wrap_data_key(data_key, [new_key.public_key]), remove)
        return await real(self, entry_id, add, remove)

    monkeypatch.setattr(desk.client.CaseClient, "replace_wraps", racing)
    ran = await world.desk("rewrap", "--json", key=[world.key_file, new_file])
    assert ran.status == 0, ran.err
    assert raced and json.loads(ran.out)["rewrapped"] == 2  # the third was the other desk's
    for entry in await stored_entries(world.sessions, made.id):
        assert {w.key_id for w in entry.wraps} == {kid(new_key)}
        open_stored(made.id, entry, new_key)
