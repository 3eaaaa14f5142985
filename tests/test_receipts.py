"""Receipts: 16 digits, readable in the worker's own script, deriving stable case keys."""

import pytest

from crypto.errors import InvalidReceipt
from crypto.receipts import (
    derive_case_keys,
    format_receipt,
    new_receipt,
    new_salt,
    parse_receipt,
)

CANONICAL = "1234567890123456"
# The same receipt written in each script a worker may type or paste it in.
SCRIPTS = {
    "thai": "๑๒๓๔๕๖๗๘๙๐๑๒๓๔๕๖",
    "burmese": "၁၂၃၄၅၆၇၈၉၀၁၂၃၄၅၆",
    "devanagari": "१२३४५६७८९०१२३४५६",
    "bengali": "১২৩৪৫৬৭৮৯০১২৩৪৫৬",
    "tamil": "௧௨௩௪௫௬௭௮௯௦௧௨௩௪௫௬",
    "arabic-indic": "١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦",
    "extended arabic-indic": "۱۲۳۴۵۶۷۸۹۰۱۲۳۴۵۶",
    "full-width": "１２３４５６７８９０１２３４５６",
}


def test_a_new_receipt_is_sixteen_digits_shown_in_four_groups():
    receipt = new_receipt()
    assert len(receipt) == 16 and receipt.isascii() and receipt.isdigit()
    shown = format_receipt(receipt)
    assert [len(g) for g in shown.split(" ")] == [4, 4, 4, 4]
    assert len({new_receipt() for _ in range(200)}) == 200


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_digit_script_normalises(script):
    assert parse_receipt(SCRIPTS[script]) == CANONICAL


@pytest.mark.parametrize(
    "typed",
    [
        "1234 5678 9012 3456",
        "1234-5678-9012-3456",
        " 1234\u20135678\u20149012 3456 ",
        "1234\u00a05678\u200b9012\ufeff3456",
        "๑๒๓๔ 5678 ၉၀၁၂-३४५६",
    ],
)
def test_spaces_dashes_and_zero_width_characters_are_ignored(typed):
    assert parse_receipt(typed) == CANONICAL


@pytest.mark.parametrize(
    "typed",
    [
        "\u200f۱۲۳۴ ۵۶۷۸ ۹۰۱۲ ۳۴۵۶\u200f",  # Urdu keyboard: right-to-left marks around it
        "\u200e1234\u200e 5678 9012 3456",  # left-to-right marks around Latin digits in RTL text
        "١٢٣٤\u061c٥٦٧٨\u061c٩٠١٢\u061c٣٤٥٦",  # Arabic letter marks between the groups
    ],
)
def test_direction_marks_of_a_right_to_left_keyboard_are_ignored(typed):
    assert parse_receipt(typed) == CANONICAL


@pytest.mark.parametrize(
    "typed",
    ["", "123456789012345", "12345678901234567", "1234 5678 9012 345x", "1234.5678.9012.3456"],
)
def test_anything_else_is_not_a_receipt(typed):
    with pytest.raises(InvalidReceipt):
        parse_receipt(typed)


def test_derivation_is_deterministic_and_ignores_how_it_was_typed():
    salt = new_salt()
    first = derive_case_keys(CANONICAL, salt)
    again = derive_case_keys(SCRIPTS["thai"], salt)
    assert first.lookup_id == again.lookup_id
    assert bytes(first.private_key) == bytes(again.private_key)


def test_different_receipts_or_deployments_give_different_ids_and_keys():
    salt = new_salt()
    first = derive_case_keys(CANONICAL, salt)
    other = derive_case_keys("1234567890123457", salt)
    elsewhere = derive_case_keys(CANONICAL, new_salt())
    assert len({first.lookup_id, other.lookup_id, elsewhere.lookup_id}) == 3
    keys = {bytes(k.public_key) for k in (first, other, elsewhere)}
    assert len(keys) == 3
    assert first.lookup_id != bytes(first.public_key)


@pytest.mark.parametrize("code", [0x1C, 0x1D, 0x1E, 0x1F])
def test_separators_that_are_not_unicode_white_space_are_refused(code):
    # str.isspace() takes these four; Unicode's White_Space, which FORMAT.md names, does not.
    with pytest.raises(InvalidReceipt):
        parse_receipt(f"1234{chr(code)}5678 9012 3456")


@pytest.mark.parametrize(
    "separator",
    ["\t", "\n", "\r", "\u0085", "\u1680", "\u2000", "\u2009", "\u200a", "\u2028", "\u2029",
     "\u202f", "\u205f", "\u3000", "\u2060", "\ufeff", "\u2011", "\u30a0"],
)  # fmt: skip
def test_every_documented_separator_is_skipped(separator):
    assert parse_receipt(separator.join(["1234", "5678", "9012", "3456"])) == CANONICAL


@pytest.mark.parametrize(
    "typed",
    [
        "1234 5678 9012 345²",  # superscript two: a digit, but General_Category No
        "1234 5678 9012 345①",  # circled one: No
        "1234 5678 9012 345Ⅸ",  # roman numeral nine: Nl
        "1234\u200d\u2066 5678 9012 3456",  # a bidi isolate: a format character not listed
        "1234\u00ad5678 9012 3456",  # soft hyphen: Cf, not Pd
        "1234\u22125678 9012 3456",  # minus sign: Sm, not Pd
    ],
)
def test_characters_outside_the_documented_classes_are_refused(typed):
    with pytest.raises(InvalidReceipt):
        parse_receipt(typed)
