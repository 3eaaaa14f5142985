"""Write version1_database.json: the rows a deployment of format version 1 stored for one case.

Run once, with the code of the last commit that wrote version 1 (bb16fd6) on the path:

    mkdir /tmp/v1 && git archive bb16fd6 | tar -x -C /tmp/v1
    PYTHONPATH=/tmp/v1 python tests/vectors/make_version1_database.py

It files a report with a photo through `StoredSubmitter`, adds a follow-up and a voice note through
`StoredTracker`, and a reply and a note through the desk and the real case API, exactly as that
code does it; then it dumps the rows of `cases`, `case_entries`, `wraps` and the receipt salt.
tests/test_format_upgrade.py loads them into a new database and opens everything with today's
code. Kept so that anyone can see how the rows were made; running it with newer code writes
newer envelopes, which is not what the file is for.
"""

import asyncio
import json
import sys
import tempfile
from pathlib import Path

from aiohttp.test_utils import TestServer
from nacl.public import PrivateKey
from nacl.signing import SigningKey
from sqlalchemy import select

from bot import admin
from bot.database import open_database
from bot.http.server import make_app, runner_options
from bot.intake.directory import StoredDirectory
from bot.intake.receipts import receipt_salt
from bot.intake.submission import StoredSubmitter
from bot.intake.tracking import StoredTracker
from crypto import envelope
from crypto.keys import verify_key_text
from desk.actions import add_note, add_reply
from desk.client import CaseClient
from handlers.conversation import DraftAttachment
from handlers.media import AttachmentKind, CleanAttachment
from handlers.ports import Draft
from storage.migrate import upgrade_to_head
from storage.models import Case, CaseEntry, Setting, Wrap

PARTNER_SECRET = bytes(range(1, 33))
ADMIN_SEED = bytes(range(65, 97))
PHOTO = b"\xff\xd8\xff\xe0 stands in for a re-encoded JPEG \xff\xd9"
VOICE = b"OggS stands in for an OGG/Opus voice note"


async def write(url: str) -> dict[str, object]:
    await upgrade_to_head(url)
    signer = admin.signing.Signer(SigningKey(ADMIN_SEED))
    partner_key = PrivateKey(PARTNER_SECRET)
    async with open_database(url) as sessions:
        async with sessions() as session, session.begin():
            await admin.partners.add_partner(
                session, signer, "mekong-workers", "Mekong Workers", partner_key.public_key, ["TH"]
            )
            await admin.sites.add_site(
                session, "lamphun-2", "Lamphun Plant 2", "TH", "mekong-workers"
            )
            token = (
                await admin.credentials.issue(session, "mekong-workers", "v1 laptop")
            ).credential.token
        salt = await receipt_salt(sessions)
        verify_key = SigningKey(ADMIN_SEED).verify_key
        submitter = StoredSubmitter(sessions, StoredDirectory(sessions), verify_key, salt)
        photo = CleanAttachment(AttachmentKind.PHOTO, "image/jpeg", PHOTO, ".jpg")
        draft = Draft(
            questionnaire="default",
            questionnaire_version=1,
            language="th",
            answers={"site": "lamphun-2", "what_happened": {"text": "V1-REPORT passports held"}},
            readable={
                "site": {"question": "Workplace", "answer": "Lamphun Plant 2"},
                "what_happened": {
                    "question": "What happened",
                    "answer": "V1-REPORT passports held",
                },
            },
            attachments=(DraftAttachment("evidence", photo),),
            country="TH",
            site="lamphun-2",
        )
        receipt = await submitter.submit(draft)
        tracker = StoredTracker(sessions, salt, verify_key)
        view = await tracker.lookup(receipt)
        assert view is not None
        await tracker.add_follow_up(view, "th", "V1-FOLLOW-UP it happened again", None)
        voice = CleanAttachment(AttachmentKind.VOICE, "audio/ogg", VOICE, ".ogg")
        await tracker.add_follow_up(view, "th", None, voice)
        server = TestServer(make_app(sessions=sessions), host="127.0.0.1")
        await server.start_server(**runner_options())
        try:
            async with CaseClient(f"http://127.0.0.1:{server.port}", token) as client:
                pinned = verify_key_text(verify_key)
                await add_reply(client, view.case_id, "V1-REPLY we will visit", verify_key=pinned)
                await add_note(client, view.case_id, "V1-NOTE agency name", verify_key=pinned)
        finally:
            await server.close()
        async with sessions() as session:
            case = (await session.scalars(select(Case))).one()
            entries = (await session.scalars(select(CaseEntry).order_by(CaseEntry.seq))).all()
            wraps = (await session.scalars(select(Wrap).order_by(Wrap.entry_id, Wrap.key_id))).all()
            stored_salt = await session.scalar(
                select(Setting.value).where(Setting.name == "receipt_salt")
            )
    return {
        "written_by": f"format version {envelope.FORMAT_VERSION} code",
        "partner_secret_key": PARTNER_SECRET.hex(),
        "admin_seed": ADMIN_SEED.hex(),
        "receipt": receipt,
        "receipt_salt": stored_salt.hex(),
        "case": {
            "id": case.id,
            "status": case.status.value,
            "created_day": case.created_day.isoformat(),
            "updated_day": case.updated_day.isoformat(),
            "worker_public_key": case.worker_public_key.hex(),
            "lookup_id": case.lookup_id.hex(),
        },
        "entries": [
            {
                "id": e.id,
                "seq": e.seq,
                "purpose": e.purpose.value,
                "author": e.author.value,
                "created_day": e.created_day.isoformat(),
                "body": e.body.hex(),
            }
            for e in entries
        ],
        "wraps": [
            {"entry_id": w.entry_id, "key_id": w.key_id, "sealed_key": w.sealed_key.hex()}
            for w in wraps
        ],
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        rows = asyncio.run(write(f"sqlite:///{Path(folder) / 'v1.sqlite3'}"))
    out = (
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else Path(__file__).with_name("version1_database.json")
    )
    out.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
