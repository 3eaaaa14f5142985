"""The desk triages by the roles a report names, not by step ids: a deployment with its own
questionnaire keeps its urgency triage, and reports sealed before reports named their roles are
read with the default questionnaire's steps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from desk_world import PASSPHRASE, SLUG, DeskWorld, desk_world_for_commands, store_report

from bot import admin
from bot.intake.directory import StoredDirectory
from bot.intake.receipts import receipt_salt
from bot.intake.submission import StoredSubmitter
from crypto.keyfile import read_partner_key
from desk.cases import Keyring, open_cases
from desk.client import CaseClient
from desk.console.queue import row_for
from desk.render import export_csv
from desk.reports import facts_of
from handlers.engine import Engine
from handlers.io import Command
from handlers.questionnaire import QuestionnaireError, load_default, parse
from tests.engine_harness import SCRUBBER, FakeTracker, Worker
from vocabulary import DEFAULT_QUESTIONNAIRE_ROLES

SITE_SURVEY = Path(__file__).with_name("questionnaires") / "site_survey.toml"
STORY = "The fire exits of line 4 are chained shut at night."


@pytest.fixture
async def world(database_url, tmp_path, monkeypatch):
    async with desk_world_for_commands(database_url, tmp_path, monkeypatch) as world:
        async with world.sessions() as session, session.begin():
            await admin.sites.add_site(session, "lamphun-2", "Lamphun Plant 2", "TH", SLUG)
        yield world


async def report_through_the_site_survey(world: DeskWorld) -> None:
    """A worker answers the other questionnaire, and the server seals it as it seals any."""
    directory = StoredDirectory(world.sessions)
    verify_key = world.signer.signing_key.verify_key
    submitter = StoredSubmitter(
        world.sessions, directory, verify_key, await receipt_salt(world.sessions)
    )
    questionnaire = parse(SITE_SURVEY.read_text(encoding="utf-8"), SITE_SURVEY.name)
    worker = Worker(Engine(questionnaire, directory, submitter, FakeTracker(), scrubber=SCRUBBER))
    await worker.command(Command.START)
    for label in ("English", "Lamphun Plant 2", "Yes", "Working hours"):  # the only country
        await worker.press(label)
    await worker.text(STORY)
    await worker.press("Send")
    assert "receipt" in worker.last.text.lower(), worker.last.text


def test_the_default_questionnaire_gives_the_roles_old_reports_are_read_with():
    assert load_default().roles == DEFAULT_QUESTIONNAIRE_ROLES
    survey = parse(SITE_SURVEY.read_text(encoding="utf-8"))
    assert survey.roles == {
        "country": "where",
        "workplace": "factory",
        "danger": "at_risk",
        "categories": "issue",
        "own_words": "story",
    }


async def test_a_report_of_another_questionnaire_is_triaged_danger_first(world):
    key = world.partner_key.public_key
    await store_report(world.sessions, key, "The canteen food made us sick")  # new, no danger
    await report_through_the_site_survey(world)

    ran = await world.desk("cases", "--json", key=world.key_file)
    assert ran.status == 0, ran.err
    first, second = json.loads(ran.out)["cases"]
    assert first["urgent"] and first["danger"] and not second["danger"]
    assert first["categories"] == ["hours"]
    assert first["categories_text"] == "Working hours or forced overtime"
    assert first["workplace"] == "Lamphun Plant 2"
    assert first["first_words"] == STORY

    shown = await world.desk("show", first["id"], key=world.key_file)
    assert shown.status == 0, shown.err
    assert "URGENT" in shown.out and "site-survey v1" in shown.out

    # The console's queue, the buyers' reports and the export read the same roles.
    keyring = Keyring([read_partner_key(world.key_file, PASSPHRASE)])
    async with CaseClient(world.url, world.token) as client:
        listed = [case async for page in client.pages() for case in page]
    view = next(v for v in open_cases(listed, keyring) if v.id == first["id"])
    row = row_for(view)
    assert row.urgent and row.workplace == "Lamphun Plant 2" and row.country == "Thailand"
    facts = facts_of(view)
    assert facts is not None
    assert (facts.country, facts.workplace, facts.categories) == ("TH", "lamphun-2", ("hours",))
    (header, *rows) = export_csv([view]).splitlines()
    assert header.startswith("case,created_day,updated_day,status,urgent,danger,language,")
    assert "Country" in header and "Danger now" not in header  # danger has its own column
    assert "Lamphun Plant 2" in rows[0] and "Working hours or forced overtime" in rows[0]


async def test_a_report_sealed_before_roles_is_read_with_the_default_questionnaires_steps(world):
    await store_report(world.sessions, world.partner_key.public_key, "Wages paid late")
    key = world.partner_key.public_key
    await store_report(world.sessions, key, "Locked fire exits on line 4", danger=True, roles=None)

    ran = await world.desk("cases", "--json", key=world.key_file)
    assert ran.status == 0, ran.err
    first, second = json.loads(ran.out)["cases"]
    assert first["urgent"] and first["first_words"] == "Locked fire exits on line 4"
    assert first["categories"] == ["wages"] and first["workplace"] == "Lamphun Plant 2"
    assert not second["danger"]


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ('id = "x"\ntype = "text"\nprompt = "?"\nrole = "boss"\n', "unknown role 'boss'"),
        ('id = "x"\ntype = "text"\nprompt = "?"\nrole = "danger"\n', "needs a yes_no step"),
        ('id = "x"\ntype = "text"\nprompt = "?"\nrole = "workplace"\n', "the site step's"),
        ('id = "x"\ntype = "yes_no"\nprompt = "?"\nrole = "danger"\ndanger = true\n', "older"),
    ],
    ids=["unknown", "wrong type", "by type", "said twice"],
)
def test_a_role_the_desk_could_not_read_is_refused_naming_the_step(step, message):
    text = SITE_SURVEY.read_text(encoding="utf-8").replace(
        '[[steps]]\nid = "review"', f'[[steps]]\n{step}\n[[steps]]\nid = "review"'
    )
    with pytest.raises(QuestionnaireError, match=message) as refused:
        parse(text, "mine.toml")
    assert "('x')" in str(refused.value)


def test_the_site_step_is_the_workplace_whatever_it_says():
    text = SITE_SURVEY.read_text(encoding="utf-8").replace(
        'id = "factory"\n', 'id = "factory"\nrole = "own_words"\n'
    )
    with pytest.raises(QuestionnaireError, match="a site step is the workplace, by its type"):
        parse(text)


def test_a_role_is_given_to_one_step_only():
    text = SITE_SURVEY.read_text(encoding="utf-8").replace(
        'role = "own_words"',
        'role = "own_words"\n\n[[steps]]\nid = "more"\ntype = "text"\n'
        'prompt = "Anything else?"\nrole = "own_words"',
    )
    with pytest.raises(QuestionnaireError, match="own_words role is given twice"):
        parse(text)
