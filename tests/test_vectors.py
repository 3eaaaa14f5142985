"""The committed test vectors follow docs/FORMAT.md, checked with plain libsodium calls.

The independent checks below use only `nacl.bindings` (thin libsodium wrappers), the standard
library and the document's recipe, as a stranger implementing a decryptor in another language
would; the project's own `crypto/` package is checked against the same vectors separately.
"""

import json
import unicodedata
from datetime import date
from pathlib import Path

import pytest
from format_spec import (
    AUTHOR_OF_PURPOSE,
    DIRECTION_MARKS,
    ROLES_OF_THE_DEFAULT_QUESTIONNAIRE,
    WHITE_SPACE,
    ZERO_WIDTH,
    Refused,
    associated_data,
    canonical_receipt,
    key_id,
    open_body,
    open_entry,
    open_key_file,
    receipt_keys,
    triage,
)
from nacl import bindings
from nacl.exceptions import CryptoError as NaclCryptoError
from nacl.public import PrivateKey

from crypto import keys as project_keys
from crypto import receipts as project_receipts
from crypto.envelope import Context, Envelope, open_envelope
from crypto.errors import DecryptionError
from crypto.keyfile import read_partner_key
from crypto.keys import parse_partner_key, parse_verify_key
from crypto.payloads import (
    PayloadError,
    StatusChange,
    decode_report,
    decode_status_change,
    encode_report,
    encode_status_change,
)
from crypto.receipts import derive_case_keys, parse_receipt
from crypto.statements import KeyStatement, verify_statement
from vocabulary import DEFAULT_QUESTIONNAIRE_ROLES, Author, KeyStatus, Purpose, StepRole

ROOT = Path(__file__).resolve().parent.parent
VECTORS = json.loads((ROOT / "tests" / "vectors" / "vectors.json").read_text())
FORMAT = (ROOT / "docs" / "FORMAT.md").read_text()
STATUS_CHANGE = VECTORS["payloads"]["status_change"]
REPORT = VECTORS["payloads"]["report"]
ALL_ENVELOPES = VECTORS["envelopes"] + VECTORS["envelopes_v1"] + [STATUS_CHANGE["envelope"]]


def test_key_vector_follows_the_spec():
    keys = VECTORS["keys"]
    secret = bytes.fromhex(keys["partner_secret_key"])
    public = bindings.crypto_scalarmult_base(secret)
    assert public.hex() == keys["partner_public_key"]
    assert key_id(public) == keys["partner_key_id"] == project_keys.key_id(public)
    assert keys["partner_public_key_text"] == "gpk1" + public.hex()
    assert bytes(parse_partner_key(keys["partner_public_key_text"])) == public
    verify_key, _ = bindings.crypto_sign_seed_keypair(bytes.fromhex(keys["admin_seed"]))
    assert keys["admin_verify_key_text"] == "gvk1" + verify_key.hex()


def test_new_envelopes_are_version_2_and_old_ones_version_1():
    assert {v["version"] for v in [*VECTORS["envelopes"], STATUS_CHANGE["envelope"]]} == {2}
    assert {v["version"] for v in VECTORS["envelopes_v1"]} == {1}
    for vector in ALL_ENVELOPES:
        assert bytes.fromhex(vector["body"])[0] == vector["version"]
        assert AUTHOR_OF_PURPOSE[vector["purpose"]] == vector["author"]


@pytest.mark.parametrize(
    "vector", ALL_ENVELOPES, ids=lambda v: f"version {v['version']}, {v['name']}"
)
def test_envelope_vector_decrypts_by_the_spec_alone(vector):
    ad = associated_data(
        vector["version"],
        vector["purpose"],
        vector["author"],
        vector["case_id"],
        vector["entry_id"],
    )
    assert ad.hex() == vector["associated_data"]
    body = bytes.fromhex(vector["body"])
    for secret_hex in vector["recipient_secret_keys"]:
        secret = bytes.fromhex(secret_hex)
        public = bindings.crypto_scalarmult_base(secret)
        wrap = bytes.fromhex(vector["wraps"][key_id(public)])
        data_key = bindings.crypto_box_seal_open(wrap, public, secret)
        assert data_key.hex() == vector["data_key"]
        padded = bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
            body[25:], ad, body[1:25], data_key
        )
        assert padded.hex() == vector["padded_plaintext"]
        assert len(padded) % 256 == 0
        assert open_body(body, ad, data_key).hex() == vector["plaintext"]
        wraps = {kid: bytes.fromhex(w) for kid, w in vector["wraps"].items()}
        fields = (vector["case_id"], vector["entry_id"], vector["purpose"], vector["author"])
        assert open_entry(body, wraps, secret, *fields).hex() == vector["plaintext"]


@pytest.mark.parametrize(
    "vector", ALL_ENVELOPES, ids=lambda v: f"version {v['version']}, {v['name']}"
)
def test_envelope_vector_opens_with_the_project_code(vector):
    context = Context(
        vector["case_id"], vector["entry_id"], Purpose(vector["purpose"]), Author(vector["author"])
    )
    envelope = Envelope(
        bytes.fromhex(vector["body"]),
        {kid: bytes.fromhex(w) for kid, w in vector["wraps"].items()},
    )
    for secret_hex in vector["recipient_secret_keys"]:
        plain = open_envelope(envelope, context, PrivateKey(bytes.fromhex(secret_hex)))
        assert plain.hex() == vector["plaintext"]


@pytest.mark.parametrize("change", VECTORS["envelopes_must_not_open"], ids=lambda c: c["name"])
def test_changed_envelope_fields_are_refused_by_the_spec_and_the_project_code(change):
    vector = next(
        v
        for v in ALL_ENVELOPES
        if v["name"] == change["based_on"] and v["version"] == change["based_on_version"]
    )
    body = bytes.fromhex(change["body"])
    version = body[0]
    ad = associated_data(
        version, change["purpose"], change["author"], change["case_id"], change["entry_id"]
    )
    assert ad.hex() == change["associated_data"]
    data_key = bytes.fromhex(vector["data_key"])
    if change["refused_by"] == "aead":
        with pytest.raises(NaclCryptoError):
            open_body(body, ad, data_key)
    else:
        # Version 1 does not bind the author: libsodium opens it; the author rule refuses it.
        assert change["refused_by"] == "author rule"
        assert open_body(body, ad, data_key).hex() == vector["plaintext"]
        assert AUTHOR_OF_PURPOSE[change["purpose"]] != change["author"]
    wraps = {kid: bytes.fromhex(w) for kid, w in vector["wraps"].items()}
    secret = bytes.fromhex(vector["recipient_secret_keys"][0])
    fields = (change["case_id"], change["entry_id"], change["purpose"], change["author"])
    with pytest.raises(Refused):
        open_entry(body, wraps, secret, *fields)
    context = Context(
        change["case_id"], change["entry_id"], Purpose(change["purpose"]), Author(change["author"])
    )
    with pytest.raises(DecryptionError):
        open_envelope(Envelope(body, wraps), context, PrivateKey(secret))


def test_statement_vector_verifies_by_the_spec_and_the_project_code():
    statement = VECTORS["statement"]["bytes"].encode("ascii")
    signature = bytes.fromhex(VECTORS["statement"]["signature"])
    verify_key, _ = bindings.crypto_sign_seed_keypair(bytes.fromhex(VECTORS["keys"]["admin_seed"]))
    assert bindings.crypto_sign_open(signature + statement, verify_key) == statement
    public = bytes.fromhex(VECTORS["keys"]["partner_public_key"])
    rebuilt = KeyStatement(
        "mekong-workers", project_keys.key_id(public), public, KeyStatus.ACTIVE, date(2026, 11, 25)
    )
    assert rebuilt.to_bytes() == statement
    verify_statement(rebuilt, signature, parse_verify_key(VECTORS["keys"]["admin_verify_key_text"]))


def test_receipt_vector_follows_the_spec():
    receipt = VECTORS["receipt"]
    canonical = canonical_receipt(receipt["typed"])
    assert canonical == receipt["canonical"]
    lookup, public, secret = receipt_keys(canonical, bytes.fromhex(receipt["salt"]))
    assert lookup.hex() == receipt["lookup_id"]
    assert public.hex() == receipt["case_public_key"]
    assert secret.hex() == receipt["case_secret_key"]
    derived = derive_case_keys(receipt["typed"], bytes.fromhex(receipt["salt"]))
    assert derived.lookup_id.hex() == receipt["lookup_id"]
    assert bytes(derived.public_key).hex() == receipt["case_public_key"]


@pytest.mark.parametrize(
    "typed", VECTORS["receipt"]["typed_in_other_scripts"], ids=lambda t: t["script"]
)
def test_a_receipt_in_another_script_gives_the_same_lookup_id(typed):
    receipt = VECTORS["receipt"]
    assert " ".join(f"U+{ord(c):04X}" for c in typed["typed"]) == typed["code_points"]
    assert not typed["typed"].isascii()
    assert canonical_receipt(typed["typed"]) == receipt["canonical"]
    assert parse_receipt(typed["typed"]) == receipt["canonical"]
    derived = derive_case_keys(typed["typed"], bytes.fromhex(receipt["salt"]))
    assert derived.lookup_id.hex() == receipt["lookup_id"]


def test_the_receipt_character_classes_are_the_documented_ones():
    assert {ord(c) for c in project_receipts.WHITE_SPACE} == WHITE_SPACE
    assert {ord(c) for c in project_receipts.ZERO_WIDTH} == ZERO_WIDTH
    assert {ord(c) for c in project_receipts.DIRECTION_MARKS} == DIRECTION_MARKS
    listed = (
        "U+0009..U+000D,\n   U+0020, U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, "
        "U+202F, U+205F, U+3000."
    )
    assert listed in FORMAT
    for code in ZERO_WIDTH | DIRECTION_MARKS:
        assert f"U+{code:04X}" in FORMAT


def test_key_file_vector_follows_the_spec(tmp_path):
    vector = VECTORS["key_file"]
    secret = open_key_file(vector["file"], vector["passphrase"])
    assert secret.hex() == VECTORS["keys"]["partner_secret_key"]
    path = tmp_path / "partner.key"
    path.write_text(json.dumps(vector["file"]))
    assert bytes(read_partner_key(path, vector["passphrase"])).hex() == secret.hex()


def test_a_key_file_opens_with_its_passphrase_in_either_normal_form(tmp_path):
    vector = VECTORS["key_file_nfc"]
    composed, decomposed = vector["passphrase_composed"], vector["passphrase_decomposed"]
    assert composed != decomposed
    assert unicodedata.normalize("NFC", decomposed) == composed
    assert unicodedata.normalize("NFD", composed) == decomposed
    secret = open_key_file(vector["file"], composed)
    assert secret.hex() == VECTORS["keys"]["partner_secret_key"]
    # The trap the document names: the decomposed bytes, not normalised, derive another key.
    with pytest.raises(NaclCryptoError):
        open_key_file(vector["file"], decomposed, normalise=False)
    path = tmp_path / "partner.key"
    path.write_text(json.dumps(vector["file"]))
    for typed in (composed, decomposed):
        assert bytes(read_partner_key(path, typed)).hex() == secret.hex()


def test_format_document_quotes_the_vectors():
    v2, v1 = VECTORS["envelopes"][0], VECTORS["envelopes_v1"][0]
    quoted = [
        VECTORS["keys"]["partner_public_key"],
        VECTORS["keys"]["partner_public_key_text"],
        VECTORS["keys"]["partner_key_id"],
        VECTORS["keys"]["admin_verify_key_text"],
        v2["associated_data"],
        v2["data_key"],
        v1["associated_data"],
        VECTORS["statement"]["signature"],
        VECTORS["receipt"]["typed"],
        VECTORS["receipt"]["canonical"],
        VECTORS["receipt"]["salt"],
        VECTORS["receipt"]["lookup_id"],
        VECTORS["receipt"]["case_public_key"],
        VECTORS["key_file"]["passphrase"],
        VECTORS["key_file_nfc"]["passphrase_composed"],
    ]
    for value in quoted:
        assert value in FORMAT, f"docs/FORMAT.md does not quote {value}"
    for typed in VECTORS["receipt"]["typed_in_other_scripts"]:
        digits = "".join(c for c in typed["typed"] if unicodedata.category(c) == "Nd")
        shown = " ".join(digits[i : i + 4] for i in range(0, 16, 4))
        assert f"| {typed['script']} |" in FORMAT and f"`{shown}`" in FORMAT
    indented_statement = "".join(
        "    " + line + "\n" for line in VECTORS["statement"]["bytes"].splitlines()
    )
    assert indented_statement in FORMAT
    assert f"is {len(bytes.fromhex(v2['body']))} bytes" in " ".join(FORMAT.split())


def test_the_status_change_vector_is_a_note_whose_payload_the_document_gives():
    envelope = STATUS_CHANGE["envelope"]
    assert (envelope["purpose"], envelope["author"]) == ("note", "caseworker")
    plaintext = bytes.fromhex(envelope["plaintext"])
    assert plaintext.decode("utf-8") == STATUS_CHANGE["plaintext_utf8"]
    assert f"    {STATUS_CHANGE['plaintext_utf8']}\n" in FORMAT
    assert envelope["entry_id"] in FORMAT
    expected = StatusChange(STATUS_CHANGE["status"], STATUS_CHANGE["previous"])
    assert decode_status_change(plaintext) == expected
    assert encode_status_change(expected.status, expected.previous) == plaintext
    # By the document alone: exactly four fields, two different statuses.
    document = json.loads(plaintext)
    assert set(document) == {"format", "version", "status", "previous"}
    assert document["format"] == "grievance-status-change" and document["version"] == 1


@pytest.mark.parametrize(
    "document",
    [
        {"format": "grievance-status-change", "version": 1, "status": "resolved"},
        {"format": "grievance-status-change", "version": 1, "status": "new", "previous": "new"},
        {"format": "grievance-status-change", "version": 1, "status": "done", "previous": "new"},
        {"format": "grievance-status-change", "version": 2, "status": "closed", "previous": "new"},
        {
            "format": "grievance-status-change",
            "version": True,
            "status": "closed",
            "previous": "new",
        },
        {
            "format": "grievance-status-change",
            "version": 1,
            "status": "closed",
            "previous": "new",
            "text": "a note hidden in a status change",
        },
        {"format": "grievance-message", "version": 1, "text": "closed"},
    ],
    ids=[
        "no previous",
        "unchanged",
        "unknown status",
        "version 2",
        "version true",
        "extra",
        "message",
    ],
)
def test_a_status_change_payload_is_read_strictly(document):
    with pytest.raises(PayloadError):
        decode_status_change(json.dumps(document).encode())


def test_the_report_vector_names_the_steps_of_its_roles_as_the_document_says():
    envelope = REPORT["envelope"]
    plaintext = open_entry(
        bytes.fromhex(envelope["body"]),
        {k: bytes.fromhex(v) for k, v in envelope["wraps"].items()},
        bytes.fromhex(VECTORS["keys"]["partner_secret_key"]),
        envelope["case_id"],
        envelope["entry_id"],
        envelope["purpose"],
        envelope["author"],
    )
    assert plaintext.decode("utf-8") == REPORT["plaintext_utf8"]
    assert f"    {REPORT['plaintext_utf8']}\n" in FORMAT and envelope["entry_id"] in FORMAT
    document = decode_report(plaintext)
    assert document["roles"] == REPORT["roles"]
    fields = ("questionnaire", "questionnaire_version", "language", "answers", "readable")
    again = encode_report(*(document[f] for f in fields), document["attachments"], REPORT["roles"])
    assert again == plaintext
    # By the document alone: urgent, about wages, at Lamphun Plant 2, whatever the step ids.
    assert triage(document) == (True, ["wages"], "Lamphun Plant 2")
    assert set(REPORT["roles"]) == set(StepRole)


def test_a_report_without_roles_is_read_with_the_default_questionnaires_steps():
    line = json.dumps(ROLES_OF_THE_DEFAULT_QUESTIONNAIRE, separators=(",", ":"))
    assert f"    {line}\n" in FORMAT
    assert ROLES_OF_THE_DEFAULT_QUESTIONNAIRE == DEFAULT_QUESTIONNAIRE_ROLES
    old = {
        "answers": {"site": "lamphun-2", "categories": ["hours"], "danger": "no"},
        "readable": {"site": {"question": "Workplace", "answer": "Lamphun Plant 2"}},
    }
    assert triage(old) == (False, ["hours"], "Lamphun Plant 2")
