"""The committed test vectors follow docs/FORMAT.md, checked with plain libsodium calls.

The independent checks below use only `nacl.bindings` (thin libsodium wrappers) and the
document's recipe, as a stranger implementing a decryptor in another language would.
"""

import base64
import json
import unicodedata
from datetime import date
from pathlib import Path

import pytest
from nacl import bindings
from nacl.public import PrivateKey
from nacl.secret import SecretBox

from crypto.envelope import Context, Envelope, Purpose, open_envelope
from crypto.keyfile import read_partner_key
from crypto.keys import key_id, parse_partner_key, parse_verify_key
from crypto.receipts import derive_case_keys
from crypto.statements import KeyStatement, KeyStatus, verify_statement

ROOT = Path(__file__).resolve().parent.parent
VECTORS = json.loads((ROOT / "tests" / "vectors" / "vectors.json").read_text())
FORMAT = (ROOT / "docs" / "FORMAT.md").read_text()


def spec_key_id(public_key: bytes) -> str:
    person = b"grievance-keyid".ljust(16, b"\0")
    return bindings.crypto_generichash_blake2b_salt_personal(
        public_key, digest_size=16, person=person
    ).hex()


def spec_associated_data(purpose: str, case_id: str, entry_id: str) -> bytes:
    out = b"grievance-envelope" + bytes([1])
    for field in (purpose, case_id, entry_id):
        out += bytes([len(field)]) + field.encode("ascii")
    return out


def test_key_vector_follows_the_spec():
    keys = VECTORS["keys"]
    secret = bytes.fromhex(keys["partner_secret_key"])
    public = bindings.crypto_scalarmult_base(secret)
    assert public.hex() == keys["partner_public_key"]
    assert spec_key_id(public) == keys["partner_key_id"] == key_id(public)
    assert keys["partner_public_key_text"] == "gpk1" + public.hex()
    assert bytes(parse_partner_key(keys["partner_public_key_text"])) == public
    verify_key, _ = bindings.crypto_sign_seed_keypair(bytes.fromhex(keys["admin_seed"]))
    assert keys["admin_verify_key_text"] == "gvk1" + verify_key.hex()


@pytest.mark.parametrize("vector", VECTORS["envelopes"], ids=lambda v: v["name"])
def test_envelope_vector_decrypts_by_the_spec_alone(vector):
    ad = spec_associated_data(vector["purpose"], vector["case_id"], vector["entry_id"])
    assert ad.hex() == vector["associated_data"]
    body = bytes.fromhex(vector["body"])
    assert body[0] == 1
    nonce, ciphertext = body[1:25], body[25:]
    for secret_hex in vector["recipient_secret_keys"]:
        secret = bytes.fromhex(secret_hex)
        public = bindings.crypto_scalarmult_base(secret)
        wrap = bytes.fromhex(vector["wraps"][spec_key_id(public)])
        data_key = bindings.crypto_box_seal_open(wrap, public, secret)
        assert data_key.hex() == vector["data_key"]
        padded = bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
            ciphertext, ad, nonce, data_key
        )
        assert padded.hex() == vector["padded_plaintext"]
        assert len(padded) % 256 == 0
        assert bindings.sodium_unpad(padded, 256).hex() == vector["plaintext"]


@pytest.mark.parametrize("vector", VECTORS["envelopes"], ids=lambda v: v["name"])
def test_envelope_vector_opens_with_the_project_code(vector):
    context = Context(vector["case_id"], vector["entry_id"], Purpose(vector["purpose"]))
    envelope = Envelope(
        bytes.fromhex(vector["body"]),
        {kid: bytes.fromhex(w) for kid, w in vector["wraps"].items()},
    )
    for secret_hex in vector["recipient_secret_keys"]:
        plain = open_envelope(envelope, context, PrivateKey(bytes.fromhex(secret_hex)))
        assert plain.hex() == vector["plaintext"]


def test_statement_vector_verifies_by_the_spec_and_the_project_code():
    statement = VECTORS["statement"]["bytes"].encode("ascii")
    signature = bytes.fromhex(VECTORS["statement"]["signature"])
    verify_key, _ = bindings.crypto_sign_seed_keypair(bytes.fromhex(VECTORS["keys"]["admin_seed"]))
    assert bindings.crypto_sign_open(signature + statement, verify_key) == statement
    public = bytes.fromhex(VECTORS["keys"]["partner_public_key"])
    rebuilt = KeyStatement(
        "mekong-workers", key_id(public), public, KeyStatus.ACTIVE, date(2026, 11, 25)
    )
    assert rebuilt.to_bytes() == statement
    verify_statement(rebuilt, signature, parse_verify_key(VECTORS["keys"]["admin_verify_key_text"]))


def test_receipt_vector_follows_the_spec():
    receipt = VECTORS["receipt"]
    canonical = receipt["typed"].replace(" ", "").encode("ascii")
    salt = bytes.fromhex(receipt["salt"])
    master = bindings.crypto_pwhash_alg(
        32, canonical, salt, 2, 67108864, bindings.crypto_pwhash_ALG_ARGON2ID13
    )
    lookup = bindings.crypto_generichash_blake2b_salt_personal(b"lookup-id", key=master)
    seed = bindings.crypto_generichash_blake2b_salt_personal(b"case-key", key=master)
    public, secret = bindings.crypto_box_seed_keypair(seed)
    assert lookup.hex() == receipt["lookup_id"]
    assert public.hex() == receipt["case_public_key"]
    assert secret.hex() == receipt["case_secret_key"]
    derived = derive_case_keys(receipt["typed"], salt)
    assert derived.lookup_id.hex() == receipt["lookup_id"]
    assert bytes(derived.public_key).hex() == receipt["case_public_key"]


def test_key_file_vector_follows_the_spec(tmp_path):
    vector = VECTORS["key_file"]
    document = vector["file"]
    password = unicodedata.normalize("NFC", vector["passphrase"]).encode()
    key = bindings.crypto_pwhash_alg(
        32,
        password,
        base64.b64decode(document["salt"]),
        document["opslimit"],
        document["memlimit"],
        bindings.crypto_pwhash_ALG_ARGON2ID13,
    )
    secret = SecretBox(key).decrypt(
        base64.b64decode(document["ciphertext"]), base64.b64decode(document["nonce"])
    )
    assert secret.hex() == VECTORS["keys"]["partner_secret_key"]
    path = tmp_path / "partner.key"
    path.write_text(json.dumps(document))
    assert bytes(read_partner_key(path, vector["passphrase"])).hex() == secret.hex()


def test_format_document_quotes_the_vectors():
    quoted = [
        VECTORS["keys"]["partner_public_key"],
        VECTORS["keys"]["partner_public_key_text"],
        VECTORS["keys"]["partner_key_id"],
        VECTORS["keys"]["admin_verify_key_text"],
        VECTORS["envelopes"][0]["associated_data"],
        VECTORS["envelopes"][0]["data_key"],
        VECTORS["statement"]["signature"],
        VECTORS["receipt"]["typed"],
        VECTORS["receipt"]["salt"],
        VECTORS["receipt"]["lookup_id"],
        VECTORS["receipt"]["case_public_key"],
        VECTORS["key_file"]["passphrase"],
    ]
    for value in quoted:
        assert value in FORMAT, f"docs/FORMAT.md does not quote {value}"
    indented_statement = "".join(
        "    " + line + "\n" for line in VECTORS["statement"]["bytes"].splitlines()
    )
    assert indented_statement in FORMAT
    assert f"is {len(bytes.fromhex(VECTORS['envelopes'][0]['body']))} bytes" in FORMAT
