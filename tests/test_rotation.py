"""Rotation and revocation in practice: the bot, the case API and the desk together.

After `admin partner rotate`, new reports are sealed to the new key only and `desk rewrap` moves
the old cases to it, after which the retired key opens nothing stored. A revoked key is never used,
and a key statement altered in the database is refused, by the bot and by the desk.
"""

from __future__ import annotations

import json

from deployment import count_cases, decrypt_cases, deployment, walk_to
from desk_world import PASSPHRASE, run_cli, write_key_file
from reports import file_a_report
from sqlalchemy import select, update

from bot import admin
from crypto.keys import key_id, new_partner_key, verify_key_text
from storage.models import PartnerKey, Wrap

SLUG = "mekong-workers"
NO_ORGANISATION = "no organisation can receive this"
REPLY = "SENTINEL-REPLY we are looking into it"


def kid(key) -> str:
    return key_id(bytes(key.public_key))


async def issue(running) -> str:
    async with running.service.sessions() as session, session.begin():
        return (await admin.credentials.issue(session, SLUG, "rotation test")).credential.token


async def wrap_key_ids(running) -> dict[str, set[str]]:
    """Entry id -> key ids of its wraps, for every stored entry."""
    found: dict[str, set[str]] = {}
    async with running.service.sessions() as session:
        for entry_id, wrapped_for in await session.execute(select(Wrap.entry_id, Wrap.key_id)):
            found.setdefault(entry_id, set()).add(wrapped_for)
    return found


async def submit(running, user_id: int):
    """Another worker walks the questionnaire and presses Send; returns the bot's answer."""
    worker = running.api.user(user_id, f"Worker{user_id}")
    review = await walk_to(worker, "review")
    await worker.press("Send", review)
    return worker, await worker.wait_for_bot_message(
        lambda m: "receipt number" in m.text or NO_ORGANISATION in m.text, timeout=10
    )


def isolate(monkeypatch) -> None:
    for variable in ("GRIEVANCE_SERVER", "GRIEVANCE_TOKEN", "GRIEVANCE_KEY_FILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.delenv("GRIEVANCE_ADMIN_VERIFY_KEY", raising=False)
    monkeypatch.setenv("GRIEVANCE_PASSPHRASE", PASSPHRASE)


async def test_rotate_submit_rewrap_and_the_retired_key_opens_nothing(
    database_url, tmp_path, monkeypatch
):
    isolate(monkeypatch)
    async with deployment(database_url, str(tmp_path / "data")) as running:
        running.service.store.messages_per_window = 100
        old_key = running.partner_key
        laptop = tmp_path / "laptop"
        laptop.mkdir()
        old_file = write_key_file(laptop / "old.key", old_key)
        connect = [
            "--server", f"http://127.0.0.1:{running.service.http_port}",
            "--token", await issue(running),
        ]  # fmt: skip

        # Before the rotation: a report with a photo and a voice note, a reply and a note.
        worker, receipt = await file_a_report(running.api)
        digits = receipt.text.split("\n\n")[1]
        await worker.press("I have saved it", receipt)
        listed = await run_cli(["desk", "cases", "--json", *connect, "--key", str(old_file)])
        (first,) = json.loads(listed.out)["cases"]
        assert (await run_cli(["desk", "reply", first["id"], REPLY, *connect])).status == 0
        assert (await run_cli(["desk", "note", first["id"], "old-key note", *connect])).status == 0

        new_key = new_partner_key()
        async with running.service.sessions() as session, session.begin():
            await admin.partners.rotate_key(
                session, admin.signing.Signer(running.signing_key), SLUG, new_key.public_key
            )

        # A report after the rotation is sealed to the new key only.
        before = await wrap_key_ids(running)
        _, answer = await submit(running, 5101)
        assert "receipt number" in answer.text
        fresh = {e: k for e, k in (await wrap_key_ids(running)).items() if e not in before}
        assert fresh and all(keys == {kid(new_key)} for keys in fresh.values())

        # Re-wrapping hands every data key to the active key: not on the server's word alone.
        unsure = await run_cli(["desk", "rewrap", *connect, "--key", str(old_file)])
        assert unsure.status == 1 and "GRIEVANCE_ADMIN_VERIFY_KEY" in unsure.err
        assert await wrap_key_ids(running) == fresh | before

        # With the administrators' verify key pinned, the retired key is enough.
        pinned = verify_key_text(running.signing_key.verify_key)
        monkeypatch.setenv("GRIEVANCE_ADMIN_VERIFY_KEY", pinned)
        ran = await run_cli(["desk", "rewrap", "--json", *connect, "--key", str(old_file)])
        assert ran.status == 0, ran.err
        result = json.loads(ran.out)
        assert result["old_key_ids"] == [kid(old_key)]
        assert result["active_key_id"] == kid(new_key)
        # Report, photo, voice note, reply and note of the first case.
        assert (result["cases"], result["rewrapped"], result["missing_keys"]) == (1, 5, {})

        wraps = await wrap_key_ids(running)
        assert not any(kid(old_key) in keys for keys in wraps.values())
        assert all(kid(new_key) in keys for keys in wraps.values())
        opened = await decrypt_cases(database_url, new_key)  # raises if any entry does not open
        assert sorted(len(c["case"].entries) for c in opened) == [1, 5]
        with_old = await run_cli(["desk", "cases", "--json", *connect, "--key", str(old_file)])
        assert [c["opened"] for c in json.loads(with_old.out)["cases"]] == [False, False]
        new_file = write_key_file(laptop / "new.key", new_key)
        with_new = await run_cli(["desk", "show", first["id"], "--json", *connect,
                                  "--key", str(new_file)])  # fmt: skip
        thread = json.loads(with_new.out)["thread"]
        assert [t.get("text") for t in thread[-2:]] == [REPLY, "old-key note"]

        # The worker's own wrap of the reply was left alone: they still read it.
        await worker.send_command("/status")
        await worker.wait_for_bot_message(lambda m: "receipt number" in m.text)
        await worker.send_text(digits)
        await worker.wait_for_bot_message(lambda m: REPLY in m.text, timeout=10)

        # Holding the active key's file vouches for it too; there is nothing left to move.
        monkeypatch.delenv("GRIEVANCE_ADMIN_VERIFY_KEY")
        again = await run_cli(
            ["desk", "rewrap", *connect, "--key", str(old_file), "--key", str(new_file)]
        )
        assert again.status == 0, again.err
        assert again.out.startswith("Re-wrapped 0 entries of 0 cases")
        await running.api.wait_idle()


async def test_a_revoked_key_is_never_used_and_the_worker_is_told_plainly(
    database_url, tmp_path, monkeypatch
):
    isolate(monkeypatch)
    async with deployment(database_url, str(tmp_path / "data")) as running:
        running.service.store.messages_per_window = 100
        connect = [
            "--server", f"http://127.0.0.1:{running.service.http_port}",
            "--token", await issue(running),
        ]  # fmt: skip
        # The worker is halfway through when the administrators revoke the only key.
        worker = running.api.user(5201, "Worker")
        review = await walk_to(worker, "review")
        async with running.service.sessions() as session, session.begin():
            await admin.partners.revoke_key(
                session,
                admin.signing.Signer(running.signing_key),
                SLUG,
                kid(running.partner_key),
                force=True,
            )
        await worker.press("Send", review)
        told = await worker.wait_for_bot_message(lambda m: NO_ORGANISATION in m.text, timeout=10)
        assert "Nothing was sent or kept" in told.text
        assert await count_cases(database_url) == 0

        # A new worker, once the directory has noticed, is told before typing anything.
        running.service.directory.forget()
        late = running.api.user(5202, "Late")
        await late.send_command("/start")
        picker = await late.wait_for_bot_message()
        await late.press("English", picker)
        await late.press("I have read this", await late.wait_for_bot_message())
        await late.press("Yes, continue", await late.wait_for_bot_message())
        await late.wait_for_bot_message(lambda m: NO_ORGANISATION in m.text, timeout=10)
        assert await count_cases(database_url) == 0

        # Nor does the desk seal anything to a revoked key.
        note = await run_cli(["desk", "note", "7KQ2M9XD4H1A", "hello", *connect])
        assert note.status == 1 and "has no active key" in note.err
        await running.api.wait_idle()


async def test_a_tampered_key_statement_is_refused_by_bot_and_desk(
    database_url, tmp_path, monkeypatch
):
    isolate(monkeypatch)
    async with deployment(database_url, str(tmp_path / "data")) as running:
        running.service.store.messages_per_window = 100
        connect = [
            "--server", f"http://127.0.0.1:{running.service.http_port}",
            "--token", await issue(running),
        ]  # fmt: skip
        worker, receipt = await file_a_report(running.api)
        await worker.press("I have saved it", receipt)
        listed = await run_cli(["desk", "cases", "--json", *connect, "--key", str(
            write_key_file(tmp_path / "partner.key", running.partner_key))])  # fmt: skip
        (case,) = json.loads(listed.out)["cases"]
        before = await wrap_key_ids(running)

        # Someone with access to the database swaps in their own key, id and all: only the
        # administrators' signature can tell.
        intruder = new_partner_key()
        async with running.service.sessions() as session, session.begin():
            await session.execute(
                update(PartnerKey)
                .where(PartnerKey.key_id == kid(running.partner_key))
                .values(key_id=kid(intruder), public_key=bytes(intruder.public_key))
            )
        _, answer = await submit(running, 5301)
        assert NO_ORGANISATION in answer.text
        assert await count_cases(database_url) == 1

        monkeypatch.setenv(
            "GRIEVANCE_ADMIN_VERIFY_KEY", verify_key_text(running.signing_key.verify_key)
        )
        for command in (["reply", case["id"], "hello"], ["note", case["id"], "hello"]):
            refused = await run_cli(["desk", *command, *connect])
            assert refused.status == 1, refused.out
            assert "is not signed by the administrators' key" in refused.err

        # Half a swap (the public key only) is refused even without the pinned key.
        monkeypatch.delenv("GRIEVANCE_ADMIN_VERIFY_KEY")
        async with running.service.sessions() as session, session.begin():
            await session.execute(
                update(PartnerKey)
                .where(PartnerKey.key_id == kid(intruder))
                .values(key_id=kid(running.partner_key))
            )
        refused = await run_cli(["desk", "note", case["id"], "hello", *connect])
        assert refused.status == 1 and "public key of another id" in refused.err

        assert await wrap_key_ids(running) == before  # nothing was sealed to the intruder
        await running.api.wait_idle()
