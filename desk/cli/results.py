"""What the desk's commands that change a case print: one frozen dataclass per kind of result
(its fields are the --json fields), made from what the server answered."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StatusSet:
    """A case's new status, and the words the worker sees for it."""

    case: str
    status: str
    worker_status: str
    updated_day: str


@dataclass(frozen=True)
class Assigned:
    """Whom a case is assigned to now (None: nobody), and how the team calls them."""

    case: str
    assignee: int | None
    assignee_label: str | None


@dataclass(frozen=True)
class EntryAdded:
    """A reply or a note, sealed and stored: its place in the thread and the keys it opens to."""

    case: str
    entry_id: str
    seq: int
    purpose: str
    day: str
    wraps: list[str]
