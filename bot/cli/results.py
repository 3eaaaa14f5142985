"""What the commands print that no administrative function returns: the schema upgraded, a key
file created, a purge. One frozen dataclass each; its fields are the --json fields."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class SchemaUpgraded:
    """The database schema is at the newest version."""

    schema: str = "up to date"


@dataclass(frozen=True)
class SigningKeyCreated:
    """The administrators' signing key file, and the verify key to pin on the server."""

    verify_key: str
    file: str


@dataclass(frozen=True)
class PartnerKeyCreated:
    """A partner's key file, and the public half to give the administrators."""

    public_key: str
    key_id: str
    file: str


@dataclass(frozen=True)
class Purged:
    """Closed cases purged (or, in a dry run, due) under the retention rule."""

    dry_run: bool
    retention_days: int
    before: date
    count: int
    case_ids: list[str]
