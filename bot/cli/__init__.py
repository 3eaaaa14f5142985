"""The `grievance` command line: one entry point for operators, administrators and caseworkers.

A person's mistake (a wrong passphrase, an unknown partner, a bad country code) is printed as one
line on stderr with exit status 1; a malformed command line exits with status 2. Neither prints a
traceback. With --json, results are JSON on stdout and an error is one JSON object on stderr
(`{"error": "...", "status": N}`), as in `python -m desk`.

Every command that uses the database says which one: a line on stderr after its output
(`grievance: database: SQLite database /srv/grievance/grievance.sqlite3`), a "database" field
with --json, and the same words at the end of an error. Commands that only read never create a
database. Commands that sign are tried first in a transaction that is rolled back, so that every
check (unknown partner, duplicate key...) runs before the signing key's passphrase is asked; key
files are opened before the event loop starts, so Argon2 never blocks it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any, Final

from bot import admin, config, logs, retention
from bot.config import (
    API_URL_VARIABLE,
    IDLE_VARIABLE,
    LISTEN_VARIABLE,
    LOG_LEVEL_VARIABLE,
    RETENTION_VARIABLE,
    TOKEN_VARIABLE,
    VERIFY_KEY_VARIABLE,
    WEBHOOK_VARIABLE,
    Config,
)
from bot.database import open_database, upgrade_database
from bot.errors import UserError
from crypto.errors import CryptoError
from crypto.keyfile import KeyKind, read_signing_key, write_signing_key
from crypto.keys import PublicKey, new_signing_key, parse_key_id, parse_partner_key, verify_key_text
from desk import cli as desk_cli
from desk.cli import (
    JSON_ERRORS,
    Parser,
    UsageError,
    environment_help,
    print_json,
    report_error,
    report_warning,
    version,
)
from desk.keygen import create_partner_key
from desk.passphrase import PASSPHRASE_VARIABLE, check_key_file, check_new_file, passphrase_for
from storage.db import DATA_DIR_VARIABLE, DATABASE_URL_VARIABLE, describe
from storage.errors import StorageError

PROG: Final = "grievance"

ENVIRONMENT: Final = {
    **desk_cli.ENVIRONMENT,
    DATA_DIR_VARIABLE: "the server's data folder, which holds the SQLite database "
    f"(required unless {DATABASE_URL_VARIABLE} is set)",
    DATABASE_URL_VARIABLE: "a PostgreSQL URL (postgresql://USER@HOST/DB), used instead of "
    "SQLite in the data folder",
    VERIFY_KEY_VARIABLE: "the administrators' verify key (gvk1...), pinned",
    TOKEN_VARIABLE: "the bot token from @BotFather",
    API_URL_VARIABLE: "another Bot API server (default https://api.telegram.org)",
    WEBHOOK_VARIABLE: "public HTTPS base URL for Telegram's webhook (default: long polling)",
    LISTEN_VARIABLE: "HOST:PORT of the HTTP server (default 127.0.0.1:8080)",
    LOG_LEVEL_VARIABLE: "DEBUG, INFO, WARNING or ERROR (default INFO)",
    IDLE_VARIABLE: "minutes after which an unfinished conversation is forgotten (default 30)",
    RETENTION_VARIABLE: "days after which unchanged closed cases are purged (default 365)",
}
DATABASE: Final = (DATA_DIR_VARIABLE, DATABASE_URL_VARIABLE)
SIGNING: Final = (*DATABASE, VERIFY_KEY_VARIABLE, PASSPHRASE_VARIABLE)
SERVE: Final = (
    *DATABASE,
    VERIFY_KEY_VARIABLE,
    TOKEN_VARIABLE,
    API_URL_VARIABLE,
    WEBHOOK_VARIABLE,
    LISTEN_VARIABLE,
    LOG_LEVEL_VARIABLE,
    IDLE_VARIABLE,
    RETENTION_VARIABLE,
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in arguments
    args: argparse.Namespace | None = None
    try:
        args = build_parser().parse_args(arguments)
        return int(args.run(args) or 0)
    except UsageError as exc:
        return report_error(str(exc), as_json=as_json, status=2)
    except (UserError, CryptoError, StorageError) as exc:
        where = getattr(args, "database", None)
        message = str(exc)
        if as_json:
            return report_error(
                message, as_json=True, details={"database": where} if where else None
            )
        if where and where not in message:
            message += f" (database: {where})"
        return report_error(message, as_json=False)
    except KeyboardInterrupt:
        return report_error("interrupted; nothing more was done", as_json=as_json, status=130)


def build_parser() -> Parser:
    """Every command and its options."""
    parser = Parser(
        prog=PROG,
        description="Anonymous, end-to-end encrypted grievance channel.",
        epilog=JSON_ERRORS,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    db = commands.add_parser("db", help="database schema").add_subparsers(
        dest="db_command", required=True, parser_class=Parser
    )
    _command(
        db,
        "upgrade",
        run_db_upgrade,
        DATABASE,
        help="bring the database schema to the newest version",
    )

    admin_parser = commands.add_parser(
        "admin", help="administrators: keys, partners, sites, credentials, retention"
    )
    admin_commands = admin_parser.add_subparsers(
        dest="admin_command", required=True, parser_class=Parser
    )
    keygen = _command(
        admin_commands,
        "keygen",
        run_admin_keygen,
        (PASSPHRASE_VARIABLE,),
        help="create the administrators' signing key",
    )
    keygen.add_argument("--out", type=Path, required=True, help="key file to create")

    _partner_commands(admin_commands)
    _site_commands(admin_commands)
    _credential_commands(admin_commands)

    purge = _command(
        admin_commands,
        "purge",
        run_admin_purge,
        (*DATABASE, RETENTION_VARIABLE),
        help="purge closed cases unchanged for longer than GRIEVANCE_RETENTION_DAYS "
        "(serve does it daily)",
    )
    purge.add_argument("--dry-run", action="store_true", help="only say what would be purged")

    serve = _command(
        commands,
        "serve",
        run_serve,
        SERVE,
        json_flag=False,
        help="run the Telegram bot and its HTTP server (health check, webhook, case API)",
    )
    serve.add_argument(
        "--no-telegram",
        action="store_true",
        help="run only the HTTP server (/healthz and the case API, with the daily retention "
        "purge): no bot token needed; the desk can be tried, or the API run as its own process",
    )

    sandbox = _command(
        commands,
        "chat",
        run_chat,
        (),
        json_flag=False,
        help="the local sandbox: walk the worker's conversation in this terminal",
    )
    sandbox.add_argument(
        "--folder",
        type=Path,
        default=Path("sandbox"),
        help="a folder that does not exist yet, or one an earlier 'chat' made (it is wiped); "
        "any other folder is refused (default: ./sandbox)",
    )

    desk = commands.add_parser("desk", help="caseworkers: the partner's key and cases")
    desk_commands = desk.add_subparsers(dest="desk_command", required=True, parser_class=Parser)
    desk_keygen = _command(
        desk_commands,
        "keygen",
        run_desk_keygen,
        (PASSPHRASE_VARIABLE,),
        help="create a partner key pair",
    )
    desk_keygen.add_argument("--out", type=Path, required=True, help="key file to create")
    desk_cli.register(desk_commands)
    return parser


def _partner_commands(admin_commands: argparse._SubParsersAction[Any]) -> None:
    partner = admin_commands.add_parser("partner", help="monitoring partners and their keys")
    commands = partner.add_subparsers(dest="partner_command", required=True, parser_class=Parser)
    add = _command(
        commands, "add", run_partner_add, SIGNING, help="register a partner with its first key"
    )
    add.add_argument("slug", help="short name, e.g. mekong-workers")
    add.add_argument("--name", required=True, help="the organisation's full name")
    add.add_argument("--public-key", required=True, help="the partner's gpk1... public key")
    add.add_argument(
        "--country",
        action="append",
        required=True,
        dest="countries",
        metavar="CC",
        help="ISO 3166-1 alpha-2 code of a country it covers by default (repeatable)",
    )
    _signing_key_option(add)

    edit = _command(
        commands,
        "edit",
        run_partner_edit,
        DATABASE,
        help="correct a partner's name or the countries it covers by default",
    )
    edit.add_argument("slug")
    edit.add_argument("--name", help="the organisation's full name")
    edit.add_argument(
        "--add-country", action="append", metavar="CC", help="cover this country (repeatable)"
    )
    edit.add_argument(
        "--remove-country",
        action="append",
        metavar="CC",
        help="stop covering this country (repeatable)",
    )
    _force_option(edit, "even if workers of a country would have nobody to report to")

    rotate = _command(
        commands, "rotate", run_partner_rotate, SIGNING, help="replace a partner's active key"
    )
    rotate.add_argument("slug")
    rotate.add_argument("--public-key", required=True, help="the new gpk1... public key")
    _signing_key_option(rotate)

    revoke = _command(
        commands, "revoke-key", run_partner_revoke, SIGNING, help="never use a key again"
    )
    revoke.add_argument("slug")
    revoke.add_argument("key_id", metavar="KEY_ID")
    _signing_key_option(revoke)
    _force_option(
        revoke, "even the active key: the partner then receives no reports until 'rotate'"
    )

    contacts = _command(
        commands,
        "contacts",
        run_partner_contacts,
        DATABASE,
        help="what a worker in immediate danger is shown at once",
    )
    contacts.add_argument("slug")
    contacts.add_argument(
        "--text", required=True, help="hotlines and phone numbers, e.g. 'Hotline 1300 (24 h)'"
    )
    _command(
        commands,
        "list",
        run_partner_list,
        (*DATABASE, VERIFY_KEY_VARIABLE),
        help="partners, countries and keys",
    )


def _site_commands(admin_commands: argparse._SubParsersAction[Any]) -> None:
    site = admin_commands.add_parser("site", help="workplaces and the partner each goes to")
    commands = site.add_subparsers(dest="site_command", required=True, parser_class=Parser)
    add = _command(commands, "add", run_site_add, DATABASE, help="add a workplace")
    add.add_argument("slug")
    add.add_argument("--name", required=True, help="the name workers see")
    add.add_argument("--country", required=True, metavar="CC")
    add.add_argument("--partner", required=True, help="slug of the partner that covers it")
    rename = _command(
        commands, "rename", run_site_rename, DATABASE, help="correct a workplace's name or slug"
    )
    rename.add_argument("slug")
    rename.add_argument("--name", help="the new name workers see")
    rename.add_argument("--slug", dest="new_slug", metavar="NEW_SLUG", help="the new short name")
    move = _command(
        commands,
        "move",
        run_site_move,
        DATABASE,
        help="send a workplace's new cases to another partner, or file it under another country",
    )
    move.add_argument("slug")
    move.add_argument("--partner", help="slug of the partner that covers it from now on")
    move.add_argument("--country", metavar="CC", help="the country it is in")
    _force_option(move, "even if its workers would have nobody to report to")
    remove = _command(
        commands,
        "remove",
        run_site_remove,
        DATABASE,
        help="take a workplace off the list (its cases stay with their partner)",
    )
    remove.add_argument("slug")
    _force_option(remove, "even if workers of its country would have nobody to report to")
    _command(commands, "list", run_site_list, DATABASE, help="all workplaces")


def _credential_commands(admin_commands: argparse._SubParsersAction[Any]) -> None:
    credential = admin_commands.add_parser(
        "credential", help="caseworkers' credentials for the case API"
    )
    commands = credential.add_subparsers(
        dest="credential_command", required=True, parser_class=Parser
    )
    issue = _command(
        commands,
        "issue",
        run_credential_issue,
        DATABASE,
        help="a new credential for one partner's queue (the token is shown once)",
    )
    issue.add_argument("partner", metavar="PARTNER", help="slug of the partner")
    issue.add_argument(
        "--label",
        default="",
        help="which laptop or caseworker it is for, e.g. 'office laptop 2' (shown in lists)",
    )
    issue.add_argument(
        "--role",
        choices=admin.credentials.ROLES,
        default=admin.credentials.DEFAULT_ROLE,
        help="triage (default): read, set status, reply, note, re-wrap; "
        "lead: all that, and purge cases for good",
    )
    _command(commands, "list", run_credential_list, DATABASE, help="all credentials, revoked too")
    revoke = _command(
        commands,
        "revoke",
        run_credential_revoke,
        DATABASE,
        help="the credential's token opens nothing from now on",
    )
    revoke.add_argument("credential_id", metavar="ID", type=_credential_id)


def _command(
    commands: argparse._SubParsersAction[Any],
    name: str,
    run: Callable[[argparse.Namespace], int],
    environment: Sequence[str],
    *,
    help: str,
    json_flag: bool = True,
) -> argparse.ArgumentParser:
    """A leaf command whose --help ends with the environment variables it reads."""
    epilog = environment_help(environment, ENVIRONMENT)
    if json_flag:
        epilog += "\n\n" + JSON_ERRORS
    parser: argparse.ArgumentParser = commands.add_parser(
        name,
        help=help,
        description=help[0].upper() + help[1:] + ".",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    if json_flag:
        parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(run=run)
    return parser


def _signing_key_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--signing-key",
        type=Path,
        required=True,
        metavar="FILE",
        help="the administrators' signing key file (may live on removable media)",
    )


def _force_option(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--force", action="store_true", help=f"do it {what}")


# Database, output ---------------------------------------------------------------------------


def _database(args: argparse.Namespace) -> str:
    """The configured database's URL; remembered on `args` so every outcome can name it."""
    url = config.database_url(os.environ)
    args.database = describe(url)
    return url


def _run_in_session(
    args: argparse.Namespace,
    action: Callable[[Any], Coroutine[Any, Any, Any]],
    *,
    create: bool = True,
    rollback: bool = False,
) -> Any:
    """`action(session)` in one transaction: committed, or with `rollback` only tried."""
    url = _database(args)

    async def run() -> Any:
        async with open_database(url, create=create) as sessions, sessions() as session:
            transaction = await session.begin()
            try:
                result = await action(session)
            except BaseException:
                await transaction.rollback()
                raise
            if rollback:
                await transaction.rollback()
            else:
                await transaction.commit()
            return result

    return asyncio.run(run())


def _done(
    args: argparse.Namespace,
    data: dict[str, Any],
    text: str,
    warnings: Sequence[str] = (),
) -> int:
    """Print a result (text, or JSON with the database and any warnings) and say which
    database it came from."""
    where = getattr(args, "database", None)
    if getattr(args, "json", False):
        extra: dict[str, Any] = {"database": where} if where else {}
        if warnings:
            extra["warnings"] = list(warnings)
        print_json({**data, **extra})
        return 0
    if text:
        print(text)
    for warning in warnings:
        report_warning(warning)
    if where:
        print(f"{PROG}: database: {where}", file=sys.stderr)
    return 0


# Commands -----------------------------------------------------------------------------------


def run_db_upgrade(args: argparse.Namespace) -> int:
    """grievance db upgrade."""
    asyncio.run(upgrade_database(_database(args)))
    return _done(args, {"schema": "up to date"}, "The database schema is up to date.")


def run_serve(args: argparse.Namespace) -> int:
    """grievance serve [--no-telegram]: every setting is checked before anything starts."""
    settings = Config.from_env()
    settings.listen_address()
    secrets: tuple[str, ...] = ()
    if not args.no_telegram:
        secrets = (settings.token(),)
        settings.admin_verify_key()
    logs.configure(settings.log_level, secrets=secrets)
    from bot.service import serve  # the bot's imports, only for the command that needs them

    asyncio.run(serve(settings, telegram=not args.no_telegram))
    return 0


def run_chat(args: argparse.Namespace) -> int:
    """grievance chat: a demo partner, the whole conversation, the case as a caseworker sees it."""
    from bot.sandbox import run_sandbox

    return run_sandbox(args.folder)


def run_admin_keygen(args: argparse.Namespace) -> int:
    """grievance admin keygen --out FILE: the place is checked before the passphrase is asked."""
    check_new_file(args.out)
    passphrase = passphrase_for(str(args.out), new=True)
    key = new_signing_key()
    write_signing_key(args.out, key, passphrase)
    verify = verify_key_text(key.verify_key)
    text = (
        f"Signing key written to {args.out}. Keep it offline; it signs partner keys.\n"
        "Pin this verify key on the server (and export it where you sign):\n"
        f"{VERIFY_KEY_VARIABLE}={verify}"
    )
    return _done(args, {"verify_key": verify, "file": str(args.out)}, text)


def run_desk_keygen(args: argparse.Namespace) -> int:
    """grievance desk keygen --out FILE: the place is checked before the passphrase is asked."""
    check_new_file(args.out)
    passphrase = passphrase_for(str(args.out), new=True)
    created = create_partner_key(args.out, passphrase)
    text = (
        f"Partner key written to {args.out}. It never leaves this machine.\n"
        "Give the administrators this public key:\n"
        f"public key: {created.public_key}\n"
        f"key id:     {created.key_id}"
    )
    data = {"public_key": created.public_key, "key_id": created.key_id, "file": str(args.out)}
    return _done(args, data, text)


def run_partner_add(args: argparse.Namespace) -> int:
    """grievance admin partner add."""
    public_key = _public_key(args.public_key)
    return _signed(
        args,
        lambda session, signer: admin.partners.add_partner(
            session, signer, args.slug, args.name, public_key, args.countries
        ),
        lambda r: (
            f"Partner '{r['partner']}' added with key {r['key_id']}, "
            f"covering {', '.join(r['countries'])}."
        ),
    )


def run_partner_rotate(args: argparse.Namespace) -> int:
    """grievance admin partner rotate."""
    public_key = _public_key(args.public_key)

    def describe_result(r: dict[str, Any]) -> str:
        retired = f"; key {r['retired_key_id']} is retired" if r["retired_key_id"] else ""
        return f"Partner '{r['partner']}' now uses key {r['key_id']}{retired}."

    return _signed(
        args,
        lambda session, signer: admin.partners.rotate_key(session, signer, args.slug, public_key),
        describe_result,
    )


def run_partner_revoke(args: argparse.Namespace) -> int:
    """grievance admin partner revoke-key [--force]."""
    revoked = parse_key_id(args.key_id)

    def warnings(r: dict[str, Any]) -> list[str]:
        if r["partner_has_active_key"]:
            return []
        return [
            f"partner '{r['partner']}' has no active key now: its workers' reports are refused "
            "until 'partner rotate' gives it one"
        ]

    return _signed(
        args,
        lambda session, signer: admin.partners.revoke_key(
            session, signer, args.slug, revoked, force=args.force
        ),
        lambda r: f"Key {r['key_id']} of partner '{r['partner']}' is revoked.",
        warnings,
    )


def run_partner_edit(args: argparse.Namespace) -> int:
    """grievance admin partner edit SLUG [--name] [--add-country] [--remove-country]."""
    result = _run_in_session(
        args,
        lambda session: admin.partners.edit_partner(
            session,
            args.slug,
            name=args.name,
            add_countries=args.add_country,
            remove_countries=args.remove_country,
            force=args.force,
        ),
    )
    covering = ", ".join(result["countries"]) or "no country by default"
    return _done(args, result, f"Partner '{result['partner']}' ({result['name']}): {covering}.")


def run_partner_list(args: argparse.Namespace) -> int:
    """grievance admin partner list: fails, naming the partner, if any statement does not verify."""
    verify_key = config.admin_verify_key(os.environ)
    listed = _run_in_session(
        args, lambda session: admin.partners.list_partners(session, verify_key), create=False
    )
    lines = [] if listed else ["No partners yet."]
    for partner in listed:
        lines.append(f"{partner['slug']}  {partner['name']}  [{', '.join(partner['countries'])}]")
        for key in partner["keys"]:
            mark = "" if key["verified"] else "  SIGNATURE DOES NOT VERIFY"
            lines.append(f"    {key['key_id']}  {key['status']:<8} since {key['day']}{mark}")
    _done(args, {"partners": listed}, "\n".join(lines))
    untrusted = ", ".join(
        f"'{p['slug']}'" for p in listed if not all(k["verified"] for k in p["keys"])
    )
    if not untrusted:
        return 0
    return report_error(
        f"a key statement of partner {untrusted} does not verify against "
        f"{VERIFY_KEY_VARIABLE}; its keys are refused",
        as_json=args.json,
    )


def run_partner_contacts(args: argparse.Namespace) -> int:
    """grievance admin partner contacts SLUG --text TEXT."""
    result = _run_in_session(
        args, lambda session: admin.partners.set_emergency_contacts(session, args.slug, args.text)
    )
    return _done(args, result, f"Emergency contacts of partner '{result['partner']}' set.")


def run_site_add(args: argparse.Namespace) -> int:
    """grievance admin site add."""
    result = _run_in_session(
        args,
        lambda session: admin.partners.add_site(
            session, args.slug, args.name, args.country, args.partner
        ),
    )
    has_key = result.pop("partner_has_active_key")
    warnings = (
        []
        if has_key
        else [
            f"partner '{result['partner']}' has no active key: reports from this site are "
            "refused until it has one"
        ]
    )
    return _done(args, result, _site_text(result, "goes to"), warnings)


def run_site_rename(args: argparse.Namespace) -> int:
    """grievance admin site rename SLUG [--name NAME] [--slug NEW_SLUG]."""
    result = _run_in_session(
        args,
        lambda session: admin.partners.rename_site(session, args.slug, args.name, args.new_slug),
    )
    return _done(args, result, _site_text(result, "goes to"))


def run_site_move(args: argparse.Namespace) -> int:
    """grievance admin site move SLUG [--partner P] [--country CC] [--force]."""
    result = _run_in_session(
        args,
        lambda session: admin.partners.move_site(
            session, args.slug, args.partner, args.country, force=args.force
        ),
    )
    return _done(args, result, _site_text(result, "now goes to"))


def run_site_remove(args: argparse.Namespace) -> int:
    """grievance admin site remove SLUG [--force]."""
    result = _run_in_session(
        args, lambda session: admin.partners.remove_site(session, args.slug, force=args.force)
    )
    return _done(
        args,
        result,
        f"Site '{result['site']}' removed; cases already received stay with "
        f"partner '{result['partner']}'.",
    )


def _site_text(result: dict[str, Any], verb: str) -> str:
    return (
        f"Site '{result['site']}' ({result['name']}, {result['country']}) "
        f"{verb} partner '{result['partner']}'."
    )


def run_site_list(args: argparse.Namespace) -> int:
    """grievance admin site list."""
    listed = _run_in_session(args, admin.partners.list_sites, create=False)
    lines = [f"{s['slug']}  {s['country']}  {s['name']}  -> {s['partner']}" for s in listed]
    return _done(args, {"sites": listed}, "\n".join(lines) or "No sites yet.")


def _credential_id(text: str) -> int:
    """A credential id as `credential list` shows it: a whole number, `#` allowed."""
    cleaned = text.strip().removeprefix("#")
    if not (cleaned.isascii() and cleaned.isdigit()) or len(cleaned) > 18:
        raise argparse.ArgumentTypeError(f"'{text[:30]}' is not a credential id (a whole number)")
    return int(cleaned)


def run_credential_issue(args: argparse.Namespace) -> int:
    """grievance admin credential issue PARTNER [--label TEXT] [--role triage|lead]."""
    result = _run_in_session(
        args, lambda session: admin.credentials.issue(session, args.partner, args.label, args.role)
    )
    warnings = (
        []
        if result.pop("partner_has_active_key", True)
        else [
            f"partner '{result['partner']}' has no active key, so its queue receives no new "
            "reports until 'partner rotate' gives it one"
        ]
    )
    label = f" ({result['label']})" if result["label"] else ""
    text = (
        f"Credential #{result['id']} ({result['role']}) for partner "
        f"'{result['partner']}'{label} issued.\n"
        "Give this token to the caseworker now; it is not stored and is never shown again:\n"
        f"{result['token']}"
    )
    return _done(args, result, text, warnings)


def run_credential_list(args: argparse.Namespace) -> int:
    """grievance admin credential list."""
    listed = _run_in_session(args, admin.credentials.list_all, create=False)
    lines = []
    for item in listed:
        state = f"revoked {item['revoked_day']}" if item["revoked_day"] else "active"
        label = f"  {item['label']}" if item["label"] else ""
        lines.append(
            f"#{item['id']}  {item['partner']}  {item['role']:<6}  "
            f"issued {item['created_day']}  {state}{label}"
        )
    return _done(args, {"credentials": listed}, "\n".join(lines) or "No credentials yet.")


def run_credential_revoke(args: argparse.Namespace) -> int:
    """grievance admin credential revoke ID."""
    result = _run_in_session(
        args, lambda session: admin.credentials.revoke(session, args.credential_id)
    )
    text = (
        f"Credential #{result['id']} of partner '{result['partner']}' is revoked; "
        "its token opens nothing from now on."
    )
    return _done(args, result, text)


def run_admin_purge(args: argparse.Namespace) -> int:
    """grievance admin purge [--dry-run]: a dry run only reads, and creates no database."""
    days = config.retention_days(os.environ)
    url = _database(args)

    async def run() -> retention.PurgeResult:
        async with open_database(url, create=not args.dry_run) as sessions:
            return await retention.purge_expired(sessions, days, dry_run=args.dry_run)

    result = asyncio.run(run())
    count = len(result.case_ids)
    done = "Dry run: would purge" if result.dry_run else "Purged"
    data = {
        "dry_run": result.dry_run,
        "retention_days": days,
        "before": result.before.isoformat(),
        "count": count,
        "case_ids": result.case_ids,
    }
    text = (
        f"{done} {count} closed case(s) last changed before {result.before.isoformat()} "
        f"({RETENTION_VARIABLE}={days})."
    )
    return _done(args, data, text)


def _signed(
    args: argparse.Namespace,
    action: Callable[
        [Any, admin.partners.Signer | admin.partners.Rehearsal], Coroutine[Any, Any, dict[str, Any]]
    ],
    describe_result: Callable[[dict[str, Any]], str],
    warnings: Callable[[dict[str, Any]], list[str]] | None = None,
) -> int:
    """Check everything, then ask for the signing key's passphrase, then sign and store."""
    pinned = config.admin_verify_key(os.environ)
    check_key_file(args.signing_key, KeyKind.ADMIN_SIGNING)
    _run_in_session(
        args, lambda session: action(session, admin.partners.Rehearsal()), rollback=True
    )
    passphrase = passphrase_for(str(args.signing_key), new=False)
    signer = admin.partners.Signer.checked(read_signing_key(args.signing_key, passphrase), pinned)
    result = _run_in_session(args, lambda session: action(session, signer))
    return _done(args, result, describe_result(result), warnings(result) if warnings else ())


def _public_key(text: str) -> PublicKey:
    try:
        return parse_partner_key(text)
    except CryptoError as exc:
        raise UserError(f"--public-key: {exc}") from exc


if __name__ == "__main__":
    sys.exit(main())
