"""Check first, ask second: every cheap check runs before a passphrase is asked, and a new
passphrase that is too short is asked again on a terminal.

Here no passphrase is given and there is no terminal, so a command that asked too early would
answer "no passphrase for ..." instead of the real mistake.
"""

import json

import pytest
from admin_world import FAST, add_partner, admin_deployment
from casework import run
from desk_world import FAST_KDF, desk_world, run_cli
from terminal import Terminal

from crypto.errors import KeyFileError
from crypto.keyfile import read_partner_key, write_partner_key, write_signing_key
from crypto.keys import key_id, new_partner_key, new_signing_key, partner_key_text
from desk.passphrase import passphrase_for

LONG = "a passphrase long enough"


@pytest.fixture
def env(database_url, tmp_path, monkeypatch, capsys):
    env = admin_deployment(database_url, tmp_path, monkeypatch, capsys)
    added, _key = add_partner(capsys, env)
    monkeypatch.delenv("GRIEVANCE_PASSPHRASE")
    return {**env, "key_id": added["key_id"], "tmp": tmp_path}


def one_line(capsys, *argv):
    status, out, err = run(capsys, *argv)
    assert status == 1 and out == "", (status, out, err)
    assert err.count("\n") == 1 and "no passphrase for" not in err, err
    return err


def signing(env, *argv, key=None):
    return [*argv, "--signing-key", str(key or env["signing_key"])]


def test_keygen_checks_the_place_before_asking(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("GRIEVANCE_PASSPHRASE", raising=False)
    (tmp_path / "taken.key").write_text("something")
    for command in (["admin", "keygen"], ["desk", "keygen"]):
        err = one_line(capsys, *command, "--out", str(tmp_path / "taken.key"))
        assert "already exists" in err
        err = one_line(capsys, *command, "--out", str(tmp_path / "no-such-folder" / "k.key"))
        assert "there is no folder" in err
        err = one_line(capsys, *command, "--out", str(tmp_path / "taken.key" / "k.key"))
        assert "there is no folder" in err
    assert (tmp_path / "taken.key").read_text() == "something"


def test_signing_commands_check_everything_before_asking(env, capsys):
    other = partner_key_text(new_partner_key().public_key)
    cases = [
        (signing(env, "admin", "partner", "rotate", "nobody", "--public-key", other),
         "no partner named 'nobody'"),
        (signing(env, "admin", "partner", "revoke-key", "mekong-workers", "0" * 32),
         "has no key"),
        (signing(env, "admin", "partner", "revoke-key", "mekong-workers", env["key_id"]),
         "is the active key"),
        (signing(env, "admin", "partner", "add", "mekong-workers", "--name", "M",
                 "--country", "MY", "--public-key", other), "already exists"),
        (signing(env, "admin", "partner", "add", "second", "--name", "S", "--country", "TH",
                 "--public-key", other), "already covered by partner 'mekong-workers'"),
        (signing(env, "admin", "partner", "add", "Bad Slug", "--name", "S", "--country", "MY",
                 "--public-key", other), "is not a valid partner name"),
        (signing(env, "admin", "partner", "rotate", "mekong-workers", "--public-key", other,
                 key=env["tmp"] / "missing.key"), "no such key file"),
        (signing(env, "admin", "partner", "rotate", "mekong-workers", "--public-key", other,
                 key=env["tmp"]), "is a folder, not a key file"),
    ]  # fmt: skip
    for argv, message in cases:
        assert message in one_line(capsys, *argv), argv


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x00\xff garbage", "is not a grievance key file"),
        (b'{"format": "grievance-key-file", "kind": "partner-key"}', "not an administrators'"),
        (b"", "is not a grievance key file"),
    ],
)
def test_a_signing_key_file_that_is_not_one_is_named_before_asking(env, capsys, content, message):
    bad = env["tmp"] / "bad.key"
    bad.write_bytes(content)
    argv = signing(env, "admin", "partner", "rotate", "mekong-workers", "--public-key",
                   partner_key_text(new_partner_key().public_key), key=bad)  # fmt: skip
    assert message in one_line(capsys, *argv)


async def test_the_desk_checks_the_server_and_the_files_before_asking(
    database_url, tmp_path, monkeypatch
):
    monkeypatch.delenv("GRIEVANCE_PASSPHRASE", raising=False)
    async with desk_world(database_url, tmp_path) as world:
        garbage = tmp_path / "garbage.key"
        garbage.write_text("not a key")
        signing_file = tmp_path / "admin.key"
        write_signing_key(signing_file, new_signing_key(), LONG, FAST)
        for key, message in [
            (garbage, "is not a grievance key file"),
            (signing_file, "is not a partner key file"),
            (tmp_path / "missing.key", "no such key file"),
        ]:
            ran = await world.desk("cases", key=key)
            assert ran.status == 1 and message in ran.err, ran.err
            assert "no passphrase" not in ran.err
        refused = await run_cli([
            "desk", "show", "7KQ2M9XD4H1A", "--server", world.url, "--token", "gct_" + "A" * 43,
            "--key", str(world.key_file),
        ])  # fmt: skip
        assert refused.status == 1 and "no passphrase" not in refused.err, refused.err
    # The server is gone now: said before any passphrase.
    gone = await world.desk("cases", key=world.key_file)
    assert gone.status == 1 and "cannot reach the server" in gone.err


def test_a_short_new_passphrase_is_asked_again_on_a_terminal():
    typed = iter(["short", LONG, "a different one!!", LONG, LONG])
    told = []
    chosen = passphrase_for(
        "k.key", new=True, environ={}, prompt=lambda _p: next(typed), interactive=True,
        say=told.append,
    )  # fmt: skip
    assert chosen == LONG
    assert told == [
        "the passphrase must be at least 12 characters; try again.",
        "The two passphrases differ; try again.",
    ]


def test_a_short_passphrase_from_the_environment_is_one_sentence(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GRIEVANCE_PASSPHRASE", "short")
    status, _out, err = run(capsys, "desk", "keygen", "--out", str(tmp_path / "k.key"))
    assert (
        status == 1 and err == "grievance: error: the passphrase must be at least 12 characters\n"
    )
    assert not (tmp_path / "k.key").exists()
    with pytest.raises(KeyFileError):
        passphrase_for("k.key", new=True, environ={}, prompt=lambda _p: "short", interactive=True,
                       say=lambda _t: None)  # fmt: skip


def test_desk_keygen_in_a_terminal_asks_again_after_a_short_passphrase(tmp_path):
    out = tmp_path / "partner.key"
    with Terminal(["desk", "keygen", "--out", str(out)], cwd=tmp_path) as terminal:
        terminal.wait_for("New passphrase")
        terminal.type("short")
        terminal.wait_for("try again")
        terminal.wait_for("New passphrase", after_last=True)
        terminal.type(LONG)
        terminal.wait_for("The same passphrase again")
        terminal.type(LONG)
        status = terminal.wait()
    assert status == 0, terminal.output
    assert "Traceback" not in terminal.output
    assert read_partner_key(out, LONG)


def test_keygen_writes_nothing_when_the_passphrases_never_match(tmp_path):
    out = tmp_path / "partner.key"
    with Terminal(["desk", "keygen", "--out", str(out), "--json"], cwd=tmp_path) as terminal:
        for attempt in range(3):
            terminal.wait_for("New passphrase", after_last=attempt > 0)
            terminal.type(LONG)
            terminal.wait_for("The same passphrase again", after_last=True)
            terminal.type(LONG + "?")
        status = terminal.wait()
    assert status == 1 and not out.exists()
    last = terminal.output.strip().splitlines()[-1]
    assert json.loads(last) == {
        "error": "the two passphrases differ; nothing was written",
        "status": 1,
    }


def test_an_existing_partner_key_is_never_overwritten(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GRIEVANCE_PASSPHRASE", LONG)
    out = tmp_path / "partner.key"
    key = new_partner_key()
    write_partner_key(out, key, LONG, FAST_KDF)
    assert "already exists" in one_line(capsys, "desk", "keygen", "--out", str(out))
    assert key_id(bytes(read_partner_key(out, LONG).public_key)) == key_id(bytes(key.public_key))
