"""The `grievance` command line: one entry point for operators, administrators and caseworkers.

A person's mistake (a wrong passphrase, an unknown partner, a bad country code) is printed as one
line on stderr with exit status 1; a malformed command line exits with status 2. Neither prints a
traceback. Key files are opened before the event loop starts, so Argon2 never blocks it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any, NoReturn

from bot import admin, credentials, logs, retention
from bot.config import Config
from bot.database import open_database
from bot.errors import UserError
from bot.sandbox import chat
from bot.service import serve
from crypto.errors import CryptoError
from crypto.keyfile import read_signing_key, write_signing_key
from crypto.keys import PublicKey, new_signing_key, parse_key_id, parse_partner_key, verify_key_text
from desk import cli as desk_cli
from desk.keygen import create_partner_key
from desk.passphrase import passphrase_for
from storage.errors import StorageError
from storage.migrate import upgrade_to_head

PROG = "grievance"


class Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line, not a usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except (UserError, CryptoError, StorageError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; nothing more was done", file=sys.stderr)
        return 130


def build_parser() -> Parser:
    """Every command and its options."""
    parser = Parser(prog=PROG, description="Anonymous, end-to-end encrypted grievance channel.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    db = commands.add_parser("db", help="database schema").add_subparsers(
        dest="db_command", required=True, parser_class=Parser
    )
    db.add_parser("upgrade", help="bring the database schema to the newest version").set_defaults(
        run=run_db_upgrade
    )

    admin_parser = commands.add_parser(
        "admin", help="administrators: keys, partners, sites, credentials, retention"
    )
    admin_commands = admin_parser.add_subparsers(
        dest="admin_command", required=True, parser_class=Parser
    )
    keygen = admin_commands.add_parser("keygen", help="create the administrators' signing key")
    keygen.add_argument("--out", type=Path, required=True, help="key file to create")
    _json_flag(keygen)
    keygen.set_defaults(run=run_admin_keygen)

    partner = admin_commands.add_parser("partner", help="monitoring partners and their keys")
    partner_commands = partner.add_subparsers(
        dest="partner_command", required=True, parser_class=Parser
    )
    add = partner_commands.add_parser("add", help="register a partner with its first key")
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
    _json_flag(add)
    add.set_defaults(run=run_partner_add)

    rotate = partner_commands.add_parser("rotate", help="replace a partner's active key")
    rotate.add_argument("slug")
    rotate.add_argument("--public-key", required=True, help="the new gpk1... public key")
    _signing_key_option(rotate)
    _json_flag(rotate)
    rotate.set_defaults(run=run_partner_rotate)

    revoke = partner_commands.add_parser("revoke-key", help="never use a key again")
    revoke.add_argument("slug")
    revoke.add_argument("key_id", metavar="KEY_ID")
    _signing_key_option(revoke)
    _json_flag(revoke)
    revoke.set_defaults(run=run_partner_revoke)

    contacts = partner_commands.add_parser(
        "contacts", help="what a worker in immediate danger is shown at once"
    )
    contacts.add_argument("slug")
    contacts.add_argument(
        "--text", required=True, help="hotlines and phone numbers, e.g. 'Hotline 1300 (24 h)'"
    )
    _json_flag(contacts)
    contacts.set_defaults(run=run_partner_contacts)

    partner_list = partner_commands.add_parser("list", help="partners, countries and keys")
    _json_flag(partner_list)
    partner_list.set_defaults(run=run_partner_list)

    site = admin_commands.add_parser("site", help="workplaces and the partner each goes to")
    site_commands = site.add_subparsers(dest="site_command", required=True, parser_class=Parser)
    site_add = site_commands.add_parser("add", help="add a workplace")
    site_add.add_argument("slug")
    site_add.add_argument("--name", required=True)
    site_add.add_argument("--country", required=True, metavar="CC")
    site_add.add_argument("--partner", required=True, help="slug of the partner that covers it")
    _json_flag(site_add)
    site_add.set_defaults(run=run_site_add)
    site_list = site_commands.add_parser("list", help="all workplaces")
    _json_flag(site_list)
    site_list.set_defaults(run=run_site_list)

    credential = admin_commands.add_parser(
        "credential", help="caseworkers' credentials for the case API"
    )
    credential_commands = credential.add_subparsers(
        dest="credential_command", required=True, parser_class=Parser
    )
    issue = credential_commands.add_parser(
        "issue", help="a new credential for one partner's queue (the token is shown once)"
    )
    issue.add_argument("partner", metavar="PARTNER", help="slug of the partner")
    issue.add_argument(
        "--label",
        default="",
        help="which laptop or caseworker it is for, e.g. 'office laptop 2' (shown in lists)",
    )
    issue.add_argument(
        "--role",
        choices=credentials.ROLES,
        default=credentials.DEFAULT_ROLE,
        help="triage (default): read, set status, reply, note, re-wrap; "
        "lead: all that, and purge cases for good",
    )
    _json_flag(issue)
    issue.set_defaults(run=run_credential_issue)
    credential_list = credential_commands.add_parser("list", help="all credentials, revoked too")
    _json_flag(credential_list)
    credential_list.set_defaults(run=run_credential_list)
    credential_revoke = credential_commands.add_parser(
        "revoke", help="the credential's token opens nothing from now on"
    )
    credential_revoke.add_argument("credential_id", metavar="ID", type=_credential_id)
    _json_flag(credential_revoke)
    credential_revoke.set_defaults(run=run_credential_revoke)

    purge = admin_commands.add_parser(
        "purge",
        help="purge closed cases unchanged for longer than GRIEVANCE_RETENTION_DAYS "
        "(serve does it daily)",
    )
    purge.add_argument("--dry-run", action="store_true", help="only say what would be purged")
    _json_flag(purge)
    purge.set_defaults(run=run_admin_purge)

    serve = commands.add_parser("serve", help="run the Telegram bot and its HTTP server")
    serve.set_defaults(run=run_serve)

    sandbox = commands.add_parser(
        "chat", help="the local sandbox: walk the worker's conversation in this terminal"
    )
    sandbox.add_argument(
        "--folder", type=Path, default=Path("sandbox"), help="throwaway folder (wiped first)"
    )
    sandbox.set_defaults(run=run_chat)

    desk = commands.add_parser("desk", help="caseworkers: the partner's key and cases")
    desk_commands = desk.add_subparsers(dest="desk_command", required=True, parser_class=Parser)
    desk_keygen = desk_commands.add_parser("keygen", help="create a partner key pair")
    desk_keygen.add_argument("--out", type=Path, required=True, help="key file to create")
    _json_flag(desk_keygen)
    desk_keygen.set_defaults(run=run_desk_keygen)
    desk_cli.register(desk_commands)
    return parser


def _json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON")


def _signing_key_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--signing-key",
        type=Path,
        required=True,
        metavar="FILE",
        help="the administrators' signing key file (may live on removable media)",
    )


def run_db_upgrade(args: argparse.Namespace) -> int:
    """grievance db upgrade."""
    asyncio.run(upgrade_to_head(Config.from_env().database_url))
    print("The database schema is up to date.")
    return 0


def run_serve(args: argparse.Namespace) -> int:
    """grievance serve: refuses to start without a token or a pinned verify key."""
    config = Config.from_env()
    token = config.token()
    config.admin_verify_key()
    config.listen_address()
    try:
        logs.configure(config.log_level, secrets=(token,))
    except ValueError as exc:
        raise UserError(f"GRIEVANCE_LOG_LEVEL: {exc}") from exc
    asyncio.run(serve(config))
    return 0


def run_chat(args: argparse.Namespace) -> int:
    """grievance chat: a demo partner, the whole conversation, the case as a caseworker sees it."""
    return asyncio.run(chat(args.folder))


def run_admin_keygen(args: argparse.Namespace) -> int:
    """grievance admin keygen --out FILE."""
    passphrase = passphrase_for(str(args.out), new=True)
    key = new_signing_key()
    write_signing_key(args.out, key, passphrase)
    verify = verify_key_text(key.verify_key)
    if args.json:
        _print_json({"verify_key": verify, "file": str(args.out)})
    else:
        print(f"Signing key written to {args.out}. Keep it offline; it signs partner keys.")
        print("Pin this verify key on the server:")
        print(f"GRIEVANCE_ADMIN_VERIFY_KEY={verify}")
    return 0


def run_desk_keygen(args: argparse.Namespace) -> int:
    """grievance desk keygen --out FILE."""
    passphrase = passphrase_for(str(args.out), new=True)
    created = create_partner_key(args.out, passphrase)
    if args.json:
        _print_json(
            {"public_key": created.public_key, "key_id": created.key_id, "file": str(args.out)}
        )
    else:
        print(f"Partner key written to {args.out}. It never leaves this machine.")
        print("Give the administrators this public key:")
        print(f"public key: {created.public_key}")
        print(f"key id:     {created.key_id}")
    return 0


def run_partner_add(args: argparse.Namespace) -> int:
    """grievance admin partner add."""
    public_key = _public_key(args.public_key)
    return _signed(
        args,
        lambda session, signer: admin.add_partner(
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

    def describe(r: dict[str, Any]) -> str:
        retired = f"; key {r['retired_key_id']} is retired" if r["retired_key_id"] else ""
        return f"Partner '{r['partner']}' now uses key {r['key_id']}{retired}."

    return _signed(
        args,
        lambda session, signer: admin.rotate_key(session, signer, args.slug, public_key),
        describe,
    )


def run_partner_revoke(args: argparse.Namespace) -> int:
    """grievance admin partner revoke-key."""
    revoked = parse_key_id(args.key_id)

    def describe(r: dict[str, Any]) -> str:
        text = f"Key {r['key_id']} of partner '{r['partner']}' is revoked."
        if not r["partner_has_active_key"]:
            text += " The partner has no active key: its reports are refused until 'rotate'."
        return text

    return _signed(
        args,
        lambda session, signer: admin.revoke_key(session, signer, args.slug, revoked),
        describe,
    )


def run_partner_list(args: argparse.Namespace) -> int:
    """grievance admin partner list: fails, naming the partner, if any statement does not verify."""
    config = Config.from_env()
    verify_key = config.admin_verify_key()
    listed = _run_in_session(config, lambda session: admin.list_partners(session, verify_key))
    if args.json:
        _print_json({"partners": listed})
    else:
        if not listed:
            print("No partners yet.")
        for partner in listed:
            print(f"{partner['slug']}  {partner['name']}  [{', '.join(partner['countries'])}]")
            for key in partner["keys"]:
                mark = "" if key["verified"] else "  SIGNATURE DOES NOT VERIFY"
                print(f"    {key['key_id']}  {key['status']:<8} since {key['day']}{mark}")
    untrusted = [p["slug"] for p in listed if not all(k["verified"] for k in p["keys"])]
    for slug in untrusted:
        print(
            f"{PROG}: error: a key statement of partner '{slug}' does not verify against "
            "GRIEVANCE_ADMIN_VERIFY_KEY; its keys are refused",
            file=sys.stderr,
        )
    return 1 if untrusted else 0


def run_partner_contacts(args: argparse.Namespace) -> int:
    """grievance admin partner contacts SLUG --text TEXT."""
    result = _run_in_session(
        Config.from_env(),
        lambda session: admin.set_emergency_contacts(session, args.slug, args.text),
    )
    if args.json:
        _print_json(result)
    else:
        print(f"Emergency contacts of partner '{result['partner']}' set.")
    return 0


def run_site_add(args: argparse.Namespace) -> int:
    """grievance admin site add."""
    result = _run_in_session(
        Config.from_env(),
        lambda session: admin.add_site(session, args.slug, args.name, args.country, args.partner),
    )
    if args.json:
        _print_json(result)
    else:
        print(
            f"Site '{result['site']}' ({result['name']}, {result['country']}) "
            f"goes to partner '{result['partner']}'."
        )
    return 0


def run_site_list(args: argparse.Namespace) -> int:
    """grievance admin site list."""
    listed = _run_in_session(Config.from_env(), admin.list_sites)
    if args.json:
        _print_json({"sites": listed})
    else:
        if not listed:
            print("No sites yet.")
        for site in listed:
            print(f"{site['slug']}  {site['country']}  {site['name']}  -> {site['partner']}")
    return 0


def _credential_id(text: str) -> int:
    """A credential id as `credential list` shows it: a whole number, `#` allowed."""
    cleaned = text.strip().removeprefix("#")
    if not (cleaned.isascii() and cleaned.isdigit()):
        raise argparse.ArgumentTypeError(f"'{text}' is not a credential id (a whole number)")
    return int(cleaned)


def run_credential_issue(args: argparse.Namespace) -> int:
    """grievance admin credential issue PARTNER [--label TEXT] [--role triage|lead]."""
    result = _run_in_session(
        Config.from_env(),
        lambda session: credentials.issue(session, args.partner, args.label, args.role),
    )
    if args.json:
        _print_json(result)
    else:
        label = f" ({result['label']})" if result["label"] else ""
        print(
            f"Credential #{result['id']} ({result['role']}) for partner "
            f"'{result['partner']}'{label} issued."
        )
        print("Give this token to the caseworker now; it is not stored and is never shown again:")
        print(result["token"])
    return 0


def run_credential_list(args: argparse.Namespace) -> int:
    """grievance admin credential list."""
    listed = _run_in_session(Config.from_env(), credentials.list_all)
    if args.json:
        _print_json({"credentials": listed})
    else:
        if not listed:
            print("No credentials yet.")
        for item in listed:
            state = f"revoked {item['revoked_day']}" if item["revoked_day"] else "active"
            label = f"  {item['label']}" if item["label"] else ""
            print(
                f"#{item['id']}  {item['partner']}  {item['role']:<6}  "
                f"issued {item['created_day']}  {state}{label}"
            )
    return 0


def run_credential_revoke(args: argparse.Namespace) -> int:
    """grievance admin credential revoke ID."""
    result = _run_in_session(
        Config.from_env(), lambda session: credentials.revoke(session, args.credential_id)
    )
    if args.json:
        _print_json(result)
    else:
        print(
            f"Credential #{result['id']} of partner '{result['partner']}' is revoked; "
            "its token opens nothing from now on."
        )
    return 0


def run_admin_purge(args: argparse.Namespace) -> int:
    """grievance admin purge [--dry-run]."""
    config = Config.from_env()

    async def run() -> retention.PurgeResult:
        async with open_database(config.database_url) as sessions:
            return await retention.purge_expired(
                sessions, config.retention_days, dry_run=args.dry_run
            )

    result = asyncio.run(run())
    count = len(result.case_ids)
    if args.json:
        _print_json(
            {
                "dry_run": result.dry_run,
                "retention_days": config.retention_days,
                "before": result.before.isoformat(),
                "count": count,
                "case_ids": result.case_ids,
            }
        )
    else:
        done = "Dry run: would purge" if result.dry_run else "Purged"
        print(
            f"{done} {count} closed case(s) last changed before {result.before.isoformat()} "
            f"(GRIEVANCE_RETENTION_DAYS={config.retention_days})."
        )
    return 0


def _signed(
    args: argparse.Namespace,
    action: Callable[[Any, admin.Signer], Coroutine[Any, Any, dict[str, Any]]],
    describe: Callable[[dict[str, Any]], str],
) -> int:
    config = Config.from_env()
    pinned = config.admin_verify_key()
    passphrase = passphrase_for(str(args.signing_key), new=False)
    signer = admin.Signer.checked(read_signing_key(args.signing_key, passphrase), pinned)
    result = _run_in_session(config, lambda session: action(session, signer))
    if args.json:
        _print_json(result)
    else:
        print(describe(result))
    return 0


def _run_in_session(config: Config, action: Callable[[Any], Coroutine[Any, Any, Any]]) -> Any:
    async def run() -> Any:
        async with (
            open_database(config.database_url) as sessions,
            sessions() as session,
            session.begin(),
        ):
            return await action(session)

    return asyncio.run(run())


def _public_key(text: str) -> PublicKey:
    try:
        return parse_partner_key(text)
    except CryptoError as exc:
        raise UserError(f"--public-key: {exc}") from exc


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    sys.exit(main())
