"""Envelopes: a body sealed once under a fresh data key, and that key wrapped for each recipient.

Rotation and extra readers only ever touch the small wraps, never the body. The associated data
binds the body to its case, its entry, its purpose and (from version 2) its author, so a body
moved elsewhere or relabelled fails to open. docs/FORMAT.md, section "Envelope", is the
byte-exact description, and says why the order and day of an entry are not bound.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from nacl import bindings
from nacl.exceptions import CryptoError as NaclCryptoError
from nacl.public import PrivateKey, PublicKey

from crypto.errors import DecryptionError
from crypto.keys import key_id
from vocabulary import Author, Purpose

FORMAT_VERSION: Final = 2
"""The version this code writes. Version 1 (no author in the associated data) is still read."""
READ_VERSIONS: Final = frozenset({1, FORMAT_VERSION})
AD_LABEL: Final = b"grievance-envelope"
DATA_KEY_BYTES: Final = bindings.crypto_aead_xchacha20poly1305_ietf_KEYBYTES  # 32
NONCE_BYTES: Final = bindings.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES  # 24
TAG_BYTES: Final = bindings.crypto_aead_xchacha20poly1305_ietf_ABYTES  # 16
PAD_BLOCK: Final = 256
"""Bodies are padded to a multiple of this many bytes so that a stored size says little."""
SEALED_KEY_BYTES: Final = DATA_KEY_BYTES + bindings.crypto_box_SEALBYTES  # 80
MIN_BODY_BYTES: Final = 1 + NONCE_BYTES + TAG_BYTES  # 41


AUTHOR_OF: Final[Mapping[Purpose, Author]] = MappingProxyType(
    {
        Purpose.REPORT: Author.WORKER,
        Purpose.FOLLOW_UP: Author.WORKER,
        Purpose.ATTACHMENT: Author.WORKER,
        Purpose.REPLY: Author.CASEWORKER,
        Purpose.NOTE: Author.CASEWORKER,
    }
)
"""The one author each purpose has. A version-1 envelope authenticates only its purpose, so this
table is what tells a reader that a stored author was relabelled; version 2 also binds the
author itself, so that a later purpose open to both parties needs no new version."""


@dataclass(frozen=True)
class Context:
    """Where an envelope belongs, and who wrote it. Every field is authenticated; none is secret.

    `author` is the author stored beside the entry; None stands for the one its purpose implies.
    A reader passes the stored author, so that a relabelled entry fails to open instead of being
    shown as the other party's words.
    """

    case_id: str
    entry_id: str
    purpose: Purpose
    author: Author | None = None

    @property
    def writer(self) -> Author:
        """The author this context claims: the stored one, else the purpose's."""
        return self.author if self.author is not None else AUTHOR_OF[self.purpose]

    def associated_data(self, version: int = FORMAT_VERSION) -> bytes:
        """The AEAD associated data of `version`: label, version, then fields with a length byte.

        Version 1: purpose, case id, entry id. Version 2: purpose, author, case id, entry id.
        """
        if version == 1:
            fields = [self.purpose.value, self.case_id, self.entry_id]
        elif version == 2:
            fields = [self.purpose.value, self.writer.value, self.case_id, self.entry_id]
        else:
            raise ValueError(f"no envelope version {version}")
        parts = [AD_LABEL, bytes([version])]
        for field in fields:
            encoded = field.encode("ascii")
            if not 0 < len(encoded) < 256:
                raise ValueError("context fields are 1 to 255 ASCII characters")
            parts += [bytes([len(encoded)]), encoded]
        return b"".join(parts)

    def consistent(self) -> bool:
        """Whether the claimed author is the one the purpose has (true of every honest entry)."""
        return self.writer == AUTHOR_OF[self.purpose]


def stored_context(case_id: str, entry_id: str, purpose: str, author: str) -> Context:
    """The context of a stored entry, from the labels kept in clear beside its body.

    A label this format does not know is an altered entry like any other: DecryptionError.
    """
    try:
        return Context(case_id, entry_id, Purpose(purpose), Author(author))
    except ValueError as exc:
        raise DecryptionError(
            "this entry's stored purpose or author is not one of the format"
        ) from exc


@dataclass(frozen=True)
class Envelope:
    """A sealed body and its wraps: key id (hex) -> data key sealed to that public key."""

    body: bytes
    wraps: Mapping[str, bytes]


def seal(plaintext: bytes, context: Context, recipients: Iterable[PublicKey]) -> Envelope:
    """Encrypt `plaintext` for every recipient; at least one is required."""
    recipient_list = list(recipients)
    if not recipient_list:
        raise ValueError("an envelope needs at least one recipient")
    if not context.consistent():
        wanted = AUTHOR_OF[context.purpose].value
        raise ValueError(f"a {context.purpose.value} is written by the {wanted}, not another")
    data_key = secrets.token_bytes(DATA_KEY_BYTES)
    nonce = secrets.token_bytes(NONCE_BYTES)
    padded = bindings.sodium_pad(plaintext, PAD_BLOCK)
    ciphertext = bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(
        padded, context.associated_data(), nonce, data_key
    )
    body = bytes([FORMAT_VERSION]) + nonce + ciphertext
    return Envelope(body=body, wraps=wrap_data_key(data_key, recipient_list))


def open_envelope(envelope: Envelope, context: Context, private_key: PrivateKey) -> bytes:
    """Decrypt the body with `private_key`, or raise DecryptionError."""
    return _decrypt_body(envelope.body, context, unwrap_data_key(envelope, private_key))


def rewrap(
    envelope: Envelope,
    context: Context,
    private_key: PrivateKey,
    new_recipients: Iterable[PublicKey],
) -> dict[str, bytes]:
    """Wraps of the same data key for `new_recipients`; the body is left byte for byte as it was.

    The body is decrypted once first, so a damaged envelope is never passed on under a new key.
    """
    data_key = unwrap_data_key(envelope, private_key)
    _decrypt_body(envelope.body, context, data_key)
    return wrap_data_key(data_key, list(new_recipients))


def wrap_data_key(data_key: bytes, recipients: list[PublicKey]) -> dict[str, bytes]:
    """Seal the data key to each recipient (crypto_box_seal), keyed by the recipient's key id."""
    return {key_id(bytes(pk)): bindings.crypto_box_seal(data_key, bytes(pk)) for pk in recipients}


def unwrap_data_key(envelope: Envelope, private_key: PrivateKey) -> bytes:
    """Open the wrap addressed to `private_key`."""
    public = bytes(private_key.public_key)
    sealed = envelope.wraps.get(key_id(public))
    if sealed is None or len(sealed) != SEALED_KEY_BYTES:
        raise DecryptionError("this envelope was not sealed to this key")
    try:
        return bindings.crypto_box_seal_open(sealed, public, bytes(private_key))
    except NaclCryptoError as exc:
        raise DecryptionError("the wrapped key for this recipient is damaged") from exc


def _decrypt_body(body: bytes, context: Context, data_key: bytes) -> bytes:
    header = 1 + NONCE_BYTES
    if len(body) < MIN_BODY_BYTES or body[0] not in READ_VERSIONS:
        raise DecryptionError("this envelope is damaged or of an unknown version")
    if not context.consistent():
        # Version 1 does not bind the author; its authenticated purpose names the author instead.
        raise DecryptionError("this envelope does not open: its stored author was altered")
    version, nonce, ciphertext = body[0], body[1:header], body[header:]
    try:
        padded = bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
            ciphertext, context.associated_data(version), nonce, data_key
        )
        return bindings.sodium_unpad(padded, PAD_BLOCK)
    except (NaclCryptoError, ValueError) as exc:
        raise DecryptionError(
            "this envelope does not open: it was altered or belongs elsewhere"
        ) from exc
