"""The schema: partners and their signed keys, sites, opaque cases, credentials, audit, settings.

Privacy by schema: there is no column for a chat id, user name, phone number or time of day, and
every date is a ``Date``. Report content exists only as ciphertext (``CaseEntry.body``) and sealed
data keys (``Wrap.sealed_key``).

Relationships that are always small (a partner's countries and keys, an entry's wraps) load eagerly
with ``selectin``; a case's entries can be large (attachments), so they load only when a repository
asks, and touching them unloaded raises instead of silently querying (async sessions cannot
lazy-load anyway).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import (
    Boolean,
    Date,
    Dialect,
    ForeignKey,
    Index,
    LargeBinary,
    MetaData,
    String,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from vocabulary import Author, CaseStatus, CredentialRole, KeyStatus, Purpose

# Deterministic constraint and index names, so Alembic migrations (and drops) name them the same on
# every database.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SLUG_MAX_LENGTH = 64
NAME_MAX_LENGTH = 200
COUNTRY_CODE_LENGTH = 2  # ISO 3166-1 alpha-2, upper case
KEY_ID_LENGTH = 32  # hex fingerprint of a partner public key
PUBLIC_KEY_BYTES = 32  # X25519
SIGNATURE_BYTES = 64  # Ed25519
CASE_ID_LENGTH = 16
ENTRY_ID_LENGTH = 32
LOOKUP_ID_BYTES = 32
TOKEN_HASH_BYTES = 32
STATUS_LENGTH = 32  # room for future status values without a column change
AUDIT_FIELD_LENGTH = 64
AUDIT_SUBJECT_LENGTH = 200
EMERGENCY_CONTACTS_LENGTH = 1000
SETTING_NAME_LENGTH = 64


E = TypeVar("E", bound=StrEnum)


class EnumString(TypeDecorator[E]):
    """A StrEnum stored as its plain string value.

    Not a native database enum and no CHECK constraint: adding a status later needs no type
    migration. Unknown values are refused in Python, on the way in and on the way out.
    """

    impl = String(STATUS_LENGTH)
    cache_ok = True

    def __init__(self, enum_class: type[E]) -> None:
        super().__init__()
        self.enum_class = enum_class

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return str(self.enum_class(value).value)

    def process_result_value(self, value: Any, dialect: Dialect) -> E | None:
        if value is None:
            return None
        return self.enum_class(value)


class Base(DeclarativeBase):
    """Declarative base carrying the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Partner(Base):
    """A monitoring partner (a CSO) that receives the cases of the countries and sites it covers."""

    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(SLUG_MAX_LENGTH), unique=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX_LENGTH))
    # Day only: operational records keep no finer time than the reports do.
    created_day: Mapped[date] = mapped_column(Date)
    # Shown at once to a worker who says someone is in danger (hotlines, the partner's phone).
    emergency_contacts: Mapped[str] = mapped_column(
        String(EMERGENCY_CONTACTS_LENGTH), default="", server_default=""
    )

    countries: Mapped[list[PartnerCountry]] = relationship(
        back_populates="partner",
        lazy="selectin",
        order_by="PartnerCountry.country",
        cascade="all, delete-orphan",
    )
    keys: Mapped[list[PartnerKey]] = relationship(
        back_populates="partner", lazy="selectin", order_by="PartnerKey.id"
    )

    def __repr__(self) -> str:
        return f"Partner(id={self.id!r}, slug={self.slug!r})"


class PartnerCountry(Base):
    """A country whose reports go to this partner by default (one default partner a country)."""

    __tablename__ = "partner_countries"

    country: Mapped[str] = mapped_column(String(COUNTRY_CODE_LENGTH), primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)

    partner: Mapped[Partner] = relationship(back_populates="countries", lazy="raise_on_sql")


class PartnerKey(Base):
    """A partner public key with the administrators' signed statement about it.

    The server uses a key only if the signature over (key, status, statement day) verifies against
    the pinned administrators' verify key; storage keeps the statement, crypto/ checks it.
    """

    __tablename__ = "partner_keys"
    __table_args__ = (
        # At most one active key per partner: new reports must have exactly one destination.
        Index(
            "uq_partner_keys_one_active",
            "partner_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    key_id: Mapped[str] = mapped_column(String(KEY_ID_LENGTH), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(PUBLIC_KEY_BYTES))
    status: Mapped[KeyStatus] = mapped_column(EnumString(KeyStatus))
    # Day only, as written in the signed statement.
    statement_day: Mapped[date] = mapped_column(Date)
    signature: Mapped[bytes] = mapped_column(LargeBinary(SIGNATURE_BYTES))

    partner: Mapped[Partner] = relationship(back_populates="keys", lazy="raise_on_sql")

    def __repr__(self) -> str:
        return f"PartnerKey(key_id={self.key_id!r}, status={self.status!r})"


class Site(Base):
    """A factory the worker can pick; its reports go to its partner."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(SLUG_MAX_LENGTH), unique=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX_LENGTH))
    country: Mapped[str] = mapped_column(String(COUNTRY_CODE_LENGTH))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))

    partner: Mapped[Partner] = relationship(lazy="selectin")

    def __repr__(self) -> str:
        return f"Site(slug={self.slug!r}, country={self.country!r})"


class Case(Base):
    """One worker's case in one partner's queue: metadata only, content lives in its entries."""

    __tablename__ = "cases"

    id: Mapped[str] = mapped_column(String(CASE_ID_LENGTH), primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    status: Mapped[CaseStatus] = mapped_column(EnumString(CaseStatus))
    # Day only: a finer time could de-anonymise the worker (matched against shifts or phone use).
    created_day: Mapped[date] = mapped_column(Date)
    # Day only, for the same reason; lets a caseworker fetch what changed since their last sync.
    updated_day: Mapped[date] = mapped_column(Date)
    # Public half of the per-case key derived from the receipt: replies are sealed to it.
    worker_public_key: Mapped[bytes] = mapped_column(LargeBinary(PUBLIC_KEY_BYTES))
    # Derived from the receipt by a slow hash; the receipt itself is never stored.
    lookup_id: Mapped[bytes] = mapped_column(LargeBinary(LOOKUP_ID_BYTES), unique=True)
    # The caseworker credential of the partner the case is assigned to, or nobody: the partner's
    # own bookkeeping, nothing about the worker and no day. A revoked credential's cases read as
    # nobody's (the case API checks), so that someone takes them over.
    assignee_credential_id: Mapped[int | None] = mapped_column(
        ForeignKey("caseworker_credentials.id", ondelete="SET NULL")
    )

    entries: Mapped[list[CaseEntry]] = relationship(
        back_populates="case",
        order_by="CaseEntry.seq",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="raise_on_sql",
    )

    def __repr__(self) -> str:
        return f"Case(id={self.id!r}, status={self.status!r})"


class CaseEntry(Base):
    """One envelope of a case (report, follow-up, reply, note, attachment): opaque ciphertext."""

    __tablename__ = "case_entries"
    __table_args__ = (UniqueConstraint("case_id", "seq"),)

    id: Mapped[str] = mapped_column(String(ENTRY_ID_LENGTH), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    # Order within the case; stands in for a timestamp, which we do not keep.
    seq: Mapped[int] = mapped_column()
    purpose: Mapped[Purpose] = mapped_column(EnumString(Purpose))
    author: Mapped[Author] = mapped_column(EnumString(Author))
    # Day only: a finer time could de-anonymise the worker.
    created_day: Mapped[date] = mapped_column(Date)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    # Whether a caseworker of the partner has opened this entry: a flag, no day and no time (when a
    # caseworker read a follow-up says nothing the worker needs kept). The caseworkers' own
    # entries are seen from the start; a worker's stay unseen until the desk marks them.
    seen_by_partner: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    case: Mapped[Case] = relationship(back_populates="entries", lazy="raise_on_sql")
    wraps: Mapped[list[Wrap]] = relationship(
        back_populates="entry",
        order_by="Wrap.key_id",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="selectin",
    )

    def __repr__(self) -> str:
        return f"CaseEntry(id={self.id!r}, seq={self.seq!r}, purpose={self.purpose!r})"


class Wrap(Base):
    """An entry's data key sealed to one recipient key; rotation replaces wraps, never bodies."""

    __tablename__ = "wraps"

    entry_id: Mapped[str] = mapped_column(
        ForeignKey("case_entries.id", ondelete="CASCADE"), primary_key=True
    )
    # Indexed: re-wrapping after a rotation looks entries up by the old key.
    key_id: Mapped[str] = mapped_column(String(KEY_ID_LENGTH), primary_key=True, index=True)
    sealed_key: Mapped[bytes] = mapped_column(LargeBinary)

    entry: Mapped[CaseEntry] = relationship(back_populates="wraps", lazy="raise_on_sql")


class CaseworkerCredential(Base):
    """An API credential that reaches one partner's queue; only a hash of the token is kept."""

    __tablename__ = "caseworker_credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    label: Mapped[str] = mapped_column(String(NAME_MAX_LENGTH), default="")
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(TOKEN_HASH_BYTES), unique=True)
    role: Mapped[CredentialRole] = mapped_column(
        EnumString(CredentialRole),
        default=CredentialRole.TRIAGE,
        server_default=CredentialRole.TRIAGE.value,
    )
    # Day only: when a credential was issued or revoked needs no finer time.
    created_day: Mapped[date] = mapped_column(Date)
    revoked_day: Mapped[date | None] = mapped_column(Date)

    partner: Mapped[Partner] = relationship(lazy="selectin")

    def __repr__(self) -> str:
        return f"CaseworkerCredential(id={self.id!r}, partner_id={self.partner_id!r})"


class AuditEvent(Base):
    """An administrative action (who did what to which partner/key/site): never report content."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Day only: audit times could be correlated with a worker's report if finer.
    day: Mapped[date] = mapped_column(Date)
    actor: Mapped[str] = mapped_column(String(AUDIT_FIELD_LENGTH))
    action: Mapped[str] = mapped_column(String(AUDIT_FIELD_LENGTH))
    subject: Mapped[str | None] = mapped_column(String(AUDIT_SUBJECT_LENGTH))


class Setting(Base):
    """A per-deployment value created once, e.g. the receipt salt."""

    __tablename__ = "settings"

    name: Mapped[str] = mapped_column(String(SETTING_NAME_LENGTH), primary_key=True)
    value: Mapped[bytes] = mapped_column(LargeBinary)
