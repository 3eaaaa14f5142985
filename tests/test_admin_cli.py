"""The administrators' flow through the `grievance` command line, on SQLite and PostgreSQL."""

import asyncio
import json

import pytest
from sqlalchemy import update

from bot.cli import main
from bot.intake.signed_keys import NoUsablePartnerKey, sealing_key
from crypto.errors import UntrustedKeyStatement
from crypto.keyfile import KdfParams, write_signing_key
from crypto.keys import (
    key_id,
    new_partner_key,
    new_signing_key,
    partner_key_text,
    verify_key_text,
)
from storage import partners
from storage.db import create_engine, session_factory
from storage.models import PartnerKey

PASSPHRASE = "administrators' long passphrase"
FAST = KdfParams(opslimit=1, memlimit=8 * 1024 * 1024)  # tests only; keygen always writes MODERATE


@pytest.fixture
def env(database_url, tmp_path, monkeypatch):
    """A deployment: a database, a signing key file, and the verify key pinned."""
    signing_key = new_signing_key()
    key_file = tmp_path / "admin.key"
    write_signing_key(key_file, signing_key, PASSPHRASE, FAST)
    monkeypatch.setenv("GRIEVANCE_DATABASE_URL", database_url)
    monkeypatch.setenv("GRIEVANCE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GRIEVANCE_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("GRIEVANCE_ADMIN_VERIFY_KEY", verify_key_text(signing_key.verify_key))
    assert main(["db", "upgrade"]) == 0
    return {"signing_key": str(key_file), "verify_key": signing_key.verify_key, "url": database_url}


def run(capsys, *argv):
    """Run one command; return (exit status, stdout, stderr)."""
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def run_json(capsys, *argv):
    status, out, err = run(capsys, *argv, "--json")
    assert status == 0, err
    return json.loads(out)


def add_partner(capsys, env, slug="mekong-workers", countries=("TH",), key=None):
    key = key or new_partner_key()
    args = ["admin", "partner", "add", slug, "--name", f"{slug} CSO"]
    args += ["--public-key", partner_key_text(key.public_key), "--signing-key", env["signing_key"]]
    for country in countries:
        args += ["--country", country]
    return run_json(capsys, *args), key


def listed(capsys):
    return {p["slug"]: p for p in run_json(capsys, "admin", "partner", "list")["partners"]}


async def stored_sealing_key(env, slug):
    engine = create_engine(env["url"])
    try:
        async with session_factory(engine)() as session:
            partner = await partners.get_partner(session, slug)
            return await sealing_key(session, partner, env["verify_key"])
    finally:
        await engine.dispose()


async def tamper_public_key(env, kid):
    engine = create_engine(env["url"])
    try:
        async with session_factory(engine)() as session, session.begin():
            intruder = bytes(new_partner_key().public_key)
            await session.execute(
                update(PartnerKey).where(PartnerKey.key_id == kid).values(public_key=intruder)
            )
    finally:
        await engine.dispose()


def test_add_list_rotate_revoke(env, capsys):
    added, first = add_partner(capsys, env, countries=("th", "MM", "TH"))
    assert added["countries"] == ["TH", "MM"]
    partner = listed(capsys)["mekong-workers"]
    assert partner["countries"] == ["MM", "TH"]
    assert [(k["key_id"], k["status"], k["verified"]) for k in partner["keys"]] == [
        (key_id(bytes(first.public_key)), "active", True)
    ]

    second = new_partner_key()
    rotated = run_json(
        capsys, "admin", "partner", "rotate", "mekong-workers",
        "--public-key", partner_key_text(second.public_key), "--signing-key", env["signing_key"],
    )  # fmt: skip
    assert rotated["retired_key_id"] == key_id(bytes(first.public_key))
    statuses = {k["key_id"]: k["status"] for k in listed(capsys)["mekong-workers"]["keys"]}
    assert statuses == {
        key_id(bytes(first.public_key)): "retired",
        key_id(bytes(second.public_key)): "active",
    }
    in_use = asyncio.run(stored_sealing_key(env, "mekong-workers"))
    assert bytes(in_use) == bytes(second.public_key)

    run_json(
        capsys, "admin", "partner", "revoke-key", "mekong-workers",
        key_id(bytes(second.public_key)), "--signing-key", env["signing_key"], "--force",
    )  # fmt: skip
    keys = listed(capsys)["mekong-workers"]["keys"]
    assert {k["status"] for k in keys} == {"retired", "revoked"}
    assert all(k["verified"] for k in keys)
    with pytest.raises(NoUsablePartnerKey, match="mekong-workers"):
        asyncio.run(stored_sealing_key(env, "mekong-workers"))


def test_sites_route_to_a_partner(env, capsys):
    add_partner(capsys, env)
    site = run_json(
        capsys, "admin", "site", "add", "lamphun-plant-2", "--name", "Lamphun Plant 2",
        "--country", "th", "--partner", "mekong-workers",
    )  # fmt: skip
    assert site["country"] == "TH"
    sites = run_json(capsys, "admin", "site", "list")["sites"]
    assert sites == [
        {"slug": "lamphun-plant-2", "name": "Lamphun Plant 2", "country": "TH",
         "partner": "mekong-workers"}
    ]  # fmt: skip


def test_emergency_contacts_are_set_per_partner(env, capsys):
    add_partner(capsys, env)
    run_json(capsys, "admin", "partner", "contacts", "mekong-workers", "--text", "Hotline 1300")
    assert listed(capsys)["mekong-workers"]["emergency_contacts"] == "Hotline 1300"


def test_a_signing_key_that_does_not_match_the_pin_signs_nothing(env, capsys, tmp_path):
    other = tmp_path / "other.key"
    write_signing_key(other, new_signing_key(), PASSPHRASE, FAST)
    key = new_partner_key()
    status, _out, err = run(
        capsys, "admin", "partner", "add", "rogue", "--name", "Rogue", "--country", "TH",
        "--public-key", partner_key_text(key.public_key), "--signing-key", str(other),
    )  # fmt: skip
    assert status == 1
    assert "does not match GRIEVANCE_ADMIN_VERIFY_KEY" in err
    assert len(err.strip().splitlines()) == 1
    assert listed(capsys) == {}


def test_a_statement_signed_by_another_key_is_refused_at_use(env, capsys, monkeypatch, tmp_path):
    # A deployment whose pin was replaced: the stored statements no longer verify.
    add_partner(capsys, env)
    monkeypatch.setenv("GRIEVANCE_ADMIN_VERIFY_KEY", verify_key_text(new_signing_key().verify_key))
    env = {**env, "verify_key": new_signing_key().verify_key}
    with pytest.raises(UntrustedKeyStatement, match="mekong-workers"):
        asyncio.run(stored_sealing_key(env, "mekong-workers"))
    status, _out, err = run(capsys, "admin", "partner", "list")
    assert status == 1
    assert "'mekong-workers'" in err and "does not verify" in err


def test_a_public_key_altered_in_the_database_is_refused_at_use(env, capsys):
    added, _key = add_partner(capsys, env)
    asyncio.run(tamper_public_key(env, added["key_id"]))
    with pytest.raises(UntrustedKeyStatement, match="mekong-workers"):
        asyncio.run(stored_sealing_key(env, "mekong-workers"))
    status, out, err = run(capsys, "admin", "partner", "list", "--json")
    assert status == 1
    assert json.loads(out)["partners"][0]["keys"][0]["verified"] is False
    assert "mekong-workers" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--country", "XX"], "'XX' is not an ISO 3166-1 alpha-2 country code"),
        (["--country", "EU"], "'EU' is not an ISO 3166-1 alpha-2 country code"),
        (["--country", "TH", "--public-key", "gvk1" + "00" * 32], "not a partner public key"),
    ],
)
def test_mistakes_are_one_clear_line(env, capsys, argv, message):
    key = new_partner_key()
    base = ["admin", "partner", "add", "p1", "--name", "P1", "--signing-key", env["signing_key"]]
    if "--public-key" not in argv:
        base += ["--public-key", partner_key_text(key.public_key)]
    status, _out, err = run(capsys, *base, *argv)
    assert status == 1
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_duplicates_and_unknowns_are_refused(env, capsys):
    _added, key = add_partner(capsys, env)
    status, _, err = run(
        capsys, "admin", "partner", "add", "second", "--name", "Second", "--country", "MY",
        "--public-key", partner_key_text(key.public_key), "--signing-key", env["signing_key"],
    )  # fmt: skip
    assert status == 1 and "already registered" in err
    status, _, err = run(
        capsys, "admin", "partner", "add", "third", "--name", "Third", "--country", "TH",
        "--public-key", partner_key_text(new_partner_key().public_key),
        "--signing-key", env["signing_key"],
    )  # fmt: skip
    assert status == 1 and "TH" in err and "mekong-workers" in err
    status, _, err = run(
        capsys, "admin", "site", "add", "s1", "--name", "S", "--country", "TH",
        "--partner", "nobody",
    )  # fmt: skip
    assert status == 1 and "no partner named 'nobody'" in err
    status, _, err = run(
        capsys, "admin", "partner", "revoke-key", "mekong-workers", "0" * 32,
        "--signing-key", env["signing_key"],
    )  # fmt: skip
    assert status == 1 and "has no key" in err


def test_wrong_passphrase_is_one_line(env, capsys, monkeypatch):
    monkeypatch.setenv("GRIEVANCE_PASSPHRASE", "not the right passphrase")
    status, _, err = run(
        capsys, "admin", "partner", "add", "p1", "--name", "P1", "--country", "TH",
        "--public-key", partner_key_text(new_partner_key().public_key),
        "--signing-key", env["signing_key"],
    )  # fmt: skip
    assert status == 1
    assert "passphrase does not open" in err and err.count("\n") == 1


def test_without_a_pinned_verify_key_nothing_is_signed(env, capsys, monkeypatch):
    monkeypatch.delenv("GRIEVANCE_ADMIN_VERIFY_KEY")
    status, _, err = run(capsys, "admin", "partner", "list")
    assert status == 1 and "GRIEVANCE_ADMIN_VERIFY_KEY is not set" in err


def test_revoking_the_active_key_needs_force_and_then_warns(env, capsys):
    added, _key = add_partner(capsys, env)
    revoke = ["admin", "partner", "revoke-key", "mekong-workers", added["key_id"]]
    revoke += ["--signing-key", env["signing_key"]]
    status, out, err = run(capsys, *revoke)
    assert status == 1 and out == "" and err.count("\n") == 1
    assert "is the active key of partner 'mekong-workers'" in err and "--force" in err
    assert listed(capsys)["mekong-workers"]["keys"][0]["status"] == "active"

    status, out, err = run(capsys, *revoke, "--force")
    assert status == 0 and "is revoked" in out
    warning, database = err.splitlines()
    assert warning.startswith("grievance: warning: partner 'mekong-workers' has no active key")
    assert database.startswith("grievance: database: ")
    assert listed(capsys)["mekong-workers"]["keys"][0]["status"] == "revoked"


def test_a_credential_for_a_partner_without_an_active_key_is_issued_with_a_warning(env, capsys):
    added, _key = add_partner(capsys, env)
    run_json(
        capsys, "admin", "partner", "revoke-key", "mekong-workers", added["key_id"],
        "--signing-key", env["signing_key"], "--force",
    )  # fmt: skip
    status, out, err = run(capsys, "admin", "credential", "issue", "mekong-workers")
    assert status == 0 and "gct_" in out
    assert "grievance: warning: partner 'mekong-workers' has no active key" in err
    issued = run_json(capsys, "admin", "credential", "issue", "mekong-workers")
    assert issued["token"].startswith("gct_")
    assert issued["warnings"] == [
        "partner 'mekong-workers' has no active key, so its queue receives no new reports "
        "until 'partner rotate' gives it one"
    ]
