"""Which database a command uses: always said, never guessed, never created by a command that
only reads."""

import json

import pytest
from admin_world import add_partner, admin_deployment
from casework import run

from bot.cli import main

READ_ONLY = [
    ["admin", "partner", "list"],
    ["admin", "site", "list"],
    ["admin", "credential", "list"],
    ["admin", "purge", "--dry-run"],
    ["admin", "audit"],
]


@pytest.fixture
def elsewhere(tmp_path, monkeypatch):
    """An operator in some other folder, the data folder named but not there."""
    for name in ("GRIEVANCE_DATABASE_URL", "GRIEVANCE_DATA_DIR", "GRIEVANCE_PASSPHRASE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GRIEVANCE_ADMIN_VERIFY_KEY", "gvk1" + "00" * 32)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("argv", READ_ONLY, ids=" ".join)
def test_a_command_that_only_reads_creates_no_database(elsewhere, monkeypatch, capsys, argv):
    monkeypatch.setenv("GRIEVANCE_DATA_DIR", str(elsewhere / "data"))
    status, out, err = run(capsys, *argv)
    assert status == 1 and out == ""
    assert err.count("\n") == 1
    assert f"there is no SQLite database {elsewhere / 'data' / 'grievance.sqlite3'}" in err
    assert "nothing was created" in err
    assert list(elsewhere.iterdir()) == []


WRITES = [["admin", "site", "add", "s", "--name", "S", "--country", "TH", "--partner", "p"]]


@pytest.mark.parametrize("argv", [*READ_ONLY, *WRITES], ids=" ".join)
def test_without_a_data_folder_or_url_nothing_is_guessed(elsewhere, capsys, argv):
    status, out, err = run(capsys, *argv)
    assert status == 1 and out == ""
    assert err == (
        "grievance: error: no database is configured: set GRIEVANCE_DATA_DIR to the server's "
        "data folder (SQLite) or GRIEVANCE_DATABASE_URL to its PostgreSQL URL\n"
    )
    assert list(elsewhere.iterdir()) == []


def test_every_admin_command_says_which_database_it_used(
    database_url, tmp_path, monkeypatch, capsys
):
    env = admin_deployment(database_url, tmp_path, monkeypatch, capsys)
    add_partner(capsys, env)
    where = "SQLite database " if "sqlite" in database_url else "PostgreSQL database "
    commands = [
        ["admin", "partner", "list"],
        ["admin", "partner", "contacts", "mekong-workers", "--text", "Hotline 1300"],
        ["admin", "partner", "edit", "mekong-workers", "--name", "Mekong Workers' Centre"],
        ["admin", "site", "add", "s1", "--name", "S1", "--country", "TH", "--partner",
         "mekong-workers"],
        ["admin", "site", "rename", "s1", "--name", "Site One"],
        ["admin", "site", "list"],
        ["admin", "credential", "issue", "mekong-workers"],
        ["admin", "credential", "list"],
        ["admin", "credential", "revoke", "1"],
        ["admin", "purge", "--dry-run"],
        ["admin", "purge"],
        ["db", "upgrade"],
    ]  # fmt: skip
    for argv in commands:
        status, out, err = run(capsys, *argv)
        assert status == 0, (argv, err)
        assert err.splitlines()[-1].startswith(f"grievance: database: {where}"), (argv, err)
    repeatable = {"list", "contacts", "edit", "rename", "--dry-run", "upgrade"}
    for argv in [c for c in commands if repeatable & set(c[1:4])]:
        status, out, err = run(capsys, *argv, "--json")
        assert status == 0 and err == "", (argv, err)
        assert json.loads(out)["database"].startswith(where), argv


def test_an_error_names_the_database_it_looked_in(database_url, tmp_path, monkeypatch, capsys):
    admin_deployment(database_url, tmp_path, monkeypatch, capsys)
    status, _out, err = run(capsys, "admin", "site", "remove", "lamphun-2")
    assert status == 1 and err.count("\n") == 1
    assert "no site named 'lamphun-2' (database: " in err
    status, out, err = run(capsys, "admin", "site", "remove", "lamphun-2", "--json")
    error = json.loads(err)
    assert status == 1 and out == ""
    assert error["error"] == "no site named 'lamphun-2'" and error["database"]


def test_a_data_folder_that_is_a_file_is_one_line(elsewhere, monkeypatch, capsys):
    (elsewhere / "data").write_text("not a folder")
    monkeypatch.setenv("GRIEVANCE_DATA_DIR", str(elsewhere / "data"))
    assert main(["db", "upgrade"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is a file, not a folder" in err
