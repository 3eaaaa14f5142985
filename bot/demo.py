"""A throwaway walk through the administrators' flow, on SQLite under ./sandbox.

Every step is a real `grievance` command, printed before it runs, so the walk doubles as a how-to.
The passphrase below protects demo keys only; never use it for real keys.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path

from bot.cli import main as grievance

SANDBOX = Path("sandbox")
DEMO_PASSPHRASE = "demo passphrase, not for real keys"  # noqa: S105 (sandbox keys only)


def step(*argv: str, capture: bool = False) -> str:
    """Print and run one command; stop the walk if it fails."""
    print(f"\n$ {shlex.join(['grievance', *argv])}", flush=True)
    buffer = StringIO()
    if capture:
        with redirect_stdout(buffer):
            status = grievance(list(argv))
    else:
        status = grievance(list(argv))
    if status != 0:
        sys.exit(status)
    if capture:
        print(buffer.getvalue(), end="")
    return buffer.getvalue()


def walk() -> None:
    """Create an administrators' key, a partner key, a partner, a site; list them."""
    shutil.rmtree(SANDBOX, ignore_errors=True)
    SANDBOX.mkdir(mode=0o700)
    os.environ["GRIEVANCE_DATA_DIR"] = str(SANDBOX / "data")
    os.environ["GRIEVANCE_PASSPHRASE"] = DEMO_PASSPHRASE
    os.environ.pop("GRIEVANCE_DATABASE_URL", None)
    print(f"Sandbox in {SANDBOX}/ (SQLite). Demo passphrase: '{DEMO_PASSPHRASE}'.")

    verify = json.loads(
        step("admin", "keygen", "--out", str(SANDBOX / "admin.key"), "--json", capture=True)
    )
    os.environ["GRIEVANCE_ADMIN_VERIFY_KEY"] = verify["verify_key"]
    print(f"(pinned: GRIEVANCE_ADMIN_VERIFY_KEY={verify['verify_key']})")

    partner = json.loads(
        step("desk", "keygen", "--out", str(SANDBOX / "partner.key"), "--json", capture=True)
    )
    step(
        "admin", "partner", "add", "demo-partner", "--name", "Demo monitoring partner",
        "--country", "TH", "--country", "MY", "--public-key", partner["public_key"],
        "--signing-key", str(SANDBOX / "admin.key"),
    )  # fmt: skip
    step(
        "admin", "site", "add", "demo-factory", "--name", "Demo electronics factory",
        "--country", "TH", "--partner", "demo-partner",
    )  # fmt: skip
    step("admin", "partner", "list")
    step("admin", "site", "list")
    print(
        "\nDone. The partner's private key stays in sandbox/partner.key; the server's database "
        "in sandbox/data holds only public keys signed by the administrators' key."
    )


if __name__ == "__main__":
    walk()
