"""`grievance desk console` / `python -m desk console`: the link printed, loopback only,
another address only with a warning, and a mistake on the command line is one sentence."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import re
import sys

import aiohttp
import pytest

from desk.cli import main

LINK = re.compile(r"http://(\S+?):(\d+)/\?start=\S+")


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(list(argv))
        except SystemExit as exc:
            status = int(exc.code or 0)
    return status, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--listen", "0.0.0.0"], "needs one address, not every address"),
        (["--listen", "my-laptop"], "is not an IP address"),
        (["--port", "70000"], "is not a port"),
        (["--lock-minutes", "0"], "--lock-minutes must be more than 0"),
    ],
)
def test_a_mistake_on_the_command_line_is_one_sentence(argv, said, tmp_path):
    status, out, err = run("console", "--no-browser", "--config", str(tmp_path / "c"), *argv)
    assert status == 1 and out == ""
    assert err.count("\n") == 1 and said in err and "Traceback" not in err


def test_the_help_names_the_variable_it_reads():
    status, out, _ = run("console", "--help")
    assert status == 0
    assert "GRIEVANCE_ADMIN_VERIFY_KEY" in out and "--lock-minutes" in out


async def started(*argv: str, env: dict[str, str]) -> tuple[asyncio.subprocess.Process, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "desk", "console", "--no-browser", *argv,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL, env=env,
    )  # fmt: skip
    assert process.stdout is not None
    printed = ""
    async with asyncio.timeout(30):
        while not LINK.search(printed):
            line = await process.stdout.readline()
            assert line, "the console stopped before printing its link"
            printed += line.decode()
    return process, printed


async def test_the_console_prints_a_one_time_link_on_loopback_and_answers_there(tmp_path):
    env = {**os.environ, "HOME": str(tmp_path)}
    process, printed = await started("--config", str(tmp_path / "console.json"), env=env)
    try:
        link = LINK.search(printed)
        assert link is not None and link.group(1) == "127.0.0.1"
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as http, http.get(link.group(0)) as page:
            assert page.status == 200 and page.url.path == "/setup"
            assert "Set up the console" in await page.text()
    finally:
        process.terminate()
        await process.wait()


async def test_another_address_is_served_only_with_a_loud_warning(tmp_path):
    if not sys.platform.startswith("linux"):
        pytest.skip("127.0.0.2 is a loopback address on Linux only")
    env = {**os.environ, "HOME": str(tmp_path)}
    process, printed = await started(
        "--listen", "127.0.0.2", "--config", str(tmp_path / "console.json"), env=env
    )
    try:
        link = LINK.search(printed)
        assert link is not None and link.group(1) == "127.0.0.2"
        assert process.stderr is not None
        warning = await asyncio.wait_for(process.stderr.readline(), 10)
        assert warning.startswith(b"WARNING: the console also listens on 127.0.0.2")
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{link.group(2)}/") as local,
        ):
            assert local.status == 403  # still there on loopback, still behind the cookie
    finally:
        process.terminate()
        await process.wait()
