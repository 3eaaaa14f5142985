"""The bot's screens as a phone shows them, in headless Chromium: for right-to-left languages.

    .venv/bin/python tests/console/worker_screen.py [--out docs/urdu-rendering.png]

The messages and buttons are the engine's own (an Urdu worker's problem screen, one box ticked,
and the receipt). Each message and each button is laid out as Telegram's clients do: its text
with `dir="auto"`, so that its first strong letter sets its direction, and line breaks kept.
Urdu needs an Arabic-script font on the machine (Debian: fonts-noto-core, which has Noto
Nastaliq Urdu, the face Android shows Urdu in).
"""

from __future__ import annotations

import argparse
import asyncio
import html
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE), str(HERE.parents[1])]

from console_browser import chromium  # noqa: E402
from engine_harness import FakeDirectory, RecordingSubmitter, Worker  # noqa: E402

from handlers.i18n import language_name  # noqa: E402
from handlers.io import Command, Message, Press  # noqa: E402
from handlers.ports import Draft  # noqa: E402

PHONE_WIDTH = 360
"""CSS pixels of a small phone's screen."""
STYLE = """
html { zoom: 2; }
body { margin: 0; width: 360px; background: #dfe7ea;
       font: 15px/1.9 "Noto Nastaliq Urdu", "Noto Naskh Arabic", "Noto Sans", sans-serif; }
.bubble { background: #fff; border-radius: 12px; margin: 8px 48px 0 8px; padding: 6px 10px;
          white-space: pre-wrap; overflow-wrap: anywhere; }
.keyboard { margin: 4px 48px 8px 8px; }
.row { display: flex; gap: 4px; margin-top: 4px; }
.row button { flex: 1; min-width: 0; border: 0; border-radius: 8px; padding: 4px 6px;
              background: #7e97ab; color: #fff; font: inherit; white-space: nowrap;
              overflow: hidden; text-overflow: ellipsis; }
"""


def page_html(messages: list[Message], language: str) -> str:
    """A chat of bot messages, each with its inline keyboard."""
    parts = []
    for message in messages:
        parts.append(f'<div class="bubble" dir="auto">{html.escape(message.text)}</div>')
        rows = "".join(
            '<div class="row">'
            + "".join(f'<button dir="auto">{html.escape(b.label)}</button>' for b in row)
            + "</div>"
            for row in message.buttons
        )
        parts.append(f'<div class="keyboard">{rows}</div>')
    body = "\n".join(parts)
    return (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
        f"<style>{STYLE}</style></head><body>{body}</body></html>"
    )


async def urdu_screens() -> list[Message]:
    """The engine's problem screen (a box ticked) and receipt message, for an Urdu worker."""
    worker = Worker(
        profile_language="ur-PK",
        directory=FakeDirectory(covered={"TH": "mekong"}),
        submitter=OneReceipt(),
    )
    await worker.command(Command.START)
    await worker.press(language_name("ur"))
    for code in ["continue", "agree", "o0"]:  # the safety notice, consent, the workplace
        await worker.send(_press(worker, code))
    await worker.send(_press(worker, "o1"))  # tick "wages"
    problem = worker.last
    await worker.send(_press(worker, "done"))
    await worker.send(_press(worker, "no"))  # nobody in danger
    await worker.text("اجرت کم دی گئی")  # "the wages were cut short"
    for code in ["o1", "skip", "done", "done", "send"]:
        await worker.send(_press(worker, code))
    return [problem, worker.last]


class OneReceipt(RecordingSubmitter):
    """Gives docs/FORMAT.md's example receipt, whose four groups all differ."""

    async def submit(self, draft: Draft) -> str:
        await super().submit(draft)
        return "4921038755162048"


def _press(worker: Worker, code: str) -> Press:
    (found,) = [b for b in worker.buttons() if b.data.endswith(f":{code}")]
    return Press(found.data)


async def render(messages: list[Message], language: str, out: Path, profile: Path) -> object:
    """Lay the messages out in Chromium at a phone's width; save a screenshot to `out`; return
    the page (still open while the browser is) for checks."""
    async with chromium(profile) as browser:
        watched = await browser.page()
        page = watched.page
        await page.set_viewport_size({"width": 2 * PHONE_WIDTH, "height": 800})
        await page.set_content(page_html(messages, language))
        await page.evaluate("document.fonts.ready")
        await page.screenshot(path=str(out), full_page=True)
        return await layout(page)


async def layout(page: object) -> dict[str, object]:
    """What the page laid out: each message's and button's direction and text, and where the
    receipt's first and last groups of digits are on the screen."""
    return await page.evaluate(  # type: ignore[attr-defined, no-any-return]
        """() => {
          const items = [...document.querySelectorAll('.bubble, button')].map(el => ({
            kind: el.tagName, text: el.textContent, rtl: el.matches(':dir(rtl)'),
          }));
          const where = (node, start, end) => {
            const range = document.createRange();
            range.setStart(node, start); range.setEnd(node, end);
            return range.getBoundingClientRect().left;
          };
          const receipt = /\\d{4}(\\s\\d{4}){3}/;
          let groups = null;
          for (const bubble of document.querySelectorAll('.bubble')) {
            const node = bubble.firstChild, found = receipt.exec(node.textContent);
            if (found) groups = {
              first: where(node, found.index, found.index + 4),
              last: where(node, found.index + 15, found.index + 19),
            };
          }
          return {items, groups};
        }"""
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE.parents[1] / "docs" / "urdu-rendering.png")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as profile:
        found = await render(await urdu_screens(), "ur", args.out, Path(profile))
    print(f"wrote {args.out}: {found}")


if __name__ == "__main__":
    asyncio.run(main())
