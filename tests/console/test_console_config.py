"""The console's settings file: written mode 0600 whole, read back, damaged ones named."""

from __future__ import annotations

import os
import stat

import pytest

from desk.console import config
from desk.console.config import ConfigError, ConsoleConfig

TOKEN = "gct_" + "A" * 43


def test_settings_are_written_for_the_user_only_and_read_back(tmp_path):
    path = tmp_path / "settings" / "console.json"
    saved = ConsoleConfig("https://grievance.example.org", TOKEN, str(tmp_path / "p.key"), "th")
    config.save(path, saved)
    assert config.load(path) == saved
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    config.save(path, config.with_language(saved, "en"))
    assert config.load(path).language == "en"
    assert [p.name for p in path.parent.iterdir()] == ["console.json"]


def test_no_settings_file_means_the_first_run(tmp_path):
    assert not config.load(tmp_path / "missing.json").complete


@pytest.mark.parametrize("content", [b"not json", b'{"format": "other"}', b"[1]", b"\xff" * 10])
def test_a_damaged_settings_file_is_one_sentence(tmp_path, content):
    path = tmp_path / "console.json"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match="is damaged; remove it"):
        config.load(path)


def test_the_setup_checks_each_setting(tmp_path):
    key = tmp_path / "partner.key"
    key.write_text("{}")
    with pytest.raises(ConfigError, match="not a server address"):
        config.checked("grievance.example.org", TOKEN, str(key))
    with pytest.raises(ConfigError, match="not a caseworker token"):
        config.checked("https://grievance.example.org", "secret", str(key))
    with pytest.raises(ConfigError, match="no file at"):
        config.checked("https://grievance.example.org", TOKEN, str(tmp_path / "nope.key"))
    done = config.checked("https://grievance.example.org/", f" {TOKEN} ", f'"{key}"')
    assert done == ConsoleConfig("https://grievance.example.org", TOKEN, str(key))


def test_the_settings_live_in_the_users_settings_folder():
    path = config.default_path()
    assert path.name == "console.json" and path.parent.name == "grievance-desk"
