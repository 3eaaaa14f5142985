"""Write vectors.json from fixed inputs. Kept so that anyone can see how they were made.

Run from the project root: `python tests/vectors/make_vectors.py`. Envelopes and key files contain
random nonces and ephemeral keys, so a new run gives different bytes; the committed file is the
reference, and tests/test_vectors.py checks it and docs/FORMAT.md against each other.

`envelopes_v1` is copied from the committed file as it is: this code writes version 2 only, and
those envelopes, made by the version-1 code, are the proof that old bodies still open. Likewise a
committed envelope or key file whose inputs did not change is kept as it is (docs/FORMAT.md
quotes some of their random bytes): a new run only adds what is new.
"""

import json
import tempfile
import unicodedata
from datetime import date
from pathlib import Path

from nacl import bindings
from nacl.public import PrivateKey
from nacl.signing import SigningKey

from crypto.envelope import FORMAT_VERSION, Context, seal, unwrap_data_key
from crypto.keyfile import KdfParams, write_partner_key
from crypto.keys import key_id, partner_key_text, verify_key_text
from crypto.payloads import decode_status_change, encode_report, encode_status_change
from crypto.receipts import derive_case_keys, parse_receipt
from crypto.statements import KeyStatement, sign_statement
from vocabulary import Author, KeyStatus, Purpose

OUT = Path(__file__).with_name("vectors.json")
PARTNER_SECRET = bytes(range(1, 33))
SECOND_SECRET = bytes(range(33, 65))
ADMIN_SEED = bytes(range(65, 97))
RECEIPT = "4921 0387 5516 2048"
RECEIPT_SALT = bytes(range(16))
PASSPHRASE = "correct horse battery staple"
NFC_PASSPHRASE = "Tiếng Việt có dấu nhé"
"""Vietnamese: most letters with marks have a composed form and a decomposed (NFD) one."""
INTERACTIVE = KdfParams(opslimit=2, memlimit=67108864)
"""The NFC vector's file is written with a lighter setting; the file records it."""

# A report of a questionnaire other than the default one: other step ids, named by `roles`.
OTHER_REPORT = {
    "questionnaire": "site-survey",
    "questionnaire_version": 1,
    "language": "th",
    "answers": {
        "where": "TH",
        "factory": "lamphun-2",
        "issues": ["wages"],
        "at_risk": "yes",
        "story": {"text": "Fire exits locked."},
    },
    "readable": {
        "where": {"question": "Country", "answer": "Thailand"},
        "factory": {"question": "Workplace", "answer": "Lamphun Plant 2"},
        "issues": {"question": "Problem", "answer": "Wages and deductions"},
        "at_risk": {"question": "Danger now", "answer": "Yes"},
        "story": {"question": "What happened", "answer": "Fire exits locked."},
    },
    "attachments": [],
    "roles": {
        "country": "where",
        "workplace": "factory",
        "categories": "issues",
        "danger": "at_risk",
        "own_words": "story",
    },
}

# The receipt as a worker of each script may type it, each with another separator.
SCRIPTS = [
    ("Thai", 0x0E50, " "),  # U+0020 SPACE
    ("Burmese", 0x1040, "\u00a0"),  # NO-BREAK SPACE (White_Space)
    ("Arabic-Indic", 0x0660, "\u2010"),  # HYPHEN (Pd)
    ("Extended Arabic-Indic", 0x06F0, "\u3000"),  # IDEOGRAPHIC SPACE (White_Space)
    ("Devanagari", 0x0966, "\u200b"),  # ZERO WIDTH SPACE (listed zero-width)
    ("Full-width", 0xFF10, "\uff0d"),  # FULLWIDTH HYPHEN-MINUS (Pd)
    # An Urdu keyboard: direction marks (skipped, as the zero-width ones) around a space.
    ("Extended Arabic-Indic, right-to-left keyboard", 0x06F0, "\u200f \u200e\u061c"),
]


def envelope_vector(name, plaintext, context, secrets, previous=()):
    inputs = {
        "name": name,
        "plaintext": plaintext.hex(),
        "case_id": context.case_id,
        "entry_id": context.entry_id,
        "purpose": context.purpose.value,
        "author": context.writer.value,
        "recipient_secret_keys": [s.hex() for s in secrets],
    }
    for kept in previous:
        if all(kept.get(field) == value for field, value in inputs.items()):
            return kept
    keys = [PrivateKey(s) for s in secrets]
    envelope = seal(plaintext, context, [k.public_key for k in keys])
    data_key = unwrap_data_key(envelope, keys[0])
    return {
        "name": name,
        "version": FORMAT_VERSION,
        "recipient_secret_keys": [s.hex() for s in secrets],
        "recipient_key_ids": [key_id(bytes(k.public_key)) for k in keys],
        "case_id": context.case_id,
        "entry_id": context.entry_id,
        "purpose": context.purpose.value,
        "author": context.writer.value,
        "associated_data": context.associated_data().hex(),
        "plaintext": plaintext.hex(),
        "padded_plaintext": bindings.sodium_pad(plaintext, 256).hex(),
        "data_key": data_key.hex(),
        "body": envelope.body.hex(),
        "wraps": {kid: sealed.hex() for kid, sealed in envelope.wraps.items()},
    }


def must_not_open(vector, v1_vector):
    """Stored fields changed around a vector, which a reader must refuse.

    `refused_by` says how: "aead" (decryption fails), or "author rule" (a version-1 body opens
    under libsodium, since its author is not bound, and the purpose's author refuses it)."""
    body = bytes.fromhex(vector["body"])
    same = {k: vector[k] for k in ("case_id", "entry_id", "purpose", "author")}
    v1_same = {k: v1_vector[k] for k in ("case_id", "entry_id", "purpose", "author")}
    cases = [
        (vector, "author relabelled", body, {**same, "author": "caseworker"}, 2, "aead"),
        (vector, "version byte set to 1", bytes([1]) + body[1:], same, 1, "aead"),
        (vector, "moved to another case", body, {**same, "case_id": "7KQ2M9XD4H1B"}, 2, "aead"),
        (
            vector,
            "moved to another entry",
            body,
            {**same, "entry_id": "0123456789ABCDEFGHJM"},
            2,
            "aead",
        ),
        (vector, "purpose relabelled", body, {**same, "purpose": "follow-up"}, 2, "aead"),
        (
            v1_vector,
            "version 1, author relabelled",
            bytes.fromhex(v1_vector["body"]),
            {**v1_same, "author": "caseworker"},
            1,
            "author rule",
        ),
    ]
    out = []
    for based_on, name, changed_body, fields, version, refused_by in cases:
        context = Context(
            fields["case_id"],
            fields["entry_id"],
            Purpose(fields["purpose"]),
            Author(fields["author"]),
        )
        out.append(
            {
                "name": name,
                "based_on": based_on["name"],
                "based_on_version": based_on["version"],
                **fields,
                "body": changed_body.hex(),
                "associated_data": context.associated_data(version).hex(),
                "refused_by": refused_by,
            }
        )
    return out


def receipt_vectors():
    canonical = parse_receipt(RECEIPT)
    typed = []
    for script, zero, separator in SCRIPTS:
        digits = "".join(chr(zero + int(d)) for d in canonical)
        text = separator.join(digits[i : i + 4] for i in range(0, 16, 4))
        assert parse_receipt(text) == canonical
        typed.append(
            {
                "script": script,
                "typed": text,
                "code_points": " ".join(f"U+{ord(c):04X}" for c in text),
            }
        )
    return typed


def key_file(key, passphrase, params=None, previous=None):
    if previous is not None and previous.get("passphrase") == passphrase:
        return previous["file"]  # checked by tests/test_vectors.py: it opens to this key
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "partner.key"
        if params is None:
            write_partner_key(path, key, passphrase)
        else:
            write_partner_key(path, key, passphrase, params)
        return json.loads(path.read_text())


def main():
    previous = json.loads(OUT.read_text())
    partner = PrivateKey(PARTNER_SECRET)
    admin = SigningKey(ADMIN_SEED)
    statement = KeyStatement(
        partner="mekong-workers",
        key_id=key_id(bytes(partner.public_key)),
        public_key=bytes(partner.public_key),
        status=KeyStatus.ACTIVE,
        day=date(2026, 11, 25),
    )
    case_keys = derive_case_keys(RECEIPT, RECEIPT_SALT)
    kept = previous.get("envelopes", [])
    envelopes = [
        envelope_vector(
            "one recipient",
            b"Passports held by the agency since March.",
            Context("7KQ2M9XD4H1A", "0123456789ABCDEFGHJK", Purpose.REPORT, Author.WORKER),
            [PARTNER_SECRET],
            kept,
        ),
        envelope_vector(
            "two recipients, empty body",
            b"",
            Context("7KQ2M9XD4H1A", "ZYXWVTSRQPNMKJHGFEDC", Purpose.REPLY, Author.CASEWORKER),
            [PARTNER_SECRET, SECOND_SECRET],
            kept,
        ),
    ]
    status_change = encode_status_change("acknowledged", "new")
    assert decode_status_change(status_change).status == "acknowledged"
    report = encode_report(*OTHER_REPORT.values())
    kept_payloads = previous.get("payloads", {})
    payloads = {
        "report": {
            "roles": OTHER_REPORT["roles"],
            "plaintext_utf8": report.decode("utf-8"),
            "envelope": envelope_vector(
                "report of another questionnaire",
                report,
                Context("7KQ2M9XD4H1A", "R0ESREP0RT000000000A", Purpose.REPORT, Author.WORKER),
                [PARTNER_SECRET],
                [kept_payloads["report"]["envelope"]] if "report" in kept_payloads else [],
            ),
        },
        "status_change": {
            "status": "acknowledged",
            "previous": "new",
            "plaintext_utf8": status_change.decode("utf-8"),
            "envelope": envelope_vector(
                "status change, a note to the partner",
                status_change,
                Context("7KQ2M9XD4H1A", "STATVSCHANGE0000000A", Purpose.NOTE, Author.CASEWORKER),
                [PARTNER_SECRET],
                [previous.get("payloads", {}).get("status_change", {}).get("envelope", {})]
                if previous.get("payloads")
                else [],
            ),
        },
    }
    decomposed = unicodedata.normalize("NFD", NFC_PASSPHRASE)
    vectors = {
        "keys": {
            "partner_secret_key": PARTNER_SECRET.hex(),
            "partner_public_key": bytes(partner.public_key).hex(),
            "partner_public_key_text": partner_key_text(partner.public_key),
            "partner_key_id": key_id(bytes(partner.public_key)),
            "admin_seed": ADMIN_SEED.hex(),
            "admin_verify_key_text": verify_key_text(admin.verify_key),
        },
        "envelopes": envelopes,
        "envelopes_must_not_open": must_not_open(envelopes[0], previous["envelopes_v1"][0]),
        "envelopes_v1": previous["envelopes_v1"],
        "statement": {
            "bytes": statement.to_bytes().decode("ascii"),
            "signature": sign_statement(statement, admin).hex(),
        },
        "receipt": {
            "typed": RECEIPT,
            "canonical": parse_receipt(RECEIPT),
            "salt": RECEIPT_SALT.hex(),
            "lookup_id": case_keys.lookup_id.hex(),
            "case_secret_key": bytes(case_keys.private_key).hex(),
            "case_public_key": bytes(case_keys.public_key).hex(),
            "typed_in_other_scripts": receipt_vectors(),
        },
        "key_file": {
            "passphrase": PASSPHRASE,
            "file": key_file(partner, PASSPHRASE, previous=previous.get("key_file")),
        },
        "key_file_nfc": {
            "passphrase_composed": NFC_PASSPHRASE,
            "passphrase_decomposed": decomposed,
            "written_with": "passphrase_decomposed",
            "file": key_file(
                partner,
                decomposed,
                INTERACTIVE,
                previous={
                    "passphrase": previous.get("key_file_nfc", {}).get("passphrase_decomposed"),
                    "file": previous.get("key_file_nfc", {}).get("file"),
                },
            ),
        },
        "payloads": payloads,
    }
    OUT.write_text(json.dumps(vectors, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
