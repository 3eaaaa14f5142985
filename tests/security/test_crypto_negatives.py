"""Crypto negatives: every damaged, moved, replayed or relabelled envelope, and every tampered key
file, fails loudly with the project's named error, never with plaintext.

Each envelope case is put to two readers: the project's `crypto/` (which must raise
`DecryptionError`) and `format_spec`, a reader written from docs/FORMAT.md with raw libsodium
calls (which must refuse): the document, not only the code, is what refuses.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import format_spec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl import bindings

from crypto.envelope import AUTHOR_OF, Context, Envelope, open_envelope, rewrap, seal
from crypto.errors import DecryptionError, KeyFileError
from crypto.ids import new_case_id, new_entry_id
from crypto.keyfile import (
    KdfParams,
    read_partner_key,
    read_signing_key,
    write_partner_key,
    write_signing_key,
)
from crypto.keys import PrivateKey, key_id, new_partner_key, new_signing_key
from crypto.payloads import encode_message
from desk.cases import Keyring, Unreadable, open_case
from desk.client import Case, Entry
from vocabulary import Author, Purpose

VECTORS = json.loads(
    (Path(__file__).resolve().parent.parent / "vectors" / "vectors.json").read_text()
)
PLAINTEXT = b"SENTINEL-PLAINTEXT the agency keeps our passports"
FAST = KdfParams(opslimit=1, memlimit=8 * 1024 * 1024)
PASSPHRASE = "a long passphrase for tests"
PARTNER = new_partner_key()
WORKER = new_partner_key()
OTHER_PURPOSE = {
    Purpose.REPORT: Purpose.FOLLOW_UP,
    Purpose.FOLLOW_UP: Purpose.ATTACHMENT,
    Purpose.ATTACHMENT: Purpose.REPORT,
    Purpose.REPLY: Purpose.NOTE,
    Purpose.NOTE: Purpose.REPLY,
}
"""For each purpose, another purpose of the same author: only the purpose binding refuses it."""


@dataclass(frozen=True)
class Sealed:
    """One envelope as stored: its context in clear, body and wraps, and its recipients."""

    context: Context
    body: bytes
    wraps: dict[str, bytes]
    readers: tuple[PrivateKey, ...]
    plaintext: bytes = PLAINTEXT

    @property
    def version(self) -> int:
        return self.body[0]


def sealed(purpose: Purpose = Purpose.REPLY, plaintext: bytes = PLAINTEXT) -> Sealed:
    """A version-2 envelope by the project code, to the partner (and, a reply, the worker)."""
    context = Context(new_case_id(), new_entry_id(), purpose, AUTHOR_OF[purpose])
    readers = (PARTNER, WORKER) if purpose == Purpose.REPLY else (PARTNER,)
    envelope = seal(plaintext, context, [r.public_key for r in readers])
    return Sealed(context, envelope.body, dict(envelope.wraps), readers, plaintext)


def version_1(index: int = 0) -> Sealed:
    """A committed version-1 vector (written by the version-1 code)."""
    vector = VECTORS["envelopes_v1"][index]
    context = Context(
        vector["case_id"], vector["entry_id"], Purpose(vector["purpose"]), Author(vector["author"])
    )
    readers = tuple(PrivateKey(bytes.fromhex(s)) for s in vector["recipient_secret_keys"])
    wraps = {kid: bytes.fromhex(w) for kid, w in vector["wraps"].items()}
    return Sealed(
        context, bytes.fromhex(vector["body"]), wraps, readers, bytes.fromhex(vector["plaintext"])
    )


def both_refuse(
    body: bytes, wraps: dict[str, bytes], context: Context, reader: PrivateKey = PARTNER
) -> None:
    """The project's reader raises DecryptionError; the document's reader refuses."""
    with pytest.raises(DecryptionError):
        open_envelope(Envelope(body, wraps), context, reader)
    with pytest.raises(format_spec.Refused):
        format_spec.open_entry(
            body,
            wraps,
            bytes(reader),
            context.case_id,
            context.entry_id,
            context.purpose.value,
            context.writer.value,
        )


def both_open(item: Sealed, reader: PrivateKey = PARTNER) -> None:
    """The unchanged envelope opens for both readers: the negatives below are not vacuous."""
    assert open_envelope(Envelope(item.body, item.wraps), item.context, reader) == item.plaintext
    spec = format_spec.open_entry(
        item.body,
        item.wraps,
        bytes(reader),
        item.context.case_id,
        item.context.entry_id,
        item.context.purpose.value,
        item.context.writer.value,
    )
    assert spec == item.plaintext


ENVELOPES: dict[str, Callable[[], Sealed]] = {
    "version 2 reply": lambda: sealed(Purpose.REPLY),
    "version 2 report": lambda: sealed(Purpose.REPORT),
    "version 1 report (vector)": lambda: version_1(0),
    "version 1 reply (vector)": lambda: version_1(1),
}


@pytest.fixture(params=list(ENVELOPES), scope="module")
def envelope(request: pytest.FixtureRequest) -> Sealed:
    item = ENVELOPES[request.param]()
    both_open(item, item.readers[0])
    return item


# Truncated, extended ------------------------------------------------------------------------


def test_a_body_truncated_at_any_length_does_not_open(envelope):
    reader = envelope.readers[0]
    for length in range(len(envelope.body)):
        both_refuse(envelope.body[:length], envelope.wraps, envelope.context, reader)


def test_a_body_with_bytes_appended_does_not_open(envelope):
    reader = envelope.readers[0]
    for extra in (b"\x00", b"\x80", b"\x00" * 16, bytes(256)):
        both_refuse(envelope.body + extra, envelope.wraps, envelope.context, reader)


def test_a_wrap_truncated_or_extended_at_any_length_does_not_open(envelope):
    reader = envelope.readers[0]
    kid = key_id(bytes(reader.public_key))
    wrap = envelope.wraps[kid]
    for length in range(len(wrap)):
        both_refuse(envelope.body, {**envelope.wraps, kid: wrap[:length]}, envelope.context, reader)
    both_refuse(envelope.body, {**envelope.wraps, kid: wrap + b"\x00"}, envelope.context, reader)


# Bit flips at every position class ------------------------------------------------------------


def body_regions(body: bytes) -> dict[str, range]:
    """FORMAT.md "Body": version byte, nonce, ciphertext of the padded plaintext, tag."""
    return {
        "version byte": range(0, 1),
        "nonce": range(1, 25),
        "ciphertext": range(25, len(body) - 16),
        "tag": range(len(body) - 16, len(body)),
    }


WRAP_REGIONS = {
    "ephemeral public key": range(0, 32),
    "box tag": range(32, 48),
    "sealed data key": range(48, 80),
}
"""FORMAT.md "Binding traps": a wrap is the 32-byte ephemeral key, then the 48-byte box."""


def flipped(data: bytes, index: int, bit: int) -> bytes:
    changed = bytearray(data)
    changed[index] ^= 1 << bit
    return bytes(changed)


@pytest.mark.parametrize("region", ["version byte", "nonce", "ciphertext", "tag"])
def test_every_bit_flipped_in_a_body_is_detected(envelope, region):
    reader = envelope.readers[0]
    positions = body_regions(envelope.body)[region]
    assert len(positions) > 0
    for index in positions:
        for bit in range(8):
            changed = flipped(envelope.body, index, bit)
            both_refuse(changed, envelope.wraps, envelope.context, reader)


@pytest.mark.parametrize("region", list(WRAP_REGIONS))
def test_every_bit_flipped_in_a_wrap_is_detected(envelope, region):
    reader = envelope.readers[0]
    kid = key_id(bytes(reader.public_key))
    for index in WRAP_REGIONS[region]:
        for bit in range(8):
            wraps = {**envelope.wraps, kid: flipped(envelope.wraps[kid], index, bit)}
            both_refuse(envelope.body, wraps, envelope.context, reader)


def test_a_flipped_character_of_the_key_id_finds_no_wrap(envelope):
    reader = envelope.readers[0]
    kid = key_id(bytes(reader.public_key))
    for index in range(len(kid)):
        other = kid[:index] + ("0" if kid[index] != "0" else "1") + kid[index + 1 :]
        wraps = {other: envelope.wraps[kid]}
        both_refuse(envelope.body, wraps, envelope.context, reader)


# Context fields reordered or relabelled --------------------------------------------------------


def contexts_around(context: Context) -> Iterator[tuple[str, Context]]:
    """Every way the stored fields beside a body can be changed while the body stays."""
    c, e, p, a = context.case_id, context.entry_id, context.purpose, context.writer
    other_author = Author.CASEWORKER if a == Author.WORKER else Author.WORKER
    yield "case id and entry id swapped", Context(e, c, p, a)
    yield "another case", Context(new_case_id(), e, p, a)
    yield "another entry", Context(c, new_entry_id(), p, a)
    yield "a case id one character off", Context(c[:-1] + ("0" if c[-1] != "0" else "1"), e, p, a)
    if c.lower() != c:
        yield "case id lower-cased", Context(c.lower(), e, p, a)
    yield "purpose of the same author", Context(c, e, OTHER_PURPOSE[p], a)
    yield "author relabelled", Context(c, e, p, other_author)
    for purpose in Purpose:
        if purpose != p:
            yield f"relabelled as {purpose.value}", Context(c, e, purpose, AUTHOR_OF[purpose])


def test_a_body_under_any_other_context_does_not_open(envelope):
    reader = envelope.readers[0]
    tried = 0
    for _name, context in contexts_around(envelope.context):
        both_refuse(envelope.body, envelope.wraps, context, reader)
        tried += 1
    assert tried >= 10


@pytest.mark.parametrize("purpose", list(Purpose))
@pytest.mark.parametrize("version", [1, 2])
def test_the_author_relabelled_is_refused_for_every_purpose_and_version(purpose, version):
    own = AUTHOR_OF[purpose]
    other = Author.CASEWORKER if own == Author.WORKER else Author.WORKER
    # Version 1 as the version-1 code wrote it: the same recipe, the version-1 associated data.
    item = sealed(purpose) if version == 2 else _version_1_envelope(purpose)
    both_open(item)
    relabelled = Context(item.context.case_id, item.context.entry_id, purpose, other)
    both_refuse(item.body, item.wraps, relabelled)


def _version_1_envelope(purpose: Purpose) -> Sealed:
    """A version-1 envelope made with raw libsodium, as FORMAT.md describes version 1."""
    context = Context(new_case_id(), new_entry_id(), purpose, AUTHOR_OF[purpose])
    data_key, nonce = bytes(range(32)), bytes(range(24))
    ad = format_spec.associated_data(
        1, purpose.value, AUTHOR_OF[purpose].value, context.case_id, context.entry_id
    )
    padded = bindings.sodium_pad(PLAINTEXT, 256)
    body = (
        bytes([1])
        + nonce
        + bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(padded, ad, nonce, data_key)
    )
    wrap = bindings.crypto_box_seal(data_key, bytes(PARTNER.public_key))
    return Sealed(context, body, {key_id(bytes(PARTNER.public_key)): wrap}, (PARTNER,))


def test_a_version_2_body_set_to_version_1_does_not_open(envelope):
    reader = envelope.readers[0]
    other = 1 if envelope.version == 2 else 2
    downgraded = bytes([other]) + envelope.body[1:]
    both_refuse(downgraded, envelope.wraps, envelope.context, reader)


@given(
    fields=st.lists(
        st.tuples(
            st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1),
            st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1),
            st.sampled_from(list(Purpose)),
        ),
        min_size=2,
        max_size=2,
        unique=True,
    )
)
@settings(max_examples=200, deadline=None)
def test_different_contexts_never_share_associated_data(fields):
    # The one-byte lengths keep fields apart: ("AB", "C") and ("A", "BC") differ.
    (c1, e1, p1), (c2, e2, p2) = fields
    first = Context(c1[:255], e1[:255], p1)
    second = Context(c2[:255], e2[:255], p2)
    if (first.case_id, first.entry_id, first.purpose) == (
        second.case_id,
        second.entry_id,
        second.purpose,
    ):
        return
    for version in (1, 2):
        assert first.associated_data(version) != second.associated_data(version)


# Replayed into another entry or case ---------------------------------------------------------


def test_an_envelope_replayed_into_another_entry_or_case_does_not_open():
    original = sealed(Purpose.REPLY)
    elsewhere = sealed(Purpose.REPLY)
    for context in (
        Context(original.context.case_id, elsewhere.context.entry_id, Purpose.REPLY),
        Context(elsewhere.context.case_id, original.context.entry_id, Purpose.REPLY),
        elsewhere.context,
    ):
        for reader in (PARTNER, WORKER):
            both_refuse(original.body, original.wraps, context, reader)


def test_a_wrap_taken_from_another_entry_does_not_open_this_body():
    first, second = sealed(Purpose.NOTE), sealed(Purpose.NOTE)
    both_refuse(first.body, second.wraps, first.context)


def test_a_replayed_entry_is_shown_by_the_desk_as_altered_never_as_words():
    original = sealed(Purpose.FOLLOW_UP)
    report = sealed(Purpose.REPORT, b"{}")
    other_case = new_case_id()

    def entry(seq: int, item: Sealed, entry_id: str) -> Entry:
        purpose, author = item.context.purpose.value, item.context.writer.value
        return Entry(entry_id, seq, purpose, author, "2026-01-01", len(item.body), item.body,
                     item.wraps)  # fmt: skip

    case = Case(
        other_case,
        "new",
        "2026-01-01",
        "2026-01-01",
        bytes(WORKER.public_key),
        (entry(1, report, report.context.entry_id), entry(2, original, new_entry_id())),
    )
    view = open_case(case, Keyring([PARTNER]))
    (item,) = view.thread
    assert isinstance(item, Unreadable) and "altered" in item.reason


def test_a_listed_attachment_relabelled_as_the_caseworkers_is_shown_as_altered():
    # In a case list an attachment comes without its body; its purpose still names its author.
    photo = sealed(Purpose.ATTACHMENT, b"photo bytes")
    listed = Entry(photo.context.entry_id, 2, "attachment", "caseworker", "2026-01-01",
                   len(photo.body), None, photo.wraps)  # fmt: skip
    case = Case(photo.context.case_id, "new", "2026-01-01", "2026-01-01", bytes(32), (listed,))
    (item,) = open_case(case, Keyring([PARTNER]), thread=False).thread
    assert isinstance(item, Unreadable) and "altered" in item.reason


# A wrap moved to another key id --------------------------------------------------------------


def test_a_wrap_moved_to_another_key_id_does_not_open():
    reply = sealed(Purpose.REPLY)
    partner_id, worker_id = key_id(bytes(PARTNER.public_key)), key_id(bytes(WORKER.public_key))
    swapped = {partner_id: reply.wraps[worker_id], worker_id: reply.wraps[partner_id]}
    for reader in (PARTNER, WORKER):
        both_refuse(reply.body, swapped, reply.context, reader)
    stranger = new_partner_key()
    moved = {key_id(bytes(stranger.public_key)): reply.wraps[partner_id]}
    both_refuse(reply.body, moved, reply.context, stranger)
    both_refuse(reply.body, moved, reply.context, PARTNER)


def test_rewrap_refuses_a_relabelled_or_replayed_envelope_and_gives_no_wrap():
    note = sealed(Purpose.NOTE)
    envelope = Envelope(note.body, note.wraps)
    new_key = new_partner_key()
    for context in (
        Context(note.context.case_id, note.context.entry_id, Purpose.NOTE, Author.WORKER),
        Context(new_case_id(), note.context.entry_id, Purpose.NOTE),
    ):
        with pytest.raises(DecryptionError):
            rewrap(envelope, context, PARTNER, [new_key.public_key])


# Key files with tampered headers -------------------------------------------------------------


def _b64_changed(value: str, change: Callable[[bytes], bytes]) -> str:
    return base64.b64encode(change(base64.b64decode(value))).decode("ascii")


def first_byte_flipped(data: bytes) -> bytes:
    return bytes([data[0] ^ 1]) + data[1:]


TAMPERED_HEADERS: dict[str, Callable[[dict[str, Any]], None]] = {
    "format": lambda d: d.update(format="grievance-key-file-2"),
    "version 2": lambda d: d.update(version=2),
    "version as text": lambda d: d.update(version="1"),
    "kind": lambda d: d.update(kind="admin-signing-key"),
    "unknown kind": lambda d: d.update(kind="worker-key"),
    "kdf": lambda d: d.update(kdf="scrypt"),
    "opslimit raised": lambda d: d.update(opslimit=2),
    "opslimit zero": lambda d: d.update(opslimit=0),
    "opslimit huge": lambda d: d.update(opslimit=10**9),
    "opslimit as text": lambda d: d.update(opslimit="1"),
    "opslimit as float": lambda d: d.update(opslimit=1.0),
    "opslimit as boolean": lambda d: d.update(opslimit=True),
    "memlimit doubled": lambda d: d.update(memlimit=d["memlimit"] * 2),
    "memlimit huge": lambda d: d.update(memlimit=64 * 1024**3),
    "memlimit negative": lambda d: d.update(memlimit=-1),
    "salt changed": lambda d: d.update(salt=_b64_changed(d["salt"], first_byte_flipped)),
    "salt short": lambda d: d.update(salt=_b64_changed(d["salt"], lambda b: b[:-1])),
    "salt not base64": lambda d: d.update(salt="not base64!"),
    "nonce changed": lambda d: d.update(nonce=_b64_changed(d["nonce"], first_byte_flipped)),
    "nonce long": lambda d: d.update(nonce=_b64_changed(d["nonce"], lambda b: b + b"\0")),
    "ciphertext changed": lambda d: d.update(
        ciphertext=_b64_changed(d["ciphertext"], first_byte_flipped)
    ),
    "ciphertext truncated": lambda d: d.update(
        ciphertext=_b64_changed(d["ciphertext"], lambda b: b[:-1])
    ),
    "ciphertext empty": lambda d: d.update(ciphertext=""),
    "public key of another": lambda d: d.update(public_key="gpk1" + "11" * 32),
    "key id of another": lambda d: d.update(key_id="00" * 16),
    "public key removed": lambda d: d.pop("public_key"),
    "salt removed": lambda d: d.pop("salt"),
    "header nested": lambda d: d.update(salt={"value": d["salt"]}),
}


@pytest.fixture(scope="module")
def partner_file(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("keys") / "partner.key"
    write_partner_key(path, new_partner_key(), PASSPHRASE, FAST)
    document = json.loads(path.read_text())
    assert read_partner_key(path, PASSPHRASE)  # opens untouched
    return document


@pytest.mark.parametrize("tamper", list(TAMPERED_HEADERS))
def test_a_partner_key_file_with_a_tampered_header_is_refused(partner_file, tmp_path, tamper):
    document = json.loads(json.dumps(partner_file))
    TAMPERED_HEADERS[tamper](document)
    path = tmp_path / "partner.key"
    path.write_text(json.dumps(document))
    with pytest.raises(KeyFileError):
        read_partner_key(path, PASSPHRASE)


@pytest.mark.parametrize(
    "tamper",
    ["verify key of another", "verify key removed", "kind", "opslimit as text", "salt changed"],
)
def test_a_signing_key_file_with_a_tampered_header_is_refused(tmp_path, tamper):
    path = tmp_path / "admin.key"
    write_signing_key(path, new_signing_key(), PASSPHRASE, FAST)
    document = json.loads(path.read_text())
    changes: dict[str, Callable[[dict[str, Any]], None]] = {
        "verify key of another": lambda d: d.update(verify_key="gvk1" + "22" * 32),
        "verify key removed": lambda d: d.pop("verify_key"),
        "kind": lambda d: d.update(kind="partner-key"),
        "opslimit as text": TAMPERED_HEADERS["opslimit as text"],
        "salt changed": TAMPERED_HEADERS["salt changed"],
    }
    changes[tamper](document)
    path.write_text(json.dumps(document))
    with pytest.raises(KeyFileError):
        read_signing_key(path, PASSPHRASE)


def test_a_key_file_truncated_at_any_length_is_refused(partner_file, tmp_path):
    data = json.dumps(partner_file).encode()
    path = tmp_path / "partner.key"
    for length in range(0, len(data), 7):
        path.write_bytes(data[:length])
        with pytest.raises(KeyFileError):
            read_partner_key(path, PASSPHRASE)


def test_a_message_sealed_for_the_worker_is_not_readable_as_a_note():
    # The same plaintext form serves notes and replies: the purpose binding keeps them apart.
    reply = sealed(Purpose.REPLY, encode_message("SENTINEL-REPLY"))
    as_note = Context(reply.context.case_id, reply.context.entry_id, Purpose.NOTE)
    both_refuse(reply.body, reply.wraps, as_note)
