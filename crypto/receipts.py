"""Receipts: 16 random digits that are the worker's only link to their case.

One Argon2id run turns a receipt into a lookup id (stored by the server to find the case) and an
X25519 key pair (the server stores only the public half; replies are sealed to it). A database
dump therefore holds nothing a receipt can be read from without an Argon2id run per guess.
docs/FORMAT.md, section "Receipts", is the byte-exact description.
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from typing import Final

from nacl import bindings, pwhash
from nacl.encoding import RawEncoder
from nacl.hash import blake2b
from nacl.public import PrivateKey, PublicKey

from crypto.errors import InvalidReceipt

RECEIPT_DIGITS: Final = 16
GROUP: Final = 4
SALT_BYTES: Final = pwhash.argon2id.SALTBYTES  # 16
OPSLIMIT: Final = pwhash.argon2id.OPSLIMIT_INTERACTIVE  # 2 passes
MEMLIMIT: Final = pwhash.argon2id.MEMLIMIT_INTERACTIVE  # 64 MiB
"""INTERACTIVE: about a tenth of a second per derivation. Ten quadrillion receipts make offline
guessing hopeless even so, and online guessing is throttled by the bot; a heavier setting would
only make the worker wait and let a flood of /status requests exhaust the server's memory."""
LOOKUP_LABEL: Final = b"lookup-id"
CASE_KEY_LABEL: Final = b"case-key"
WHITE_SPACE: Final = frozenset(
    chr(code)
    for code in (
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
    )
)
"""Unicode's White_Space property (PropList.txt, unchanged since Unicode 6.3), listed here
because Python cannot look it up, and `str.isspace` also takes U+001C..U+001F, which are not."""
ZERO_WIDTH: Final = frozenset({"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"})
"""Zero-width characters that copying and pasting often brings along (all General_Category Cf)."""
DIRECTION_MARKS: Final = frozenset({"\u200e", "\u200f", "\u061c"})
"""LEFT-TO-RIGHT MARK, RIGHT-TO-LEFT MARK and ARABIC LETTER MARK (Cf): a right-to-left keyboard
(Urdu, Arabic) types them around digits, invisibly."""
DASH_CATEGORY: Final = "Pd"
DIGIT_CATEGORY: Final = "Nd"


@dataclass(frozen=True)
class CaseKeys:
    """What a receipt derives: where the case is, and the worker's key for replies."""

    lookup_id: bytes
    private_key: PrivateKey

    @property
    def public_key(self) -> PublicKey:
        """The half the server stores with the case."""
        return self.private_key.public_key


def new_receipt() -> str:
    """16 digits from the operating system's random source, canonical form (digits only)."""
    return "".join(secrets.choice("0123456789") for _ in range(RECEIPT_DIGITS))


def new_salt() -> bytes:
    """A per-deployment salt for receipt derivation."""
    return secrets.token_bytes(SALT_BYTES)


def format_receipt(receipt: str, separator: str = " ") -> str:
    """Groups of four, as the worker is shown it: 1234 5678 9012 3456."""
    return separator.join(receipt[i : i + GROUP] for i in range(0, len(receipt), GROUP))


def parse_receipt(text: str) -> str:
    """The canonical 16 ASCII digits of a receipt as typed or pasted by a worker.

    docs/FORMAT.md, "Receipts", defines the classes: a character of General_Category Nd counts
    as its decimal value (the digits of every script: Thai, Burmese, Devanagari, Arabic-Indic,
    full-width, ...); White_Space, General_Category Pd, the ZERO_WIDTH characters and the
    DIRECTION_MARKS are skipped; anything else makes the text not a receipt.
    """
    digits: list[str] = []
    for char in text:
        category = unicodedata.category(char)
        if char in WHITE_SPACE or char in ZERO_WIDTH or char in DIRECTION_MARKS:
            continue
        if category == DASH_CATEGORY:
            continue
        if category != DIGIT_CATEGORY:
            raise InvalidReceipt("a receipt has only digits, spaces and dashes")
        digits.append(str(unicodedata.decimal(char)))
    if len(digits) != RECEIPT_DIGITS:
        raise InvalidReceipt(f"a receipt has {RECEIPT_DIGITS} digits")
    return "".join(digits)


def derive_case_keys(receipt: str, salt: bytes) -> CaseKeys:
    """One Argon2id run, then BLAKE2b with two labels: lookup id and case key seed.

    Slow on purpose (about 0.1 s, 64 MiB): call it from a worker thread, not the event loop.
    """
    canonical = parse_receipt(receipt)
    if len(salt) != SALT_BYTES:
        raise ValueError(f"the receipt salt is {SALT_BYTES} bytes")
    master = pwhash.argon2id.kdf(
        32, canonical.encode("ascii"), salt, opslimit=OPSLIMIT, memlimit=MEMLIMIT
    )
    lookup_id = blake2b(LOOKUP_LABEL, digest_size=32, key=master, encoder=RawEncoder)
    seed = blake2b(CASE_KEY_LABEL, digest_size=32, key=master, encoder=RawEncoder)
    _public, secret = bindings.crypto_box_seed_keypair(seed)
    return CaseKeys(lookup_id=lookup_id, private_key=PrivateKey(secret))
