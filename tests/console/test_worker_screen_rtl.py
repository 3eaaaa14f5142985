"""Urdu as a phone lays it out: each message and button right to left, the receipt in order."""

import re

import pytest
from console_browser import missing_reason
from worker_screen import render, urdu_screens

BIDI_CONTROLS = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")


async def test_an_urdu_screen_reads_right_to_left_with_the_receipt_in_order(tmp_path):
    reason = missing_reason()
    if reason is not None:
        pytest.skip(reason)
    shot = tmp_path / "urdu.png"
    laid_out = await render(await urdu_screens(), "ur", shot, tmp_path / "profile")
    items = laid_out["items"]
    assert len(items) > 10  # a prompt, its fourteen buttons, the receipt and its button
    left_to_right = [item["text"] for item in items if not item["rtl"]]
    assert not left_to_right, f"laid out left to right: {left_to_right}"
    assert not [item["text"] for item in items if BIDI_CONTROLS.search(item["text"])]
    groups = laid_out["groups"]
    assert groups is not None, "no receipt on the screen"
    assert groups["first"] < groups["last"], "the receipt's groups are shown last group first"
    assert shot.stat().st_size > 10_000
