"""The words every layer shares: case and key statuses, envelope purposes and authors, roles.

Defined once, here, and imported by storage, crypto, the server, the engine and the desk, so that
a new status is one line and docs/openapi.yaml is checked against it (tests/test_vocabulary.py).
Standard library only, so that any layer may import it (tests/test_vocabulary.py holds it to that:
import-linter takes packages only, and this is a module).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final


def N_(message: str) -> str:
    """Mark a message for extraction into locales/messages.pot; translated where it is shown."""
    return message


class CaseStatus(StrEnum):
    """Where a case stands in the partner's workflow, in the order a case moves."""

    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    INVESTIGATING = "investigating"
    REMEDIATION = "remediation"
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        """What a worker reads for this status (the English msgid: translate it to show it)."""
        return STATUS_LABELS[self]

    @property
    def settled(self) -> bool:
        """Resolved or closed: no longer urgent, danger or not."""
        return self in SETTLED


STATUS_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        CaseStatus.NEW: N_("Received"),
        CaseStatus.ACKNOWLEDGED: N_("Seen by the organisation"),
        CaseStatus.INVESTIGATING: N_("Being looked into"),
        CaseStatus.REMEDIATION: N_("Being put right"),
        CaseStatus.RESOLVED: N_("Resolved"),
        CaseStatus.CLOSED: N_("Closed"),
    }
)
"""What the worker reads for each status, by its word (a plain string finds its label too)."""
SETTLED: Final = frozenset({CaseStatus.RESOLVED, CaseStatus.CLOSED})
STATUSES: Final = tuple(status.value for status in CaseStatus)
"""The statuses' words, in the order a case moves through them."""


def status_label(status: str) -> str:
    """The worker's label of a status word, or the word itself if a newer server sent it."""
    return STATUS_LABELS.get(status, status)


class KeyStatus(StrEnum):
    """What the administrators say of a partner key. Only an active key receives new cases."""

    ACTIVE = "active"
    RETIRED = "retired"
    REVOKED = "revoked"


OLD_KEYS: Final = frozenset({KeyStatus.RETIRED, KeyStatus.REVOKED})
"""Key statuses whose wraps a rotation replaces."""


class Purpose(StrEnum):
    """What an envelope (an entry of a case) holds; bound into its associated data by crypto/."""

    REPORT = "report"
    FOLLOW_UP = "follow-up"
    REPLY = "reply"
    NOTE = "note"
    ATTACHMENT = "attachment"


class Author(StrEnum):
    """Who wrote an envelope: the (anonymous) worker or the partner's caseworker."""

    WORKER = "worker"
    CASEWORKER = "caseworker"


class CredentialRole(StrEnum):
    """What a caseworker credential may do in the case API.

    ``triage`` reads, sets statuses, replies, writes notes, re-wraps and marks entries seen;
    ``lead`` may also purge a case for good. Issued credentials are ``triage`` unless asked.
    """

    TRIAGE = "triage"
    LEAD = "lead"


class StepRole(StrEnum):
    """What a questionnaire step means to the desk, whatever its id: what it triages on.

    A questionnaire gives a step its role (`role = "danger"`; the country and site steps have
    theirs by their type), the sealed report names each role's step (docs/FORMAT.md), and the
    desk, the console and the buyers' reports read the answers by role, never by step id.
    """

    DANGER = "danger"
    """A yes/no step: "yes" means someone is in danger right now, and the case is urgent."""
    CATEGORIES = "categories"
    """The kinds of problem: option ids, counted in the buyers' reports."""
    COUNTRY = "country"
    WORKPLACE = "workplace"
    """The site step: a workplace's slug, or other/undisclosed."""
    OWN_WORDS = "own_words"
    """What happened, in the worker's own words (typed or a voice note)."""


DEFAULT_QUESTIONNAIRE_ROLES: Final[Mapping[str, str]] = MappingProxyType(
    {
        StepRole.DANGER: "danger",
        StepRole.CATEGORIES: "categories",
        StepRole.COUNTRY: "country",
        StepRole.WORKPLACE: "site",
        StepRole.OWN_WORDS: "what_happened",
    }
)
"""Role -> step id in the default questionnaire: how a report sealed before reports named their
roles is read (it came from that questionnaire; a test keeps the two the same)."""


ID_ALPHABET: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford's base32: no I, L, O or U, so a caseworker can read a case id aloud without doubt."""
CASE_ID_CHARS: Final = 12
ENTRY_ID_CHARS: Final = 20
_ID_CHAR: Final = "[0-9A-HJKMNP-TV-Z]"
"""ID_ALPHABET as a character class (as docs/openapi.yaml writes it)."""
CASE_ID: Final = re.compile(f"{_ID_CHAR}{{{CASE_ID_CHARS}}}")
"""A case id in canonical form (crypto.ids draws them; the API and the desk check them)."""
ENTRY_ID: Final = re.compile(f"{_ID_CHAR}{{{ENTRY_ID_CHARS}}}")
KEY_ID: Final = re.compile(r"[0-9a-f]{32}")
"""A partner key's id: the hex of its fingerprint (crypto.keys.key_id)."""
DAY: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
"""An ISO day, the finest time the server keeps."""


def anchored(pattern: re.Pattern[str]) -> str:
    """The pattern as a whole-string regex, as JSON Schema and docs/openapi.yaml write it."""
    return f"^{pattern.pattern}$"
