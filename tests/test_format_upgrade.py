"""A database written by the version-1 code still opens, and a relabelled author never reads as
the other party's words.

`tests/vectors/version1_database.json` holds the rows the version-1 code stored for one case
(report, photo, follow-up, voice note, reply, note; see make_version1_database.py). They are
loaded into a new database, migrated to head, and read with today's code: by the desk over the
real case API, by the bot's /status with the receipt, and by `format_spec`, a stranger's reader
that knows only docs/FORMAT.md (its "Where things are stored" query included).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import format_spec
import pytest
from desk_world import PASSPHRASE, Ran, api_server, run_cli, write_key_file
from sqlalchemy import insert, select, text, update

from bot import admin
from bot.database import open_database
from bot.intake.tracking import StoredTracker
from crypto.keys import PrivateKey, SigningKey, verify_key_text
from storage import partners
from storage.migrate import upgrade_to_head
from storage.models import Case, CaseEntry, Setting, Wrap

FORMAT = (Path(__file__).parent.parent / "docs" / "FORMAT.md").read_text(encoding="utf-8")
ROWS = json.loads(
    (Path(__file__).parent / "vectors" / "version1_database.json").read_text(encoding="utf-8")
)
SLUG = "mekong-workers"
VECTORS_KEYS = json.loads(
    (Path(__file__).parent / "vectors" / "vectors.json").read_text(encoding="utf-8")
)["keys"]


@dataclass
class OldDeployment:
    """The version-1 rows in a new database, the API serving them, and the desk's settings."""

    sessions: Any
    url: str
    token: str
    key_file: Path
    verify_key: Any

    async def desk(self, *argv: str, key: bool = True) -> Ran:
        """`grievance desk ARGV` against this server, with the key file if the command opens."""
        args = ["desk", *argv, "--server", self.url, "--token", self.token]
        return await run_cli([*args, "--key", str(self.key_file)] if key else args)

    async def thread(self) -> list[dict[str, Any]]:
        shown = await self.desk("show", ROWS["case"]["id"], "--json")
        assert shown.status == 0, shown.err
        view = json.loads(shown.out)
        assert view["report"] is not None, view["problem"]
        return view["thread"]


@contextlib.asynccontextmanager
async def old_deployment(database_url: str, folder: Path) -> AsyncIterator[OldDeployment]:
    await upgrade_to_head(database_url)
    signing_key = SigningKey(bytes.fromhex(ROWS["admin_seed"]))
    partner_key = PrivateKey(bytes.fromhex(ROWS["partner_secret_key"]))
    async with open_database(database_url) as sessions:
        async with sessions() as session, session.begin():
            await admin.partners.add_partner(
                session, admin.signing.Signer(signing_key), SLUG, "Mekong Workers",
                partner_key.public_key, ["TH"],
            )  # fmt: skip
            partner = await partners.get_partner(session, SLUG)
            await _load_rows(session, partner.id)
            token = (await admin.credentials.issue(session, SLUG, "laptop")).credential.token
        key_file = write_key_file(folder / "partner.key", partner_key)
        async with api_server(sessions) as url:
            yield OldDeployment(sessions, url, token, key_file, signing_key.verify_key)


async def _load_rows(session: Any, partner_id: int) -> None:
    """The rows exactly as the version-1 code stored them (days and bytes as written)."""
    case = ROWS["case"]
    await session.execute(
        insert(Setting).values(name="receipt_salt", value=_hex(ROWS, "receipt_salt"))
    )
    await session.execute(
        insert(Case).values(
            id=case["id"], partner_id=partner_id, status=case["status"],
            created_day=date.fromisoformat(case["created_day"]),
            updated_day=date.fromisoformat(case["updated_day"]),
            worker_public_key=_hex(case, "worker_public_key"), lookup_id=_hex(case, "lookup_id"),
        )
    )  # fmt: skip
    for entry in ROWS["entries"]:
        await session.execute(
            insert(CaseEntry).values(
                id=entry["id"], case_id=case["id"], seq=entry["seq"], purpose=entry["purpose"],
                author=entry["author"], created_day=date.fromisoformat(entry["created_day"]),
                body=_hex(entry, "body"),
            )
        )  # fmt: skip
    for wrap in ROWS["wraps"]:
        await session.execute(
            insert(Wrap).values(
                entry_id=wrap["entry_id"],
                key_id=wrap["key_id"],
                sealed_key=_hex(wrap, "sealed_key"),
            )
        )


def _hex(row: dict[str, Any], name: str) -> bytes:
    return bytes.fromhex(row[name])


async def _replies(deployment: OldDeployment) -> tuple[str, ...]:
    """What the worker reads with /status and the receipt."""
    salt = _hex(ROWS, "receipt_salt")
    tracker = StoredTracker(deployment.sessions, salt, deployment.verify_key)
    view = await tracker.lookup(ROWS["receipt"])
    assert view is not None, "the receipt no longer finds its case"
    return view.replies


@pytest.fixture(autouse=True)
def caseworker_settings(monkeypatch):
    """The caseworker's environment: the key file's passphrase and the pinned verify key."""
    for variable in ("GRIEVANCE_SERVER", "GRIEVANCE_TOKEN", "GRIEVANCE_KEY_FILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("GRIEVANCE_PASSPHRASE", PASSPHRASE)
    verify_key = SigningKey(bytes.fromhex(ROWS["admin_seed"])).verify_key
    monkeypatch.setenv("GRIEVANCE_ADMIN_VERIFY_KEY", verify_key_text(verify_key))


def test_the_rows_were_written_by_the_version_1_code():
    assert ROWS["written_by"] == "format version 1 code"
    bodies = [bytes.fromhex(entry["body"]) for entry in ROWS["entries"]]
    assert {body[0] for body in bodies} == {1}
    purposes = {entry["purpose"] for entry in ROWS["entries"]}
    assert purposes == {"report", "attachment", "follow-up", "reply", "note"}


async def test_a_database_written_by_the_version_1_code_opens_at_the_desk_and_for_the_worker(
    database_url, tmp_path
):
    async with old_deployment(database_url, tmp_path) as old:
        thread = await old.thread()
        assert [(t["seq"], t["purpose"], t["author"]) for t in thread] == [
            (2, "attachment", "worker"),
            (3, "follow-up", "worker"),
            (4, "attachment", "worker"),
            (5, "reply", "caseworker"),
            (6, "note", "caseworker"),
        ]
        assert not [t for t in thread if "problem" in t]
        texts = [t.get("text") for t in thread]
        assert "V1-FOLLOW-UP it happened again" in texts and "V1-NOTE agency name" in texts
        assert await _replies(old) == ("V1-REPLY we will visit",)

        # A reply written today is version 2, in the same thread, read by both sides.
        replied = await old.desk(
            "reply", ROWS["case"]["id"], "V2-REPLY a visit on Monday", key=False
        )
        assert replied.status == 0, replied.err
        async with old.sessions() as session:
            newest = await session.scalar(select(CaseEntry).where(CaseEntry.seq == 7))
        assert newest.body[0] == 2
        thread = await old.thread()
        assert [t.get("text") for t in thread][-1] == "V2-REPLY a visit on Monday"
        assert not [t for t in thread if "problem" in t]
        assert await _replies(old) == ("V1-REPLY we will visit", "V2-REPLY a visit on Monday")


async def test_a_reply_relabelled_as_the_workers_is_shown_as_altered_never_as_their_words(
    database_url, tmp_path
):
    async with old_deployment(database_url, tmp_path) as old:
        replied = await old.desk(
            "reply", ROWS["case"]["id"], "V2-REPLY a visit on Monday", key=False
        )
        assert replied.status == 0, replied.err
        # A database writer files both replies (version 1 and 2) and the worker's follow-up
        # under the other party.
        async with old.sessions() as session, session.begin():
            await session.execute(
                update(CaseEntry).where(CaseEntry.purpose == "reply").values(author="worker")
            )
            await session.execute(
                update(CaseEntry)
                .where(CaseEntry.purpose == "follow-up")
                .values(author="caseworker")
            )
        thread = await old.thread()
        relabelled = [t for t in thread if t["purpose"] in {"reply", "follow-up"}]
        assert len(relabelled) == 3
        for item in relabelled:
            assert "text" not in item, f"a relabelled {item['purpose']} was shown as words"
            assert "altered" in item["problem"]
        shown = await old.desk("show", ROWS["case"]["id"])
        assert shown.status == 0, shown.err
        assert "V1-REPLY" not in shown.out and "V2-REPLY" not in shown.out
        assert "V1-FOLLOW-UP" not in shown.out
        assert shown.out.count("cannot be opened") == 3


def documented_query() -> str:
    """The SQL of FORMAT.md, "Where things are stored", as a stranger would copy it."""
    after = FORMAT.split("Everything one partner key opens", 1)[1]
    block = after.split("\n\n", 2)[1]
    return " ".join(line.strip() for line in block.splitlines())


async def test_a_strangers_decryptor_finds_and_opens_everything_from_the_documented_tables(
    database_url, tmp_path
):
    partner_secret = bytes.fromhex(ROWS["partner_secret_key"])
    partner_id = format_spec.key_id(bytes.fromhex(VECTORS_KEYS["partner_public_key"]))
    async with old_deployment(database_url, tmp_path) as old:
        replied = await old.desk("reply", ROWS["case"]["id"], "V2-REPLY a visit", key=False)
        assert replied.status == 0, replied.err
        query = documented_query().replace("<the key id of your public key>", partner_id)
        async with old.sessions() as session:
            rows = (await session.execute(text(query))).all()
            salt = await session.scalar(
                text("SELECT value FROM settings WHERE name = 'receipt_salt'")
            )
            canonical = format_spec.canonical_receipt(ROWS["receipt"])
            lookup, _public, case_secret = format_spec.receipt_keys(canonical, bytes(salt))
            case_id = await session.scalar(
                text("SELECT id FROM cases WHERE lookup_id = :lookup"), {"lookup": lookup}
            )
            worker_key = await session.scalar(
                text("SELECT worker_public_key FROM cases WHERE id = :id"), {"id": case_id}
            )
            worker_wraps = (
                await session.execute(
                    text(
                        "SELECT e.id, e.body, w.sealed_key FROM case_entries AS e"
                        " JOIN wraps AS w ON w.entry_id = e.id WHERE w.key_id = :kid"
                    ),
                    {"kid": format_spec.key_id(bytes(worker_key))},
                )
            ).all()
    assert case_id == ROWS["case"]["id"]
    assert [row.purpose for row in rows] == [
        "report", "attachment", "follow-up", "attachment", "reply", "note", "reply",
    ]  # fmt: skip
    opened = []
    for row in rows:
        wraps = {partner_id: bytes(row.sealed_key)}
        fields = (row.case_id, row.id, row.purpose, row.author)
        opened.append(format_spec.open_entry(bytes(row.body), wraps, partner_secret, *fields))
    assert b"V1-REPORT passports held" in opened[0]
    assert b"V2-REPLY a visit" in opened[-1]
    worker_id = format_spec.key_id(bytes(worker_key))
    replies = [
        format_spec.open_entry(
            bytes(body), {worker_id: bytes(sealed)}, case_secret, case_id, entry_id, "reply",
            "caseworker",
        )
        for entry_id, body, sealed in worker_wraps
    ]  # fmt: skip
    assert sorted(b"V1-REPLY" in r or b"V2-REPLY" in r for r in replies) == [True, True]
