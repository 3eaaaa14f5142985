"""`grievance --help` and every desk command start without the server's libraries: building the
command line loads neither Telegram nor SQLAlchemy nor the HTTP stack nor Pillow nor PyNaCl (each
command imports what it needs when it runs). And what the command lines offer without loading
those modules is what the server accepts."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

HEAVY = {"telegram", "sqlalchemy", "aiohttp", "PIL", "pypdf", "nacl", "alembic", "jinja2"}
COMMANDS = {
    "grievance --help": ["-m", "bot.cli", "--help"],
    "grievance desk cases --help": ["-m", "bot.cli", "desk", "cases", "--help"],
    "grievance admin partner add --help": ["-m", "bot.cli", "admin", "partner", "add", "--help"],
    "python -m desk --help": ["-m", "desk", "--help"],
    "python -m desk show --help": ["-m", "desk", "show", "--help"],
}


def imported_packages(stderr: str) -> set[str]:
    """The top-level packages `python -X importtime` says it imported."""
    names = (line.rsplit("|", 1)[-1].strip() for line in stderr.splitlines())
    return {name.split(".")[0] for name in names if name and not name.startswith("import time")}


@pytest.mark.parametrize("argv", COMMANDS.values(), ids=COMMANDS.keys())
def test_help_loads_none_of_the_servers_libraries(argv):
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *argv], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 and done.stdout.startswith("usage: grievance")
    loaded = imported_packages(done.stderr)
    assert "bot" in loaded or "desk" in loaded  # the import log was read
    assert not loaded & HEAVY, sorted(loaded & HEAVY)


def helps(parser, path=()):
    """The --help of the command at `path` and of every command under it, by path."""
    found = {path: parser.format_help()}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found |= helps(sub, (*path, name))
    return found


def test_building_only_the_group_a_command_names_changes_no_help():
    from bot.cli import GROUPS, build_parser

    everything = helps(build_parser())
    assert build_parser(["--help"]).format_help() == everything[()]
    for group in GROUPS:
        branch = helps(build_parser([group, "--help"]))
        assert branch[()] == everything[()]
        assert {p: h for p, h in branch.items() if p[:1] == (group,)} == {
            p: h for p, h in everything.items() if p[:1] == (group,)
        }
