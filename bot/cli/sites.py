"""`grievance admin site ...`: workplaces and the partner each goes to."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from bot.cli.environment import DATABASE, MEANINGS
from bot.cli.partners import force_option
from desk.commandline import Parser, add_command

if TYPE_CHECKING:
    from bot.admin.sites import Site, Sites


def add(admin_commands: argparse._SubParsersAction[Any]) -> None:
    """Add `admin site` and its commands."""
    site = admin_commands.add_parser("site", help="workplaces and the partner each goes to")
    commands = site.add_subparsers(dest="site_command", required=True, parser_class=Parser)
    new = add_command(
        commands, "add", run_add, help="add a workplace", environment=DATABASE, meanings=MEANINGS
    )
    new.add_argument("slug")
    new.add_argument("--name", required=True, help="the name workers see")
    new.add_argument("--country", required=True, metavar="CC")
    new.add_argument("--partner", required=True, help="slug of the partner that covers it")

    rename = add_command(
        commands,
        "rename",
        run_rename,
        help="correct a workplace's name or slug",
        environment=DATABASE,
        meanings=MEANINGS,
    )
    rename.add_argument("slug")
    rename.add_argument("--name", help="the new name workers see")
    rename.add_argument("--slug", dest="new_slug", metavar="NEW_SLUG", help="the new short name")

    move = add_command(
        commands,
        "move",
        run_move,
        help="send a workplace's new cases to another partner, or file it under another country",
        environment=DATABASE,
        meanings=MEANINGS,
    )
    move.add_argument("slug")
    move.add_argument("--partner", help="slug of the partner that covers it from now on")
    move.add_argument("--country", metavar="CC", help="the country it is in")
    force_option(move, "even if its workers would have nobody to report to")

    remove = add_command(
        commands,
        "remove",
        run_remove,
        help="take a workplace off the list (its cases stay with their partner)",
        environment=DATABASE,
        meanings=MEANINGS,
    )
    remove.add_argument("slug")
    force_option(remove, "even if workers of its country would have nobody to report to")

    add_command(
        commands, "list", run_list, help="all workplaces", environment=DATABASE, meanings=MEANINGS
    )


def run_add(args: argparse.Namespace) -> int:
    """grievance admin site add SLUG --name NAME --country CC --partner PARTNER."""
    from bot.admin import sites
    from bot.cli.running import done, in_session

    added = in_session(
        args,
        lambda session: sites.add_site(session, args.slug, args.name, args.country, args.partner),
    )
    warnings = (
        []
        if added.partner_has_active_key
        else [
            f"partner '{added.site.partner}' has no active key: reports from this site are "
            "refused until it has one"
        ]
    )
    return done(args, added.site, site_text, warnings)


def run_rename(args: argparse.Namespace) -> int:
    """grievance admin site rename SLUG [--name NAME] [--slug NEW_SLUG]."""
    from bot.admin import sites
    from bot.cli.running import done, in_session

    result = in_session(
        args, lambda session: sites.rename_site(session, args.slug, args.name, args.new_slug)
    )
    return done(args, result, site_text)


def run_move(args: argparse.Namespace) -> int:
    """grievance admin site move SLUG [--partner P] [--country CC] [--force]."""
    from bot.admin import sites
    from bot.cli.running import done, in_session

    result = in_session(
        args,
        lambda session: sites.move_site(
            session, args.slug, args.partner, args.country, force=args.force
        ),
    )
    return done(args, result, moved_text)


def run_remove(args: argparse.Namespace) -> int:
    """grievance admin site remove SLUG [--force]."""
    from bot.admin import sites
    from bot.cli.running import done, in_session

    result = in_session(
        args, lambda session: sites.remove_site(session, args.slug, force=args.force)
    )
    return done(args, result, removed_text)


def site_text(result: Site) -> str:
    return _site_text(result, "goes to")


def moved_text(result: Site) -> str:
    return _site_text(result, "now goes to")


def removed_text(result: Site) -> str:
    return (
        f"Site '{result.site}' removed; cases already received stay with "
        f"partner '{result.partner}'."
    )


def _site_text(result: Site, verb: str) -> str:
    return (
        f"Site '{result.site}' ({result.name}, {result.country}) {verb} partner '{result.partner}'."
    )


def run_list(args: argparse.Namespace) -> int:
    """grievance admin site list."""
    from bot.admin import sites
    from bot.cli.running import done, in_session

    return done(args, in_session(args, sites.list_sites, create=False), list_text)


def list_text(result: Sites) -> str:
    lines = [f"{s.slug}  {s.country}  {s.name}  -> {s.partner}" for s in result.sites]
    return "\n".join(lines) or "No sites yet."
