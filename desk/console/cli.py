"""`grievance desk console` (and `python -m desk console`): start the console, print its link.

Only argparse is imported when the command line is built; the web app (and asyncio) is imported
when the console starts, so the desk's other commands start as fast as before.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, Final

PROG: Final = "grievance"
VERIFY_KEY_VARIABLE: Final = "GRIEVANCE_ADMIN_VERIFY_KEY"
DEFAULT_LOCK_MINUTES: Final = 15.0


def add_command(commands: argparse._SubParsersAction[Any]) -> None:
    """Add `console` to the desk's commands."""
    console = commands.add_parser(
        "console",
        help="the caseworker console: a web page on this laptop, decrypting here",
        description=(
            "Serve the caseworker console on 127.0.0.1 and open it in the browser. The first "
            "time, a setup page asks for the server, your token and your key file (kept in "
            "your user settings folder, mode 0600); the passphrase is asked at every unlock "
            f"and never stored. Reads {VERIFY_KEY_VARIABLE} (the administrators' verify key) "
            "to check the partner's key before sealing replies and notes to it."
        ),
        epilog=(
            "environment variables it reads:\n"
            f"  {VERIFY_KEY_VARIABLE}  the administrators' verify key (gvk1...)\n\n"
            "It prints no JSON: its mistakes are one line on stderr with exit status 1."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    console.add_argument(
        "--port", type=int, default=0, help="port to listen on (default: a free one)"
    )
    console.add_argument(
        "--no-browser", action="store_true", help="print the link only; do not open a browser"
    )
    console.add_argument(
        "--listen",
        metavar="ADDR",
        help="also listen on this IP address (other machines can then reach the console: avoid it)",
    )
    console.add_argument(
        "--lock-minutes",
        type=float,
        default=DEFAULT_LOCK_MINUTES,
        metavar="N",
        help=f"lock after N idle minutes (default: {DEFAULT_LOCK_MINUTES:g})",
    )
    console.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="settings file (default: in your user settings folder)",
    )
    console.set_defaults(run=run_console)


def _fail(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return 1


def run_console(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C; one sentence on stderr and status 1 for a mistake."""
    if not 0 <= args.port <= 65535:
        return _fail(f"--port {args.port} is not a port (0 to 65535)")
    if not 0 < args.lock_minutes <= 24 * 60:
        return _fail("--lock-minutes must be more than 0 and at most 1440")
    import asyncio
    import ipaddress

    listen: list[str] = []
    if args.listen:
        try:
            address = ipaddress.ip_address(args.listen.strip("[]"))
        except ValueError:
            return _fail(f"--listen '{args.listen}' is not an IP address")
        if address.is_unspecified:
            return _fail("--listen needs one address, not every address (0.0.0.0 or ::)")
        listen.append(str(address))
    from desk.console.config import ConfigError, default_path
    from desk.console.logs import configure

    path = args.config or default_path()
    configure()
    try:
        return asyncio.run(_serve(args, path, listen))
    except ConfigError as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"cannot listen on port {args.port}: {exc.strerror or exc}")
    except KeyboardInterrupt:
        print("The console has stopped; nothing of your cases is left in its memory.")
        return 0


async def _serve(args: argparse.Namespace, path: Path, listen: list[str]) -> int:
    import asyncio
    import webbrowser

    from desk.console.app import running_console

    verify = os.environ.get(VERIFY_KEY_VARIABLE) or None
    async with running_console(
        path, port=args.port, listen=listen, lock_minutes=args.lock_minutes, verify_key=verify
    ) as console:
        if listen:
            print(
                f"WARNING: the console also listens on {listen[0]}: other machines on that "
                "network can reach it, over plain HTTP. Anyone who gets the link below can open "
                "it; your cases are safe only behind your passphrase.",
                file=sys.stderr,
            )
        print("The caseworker console is running. Open this link (once) in your browser:\n")
        print(f"    {console.url}\n")
        print(f"Settings: {path}. Press Ctrl-C to stop the console.", flush=True)
        if not args.no_browser:
            webbrowser.open(console.url)
        await asyncio.Event().wait()
    return 0
