"""Key files: private keys at rest, readable only with their passphrase."""

import base64
import json
import stat

import pytest

from crypto.errors import KeyFileError, WrongPassphrase
from crypto.keyfile import (
    KdfParams,
    read_partner_key,
    read_signing_key,
    write_partner_key,
    write_signing_key,
)
from crypto.keys import new_partner_key, new_signing_key

FAST = KdfParams(opslimit=1, memlimit=8 * 1024 * 1024)  # tests only; the CLI always writes MODERATE
PASSPHRASE = "a long passphrase for tests"


def test_partner_key_round_trip_with_owner_only_mode(tmp_path):
    key = new_partner_key()
    path = tmp_path / "partner.key"
    write_partner_key(path, key, PASSPHRASE, FAST)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert bytes(read_partner_key(path, PASSPHRASE)) == bytes(key)
    assert bytes(key).hex() not in path.read_text()


def test_signing_key_round_trip(tmp_path):
    key = new_signing_key()
    path = tmp_path / "admin.key"
    write_signing_key(path, key, PASSPHRASE, FAST)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert bytes(read_signing_key(path, PASSPHRASE)) == bytes(key)


def test_wrong_passphrase_is_one_clear_error(tmp_path):
    path = tmp_path / "partner.key"
    write_partner_key(path, new_partner_key(), PASSPHRASE, FAST)
    with pytest.raises(WrongPassphrase, match="passphrase does not open"):
        read_partner_key(path, "not the passphrase at all")


def test_passphrase_typed_in_another_normal_form_still_opens(tmp_path):
    path = tmp_path / "partner.key"
    write_partner_key(path, new_partner_key(), "Nguyễn Văn passphrase", FAST)
    decomposed = "Nguye\u0302\u0303n Va\u0306n passphrase"
    read_partner_key(path, decomposed)


def test_an_existing_file_is_never_overwritten(tmp_path):
    path = tmp_path / "partner.key"
    write_partner_key(path, new_partner_key(), PASSPHRASE, FAST)
    before = path.read_bytes()
    with pytest.raises(KeyFileError, match="already exists"):
        write_partner_key(path, new_partner_key(), PASSPHRASE, FAST)
    assert path.read_bytes() == before


def test_short_passphrase_is_refused(tmp_path):
    with pytest.raises(KeyFileError, match="at least 12"):
        write_partner_key(tmp_path / "k", new_partner_key(), "short", FAST)


def test_a_signing_key_file_is_not_taken_for_a_partner_key(tmp_path):
    path = tmp_path / "admin.key"
    write_signing_key(path, new_signing_key(), PASSPHRASE, FAST)
    with pytest.raises(KeyFileError, match="not a partner-key"):
        read_partner_key(path, PASSPHRASE)


def test_a_header_that_does_not_match_the_secret_is_refused(tmp_path):
    path = tmp_path / "partner.key"
    write_partner_key(path, new_partner_key(), PASSPHRASE, FAST)
    document = json.loads(path.read_text())
    document["public_key"] = "gpk1" + "00" * 32
    path.write_text(json.dumps(document))
    with pytest.raises(KeyFileError, match="does not match"):
        read_partner_key(path, PASSPHRASE)


@pytest.mark.parametrize("content", [b"", b"not json", b'{"format": "other"}', b"\xff\xfe", b"[]"])
def test_garbage_is_not_a_key_file(tmp_path, content):
    path = tmp_path / "partner.key"
    path.write_bytes(content)
    with pytest.raises(KeyFileError, match="not a grievance key file"):
        read_partner_key(path, PASSPHRASE)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(KeyFileError, match="no such key file"):
        read_partner_key(tmp_path / "absent.key", PASSPHRASE)


def test_a_planted_file_asking_for_huge_memory_is_refused(tmp_path):
    path = tmp_path / "partner.key"
    write_partner_key(path, new_partner_key(), PASSPHRASE, FAST)
    document = json.loads(path.read_text())
    document["memlimit"] = 64 * 1024**3
    path.write_text(json.dumps(document))
    with pytest.raises(KeyFileError, match="outside the accepted range"):
        read_partner_key(path, PASSPHRASE)


@pytest.mark.parametrize(
    ("field", "value"),
    [("opslimit", "1"), ("opslimit", 1.5), ("opslimit", True), ("memlimit", str(8 * 1024 * 1024))],
)
def test_key_settings_that_are_not_json_integers_are_refused(tmp_path, field, value):
    path = tmp_path / "partner.key"
    write_partner_key(path, new_partner_key(), PASSPHRASE, FAST)
    document = json.loads(path.read_text())
    document[field] = value
    path.write_text(json.dumps(document))
    with pytest.raises(KeyFileError, match="not a grievance key file"):
        read_partner_key(path, PASSPHRASE)


def test_a_truncated_ciphertext_is_not_blamed_on_the_passphrase(tmp_path):
    path = tmp_path / "partner.key"
    write_partner_key(path, new_partner_key(), PASSPHRASE, FAST)
    document = json.loads(path.read_text())
    document["ciphertext"] = base64.b64encode(
        base64.b64decode(document["ciphertext"])[:-1]
    ).decode()
    path.write_text(json.dumps(document))
    with pytest.raises(KeyFileError, match="outside the accepted range"):
        read_partner_key(path, PASSPHRASE)
