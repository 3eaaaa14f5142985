"""`python3 dev.py`: one Ctrl-C stops it calmly, in the set-up as in the demo it starts."""

import shutil
import sys
from pathlib import Path

from terminal import Terminal

ROOT = Path(__file__).resolve().parent.parent


def test_ctrl_c_while_the_environment_is_made_leaves_in_one_line_and_nothing_half_made(tmp_path):
    # dev.py in a folder of its own, so that it makes a fresh .venv there (not the project's).
    shutil.copy(ROOT / "dev.py", tmp_path / "dev.py")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "probe"\nversion = "0"\n')
    with Terminal(command=[sys.executable, str(tmp_path / "dev.py"), "test"], cwd=tmp_path) as run:
        run.wait_for("Creating the virtual environment")
        run.interrupt()
        status = run.wait()
    assert status == 130
    assert "Traceback" not in run.output and "KeyboardInterrupt" not in run.output
    after = run.output.split("Creating the virtual environment in .venv ...", 1)[1]
    said = [line for line in after.splitlines() if line.strip() not in {"", "^C"}]
    assert said == ["dev.py: interrupted; the set-up is finished the next time."]
    assert not (tmp_path / ".venv").exists()  # made again from scratch next time


def test_ctrl_c_in_the_demo_leaves_in_one_line(tmp_path):
    demo = [sys.executable, str(ROOT / "dev.py"), "demo", "--folder", str(tmp_path / "sandbox")]
    with Terminal(command=demo, cwd=tmp_path) as run:
        run.wait_for("> ")
        run.interrupt()
        status = run.wait()
    assert status == 130
    assert "Traceback" not in run.output
    after = run.output.rsplit("> ", 1)[1]
    said = [line for line in after.splitlines() if line.strip() not in {"", "^C"}]
    assert said == ["Interrupted (Ctrl-C): left the sandbox; nothing more was done."]
