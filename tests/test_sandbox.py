"""`grievance chat`: a person walks the whole conversation in a terminal and sees the case.

It deletes only a folder it made itself (and marked), and one Ctrl-C leaves it at any moment,
calmly, in one line: at the prompt or while the report is being sealed and stored.
"""

import asyncio
import io
import signal

import pytest
from PIL import Image
from terminal import Terminal

from bot.cli import main
from bot.database import open_database
from bot.intake.submission import StoredSubmitter
from bot.sandbox import INTERRUPTED, MARKER, run_sandbox
from storage.models import Case

WALK = [
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
]


async def stored_cases(folder):
    from sqlalchemy import func, select

    url = f"sqlite:///{folder / 'grievance.sqlite3'}"
    async with open_database(url, create=False) as sessions, sessions() as session:
        return await session.scalar(select(func.count()).select_from(Case))


def test_the_sandbox_submits_for_real_and_shows_the_decrypted_case(tmp_path):
    photo = tmp_path / "photo.jpg"
    Image.new("RGB", (30, 20), (200, 10, 10)).save(photo)
    typed = iter(
        [
            *WALK,
            f"file {photo}",
            "b",  # Done
            "i",  # no outcome: Done
            "a",  # Send
        ]
    )
    out = io.StringIO()
    status = run_sandbox(tmp_path / "sandbox", read=lambda _prompt: next(typed), out=out)
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


def test_leaving_the_sandbox_early_submits_nothing(tmp_path):
    typed = iter(["a", "quit"])
    out = io.StringIO()
    assert run_sandbox(tmp_path / "sandbox", read=lambda _prompt: next(typed), out=out) == 0
    assert "Your receipt number is" not in out.getvalue()
    assert "Case " not in out.getvalue()


def test_a_sandbox_it_made_is_wiped_and_made_again(tmp_path):
    folder = tmp_path / "sandbox"
    assert run_sandbox(folder, read=lambda _prompt: "quit", out=io.StringIO()) == 0
    assert (folder / MARKER).is_file()
    (folder / "left over").write_text("from the last run")
    assert run_sandbox(folder, read=lambda _prompt: "quit", out=io.StringIO()) == 0
    assert not (folder / "left over").exists()
    assert (folder / MARKER).is_file() and (folder / "partner.key").is_file()


@pytest.mark.parametrize("given", ["a folder of mine", "the working directory", "a file"])
def test_a_folder_it_did_not_make_is_refused_and_left_untouched(
    tmp_path, monkeypatch, capsys, given
):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.txt").write_text("years of work")
    monkeypatch.chdir(mine)
    folder = {"a folder of mine": str(mine), "the working directory": ".", "a file": "thesis.txt"}
    status = main(["chat", "--folder", folder[given]])
    _out, err = capsys.readouterr()
    assert status == 1
    assert err.count("\n") == 1 and "nothing" in err and "Traceback" not in err
    assert (mine / "thesis.txt").read_text() == "years of work"
    assert sorted(p.name for p in mine.iterdir()) == ["thesis.txt"]


def test_a_marker_that_is_a_link_does_not_count(tmp_path, capsys):
    folder = tmp_path / "sandbox"
    folder.mkdir()
    (tmp_path / "elsewhere").write_text("x")
    (folder / MARKER).symlink_to(tmp_path / "elsewhere")
    (folder / "keep").write_text("kept")
    assert main(["chat", "--folder", str(folder)]) == 1
    assert (folder / "keep").read_text() == "kept"
    capsys.readouterr()


def test_one_ctrl_c_at_the_prompt_leaves_in_one_line(tmp_path):
    with Terminal(["chat", "--folder", str(tmp_path / "sandbox")], cwd=tmp_path) as terminal:
        terminal.wait_for("> ")
        terminal.interrupt()
        status = terminal.wait()
    assert status == 130
    assert "Traceback" not in terminal.output
    after = terminal.output.rsplit("> ", 1)[1]
    assert [line for line in after.splitlines() if line.strip() not in {"", "^C"}] == [
        "Interrupted (Ctrl-C): left the sandbox; nothing more was done."
    ]


def test_one_ctrl_c_while_the_report_is_sent_leaves_in_one_line(tmp_path, monkeypatch):
    # Ctrl-C exactly while the sandbox seals and stores the report, as the terminal sends it.
    real_submit = StoredSubmitter.submit

    async def interrupted_submit(self, *args, **kwargs):
        signal.raise_signal(signal.SIGINT)
        await asyncio.sleep(0)
        return await real_submit(self, *args, **kwargs)

    monkeypatch.setattr(StoredSubmitter, "submit", interrupted_submit)
    typed = iter([*WALK, "b", "i", "a"])  # no evidence, no outcome, Send
    out = io.StringIO()
    status = run_sandbox(tmp_path / "sandbox", read=lambda _prompt: next(typed), out=out)
    assert status == 130
    assert out.getvalue().rstrip().endswith(INTERRUPTED)
    assert "Your receipt number is" not in out.getvalue()
    assert asyncio.run(stored_cases(tmp_path / "sandbox")) == 0  # nothing half-stored
