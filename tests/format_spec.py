"""A reader written from docs/FORMAT.md alone: raw libsodium calls and the standard library.

It is what a stranger implementing a decryptor in another language would write, and it never
imports the project's `crypto/` package, so the vectors and the negative tests check the
document, not only the code. Every refusal is `Refused`.
"""

from __future__ import annotations

import base64
import unicodedata
from typing import Any

from nacl import bindings
from nacl.exceptions import CryptoError as NaclCryptoError

AUTHOR_OF_PURPOSE = {
    "report": "worker",
    "attachment": "worker",
    "follow-up": "worker",
    "reply": "caseworker",
    "note": "caseworker",
}
"""FORMAT.md, "Context and associated data": the one author of each purpose."""
WHITE_SPACE = {
    *range(0x0009, 0x000E),
    0x0020,
    0x0085,
    0x00A0,
    0x1680,
    *range(0x2000, 0x200B),
    0x2028,
    0x2029,
    0x202F,
    0x205F,
    0x3000,
}
"""FORMAT.md, "Receipts": the White_Space code points, as the document lists them."""
ZERO_WIDTH = {0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF}
DIRECTION_MARKS = {0x200E, 0x200F, 0x061C}
READ_VERSIONS = {1, 2}
MIN_BODY = 1 + 24 + 16


ROLES_OF_THE_DEFAULT_QUESTIONNAIRE = {
    "danger": "danger",
    "categories": "categories",
    "country": "country",
    "workplace": "site",
    "own_words": "what_happened",
}
"""FORMAT.md, "Payloads": how a report without `roles` is read."""


class Refused(Exception):
    """The document's reader refuses the input."""


def key_id(public_key: bytes) -> str:
    person = b"grievance-keyid".ljust(16, b"\0")
    return bindings.crypto_generichash_blake2b_salt_personal(
        public_key, digest_size=16, person=person
    ).hex()


def associated_data(version: int, purpose: str, author: str, case_id: str, entry_id: str) -> bytes:
    fields = [purpose, author, case_id, entry_id] if version == 2 else [purpose, case_id, entry_id]
    out = b"grievance-envelope" + bytes([version])
    for field in fields:
        out += bytes([len(field)]) + field.encode("ascii")
    return out


def open_body(body: bytes, ad: bytes, data_key: bytes) -> bytes:
    """FORMAT.md "Body", step 3; raises libsodium's own error."""
    nonce, ciphertext = body[1:25], body[25:]
    padded = bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(ciphertext, ad, nonce, data_key)
    return bindings.sodium_unpad(padded, 256)


def open_entry(
    body: bytes,
    wraps: dict[str, bytes],
    secret: bytes,
    case_id: str,
    entry_id: str,
    purpose: str,
    author: str,
) -> bytes:
    """The whole recipe: the wrap under one's own key id, then the body's three steps."""
    public = bindings.crypto_scalarmult_base(secret)
    wrap = wraps.get(key_id(public))
    if wrap is None:
        raise Refused("no wrap for this key")
    try:
        data_key = bindings.crypto_box_seal_open(wrap, public, secret)
    except NaclCryptoError as exc:
        raise Refused("the wrap does not open") from exc
    if len(body) < MIN_BODY or body[0] not in READ_VERSIONS:
        raise Refused("too short or of an unknown version")
    if AUTHOR_OF_PURPOSE.get(purpose) != author:
        raise Refused("the stored author is not the purpose's")
    try:
        ad = associated_data(body[0], purpose, author, case_id, entry_id)
        return open_body(body, ad, data_key)
    except (NaclCryptoError, ValueError) as exc:
        raise Refused("the body does not open") from exc


def canonical_receipt(text: str) -> str | None:
    """FORMAT.md "Receipts", the five classes, with the standard library's Unicode tables."""
    digits = []
    for char in text:
        if ord(char) in WHITE_SPACE or ord(char) in ZERO_WIDTH or ord(char) in DIRECTION_MARKS:
            continue
        category = unicodedata.category(char)
        if category == "Pd":
            continue
        if category != "Nd":
            return None
        digits.append(str(unicodedata.decimal(char)))
    return "".join(digits) if len(digits) == 16 else None


def receipt_keys(canonical: str, salt: bytes) -> tuple[bytes, bytes, bytes]:
    """Lookup id, case public key and case secret key of a canonical receipt."""
    master = bindings.crypto_pwhash_alg(
        32, canonical.encode("ascii"), salt, 2, 67108864, bindings.crypto_pwhash_ALG_ARGON2ID13
    )
    lookup = bindings.crypto_generichash_blake2b_salt_personal(b"lookup-id", key=master)
    seed = bindings.crypto_generichash_blake2b_salt_personal(b"case-key", key=master)
    public, secret = bindings.crypto_box_seed_keypair(seed)
    return lookup, public, secret


def open_key_file(document: dict[str, Any], passphrase: str, normalise: bool = True) -> bytes:
    """The secret of a key file; raises libsodium's error if the passphrase does not open it."""
    text = unicodedata.normalize("NFC", passphrase) if normalise else passphrase
    key = bindings.crypto_pwhash_alg(
        32,
        text.encode("utf-8"),
        base64.b64decode(document["salt"]),
        document["opslimit"],
        document["memlimit"],
        bindings.crypto_pwhash_ALG_ARGON2ID13,
    )
    return bindings.crypto_secretbox_open(
        base64.b64decode(document["ciphertext"]), base64.b64decode(document["nonce"]), key
    )


def triage(report: dict[str, Any]) -> tuple[bool, list[str], str]:
    """FORMAT.md "Payloads", a report's `roles`: danger, the categories' option ids, and the
    workplace (else the country) in English words."""
    roles = report.get("roles", ROLES_OF_THE_DEFAULT_QUESTIONNAIRE)
    answers, readable = report["answers"], report["readable"]

    def words(role: str) -> str:
        return readable.get(roles.get(role), {}).get("answer", "")

    categories = answers.get(roles.get("categories"), [])
    return (
        answers.get(roles.get("danger")) == "yes",
        [categories] if isinstance(categories, str) else list(categories),
        words("workplace") or words("country"),
    )
