"""What the administrators do with caseworker credentials: issue, list, revoke.

A credential opens one partner's queue through the case API, with a role: `triage` by default,
or `lead`, the only one that can purge a case. Its token is printed once, at issue,
and only its hash is stored, so a database dump opens nothing. Issue and revoke are audited
(actor ``admin``, the partner and credential id, the day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from bot.admin.checks import ACTOR, check_slug, has_active_key, partner_named
from bot.errors import UserError
from crypto.tokens import new_token, token_hash
from storage import audit, credentials
from storage.errors import NotFound
from storage.models import NAME_MAX_LENGTH, CaseworkerCredential
from vocabulary import CredentialRole

LABEL_MAX_LENGTH: Final = NAME_MAX_LENGTH


@dataclass(frozen=True)
class NewCredential:
    """A credential just issued, with its token: shown once, never stored."""

    id: int
    partner: str
    label: str
    role: str
    token: str


@dataclass(frozen=True)
class Issued:
    """The new credential, and whether its partner's queue can receive reports yet."""

    credential: NewCredential
    partner_has_active_key: bool


@dataclass(frozen=True)
class Credential:
    """A credential as the administrators see it: never its token or the token's hash."""

    id: int
    partner: str
    label: str
    role: str
    created_day: date
    revoked_day: date | None


@dataclass(frozen=True)
class Credentials:
    """Every credential, revoked ones too."""

    credentials: tuple[Credential, ...]


def audit_name(credential_id: int) -> str:
    """How the audit log names a credential, as actor of API actions and as subject here."""
    return f"credential:{credential_id}"


def check_label(label: str) -> str:
    """A label tells the administrators whose laptop a credential is on: one short line."""
    cleaned = label.strip()
    if len(cleaned) > LABEL_MAX_LENGTH:
        raise UserError(f"a label is at most {LABEL_MAX_LENGTH} characters")
    if not cleaned.isprintable():
        raise UserError("a label is one line of printable text")
    return cleaned


def check_role(role: str) -> CredentialRole:
    """`triage` (read, status, reply, note, re-wrap, mark seen) or `lead` (also purge)."""
    try:
        return CredentialRole(role)
    except ValueError:
        raise UserError(
            f"'{role}' is not a role; use one of: {', '.join(CredentialRole)}"
        ) from None


async def issue(
    session: AsyncSession, slug: str, label: str = "", role: str = CredentialRole.TRIAGE
) -> Issued:
    """A new credential for partner `slug`; the result holds the token, which is not kept."""
    check_slug(slug, "partner")
    cleaned = check_label(label)
    chosen = check_role(role)
    partner = await partner_named(session, slug)
    token = new_token()
    credential = await credentials.add_credential(
        session, partner, cleaned, token_hash(token), chosen
    )
    await audit.record(session, ACTOR, "credential.issue", f"{slug} {audit_name(credential.id)}")
    # Issued all the same (a partner may be onboarded before its key is registered), but the
    # administrator hears that its queue stays empty until it has an active key.
    has_key = await has_active_key(session, partner)
    return Issued(NewCredential(credential.id, slug, cleaned, chosen.value, token), has_key)


async def list_all(session: AsyncSession) -> Credentials:
    """Every credential, revoked ones too: never a token or its hash."""
    return Credentials(tuple(_describe(c) for c in await credentials.list_credentials(session)))


async def revoke(session: AsyncSession, credential_id: int) -> Credential:
    """From now on the token opens nothing; revoking twice is a mistake, said plainly."""
    try:
        existing = await session.get(CaseworkerCredential, credential_id)
        if existing is None:
            raise NotFound(f"credential #{credential_id} not found")
        if existing.revoked_day is not None:
            raise UserError(
                f"credential #{credential_id} is already revoked "
                f"(since {existing.revoked_day.isoformat()})"
            )
        credential = await credentials.revoke_credential(session, credential_id)
    except NotFound as exc:
        raise UserError(f"no credential #{credential_id}") from exc
    subject = f"{credential.partner.slug} {audit_name(credential.id)}"
    await audit.record(session, ACTOR, "credential.revoke", subject)
    return _describe(credential)


def _describe(credential: CaseworkerCredential) -> Credential:
    return Credential(
        credential.id,
        credential.partner.slug,
        credential.label,
        credential.role.value,
        credential.created_day,
        credential.revoked_day,
    )
