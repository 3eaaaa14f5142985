"""How `grievance` and `python -m desk` speak: --version, --json errors as one JSON object on
stderr, and every --help naming the environment variables its command reads."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys

import pytest
from admin_world import PASSPHRASE, add_partner, admin_deployment
from casework import run
from desk_world import PASSPHRASE as DESK_PASSPHRASE
from desk_world import desk_world, run_cli, store_report

from bot.cli import build_parser, main
from crypto.keys import new_partner_key, partner_key_text

GRIEVANCE = [sys.executable, "-m", "bot.cli"]
DESK = [sys.executable, "-m", "desk"]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIEVANCE_")}
    return {**env, **extra}


@pytest.mark.parametrize("program", [GRIEVANCE, DESK], ids=["grievance", "python -m desk"])
def test_version_is_printed(program):
    done = subprocess.run([*program, "--version"], capture_output=True, text=True, check=False)
    assert done.returncode == 0
    assert (
        done.stdout.startswith(("grievance ", "grievance desk ")) and done.stdout.count("\n") == 1
    )
    assert done.stdout.split()[-1][0].isdigit()


FAILING = [
    (GRIEVANCE, ["admin", "site", "list", "--json"], 1, "no database is configured"),
    (GRIEVANCE, ["admin", "partner", "list", "--json"], 1, "GRIEVANCE_ADMIN_VERIFY_KEY is not set"),
    (GRIEVANCE, ["admin", "partner", "add", "--json"], 2, "the following arguments are required"),
    (GRIEVANCE, ["admin", "site", "frobnicate", "--json"], 2, "invalid choice"),
    (GRIEVANCE, ["admin", "credential", "revoke", "one", "--json"], 2, "is not a credential id"),
    (GRIEVANCE, ["admin", "keygen", "--out", "/no/such/folder/k.key", "--json"], 1,
     "there is no folder"),
    (GRIEVANCE, ["desk", "cases", "--json"], 1, "no server"),
    (GRIEVANCE, ["desk", "status", "X", "new", "--json", "--server", "http://127.0.0.1:9",
                 "--token", "gct_" + "A" * 43], 1, "is not a case id"),
    (DESK, ["cases", "--json"], 1, "no server"),
    (DESK, ["cases", "--json", "--frobnicate"], 2, "unrecognized arguments"),
    (DESK, ["rewrap", "--json", "--server", "http://127.0.0.1:9", "--token", "nope"], 1,
     "not a caseworker token"),
]  # fmt: skip


@pytest.mark.parametrize(("program", "argv", "status", "message"), FAILING)
def test_with_json_an_error_is_one_json_object_on_stderr(tmp_path, program, argv, status, message):
    done = subprocess.run(
        [*program, *argv], capture_output=True, text=True, env=clean_env(), cwd=tmp_path,
        stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip
    assert done.returncode == status
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    error = json.loads(done.stderr)
    assert error["status"] == status and message in error["error"]


def test_without_json_an_error_is_one_plain_line(tmp_path):
    done = subprocess.run(
        [*GRIEVANCE, "admin", "site", "list"], capture_output=True, text=True,
        env=clean_env(), cwd=tmp_path, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.startswith("grievance: error: no database is configured")
    assert done.stderr.count("\n") == 1


def leaf_commands(parser=None, path=()):
    """Every runnable command, as the words that name it."""
    import argparse

    parser = parser or build_parser()
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += leaf_commands(sub, (*path, name))
    if not found and path:
        found.append(path)
    return found


def help_text(path) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        main([*path, "--help"])
    return out.getvalue()


def test_every_help_names_the_json_error_channel_or_says_it_prints_no_json():
    for path in leaf_commands():
        text = help_text(path)
        assert "environment variables it reads" in text or "reads no environment" in text, path
        if "--json" in text:
            assert "an error is one JSON object on stderr" in text, path


@pytest.fixture
def read_variables(monkeypatch):
    """The GRIEVANCE_* variables read from the environment while a command runs."""
    seen: set[str] = set()
    real = type(os.environ).__getitem__

    def recording(self, key):
        if isinstance(key, str) and key.startswith("GRIEVANCE_"):
            seen.add(key)
        return real(self, key)

    monkeypatch.setattr(type(os.environ), "__getitem__", recording)
    return seen


def assert_help_names(path, seen):
    text = help_text(path)
    missing = sorted(name for name in seen if name not in text)
    assert not missing, f"'{' '.join(path)} --help' does not name {missing}"


def test_admin_help_names_every_variable_its_command_reads(
    database_url, tmp_path, monkeypatch, capsys, read_variables
):
    env = admin_deployment(database_url, tmp_path, monkeypatch, capsys)
    added, _key = add_partner(capsys, env)
    other = partner_key_text(new_partner_key().public_key)
    signing = ["--signing-key", env["signing_key"]]
    runs = [
        ["db", "upgrade"],
        ["admin", "partner", "add", "pearl-river", "--name", "P", "--country", "CN",
         "--public-key", partner_key_text(new_partner_key().public_key), *signing],
        ["admin", "partner", "list"],
        ["admin", "partner", "edit", "pearl-river", "--name", "Pearl River"],
        ["admin", "partner", "contacts", "pearl-river", "--text", "Hotline"],
        ["admin", "partner", "rotate", "mekong-workers", "--public-key", other, *signing],
        ["admin", "partner", "revoke-key", "mekong-workers", added["key_id"], *signing],
        ["admin", "site", "add", "s1", "--name", "S1", "--country", "CN", "--partner",
         "pearl-river"],
        ["admin", "site", "rename", "s1", "--name", "Site 1"],
        ["admin", "site", "move", "s1", "--partner", "mekong-workers"],
        ["admin", "site", "list"],
        ["admin", "site", "remove", "s1"],
        ["admin", "credential", "issue", "pearl-river"],
        ["admin", "credential", "list"],
        ["admin", "credential", "revoke", "1"],
        ["admin", "purge", "--dry-run"],
        ["admin", "purge"],
        ["admin", "keygen", "--out", str(tmp_path / "new-admin.key")],
        ["desk", "keygen", "--out", str(tmp_path / "new-partner.key")],
    ]  # fmt: skip
    monkeypatch.setenv("GRIEVANCE_PASSPHRASE", PASSPHRASE)
    for argv in runs:
        read_variables.clear()
        status, _out, err = run(capsys, *argv)
        assert status == 0, (argv, err)
        assert read_variables, argv
        command = next(p for p in leaf_commands() if tuple(argv[: len(p)]) == p)
        assert_help_names(command, read_variables)
    # serve reads its settings before it starts anything; a bad address stops it right there.
    for argv in (["serve"], ["serve", "--no-telegram"]):
        monkeypatch.setenv("GRIEVANCE_HTTP_LISTEN", "nowhere")
        read_variables.clear()
        assert run(capsys, *argv)[0] == 1
        assert_help_names(("serve",), read_variables)


async def test_desk_help_names_every_variable_its_command_reads(
    database_url, tmp_path, monkeypatch, read_variables
):
    async with desk_world(database_url, tmp_path) as world:
        case = await store_report(world.sessions, world.partner_key.public_key, "SENTINEL")
        monkeypatch.setenv("GRIEVANCE_SERVER", world.url)
        monkeypatch.setenv("GRIEVANCE_TOKEN", world.token)
        monkeypatch.setenv("GRIEVANCE_KEY_FILE", str(world.key_file))
        monkeypatch.setenv("GRIEVANCE_PASSPHRASE", DESK_PASSPHRASE)
        runs = [
            ["desk", "cases"],
            ["desk", "show", case.id],
            ["desk", "status", case.id, "acknowledged"],
            ["desk", "reply", case.id, "We are looking into it."],
            ["desk", "note", case.id, "Call the agency."],
            ["desk", "export", "--format", "json", "--out", str(tmp_path / "export.json")],
        ]
        for argv in runs:
            read_variables.clear()
            ran = await run_cli(argv)
            assert ran.status == 0, (argv, ran.err)
            assert_help_names(tuple(argv[:2]), read_variables)
