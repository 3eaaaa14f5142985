"""`grievance chat`: a person walks the whole conversation in a terminal and sees the case."""

import io

from PIL import Image

from bot.sandbox import chat


async def test_the_sandbox_submits_for_real_and_shows_the_decrypted_case(tmp_path):
    photo = tmp_path / "photo.jpg"
    Image.new("RGB", (30, 20), (200, 10, 10)).save(photo)
    typed = iter(
        [
            "a",  # English
            "a",  # I have read this
            "a",  # Yes, continue
            "b",  # Thailand
            "b",  # Lamphun Plant 2
            "b",  # Wages and deductions
            "n",  # Done
            "a",  # danger: yes
            "The supervisor keeps our passports",
            "d",  # it is still going on
            "40",
            f"file {photo}",
            "b",  # Done
            "i",  # no outcome: Done
            "a",  # Send
        ]
    )
    out = io.StringIO()
    status = await chat(tmp_path / "sandbox", read=lambda _prompt: next(typed), out=out)
    shown = out.getvalue()
    assert status == 0
    assert "Demo hotline 1300" in shown  # emergency contacts, at once
    assert "Your receipt number is" in shown
    view = shown.split("=" * 60)[1]
    assert "Workplace: Lamphun Plant 2" in view
    assert "Danger now: Yes" in view
    assert "What happened: The supervisor keeps our passports" in view
    assert "When: It is still going on" in view
    assert "Workers affected: 40" in view
    assert "Evidence: 1 file" in view
    assert "Attachment (evidence): photo, image/jpeg" in view
    assert (tmp_path / "sandbox" / "partner.key").exists()


async def test_leaving_the_sandbox_early_submits_nothing(tmp_path):
    typed = iter(["a", "quit"])
    out = io.StringIO()
    assert await chat(tmp_path / "sandbox", read=lambda _prompt: next(typed), out=out) == 0
    assert "Your receipt number is" not in out.getvalue()
    assert "Case " not in out.getvalue()
