"""Who looks after a case: one caseworker credential of the partner, or nobody.

The server knows caseworkers by credential only (an id, the administrators' label, a role):
assignment names no person and carries no day. A revoked credential's cases come back as
assigned to nobody, so they show among the unassigned for someone to take over.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Final

from desk.client import Case, CaseClient, Caseworker, DeskError, parse_case_id

NOBODY: Final = "nobody"
ME: Final = "me"


@dataclass(frozen=True)
class Team:
    """The partner's caseworkers, and which of them this desk is."""

    me: Caseworker | None
    caseworkers: tuple[Caseworker, ...]

    def find(self, credential_id: int | None) -> Caseworker | None:
        """The caseworker with this credential id, if it is an active one of the partner."""
        return next((c for c in self.caseworkers if c.id == credential_id), None)

    def label(self, credential_id: int | None) -> str | None:
        """How to name the assignee: its label (or `#id` when it has none); None for nobody."""
        if credential_id is None:
            return None
        return self.labels().get(credential_id, f"#{credential_id}")

    def labels(self) -> dict[int, str]:
        """Credential id -> how a list names it (the label, or `#id` when it has none)."""
        named = {c.id: c.label or f"#{c.id}" for c in self.caseworkers}
        if self.me is not None:
            named.setdefault(self.me.id, self.me.label or f"#{self.me.id}")
        return named

    def is_me(self, credential_id: int | None) -> bool:
        """Whether a case assigned to `credential_id` is assigned to this desk."""
        return self.me is not None and credential_id == self.me.id

    def listing(self) -> str:
        """The caseworkers as a caseworker chooses among them: `#3 office laptop 2, ...`."""
        return ", ".join(f"#{c.id} {c.label}".rstrip() for c in self.caseworkers) or "none"


async def team_of(client: CaseClient) -> Team:
    """The partner's active caseworkers and this desk's credential (two small requests)."""
    partner, caseworkers = await asyncio.gather(client.partner(), client.caseworkers())
    return Team(partner.me, tuple(caseworkers))


def target_of(team: Team, choice: str) -> int | None:
    """The credential id `choice` names: `me`, `nobody`, or a credential id of the partner."""
    if choice == NOBODY:
        return None
    if choice == ME:
        if team.me is None:
            raise DeskError("the server does not say which credential this desk uses")
        return team.me.id
    try:
        wanted = int(choice)
    except ValueError:
        wanted = 0
    if wanted < 1 or choice.strip() != str(wanted):
        raise DeskError(f"'{choice}' is not a caseworker credential id (a whole number)")
    if team.find(wanted) is None:
        raise DeskError(
            f"no caseworker credential #{wanted} in your partner; choose one of: {team.listing()}"
        )
    return wanted


async def assign(client: CaseClient, case_id: str, choice: str) -> tuple[Case, Team]:
    """Assign the case to `choice` (`me`, `nobody` or a credential id); the case as the server
    now has it, and the team to name its assignee with."""
    case_id = parse_case_id(case_id)
    team = await team_of(client)
    case = await client.set_assignee(case_id, target_of(team, choice))
    return case, team
