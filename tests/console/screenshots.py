"""Screenshots of the console for docs/: the queue, a case and the buyers' report, from real
sealed cases.

    .venv/bin/python tests/console/screenshots.py [--out docs] [--print-preview DIR]

Starts the real case API with a partner and a queue sealed as the bot seals it (several
languages, a danger report, a photo and a voice note, a follow-up nobody has opened yet, a reply
and a note, cases assigned to the console's caseworker, to a colleague and to nobody), serves
the console against it, and drives headless Chromium at 1280x800 through the start link and
the passphrase, as a caseworker would. The report comes from a second queue: a year of a
partner's cases (a few hundred, at seven workplaces, two of them with fewer than five), each
with its status changes recorded as the desk records them. Thai, Burmese and Chinese text
needs their fonts on the machine (Debian: fonts-thai-tlwg, fonts-noto-core, fonts-wqy-microhei).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE), str(HERE.parents[1])]

from console_browser import chromium  # noqa: E402
from console_voice import opus_voice_note  # noqa: E402
from console_world import console_for  # noqa: E402
from desk_world import PASSPHRASE, add_follow_up, desk_world, sealed_entry, store_report  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402
from report_world import realistic  # noqa: E402
from report_world import seed as seed_report_cases  # noqa: E402
from sqlalchemy import select, update  # noqa: E402

from bot import admin  # noqa: E402
from crypto.payloads import AttachmentHeader, encode_message  # noqa: E402
from storage import cases, partners  # noqa: E402
from storage.models import Case, CaseEntry, CaseworkerCredential  # noqa: E402
from vocabulary import CaseStatus, Purpose  # noqa: E402

TODAY = date(2026, 11, 27)
FORCED = ("forced_labour", "Forced labour, recruitment fees or documents taken")
WAGES = ("wages", "Wages and deductions")
HOURS = ("hours", "Working hours or forced overtime")
SAFETY = ("health_safety", "Health and safety or chemicals")
HARASSMENT = ("harassment", "Harassment or abuse")
QUEUE = [
    # (days ago received, days ago changed, status, language, danger, categories, workplace, words)
    (
        1,
        1,
        "new",
        "th",
        True,
        [SAFETY],
        "Lamphun Plant 2",
        "หัวหน้างานล็อกประตูหอพักตอนกลางคืน ถ้าไฟไหม้พวกเราออกไม่ได้ เมื่อคืนมีควันออกมาจากห้องครัว",
    ),
    (
        2,
        2,
        "new",
        "zh_Hans",
        False,
        [WAGES],
        "Ayutthaya Assembly 1",
        "十月份我的工资被扣了2000泰铢，主管说是宿舍费，但是没有人签过任何东西。谁投诉就没有加班。",
    ),
    (
        3,
        3,
        "new",
        "my",
        False,
        [WAGES, HOURS],
        "Lamphun Plant 2",
        "အောက်တိုဘာလတွင် ကျွန်ုပ်၏လုပ်ခ ဘတ် ၂၀၀၀ ဖြတ်တောက်ခံရသည်။ ကြီးကြပ်ရေးမှူးက အဆောင်ခအတွက်ဟုဆိုသည်။",
    ),
    (
        9,
        2,
        "investigating",
        "en",
        False,
        [FORCED],
        "Lamphun Plant 2",
        "The agency kept our passports when we arrived and says we must pay 45,000 baht to get "
        "them back. Twelve of us from the same village are in the same situation.",
    ),
    (
        12,
        5,
        "acknowledged",
        "en",
        False,
        [HOURS],
        "Chonburi Components",
        "We worked seven days a week for the whole of November. The line leader says overtime "
        "is not voluntary and whoever refuses will lose the bonus.",
    ),
    (
        20,
        6,
        "remediation",
        "th",
        False,
        [WAGES],
        "Ayutthaya Assembly 1",
        "บริษัทไม่จ่ายค่าล่วงเวลาวันหยุดตามกฎหมาย จ่ายแค่อัตราปกติ",
    ),
    (
        25,
        10,
        "investigating",
        "en",
        True,
        [HARASSMENT],
        "Chonburi Components",
        "A supervisor on the night shift touches women workers and threatens to send them back "
        "to the agency if they complain.",
    ),
    (
        41,
        15,
        "resolved",
        "my",
        False,
        [SAFETY],
        "Lamphun Plant 2",
        "ဓာတုပစ္စည်းများကို လက်အိတ်မပါဘဲ ကိုင်တွယ်ရသည်။ လက်များ ယားယံနေသည်။",
    ),
    (
        60,
        30,
        "closed",
        "en",
        False,
        [WAGES],
        "Chonburi Components",
        "The canteen charges were taken twice from our October pay.",
    ),
]


def payslip() -> bytes:
    """A photo as a worker might send it: a payslip with a deduction nobody agreed to."""
    image = Image.new("RGB", (640, 420), (236, 232, 222))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 30, 600, 390), fill=(255, 255, 252), outline=(180, 175, 165), width=2)
    lines = [
        ("PAYSLIP  October 2026", 60),
        ("Basic wage                 9,900.00", 110),
        ("Overtime (62 h)            2,790.00", 145),
        ("Social security             -750.00", 180),
        ("Dormitory                 -2,000.00", 215),
        ("Agency fee                -1,500.00", 250),
        ("Net pay                    8,440.00", 310),
    ]
    for text, y in lines:
        draw.text((70, y), text, fill=(40, 40, 40), font_size=22)
    draw.ellipse((52, 203, 372, 247), outline=(200, 30, 30), width=4)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


ME = "Nok (office laptop)"
COLLEAGUE = "Malee (field office)"
COLLEAGUES_CASES = (3, 6)
"""Rows of QUEUE assigned to the colleague; the case with the photo is the console's own."""


async def seed(world) -> str:
    """The queue above; returns the id of the case shown on its own page."""
    key = world.partner_key.public_key
    shown = ""
    async with world.sessions() as session, session.begin():
        await session.execute(update(CaseworkerCredential).values(label=ME))
        colleague = (
            await admin.credentials.issue(session, "mekong-workers", COLLEAGUE)
        ).credential.id
        (mine,) = [
            c.id for c in await session.scalars(select(CaseworkerCredential)) if c.label == ME
        ]
    for row, queued in enumerate(QUEUE):
        ago, changed, status, language, danger, categories, workplace, words = queued
        files = []
        if "passports" in words:
            files = [
                (AttachmentHeader("photo", "image/jpeg", ".jpg", "evidence"), payslip()),
                (
                    AttachmentHeader("voice", "audio/ogg", ".ogg", "evidence"),
                    opus_voice_note(seconds=7),
                ),
            ]
        sealed = await store_report(
            world.sessions, key, words, status=CaseStatus(status), language=language,
            danger=danger, categories=categories, workplace=workplace, files=files,
        )  # fmt: skip
        received, last = TODAY - timedelta(days=ago), TODAY - timedelta(days=changed)
        if files:
            shown = sealed.id
            await _add(world, sealed.id, Purpose.REPLY,
                       "Thank you. We have written to the agency and to the buyer. Do not pay "
                       "anything; we will tell you here when we hear back.")  # fmt: skip
            note = "Agency licence 2/2564 - ask the Labour Office in Lamphun to check it."
            await _add(world, sealed.id, Purpose.NOTE, note)
            await add_follow_up(
                world.sessions, key, sealed.id,
                "They also took the passports of two new workers last week.", "en",
            )  # fmt: skip
        assignee = mine if files else colleague if row in COLLEAGUES_CASES else None
        async with world.sessions() as session, session.begin():
            await session.execute(
                update(Case)
                .where(Case.id == sealed.id)
                .values(created_day=received, updated_day=last, assignee_credential_id=assignee)
            )
            await session.execute(
                update(CaseEntry).where(CaseEntry.case_id == sealed.id).values(created_day=received)
            )
    return shown


async def _add(world, case_id: str, purpose: Purpose, text: str) -> None:
    async with world.sessions() as session, session.begin():
        (partner,) = await partners.list_partners(session)
        case = await cases.get_case(session, partner.id, case_id)
        entry = sealed_entry(case_id, purpose, encode_message(text), [world.partner_key.public_key])
        await cases.add_entry(session, case, entry)


async def main(out: Path, preview: Path | None) -> None:
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        async with desk_world(f"sqlite:///{folder / 'db.sqlite3'}", folder) as world:
            shown = await seed(world)
            async with (
                console_for(folder, world.url, world.token, world.key_file) as console,
                chromium(folder / "profile") as browser,
            ):
                page = (await browser.page()).page
                await page.goto(console.start_url)
                await page.fill("#passphrase", PASSPHRASE)
                await page.click("form[action='/unlock'] button")
                await page.wait_for_selector("table.queue")
                await page.screenshot(path=str(out / "console-queue.png"))
                await page.goto(f"{console.base}/cases/{shown}")
                await page.wait_for_function("document.querySelector('.photo img').complete")
                await page.wait_for_function(
                    "document.querySelector('.voice audio').readyState >= 1"
                )
                await page.fill(
                    "#reply-text",
                    "We met the agency today: the passports will be returned on Friday.",
                )
                await page.screenshot(path=str(out / "console-case.png"), full_page=True)
                if preview is not None:
                    await page.emulate_media(media="print")
                    await page.screenshot(path=str(preview / "case-print.png"), full_page=True)
                    await page.goto(console.base + "/")
                    await page.screenshot(path=str(preview / "queue-print.png"), full_page=True)
        await report_screenshot(folder / "report", out, preview)


async def report_screenshot(folder: Path, out: Path, preview: Path | None) -> None:
    """The printable buyers' report over the year up to TODAY, by workplace, per month."""
    await asyncio.to_thread(folder.mkdir)
    async with desk_world(f"sqlite:///{folder / 'db.sqlite3'}", folder) as world:
        await seed_report_cases(world, realistic(TODAY))
        async with (
            console_for(folder, world.url, world.token, world.key_file) as console,
            chromium(folder / "profile") as browser,
        ):
            page = (await browser.page()).page
            await page.goto(console.start_url)
            await page.fill("#passphrase", PASSPHRASE)
            await page.click("form[action='/unlock'] button")
            await page.wait_for_selector("table.queue")
            await page.goto(console.base + "/reports")
            await page.fill("#start", "2025-12")
            await page.fill("#end", "2026-11")
            await page.click("form.report-form button.primary")
            await page.wait_for_selector("table.report-table")
            await page.goto(console.base + "/reports/print")
            await page.wait_for_function("document.querySelectorAll('canvas').length === 2")
            await page.screenshot(path=str(out / "console-report.png"), full_page=True)
            if preview is not None:
                await page.emulate_media(media="print")
                await page.screenshot(path=str(preview / "report-print.png"), full_page=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE.parents[1] / "docs")
    parser.add_argument("--print-preview", type=Path, metavar="DIR")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.out, arguments.print_preview))
