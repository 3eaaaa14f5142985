"""Signed key statements: only administrator-signed partner keys are trusted."""

from datetime import date

import pytest

from crypto.errors import InvalidKeyText, UntrustedKeyStatement
from crypto.keys import (
    key_id,
    new_partner_key,
    new_signing_key,
    parse_key_id,
    parse_partner_key,
    parse_verify_key,
    partner_key_text,
    verify_key_text,
)
from crypto.statements import KeyStatement, sign_statement, verify_statement
from vocabulary import KeyStatus

ADMIN = new_signing_key()
PARTNER = bytes(new_partner_key().public_key)


def statement(**changes):
    fields = dict(
        partner="mekong-workers",
        key_id=key_id(PARTNER),
        public_key=PARTNER,
        status=KeyStatus.ACTIVE,
        day=date(2026, 11, 25),
    )
    fields.update(changes)
    return KeyStatement(**fields)


def test_a_signed_statement_verifies():
    verify_statement(statement(), sign_statement(statement(), ADMIN), ADMIN.verify_key)


def test_a_statement_signed_by_another_key_is_refused():
    signature = sign_statement(statement(), new_signing_key())
    with pytest.raises(UntrustedKeyStatement, match="mekong-workers"):
        verify_statement(statement(), signature, ADMIN.verify_key)


@pytest.mark.parametrize(
    "change",
    [
        {"partner": "other-partner"},
        {"status": KeyStatus.RETIRED},
        {"day": date(2026, 11, 26)},
    ],
)
def test_any_changed_field_breaks_the_signature(change):
    signature = sign_statement(statement(), ADMIN)
    with pytest.raises(UntrustedKeyStatement):
        verify_statement(statement(**change), signature, ADMIN.verify_key)


def test_a_swapped_public_key_is_refused_even_with_its_own_key_id():
    signature = sign_statement(statement(), ADMIN)
    intruder = bytes(new_partner_key().public_key)
    with pytest.raises(UntrustedKeyStatement):
        verify_statement(
            statement(public_key=intruder, key_id=key_id(intruder)), signature, ADMIN.verify_key
        )
    with pytest.raises(UntrustedKeyStatement, match="key id does not match"):
        verify_statement(statement(public_key=intruder), signature, ADMIN.verify_key)


def test_key_texts_round_trip_and_are_not_interchangeable():
    partner = new_partner_key().public_key
    assert bytes(parse_partner_key(partner_key_text(partner))) == bytes(partner)
    assert bytes(parse_verify_key(verify_key_text(ADMIN.verify_key))) == bytes(ADMIN.verify_key)
    with pytest.raises(InvalidKeyText, match="not a partner public key"):
        parse_partner_key(verify_key_text(ADMIN.verify_key))
    with pytest.raises(InvalidKeyText, match="verify key"):
        parse_verify_key(partner_key_text(partner))
    with pytest.raises(InvalidKeyText):
        parse_partner_key("gpk1" + "zz" * 32)


def test_key_ids_are_checked_and_canonical():
    kid = key_id(PARTNER)
    assert parse_key_id(kid.upper()) == kid
    with pytest.raises(InvalidKeyText):
        parse_key_id(kid[:-1])
