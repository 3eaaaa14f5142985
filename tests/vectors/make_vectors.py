"""Write vectors.json once, from fixed inputs. Kept so that anyone can see how they were made.

Run from the project root: `python tests/vectors/make_vectors.py`. Envelopes and key files contain
random nonces and ephemeral keys, so a new run gives different bytes; the committed file is the
reference, and tests/test_vectors.py checks it and docs/FORMAT.md against each other.
"""

import json
import tempfile
from datetime import date
from pathlib import Path

from nacl import bindings
from nacl.public import PrivateKey
from nacl.signing import SigningKey

from crypto.envelope import Context, Purpose, seal, unwrap_data_key
from crypto.keyfile import write_partner_key
from crypto.keys import key_id, partner_key_text, verify_key_text
from crypto.receipts import derive_case_keys
from crypto.statements import KeyStatement, KeyStatus, sign_statement

PARTNER_SECRET = bytes(range(1, 33))
SECOND_SECRET = bytes(range(33, 65))
ADMIN_SEED = bytes(range(65, 97))
RECEIPT = "4921 0387 5516 2048"
RECEIPT_SALT = bytes(range(16))
PASSPHRASE = "correct horse battery staple"


def envelope_vector(name, plaintext, context, secrets):
    keys = [PrivateKey(s) for s in secrets]
    envelope = seal(plaintext, context, [k.public_key for k in keys])
    data_key = unwrap_data_key(envelope, keys[0])
    return {
        "name": name,
        "recipient_secret_keys": [s.hex() for s in secrets],
        "recipient_key_ids": [key_id(bytes(k.public_key)) for k in keys],
        "case_id": context.case_id,
        "entry_id": context.entry_id,
        "purpose": context.purpose.value,
        "associated_data": context.associated_data().hex(),
        "plaintext": plaintext.hex(),
        "padded_plaintext": bindings.sodium_pad(plaintext, 256).hex(),
        "data_key": data_key.hex(),
        "body": envelope.body.hex(),
        "wraps": {kid: sealed.hex() for kid, sealed in envelope.wraps.items()},
    }


def main():
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
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "partner.key"
        write_partner_key(path, partner, PASSPHRASE)
        key_file = json.loads(path.read_text())
    vectors = {
        "keys": {
            "partner_secret_key": PARTNER_SECRET.hex(),
            "partner_public_key": bytes(partner.public_key).hex(),
            "partner_public_key_text": partner_key_text(partner.public_key),
            "partner_key_id": key_id(bytes(partner.public_key)),
            "admin_seed": ADMIN_SEED.hex(),
            "admin_verify_key_text": verify_key_text(admin.verify_key),
        },
        "envelopes": [
            envelope_vector(
                "one recipient",
                b"Passports held by the agency since March.",
                Context("7KQ2M9XD4H1A", "0123456789ABCDEFGHJK", Purpose.REPORT),
                [PARTNER_SECRET],
            ),
            envelope_vector(
                "two recipients, empty body",
                b"",
                Context("7KQ2M9XD4H1A", "ZYXWVTSRQPNMKJHGFEDC", Purpose.REPLY),
                [PARTNER_SECRET, SECOND_SECRET],
            ),
        ],
        "statement": {
            "bytes": statement.to_bytes().decode("ascii"),
            "signature": sign_statement(statement, admin).hex(),
        },
        "receipt": {
            "typed": RECEIPT,
            "salt": RECEIPT_SALT.hex(),
            "lookup_id": case_keys.lookup_id.hex(),
            "case_secret_key": bytes(case_keys.private_key).hex(),
            "case_public_key": bytes(case_keys.public_key).hex(),
        },
        "key_file": {"passphrase": PASSPHRASE, "file": key_file},
    }
    out = Path(__file__).with_name("vectors.json")
    out.write_text(json.dumps(vectors, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
