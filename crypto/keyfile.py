"""Private keys at rest: a small JSON file, the secret under Argon2id + XSalsa20-Poly1305.

A stolen laptop or a lost USB stick yields only this file; the passphrase is what protects it.
docs/FORMAT.md, section "Key files", is the byte-exact description.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

from nacl import pwhash
from nacl.exceptions import CryptoError as NaclCryptoError
from nacl.public import PrivateKey
from nacl.secret import SecretBox
from nacl.signing import SigningKey

from crypto.errors import KeyFileError, WrongPassphrase
from crypto.keys import key_id, partner_key_text, verify_key_text

FILE_FORMAT: Final = "grievance-key-file"
FILE_VERSION: Final = 1
KDF_NAME: Final = "argon2id13"
MIN_PASSPHRASE_CHARS: Final = 12
MAX_FILE_BYTES: Final = 64 * 1024
SECRET_BYTES: Final = 32
"""Both kinds hold 32 secret bytes: an X25519 secret key, or an Ed25519 seed."""


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost. The files record what they were written with; readers obey within limits."""

    opslimit: int
    memlimit: int


MODERATE: Final = KdfParams(pwhash.argon2id.OPSLIMIT_MODERATE, pwhash.argon2id.MEMLIMIT_MODERATE)
"""Default for key files: 3 passes over 256 MiB, about a second on a laptop. A key file is
opened rarely and guards every case of a partner, so it gets the stronger everyday preset."""

_MAX_READ = KdfParams(pwhash.argon2id.OPSLIMIT_SENSITIVE, pwhash.argon2id.MEMLIMIT_SENSITIVE)
"""A file asking for more than this is refused, so a planted file cannot exhaust the machine."""


class KeyKind(StrEnum):
    """What a key file holds."""

    PARTNER = "partner-key"
    """A monitoring partner's X25519 key pair: opens the partner's cases."""
    ADMIN_SIGNING = "admin-signing-key"
    """The administrators' Ed25519 signing key: vouches for partner keys."""


def check_passphrase(passphrase: str) -> None:
    """Refuse a passphrase too short to stand up to guessing if the file is stolen."""
    if len(passphrase) < MIN_PASSPHRASE_CHARS:
        raise KeyFileError(f"the passphrase must be at least {MIN_PASSPHRASE_CHARS} characters")


def write_partner_key(
    path: Path, key: PrivateKey, passphrase: str, params: KdfParams = MODERATE
) -> None:
    """Write a partner key pair file (mode 0600). Never overwrites an existing file."""
    public = key.public_key
    header = {"public_key": partner_key_text(public), "key_id": key_id(bytes(public))}
    _write(path, KeyKind.PARTNER, header, bytes(key), passphrase, params)


def write_signing_key(
    path: Path, key: SigningKey, passphrase: str, params: KdfParams = MODERATE
) -> None:
    """Write the administrators' signing key file (mode 0600). Never overwrites."""
    header = {"verify_key": verify_key_text(key.verify_key)}
    _write(path, KeyKind.ADMIN_SIGNING, header, bytes(key), passphrase, params)


def read_partner_key(path: Path, passphrase: str) -> PrivateKey:
    """Open a partner key file; WrongPassphrase if the passphrase does not open it."""
    header, secret = _read(path, KeyKind.PARTNER, passphrase)
    key = PrivateKey(secret)
    expected = (partner_key_text(key.public_key), key_id(bytes(key.public_key)))
    if (header.get("public_key"), header.get("key_id")) != expected:
        raise KeyFileError(f"{path}: the public key in the file does not match its secret key")
    return key


def read_signing_key(path: Path, passphrase: str) -> SigningKey:
    """Open the administrators' signing key file."""
    header, secret = _read(path, KeyKind.ADMIN_SIGNING, passphrase)
    key = SigningKey(secret)
    if header.get("verify_key") != verify_key_text(key.verify_key):
        raise KeyFileError(f"{path}: the verify key in the file does not match its signing key")
    return key


def _box_key(passphrase: str, salt: bytes, params: KdfParams) -> bytes:
    # NFC so that the same passphrase typed on another system derives the same key.
    password = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    return pwhash.argon2id.kdf(
        SecretBox.KEY_SIZE, password, salt, opslimit=params.opslimit, memlimit=params.memlimit
    )


def _write(
    path: Path,
    kind: KeyKind,
    header: dict[str, str],
    secret: bytes,
    passphrase: str,
    params: KdfParams,
) -> None:
    check_passphrase(passphrase)
    salt = secrets.token_bytes(pwhash.argon2id.SALTBYTES)
    nonce = secrets.token_bytes(SecretBox.NONCE_SIZE)
    box = SecretBox(_box_key(passphrase, salt, params))
    ciphertext = box.encrypt(secret, nonce).ciphertext
    document = {
        "format": FILE_FORMAT,
        "version": FILE_VERSION,
        "kind": kind.value,
        **header,
        "kdf": KDF_NAME,
        "opslimit": params.opslimit,
        "memlimit": params.memlimit,
        "salt": _b64(salt),
        "nonce": _b64(nonce),
        "ciphertext": _b64(ciphertext),
    }
    data = (json.dumps(document, indent=2) + "\n").encode("utf-8")
    try:
        # O_EXCL: a key file is never silently replaced; 0600: readable by its owner only.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise KeyFileError(f"{path} already exists; choose another file name") from exc
    except OSError as exc:
        raise KeyFileError(f"cannot create {path}: {exc.strerror}") from exc
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _read(path: Path, kind: KeyKind, passphrase: str) -> tuple[dict[str, Any], bytes]:
    try:
        raw = path.read_bytes()[: MAX_FILE_BYTES + 1]
    except FileNotFoundError as exc:
        raise KeyFileError(f"{path}: no such key file") from exc
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot read the key file: {exc.strerror}") from exc
    try:
        if len(raw) > MAX_FILE_BYTES:
            raise ValueError
        document = json.loads(raw)
        if document["format"] != FILE_FORMAT or document["version"] != FILE_VERSION:
            raise ValueError
        if document["kdf"] != KDF_NAME:
            raise ValueError
        params = KdfParams(_integer(document["opslimit"]), _integer(document["memlimit"]))
        salt = base64.b64decode(document["salt"], validate=True)
        nonce = base64.b64decode(document["nonce"], validate=True)
        ciphertext = base64.b64decode(document["ciphertext"], validate=True)
        found_kind = document["kind"]
    except (ValueError, KeyError, TypeError) as exc:
        raise KeyFileError(f"{path} is not a grievance key file") from exc
    if found_kind != kind.value:
        raise KeyFileError(f"{path} holds a {found_kind}, not a {kind.value}")
    if not (
        pwhash.argon2id.OPSLIMIT_MIN <= params.opslimit <= _MAX_READ.opslimit
        and pwhash.argon2id.MEMLIMIT_MIN <= params.memlimit <= _MAX_READ.memlimit
        and len(salt) == pwhash.argon2id.SALTBYTES
        and len(nonce) == SecretBox.NONCE_SIZE
        and len(ciphertext) == SECRET_BYTES + SecretBox.MACBYTES
    ):
        raise KeyFileError(f"{path} has key settings or sizes outside the accepted range")
    try:
        secret = SecretBox(_box_key(passphrase, salt, params)).decrypt(ciphertext, nonce)
    except NaclCryptoError as exc:
        raise WrongPassphrase(f"the passphrase does not open {path}") from exc
    return document, secret


def _integer(value: object) -> int:
    # A JSON integer only: not a float, a string or a boolean that int() would quietly accept.
    if type(value) is not int:
        raise ValueError("not an integer")
    return value


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
