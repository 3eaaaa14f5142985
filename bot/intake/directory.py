"""Routing as the administrators configured it: a workplace's partner, else the country's.

The engine asks on nearly every screen, so the directory keeps a snapshot for a few seconds
rather than querying for each worker's button press. When the database fails, the last good
snapshot is served for a while longer (a worker can go on filling in a report through a short
outage); past that, or with no snapshot at all, the directory raises StorageUnavailable.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.intake.outage import DATABASE_ERRORS, unavailable
from handlers.ports import Route
from storage import partners, sites
from vocabulary import KeyStatus

log = logging.getLogger(__name__)

SNAPSHOT_SECONDS: Final = 30.0
STALE_SECONDS: Final = 15 * 60.0
"""How long the last good snapshot is served while the database fails. A route this old can
only be wrong if an administrator changed it in those minutes; the submitter still reads the
partner's key from the database at Send, so nothing is ever sealed to a key no longer active."""


@dataclass(frozen=True)
class _Snapshot:
    country_partner: dict[str, str] = field(default_factory=dict)
    sites: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)
    """country -> [(site slug, site name, partner slug)]"""
    contacts: dict[str, str] = field(default_factory=dict)
    """partner slug -> emergency contacts, only for partners with an active key"""


class StoredDirectory:
    """Directory backed by the database."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        ttl: float = SNAPSHOT_SECONDS,
        stale: float = STALE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = sessions
        self._ttl = ttl
        self._stale = stale
        self._clock = clock
        self._snapshot: _Snapshot | None = None
        self._taken_at = 0.0

    async def countries(self) -> list[str]:
        """Countries where some partner with an active key takes reports."""
        snapshot = await self._current()
        covered = {c for c, p in snapshot.country_partner.items() if p in snapshot.contacts}
        with_sites = {
            country
            for country, entries in snapshot.sites.items()
            if any(partner in snapshot.contacts for _s, _n, partner in entries)
        }
        return sorted(covered | with_sites)

    async def sites(self, country: str) -> list[tuple[str, str]]:
        """Workplaces of `country` whose partner can take reports."""
        snapshot = await self._current()
        return [
            (slug, name)
            for slug, name, partner in snapshot.sites.get(country, [])
            if partner in snapshot.contacts
        ]

    async def route(self, country: str, site: str | None) -> Route | None:
        """The site's partner, else the country's default partner; None if neither can take it."""
        snapshot = await self._current()
        partner = None
        if site is not None:
            partner = next(
                (p for slug, _n, p in snapshot.sites.get(country, []) if slug == site), None
            )
        if partner is None:
            partner = snapshot.country_partner.get(country)
        if partner is None or partner not in snapshot.contacts:
            return None
        return Route(partner=partner, emergency_contacts=snapshot.contacts[partner])

    def forget(self) -> None:
        """Drop the snapshot (after an administrator's change, in tests)."""
        self._snapshot = None

    async def _current(self) -> _Snapshot:
        now = self._clock()
        if self._snapshot is not None and now - self._taken_at <= self._ttl:
            return self._snapshot
        try:
            self._snapshot = await self._load()
        except DATABASE_ERRORS as exc:
            if self._snapshot is None or now - self._taken_at > self._stale:
                raise unavailable("routing", exc) from exc
            log.warning("routing from the last good snapshot: %s", type(exc).__name__)
            return self._snapshot
        self._taken_at = now
        return self._snapshot

    async def _load(self) -> _Snapshot:
        snapshot = _Snapshot()
        async with self._sessions() as session:
            for partner in await partners.list_partners(session):
                if any(key.status == KeyStatus.ACTIVE for key in partner.keys):
                    snapshot.contacts[partner.slug] = partner.emergency_contacts
                for country in partner.countries:
                    snapshot.country_partner[country.country] = partner.slug
            for site in await sites.list_sites(session):
                snapshot.sites.setdefault(site.country, []).append(
                    (site.slug, site.name, site.partner.slug)
                )
        return snapshot
