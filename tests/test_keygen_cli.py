"""Key generation through the installed `grievance` command, as an operator runs it."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from crypto.keyfile import read_partner_key, read_signing_key
from crypto.keys import key_id, partner_key_text, verify_key_text

PASSPHRASE = "a passphrase long enough"
GRIEVANCE = [sys.executable, "-m", "bot.cli"]


def grievance(*argv, env_extra=None, cwd):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIEVANCE_")}
    env.update(env_extra or {})
    return subprocess.run(
        [*GRIEVANCE, *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
    )


def test_admin_keygen_prints_the_verify_key_to_pin(tmp_path):
    result = grievance(
        "admin", "keygen", "--out", "admin.key", "--json",
        env_extra={"GRIEVANCE_PASSPHRASE": PASSPHRASE}, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    key = read_signing_key(tmp_path / "admin.key", PASSPHRASE)
    assert printed["verify_key"] == verify_key_text(key.verify_key)
    assert stat.S_IMODE((tmp_path / "admin.key").stat().st_mode) == 0o600


def test_desk_keygen_prints_public_key_and_key_id(tmp_path):
    result = grievance(
        "desk", "keygen", "--out", "partner.key",
        env_extra={"GRIEVANCE_PASSPHRASE": PASSPHRASE}, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    key = read_partner_key(tmp_path / "partner.key", PASSPHRASE)
    assert partner_key_text(key.public_key) in result.stdout
    assert key_id(bytes(key.public_key)) in result.stdout
    again = grievance(
        "desk", "keygen", "--out", "partner.key",
        env_extra={"GRIEVANCE_PASSPHRASE": PASSPHRASE}, cwd=tmp_path,
    )  # fmt: skip
    assert again.returncode == 1
    assert again.stderr.count("\n") == 1 and "already exists" in again.stderr
    assert read_partner_key(tmp_path / "partner.key", PASSPHRASE)


def test_without_passphrase_or_terminal_keygen_says_how(tmp_path):
    result = grievance("desk", "keygen", "--out", "partner.key", cwd=tmp_path)
    assert result.returncode == 1
    assert "set GRIEVANCE_PASSPHRASE" in result.stderr
    assert "Traceback" not in result.stderr
    assert not Path(tmp_path / "partner.key").exists()


def test_a_malformed_command_is_one_line_with_status_2(tmp_path):
    result = grievance("admin", "partner", "add", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "required" in result.stderr
