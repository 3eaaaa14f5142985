"""`grievance admin partner ...`: monitoring partners and their signed keys."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli.environment import DATABASE, LIST_PARTNERS, MEANINGS, SIGNING
from desk.commandline import Parser, add_command

if TYPE_CHECKING:
    from bot.admin.partners import (
        ContactsSet,
        KeyRevoked,
        KeyRotated,
        PartnerAdded,
        PartnerEdited,
        Partners,
    )


def add(admin_commands: argparse._SubParsersAction[Any]) -> None:
    """Add `admin partner` and its commands."""
    partner = admin_commands.add_parser("partner", help="monitoring partners and their keys")
    commands = partner.add_subparsers(dest="partner_command", required=True, parser_class=Parser)
    new = add_command(
        commands,
        "add",
        run_add,
        help="register a partner with its first key",
        environment=SIGNING,
        meanings=MEANINGS,
    )
    new.add_argument("slug", help="short name, e.g. mekong-workers")
    new.add_argument("--name", required=True, help="the organisation's full name")
    new.add_argument("--public-key", required=True, help="the partner's gpk1... public key")
    new.add_argument(
        "--country",
        action="append",
        required=True,
        dest="countries",
        metavar="CC",
        help="ISO 3166-1 alpha-2 code of a country it covers by default (repeatable)",
    )
    signing_key_option(new)

    edit = add_command(
        commands,
        "edit",
        run_edit,
        help="correct a partner's name or the countries it covers by default",
        environment=DATABASE,
        meanings=MEANINGS,
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
    force_option(edit, "even if workers of a country would have nobody to report to")

    rotate = add_command(
        commands,
        "rotate",
        run_rotate,
        help="replace a partner's active key",
        environment=SIGNING,
        meanings=MEANINGS,
    )
    rotate.add_argument("slug")
    rotate.add_argument("--public-key", required=True, help="the new gpk1... public key")
    signing_key_option(rotate)

    revoke = add_command(
        commands,
        "revoke-key",
        run_revoke,
        help="never use a key again",
        environment=SIGNING,
        meanings=MEANINGS,
    )
    revoke.add_argument("slug")
    revoke.add_argument("key_id", metavar="KEY_ID")
    signing_key_option(revoke)
    force_option(revoke, "even the active key: the partner then receives no reports until 'rotate'")

    contacts = add_command(
        commands,
        "contacts",
        run_contacts,
        help="what a worker in immediate danger is shown at once",
        environment=DATABASE,
        meanings=MEANINGS,
    )
    contacts.add_argument("slug")
    contacts.add_argument(
        "--text", required=True, help="hotlines and phone numbers, e.g. 'Hotline 1300 (24 h)'"
    )
    add_command(
        commands,
        "list",
        run_list,
        help="partners, countries and keys",
        environment=LIST_PARTNERS,
        meanings=MEANINGS,
    )


def signing_key_option(parser: argparse.ArgumentParser) -> None:
    """--signing-key FILE, for every command that signs a key statement."""
    parser.add_argument(
        "--signing-key",
        type=Path,
        required=True,
        metavar="FILE",
        help="the administrators' signing key file (may live on removable media)",
    )


def force_option(parser: argparse.ArgumentParser, what: str) -> None:
    """--force, saying what it does."""
    parser.add_argument("--force", action="store_true", help=f"do it {what}")


def run_add(args: argparse.Namespace) -> int:
    """grievance admin partner add SLUG --name NAME --public-key KEY --country CC..."""
    from bot.admin import partners
    from bot.cli.running import done, public_key, signed

    key = public_key(args.public_key)
    result = signed(
        args,
        lambda session, signer: partners.add_partner(
            session, signer, args.slug, args.name, key, args.countries
        ),
    )
    return done(args, result, added_text)


def added_text(result: PartnerAdded) -> str:
    return (
        f"Partner '{result.partner}' added with key {result.key_id}, "
        f"covering {', '.join(result.countries)}."
    )


def run_rotate(args: argparse.Namespace) -> int:
    """grievance admin partner rotate SLUG --public-key KEY."""
    from bot.admin import partners
    from bot.cli.running import done, public_key, signed

    key = public_key(args.public_key)
    result = signed(
        args, lambda session, signer: partners.rotate_key(session, signer, args.slug, key)
    )
    return done(args, result, rotated_text)


def rotated_text(result: KeyRotated) -> str:
    retired = f"; key {result.retired_key_id} is retired" if result.retired_key_id else ""
    return f"Partner '{result.partner}' now uses key {result.key_id}{retired}."


def run_revoke(args: argparse.Namespace) -> int:
    """grievance admin partner revoke-key SLUG KEY_ID [--force]."""
    from bot.admin import partners
    from bot.cli.running import done, signed
    from crypto.keys import parse_key_id

    revoked = parse_key_id(args.key_id)
    result = signed(
        args,
        lambda session, signer: partners.revoke_key(
            session, signer, args.slug, revoked, force=args.force
        ),
    )
    warnings = (
        []
        if result.partner_has_active_key
        else [
            f"partner '{result.partner}' has no active key now: its workers' reports are refused "
            "until 'partner rotate' gives it one"
        ]
    )
    return done(args, result, revoked_text, warnings)


def revoked_text(result: KeyRevoked) -> str:
    return f"Key {result.key_id} of partner '{result.partner}' is revoked."


def run_edit(args: argparse.Namespace) -> int:
    """grievance admin partner edit SLUG [--name] [--add-country] [--remove-country]."""
    from bot.admin import partners
    from bot.cli.running import done, in_session

    result = in_session(
        args,
        lambda session: partners.edit_partner(
            session,
            args.slug,
            name=args.name,
            add_countries=args.add_country,
            remove_countries=args.remove_country,
            force=args.force,
        ),
    )
    return done(args, result, edited_text)


def edited_text(result: PartnerEdited) -> str:
    covering = ", ".join(result.countries) or "no country by default"
    return f"Partner '{result.partner}' ({result.name}): {covering}."


def run_contacts(args: argparse.Namespace) -> int:
    """grievance admin partner contacts SLUG --text TEXT."""
    from bot.admin import partners
    from bot.cli.running import done, in_session

    result = in_session(
        args, lambda session: partners.set_emergency_contacts(session, args.slug, args.text)
    )
    return done(args, result, contacts_text)


def contacts_text(result: ContactsSet) -> str:
    return f"Emergency contacts of partner '{result.partner}' set."


def run_list(args: argparse.Namespace) -> int:
    """grievance admin partner list: fails, naming the partner, if any statement does not verify."""
    import os

    from bot import config
    from bot.admin import partners
    from bot.cli.running import done, in_session
    from desk.commandline import report_error

    verify_key = config.admin_verify_key(os.environ)
    listed = in_session(
        args, lambda session: partners.list_partners(session, verify_key), create=False
    )
    done(args, listed, list_text)
    untrusted = ", ".join(
        f"'{p.slug}'" for p in listed.partners if not all(k.verified for k in p.keys)
    )
    if not untrusted:
        return 0
    return report_error(
        f"a key statement of partner {untrusted} does not verify against "
        f"{config.VERIFY_KEY_VARIABLE}; its keys are refused",
        as_json=args.json,
    )


def list_text(result: Partners) -> str:
    lines = [] if result.partners else ["No partners yet."]
    for partner in result.partners:
        lines.append(f"{partner.slug}  {partner.name}  [{', '.join(partner.countries)}]")
        for key in partner.keys:
            mark = "" if key.verified else "  SIGNATURE DOES NOT VERIFY"
            lines.append(f"    {key.key_id}  {key.status:<8} since {key.day.isoformat()}{mark}")
    return "\n".join(lines)
