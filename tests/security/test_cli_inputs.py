"""Bad input on the command line, of every kind an operator, an administrator or a caseworker can
type or configure: each is refused with one line (one JSON object with --json) and a non-zero
exit, never a traceback, never an echo of a secret, and nothing half-written (every row of the
database and every file is as before).

Most cases run in-process (`main(argv)`, fast); the ones an operator meets first — settings in the
environment, key files — also run as a real `grievance` process.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from admin_world import FAST, PASSPHRASE, add_partner, admin_deployment
from casework import snapshot
from desk_world import desk_world, run_cli, store_report

from bot.cli import main
from crypto.keyfile import write_partner_key, write_signing_key
from crypto.keys import new_partner_key, new_signing_key, partner_key_text
from storage.db import create_engine, session_factory

DB_PASSWORD = "SENTINEL-DB-PASSWORD"
BOT_TOKEN = "987654321:SENTINEL-BOT-TOKEN-abcdefghijklmnop"
WRONG_PASSPHRASE = "SENTINEL-WRONG-PASSPHRASE"
SECRETS = (DB_PASSWORD, BOT_TOKEN, "SENTINEL-BOT-TOKEN", PASSPHRASE, WRONG_PASSPHRASE)
KINDS: set[str] = set()
"""Every kind of bad input this file tries (counted by the last test)."""


@dataclass(frozen=True)
class Bad:
    """One kind of bad input: the command, what the environment says, what the refusal says."""

    kind: str
    argv: Callable[[dict[str, Any]], list[str]]
    message: str
    env: dict[str, str | None] = field(default_factory=dict)
    status: int = 1
    json_flag: bool = True


def signing(world: dict[str, Any], *argv: str, key: str | Path | None = None) -> list[str]:
    return [*argv, "--signing-key", str(key or world["signing_key"])]


def rotate_with(key: str) -> Callable[[dict[str, Any]], list[str]]:
    return lambda w: signing(
        w, "admin", "partner", "rotate", "mekong-workers", "--public-key", w["other"], key=w[key]
    )


LONG = "x" * 100_000
CONTROL = "evil\x1b[2J\x07name\r\nsecond line"
CASES = [
    Bad("partner slug not a slug", lambda w: ["admin", "credential", "issue", "Mekong Workers"],
        "is not a valid partner name"),
    Bad("slug of 100,000 characters", lambda w: ["admin", "site", "remove", LONG],
        "no site named"),
    Bad("slug with terminal control characters", lambda w: ["admin", "site", "remove", CONTROL],
        "no site named"),
    Bad("slug with a look-alike dash", lambda w: ["admin", "partner", "edit", "mekong\u2010workers",
                                                  "--name", "M"], "no partner named"),
    Bad("unknown country code", lambda w: ["admin", "partner", "edit", "mekong-workers",
                                           "--add-country", "XX"], "not an ISO 3166-1 alpha-2"),
    Bad("reserved country code", lambda w: ["admin", "partner", "edit", "mekong-workers",
                                            "--add-country", "EU"], "not an ISO 3166-1 alpha-2"),
    Bad("country code in Cyrillic look-alikes", lambda w: ["admin", "site", "add", "s", "--name",
        "S", "--country", "\u0422\u041d", "--partner", "mekong-workers"], "not an ISO 3166-1"),
    Bad("a verify key given as the partner key", lambda w: signing(w, "admin", "partner", "add",
        "p2", "--name", "P", "--country", "MY", "--public-key", "gvk1" + "00" * 32),
        "not a partner public key"),
    Bad("truncated partner key", lambda w: signing(w, "admin", "partner", "add", "p2", "--name",
        "P", "--country", "MY", "--public-key", w["other"][:20]), "--public-key"),
    Bad("unknown partner", lambda w: ["admin", "partner", "contacts", "nobody", "--text", "x"],
        "no partner named 'nobody'"),
    Bad("unknown site", lambda w: ["admin", "site", "move", "nowhere", "--country", "TH"],
        "no site named 'nowhere'"),
    Bad("unknown key id", lambda w: signing(w, "admin", "partner", "revoke-key", "mekong-workers",
                                            "ab" * 16), "has no key"),
    Bad("malformed key id", lambda w: signing(w, "admin", "partner", "revoke-key",
                                              "mekong-workers", "not-a-key-id"), "key id"),
    Bad("unknown credential id", lambda w: ["admin", "credential", "revoke", "77"],
        "no credential #77"),
    Bad("credential id of 40 digits", lambda w: ["admin", "credential", "revoke", "9" * 40],
        "is not a credential id", status=2),
    Bad("negative credential id", lambda w: ["admin", "credential", "revoke", "-5"],
        "is not a credential id", status=2),
    Bad("signing key file missing", rotate_with("missing"), "no such key file"),
    Bad("signing key path is a folder", rotate_with("folder"), "is a folder, not a key file"),
    Bad("signing key file of random bytes", rotate_with("garbage"), "not a grievance key file"),
    Bad("signing key file cut in half", rotate_with("truncated"), "not a grievance key file"),
    Bad("partner key given as signing key", rotate_with("partner_file"),
        "not an administrators' signing key"),
    Bad("wrong passphrase", rotate_with("signing_key"), "passphrase does not open",
        env={"GRIEVANCE_PASSPHRASE": WRONG_PASSPHRASE}),
    Bad("signing key that is not the pinned one", rotate_with("stranger"),
        "does not match GRIEVANCE_ADMIN_VERIFY_KEY"),
    Bad("label with control characters", lambda w: ["admin", "credential", "issue",
        "mekong-workers", "--label", CONTROL], "one line of printable text"),
    Bad("label of 100,000 characters", lambda w: ["admin", "credential", "issue",
        "mekong-workers", "--label", LONG], "at most 200 characters"),
    Bad("emergency contacts too long", lambda w: ["admin", "partner", "contacts",
        "mekong-workers", "--text", LONG], "at most 1000 characters"),
    Bad("name of blanks", lambda w: ["admin", "site", "rename", "lamphun-2", "--name", " \t "],
        "one line of printable text"),
    Bad("name with control characters", lambda w: ["admin", "partner", "edit", "mekong-workers",
        "--name", CONTROL], "one line of printable text"),
    Bad("site name a worker could not tell apart", lambda w: ["admin", "site", "add", "copy",
        "--name", " lamphun PLANT 2", "--country", "TH", "--partner", "mekong-workers"],
        "workers could not tell the two apart"),
    Bad("a partner that exists already", lambda w: signing(w, "admin", "partner", "add",
        "mekong-workers", "--name", "M", "--country", "MY", "--public-key", w["other"]),
        "already exists"),
    Bad("a country another partner covers", lambda w: signing(w, "admin", "partner", "add", "p2",
        "--name", "P", "--country", "TH", "--public-key", w["other"]), "already covered"),
    Bad("revoking the active key without --force", lambda w: signing(w, "admin", "partner",
        "revoke-key", "mekong-workers", w["key_id"]), "is the active key"),
    Bad("retention of zero days", lambda w: ["admin", "purge"], "GRIEVANCE_RETENTION_DAYS must",
        env={"GRIEVANCE_RETENTION_DAYS": "0"}),
    Bad("retention in Arabic-Indic digits", lambda w: ["admin", "purge"],
        "GRIEVANCE_RETENTION_DAYS must", env={"GRIEVANCE_RETENTION_DAYS": "\u0663\u0666\u0665"}),
    Bad("retention of 10^30 days", lambda w: ["admin", "purge", "--dry-run"],
        "GRIEVANCE_RETENTION_DAYS must", env={"GRIEVANCE_RETENTION_DAYS": "1" + "0" * 30}),
    Bad("database URL of another kind, with a password", lambda w: ["admin", "site", "list"],
        "names a mysql database", env={"GRIEVANCE_DATABASE_URL": f"mysql://a:{DB_PASSWORD}@h/d"}),
    Bad("database URL that is not a URL", lambda w: ["admin", "site", "list"],
        "is not a database URL", env={"GRIEVANCE_DATABASE_URL": DB_PASSWORD}),
    Bad("database URL naming a driver not installed", lambda w: ["admin", "site", "list"],
        "names the psycopg2 driver",
        env={"GRIEVANCE_DATABASE_URL": f"postgresql+psycopg2://a:{DB_PASSWORD}@h/d"}),
    Bad("database server that does not answer", lambda w: ["admin", "site", "list"],
        "cannot open the PostgreSQL database",
        env={"GRIEVANCE_DATABASE_URL": f"postgresql://a:{DB_PASSWORD}@127.0.0.1:9/d"}),
    Bad("data folder that is a file", lambda w: ["admin", "site", "list"],
        "is a file, not a folder", env={"GRIEVANCE_DATABASE_URL": None,
                                        "GRIEVANCE_DATA_DIR": "{tmp}/a-file"}),
    Bad("database file that is a folder", lambda w: ["admin", "site", "list"],
        "is a folder, not a database file", env={"GRIEVANCE_DATABASE_URL": None,
                                                 "GRIEVANCE_DATA_DIR": "{tmp}/folder-db"}),
    Bad("database file that is not a database", lambda w: ["admin", "site", "list"],
        "cannot use the SQLite database", env={"GRIEVANCE_DATABASE_URL": None,
                                               "GRIEVANCE_DATA_DIR": "{tmp}/garbage-db"}),
    Bad("no database configured", lambda w: ["admin", "site", "list"],
        "no database is configured", env={"GRIEVANCE_DATABASE_URL": None}),
    Bad("verify key that is not a verify key", lambda w: ["admin", "partner", "list"],
        "GRIEVANCE_ADMIN_VERIFY_KEY", env={"GRIEVANCE_ADMIN_VERIFY_KEY": "gpk1" + "00" * 32}),
    Bad("listen address without a port", lambda w: ["serve", "--no-telegram"],
        "GRIEVANCE_HTTP_LISTEN must be HOST:PORT", env={"GRIEVANCE_HTTP_LISTEN": "localhost"},
        json_flag=False),
    Bad("listen port out of range", lambda w: ["serve", "--no-telegram"],
        "GRIEVANCE_HTTP_LISTEN must be HOST:PORT",
        env={"GRIEVANCE_HTTP_LISTEN": "127.0.0.1:99999"}, json_flag=False),
    Bad("unknown log level", lambda w: ["serve", "--no-telegram"], "GRIEVANCE_LOG_LEVEL must be",
        env={"GRIEVANCE_LOG_LEVEL": "TRACE\x1b[31m"}, json_flag=False),
    Bad("idle minutes beyond a day", lambda w: ["serve"], "IDLE_MINUTES must be a whole number",
        env={"GRIEVANCE_CONVERSATION_IDLE_MINUTES": "100000"}, json_flag=False),
    Bad("bot token of the wrong shape", lambda w: ["serve"], "does not look like a bot token",
        env={"GRIEVANCE_TELEGRAM_TOKEN": "SENTINEL-BOT-TOKEN"}, json_flag=False),
    Bad("key file to create exists", lambda w: ["admin", "keygen", "--out", str(w["signing_key"])],
        "already exists"),
    Bad("key file to create in a missing folder", lambda w: ["desk", "keygen", "--out",
        str(w["tmp"] / "nowhere" / "k.key")], "there is no folder"),
    Bad("new passphrase too short", lambda w: ["desk", "keygen", "--out", str(w["tmp"] / "n.key")],
        "at least 12 characters", env={"GRIEVANCE_PASSPHRASE": "short"}),
    Bad("no passphrase and no terminal", lambda w: ["admin", "keygen", "--out",
        str(w["tmp"] / "n.key")], "set GRIEVANCE_PASSPHRASE", env={"GRIEVANCE_PASSPHRASE": None}),
    Bad("sandbox folder not made by the sandbox", lambda w: ["chat", "--folder", str(w["tmp"])],
        "nothing in it is deleted", json_flag=False),
    Bad("missing required option", lambda w: ["admin", "site", "add", "s1"],
        "the following arguments are required", status=2),
    Bad("unknown option", lambda w: ["admin", "site", "list", "--all"],
        "unrecognized arguments", status=2),
    Bad("unknown command", lambda w: ["admin", "sites"], "invalid choice", status=2),
]  # fmt: skip


@pytest.fixture
def world(tmp_path, monkeypatch, capsys) -> dict[str, Any]:
    """A deployment with one partner, a site and a credential, and files of every wrong kind."""
    url = f"sqlite:///{tmp_path / 'grievance.sqlite3'}"
    env = admin_deployment(url, tmp_path, monkeypatch, capsys)
    added, _key = add_partner(capsys, env)
    assert main(["admin", "site", "add", "lamphun-2", "--name", "Lamphun Plant 2",
                 "--country", "TH", "--partner", "mekong-workers"]) == 0  # fmt: skip
    assert main(["admin", "credential", "issue", "mekong-workers"]) == 0
    capsys.readouterr()
    files = tmp_path / "files"
    files.mkdir()
    (files / "garbage.key").write_bytes(os.urandom(300))
    real = Path(env["signing_key"]).read_bytes()
    (files / "truncated.key").write_bytes(real[: len(real) // 2])
    write_partner_key(files / "partner.key", new_partner_key(), PASSPHRASE, FAST)
    write_signing_key(files / "stranger.key", new_signing_key(), PASSPHRASE, FAST)
    (files / "a-file").write_text("not a folder")
    (files / "folder-db" / "grievance.sqlite3").mkdir(parents=True)
    (files / "garbage-db").mkdir()
    (files / "garbage-db" / "grievance.sqlite3").write_bytes(b"SQLite? no. " * 100)
    (files / "sandbox").mkdir()
    return {
        **env,
        "tmp": files,
        "key_id": added["key_id"],
        "other": partner_key_text(new_partner_key().public_key),
        "missing": files / "missing.key",
        "folder": files,
        "garbage": files / "garbage.key",
        "truncated": files / "truncated.key",
        "partner_file": files / "partner.key",
        "stranger": files / "stranger.key",
    }


def state(world: dict[str, Any]) -> tuple[Any, ...]:
    """Every row of the database and every file of the test's folders, to compare."""

    async def rows() -> Any:
        engine = create_engine(world["url"])
        try:
            return await snapshot(session_factory(engine))
        finally:
            await engine.dispose()

    root = Path(world["signing_key"]).parent
    files = {
        str(p.relative_to(root)): p.read_bytes() if p.is_file() else None
        for p in sorted(root.rglob("*"))
        if "grievance.sqlite3" not in p.name
    }
    return asyncio.run(rows()), files


def set_env(monkeypatch: pytest.MonkeyPatch, world: dict[str, Any], env: dict[str, str | None]):
    for name, value in env.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value.replace("{tmp}", str(world["tmp"])))


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} was echoed"


@pytest.mark.parametrize("bad", CASES, ids=lambda bad: bad.kind)
def test_bad_input_is_one_calm_refusal_that_changes_nothing(world, monkeypatch, capsys, bad):
    KINDS.add(bad.kind)
    monkeypatch.chdir(world["tmp"])
    before = state(world)
    set_env(monkeypatch, world, bad.env)
    for as_json in (False, True) if bad.json_flag else (False,):
        argv = bad.argv(world) + (["--json"] if as_json else [])
        status = main(argv)
        out, err = capsys.readouterr()
        assert status == bad.status, (bad.kind, err)
        assert out == "" and "Traceback" not in err
        assert err.count("\n") == 1, err
        if as_json:
            refusal = json.loads(err)
            assert refusal["status"] == status
            message = refusal["error"]
        else:
            assert err.startswith("grievance: error: ")
            message = err
        assert bad.message in message, (bad.kind, message)
        assert message.isprintable() or (message.endswith("\n") and message[:-1].isprintable())
        assert len(message) < 800
        assert_no_secret(out, err)
    monkeypatch.undo()
    assert state(world) == before


# The same, as a real process: what an operator sees in a terminal or a service log.
PROCESS_CASES = [
    bad
    for bad in CASES
    if bad.kind
    in {
        "retention of 10^30 days",
        "database URL of another kind, with a password",
        "data folder that is a file",
        "wrong passphrase",
        "signing key file of random bytes",
        "unknown log level",
        "bot token of the wrong shape",
        "slug with terminal control characters",
    }
]


@pytest.mark.parametrize("bad", PROCESS_CASES, ids=lambda bad: bad.kind)
def test_bad_input_to_the_grievance_process_is_one_line(world, bad):
    env = {
        k: v for k, v in os.environ.items() if k.startswith("GRIEVANCE_") or k in {"PATH", "HOME"}
    }
    env.update({k: v.replace("{tmp}", str(world["tmp"])) for k, v in bad.env.items() if v})
    for name in [k for k, v in bad.env.items() if v is None]:
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", *bad.argv(world)], capture_output=True, text=True,
        env=env, stdin=subprocess.DEVNULL, check=False, cwd=world["tmp"],
    )  # fmt: skip
    assert done.returncode == bad.status
    assert done.stdout == "" and done.stderr.count("\n") == 1, done.stderr
    assert bad.message in done.stderr and "Traceback" not in done.stderr
    assert_no_secret(done.stdout, done.stderr)


DESK_CASES = [
    ("unknown case id", ["show", "ZZZZZZZZZZZZ"], "no case ZZZZZZZZZZZZ", 1),
    ("malformed case id", ["status", "../../etc", "new"], "is not a case id", 1),
    ("status not in the workflow", ["status", "{case}", "done"], "invalid choice", 2),
    ("day that is not a day", ["cases", "--changed-since", "2024-02-30"], "is not a day", 1),
    ("export over an existing file", ["export", "--format", "csv", "--out", "{existing}"],
     "already exists", 1),
    ("token of the wrong shape", ["cases", "--token", "SENTINEL-BOT-TOKEN"],
     "not a caseworker token", 1),
    ("token the server does not know", ["cases", "--token", "gct_" + "A" * 43],
     "the server refused the token", 1),
    ("server address that is not one", ["cases", "--server", "not a url\x07"],
     "'not a url\\x07' is not a server address", 1),
    ("partner key file with the wrong passphrase", ["cases"], "passphrase does not open", 1),
    ("reply too long", ["reply", "{case}", "x" * 300_000], "at most 3500 fit, nothing was sent", 1),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "argv", "message", "status"), DESK_CASES, ids=lambda c: c)
async def test_bad_desk_input_is_one_calm_refusal(
    tmp_path, monkeypatch, kind, argv, message, status
):
    KINDS.add(kind)
    right = "the caseworker's passphrase"
    monkeypatch.setenv("GRIEVANCE_PASSPHRASE", WRONG_PASSPHRASE if "passphrase" in kind else right)
    url = f"sqlite:///{tmp_path / 'grievance.sqlite3'}"
    async with desk_world(url, tmp_path) as world:
        case = await store_report(world.sessions, world.partner_key.public_key, "SENTINEL-REPORT")
        existing = tmp_path / "existing.csv"
        existing.write_text("keep me")
        words = [w.replace("{case}", case.id).replace("{existing}", str(existing)) for w in argv]
        before = await snapshot(world.sessions)
        for as_json in (False, True):
            extra = ["--json"] if as_json and words[0] != "export" else []
            # The world's server and token first: an option the case gives itself comes later
            # and wins.
            keys = ["--key", str(world.key_file)] if words[0] in {"cases", "show", "export"} else []
            ran = await run_cli(["desk", words[0], *world.connect(), *keys, *words[1:], *extra])
            assert ran.status == status, (kind, ran.err)
            assert ran.out == "" and ran.err.count("\n") == 1, ran.err
            assert "Traceback" not in ran.err
            said = json.loads(ran.err) if extra else {"error": ran.err, "status": status}
            assert said["status"] == status and message in said["error"]
            assert_no_secret(ran.err)
            assert world.token not in ran.err
        assert await snapshot(world.sessions) == before
        assert existing.read_text() == "keep me"


def test_the_kinds_of_bad_input_tried():
    """Run last in this file: how many distinct kinds were tried (the issue asks for many)."""
    kinds = {bad.kind for bad in CASES} | {case[0] for case in DESK_CASES}
    print(f"\nCLI bad-input kinds: {len(kinds)}")
    assert len(kinds) >= 60
