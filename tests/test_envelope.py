"""Envelopes: only the intended readers open them, and any change is detected."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crypto.envelope import AUTHOR_OF, Context, Envelope, open_envelope, rewrap, seal
from crypto.errors import DecryptionError
from crypto.keys import key_id, new_partner_key
from vocabulary import Author, Purpose

CONTEXT = Context(case_id="7KQ2M9XD4H1A", entry_id="0123456789ABCDEFGHJK", purpose=Purpose.REPORT)
REPORT = "ค่าจ้างถูกหัก / wages withheld / 工资被扣".encode()


@pytest.fixture(scope="module")
def partner():
    return new_partner_key()


def test_round_trip(partner):
    envelope = seal(REPORT, CONTEXT, [partner.public_key])
    assert open_envelope(envelope, CONTEXT, partner) == REPORT
    assert REPORT not in envelope.body


def test_every_single_byte_flip_is_detected(partner):
    envelope = seal(REPORT, CONTEXT, [partner.public_key])
    ((wrap_id, sealed_key),) = envelope.wraps.items()
    for i in range(len(envelope.body)):
        body = bytearray(envelope.body)
        body[i] ^= 0x01
        with pytest.raises(DecryptionError):
            open_envelope(Envelope(bytes(body), envelope.wraps), CONTEXT, partner)
    for i in range(len(sealed_key)):
        sealed = bytearray(sealed_key)
        sealed[i] ^= 0x01
        with pytest.raises(DecryptionError):
            open_envelope(Envelope(envelope.body, {wrap_id: bytes(sealed)}), CONTEXT, partner)
    for i in range(len(wrap_id)):
        flipped = wrap_id[:i] + ("0" if wrap_id[i] != "0" else "1") + wrap_id[i + 1 :]
        with pytest.raises(DecryptionError):
            open_envelope(Envelope(envelope.body, {flipped: sealed_key}), CONTEXT, partner)


@pytest.mark.parametrize(
    "other",
    [
        Context("7KQ2M9XD4H1B", CONTEXT.entry_id, CONTEXT.purpose),
        Context(CONTEXT.case_id, "0123456789ABCDEFGHJM", CONTEXT.purpose),
        Context(CONTEXT.case_id, CONTEXT.entry_id, Purpose.NOTE),
        Context(CONTEXT.case_id, CONTEXT.entry_id, Purpose.FOLLOW_UP),
        Context(CONTEXT.case_id, CONTEXT.entry_id, Purpose.REPORT, Author.CASEWORKER),
    ],
    ids=[
        "other case",
        "other entry",
        "other purpose",
        "other purpose, same author",
        "other author",
    ],
)
def test_an_envelope_moved_to_another_context_does_not_open(partner, other):
    envelope = seal(REPORT, CONTEXT, [partner.public_key])
    with pytest.raises(DecryptionError):
        open_envelope(envelope, other, partner)


def test_a_key_it_was_not_sealed_to_does_not_open_it(partner):
    envelope = seal(REPORT, CONTEXT, [partner.public_key])
    with pytest.raises(DecryptionError):
        open_envelope(envelope, CONTEXT, new_partner_key())


def test_two_recipients_each_open_it(partner):
    worker = new_partner_key()
    envelope = seal(REPORT, CONTEXT, [partner.public_key, worker.public_key])
    assert set(envelope.wraps) == {
        key_id(bytes(partner.public_key)),
        key_id(bytes(worker.public_key)),
    }
    assert open_envelope(envelope, CONTEXT, partner) == REPORT
    assert open_envelope(envelope, CONTEXT, worker) == REPORT


def test_rewrap_opens_with_the_new_key_and_leaves_the_body_untouched(partner):
    envelope = seal(REPORT, CONTEXT, [partner.public_key])
    body_before = bytes(envelope.body)
    new_key = new_partner_key()
    wraps = rewrap(envelope, CONTEXT, partner, [new_key.public_key])
    moved = Envelope(envelope.body, wraps)
    assert moved.body == body_before
    assert open_envelope(moved, CONTEXT, new_key) == REPORT
    with pytest.raises(DecryptionError):
        open_envelope(moved, CONTEXT, partner)


def test_rewrap_refuses_a_damaged_body(partner):
    envelope = seal(REPORT, CONTEXT, [partner.public_key])
    damaged = Envelope(envelope.body[:-1] + bytes([envelope.body[-1] ^ 1]), envelope.wraps)
    with pytest.raises(DecryptionError):
        rewrap(damaged, CONTEXT, partner, [new_partner_key().public_key])


def test_stored_size_reveals_only_the_padded_length(partner):
    short = seal(b"a", CONTEXT, [partner.public_key])
    longer = seal(b"a" * 200, CONTEXT, [partner.public_key])
    assert len(short.body) == len(longer.body)


def test_an_envelope_needs_a_recipient():
    with pytest.raises(ValueError, match="recipient"):
        seal(REPORT, CONTEXT, [])


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.data_too_large, HealthCheck.too_slow],
)
@given(
    body=st.one_of(
        st.binary(min_size=0, max_size=4096),
        st.integers(min_value=0, max_value=2 * 1024 * 1024).map(
            lambda n: (bytes(range(256)) * (n // 256 + 1))[:n]
        ),
    )
)
def test_any_body_from_empty_to_two_mebibytes_round_trips(partner, body):
    envelope = seal(body, CONTEXT, [partner.public_key])
    assert open_envelope(envelope, CONTEXT, partner) == body


def test_new_envelopes_are_version_2_with_the_author_bound(partner):
    envelope = seal(REPORT, CONTEXT, [partner.public_key])
    assert envelope.body[0] == 2
    assert b"worker" in CONTEXT.associated_data()
    assert CONTEXT.associated_data() != CONTEXT.associated_data(1)


@pytest.mark.parametrize("purpose", list(Purpose))
def test_each_purpose_opens_under_its_own_author_only(partner, purpose):
    own = AUTHOR_OF[purpose]
    other = Author.CASEWORKER if own == Author.WORKER else Author.WORKER
    context = Context(CONTEXT.case_id, CONTEXT.entry_id, purpose, own)
    envelope = seal(REPORT, context, [partner.public_key])
    assert open_envelope(envelope, context, partner) == REPORT
    with pytest.raises(DecryptionError):
        open_envelope(envelope, Context(CONTEXT.case_id, CONTEXT.entry_id, purpose, other), partner)


def test_a_version_2_body_with_its_version_byte_set_to_1_does_not_open(partner):
    envelope = seal(REPORT, CONTEXT, [partner.public_key])
    downgraded = Envelope(bytes([1]) + envelope.body[1:], envelope.wraps)
    with pytest.raises(DecryptionError):
        open_envelope(downgraded, CONTEXT, partner)


@pytest.mark.parametrize("version", [0, 3, 255])
def test_an_unknown_version_does_not_open(partner, version):
    envelope = seal(REPORT, CONTEXT, [partner.public_key])
    with pytest.raises(DecryptionError, match="unknown version"):
        open_envelope(
            Envelope(bytes([version]) + envelope.body[1:], envelope.wraps), CONTEXT, partner
        )


def test_sealing_refuses_an_author_the_purpose_does_not_have(partner):
    reply_by_worker = Context(CONTEXT.case_id, CONTEXT.entry_id, Purpose.REPLY, Author.WORKER)
    with pytest.raises(ValueError, match="written by the caseworker"):
        seal(REPORT, reply_by_worker, [partner.public_key])
