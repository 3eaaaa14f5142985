"""Initial schema: partners, keys, sites, cases, entries, wraps, credentials, audit, settings.

Revision ID: 0001
Revises:

Hand-checked against storage.models. Statuses are plain strings (no native enum, no CHECK) so that
adding a value needs no migration. Every date is a DATE: a finer time could de-anonymise a worker.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# StrEnum columns (statuses, purpose, author) as plain strings.
ENUM_VALUE = sa.String(length=32)
ACTIVE_ONLY = "status = 'active'"


def upgrade() -> None:
    op.create_table(
        "partners",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partners")),
        sa.UniqueConstraint("slug", name=op.f("uq_partners_slug")),
    )
    op.create_table(
        "partner_countries",
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_partner_countries_partner_id_partners")
        ),
        sa.PrimaryKeyConstraint("country", name=op.f("pk_partner_countries")),
    )
    op.create_index(
        op.f("ix_partner_countries_partner_id"), "partner_countries", ["partner_id"], unique=False
    )
    op.create_table(
        "partner_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("public_key", sa.LargeBinary(length=32), nullable=False),
        sa.Column("status", ENUM_VALUE, nullable=False),
        sa.Column("statement_day", sa.Date(), nullable=False),
        sa.Column("signature", sa.LargeBinary(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_partner_keys_partner_id_partners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_keys")),
        sa.UniqueConstraint("key_id", name=op.f("uq_partner_keys_key_id")),
    )
    # At most one active key per partner, enforced by the database.
    op.create_index(
        "uq_partner_keys_one_active",
        "partner_keys",
        ["partner_id"],
        unique=True,
        sqlite_where=sa.text(ACTIVE_ONLY),
        postgresql_where=sa.text(ACTIVE_ONLY),
    )
    op.create_table(
        "sites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_sites_partner_id_partners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sites")),
        sa.UniqueConstraint("slug", name=op.f("uq_sites_slug")),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("status", ENUM_VALUE, nullable=False),
        sa.Column("created_day", sa.Date(), nullable=False),
        sa.Column("updated_day", sa.Date(), nullable=False),
        sa.Column("worker_public_key", sa.LargeBinary(length=32), nullable=False),
        sa.Column("lookup_id", sa.LargeBinary(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_cases_partner_id_partners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("lookup_id", name=op.f("uq_cases_lookup_id")),
    )
    op.create_index(op.f("ix_cases_partner_id"), "cases", ["partner_id"], unique=False)
    op.create_table(
        "case_entries",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=16), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("purpose", ENUM_VALUE, nullable=False),
        sa.Column("author", ENUM_VALUE, nullable=False),
        sa.Column("created_day", sa.Date(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_entries_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_entries")),
        sa.UniqueConstraint("case_id", "seq", name=op.f("uq_case_entries_case_id_seq")),
    )
    op.create_table(
        "wraps",
        sa.Column("entry_id", sa.String(length=32), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("sealed_key", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["case_entries.id"],
            name=op.f("fk_wraps_entry_id_case_entries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("entry_id", "key_id", name=op.f("pk_wraps")),
    )
    op.create_index(op.f("ix_wraps_key_id"), "wraps", ["key_id"], unique=False)
    op.create_table(
        "caseworker_credentials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("created_day", sa.Date(), nullable=False),
        sa.Column("revoked_day", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_caseworker_credentials_partner_id_partners"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_caseworker_credentials")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_caseworker_credentials_token_hash")),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_table(
        "settings",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_settings")),
    )


def downgrade() -> None:
    op.drop_table("settings")
    op.drop_table("audit_events")
    op.drop_table("caseworker_credentials")
    op.drop_index(op.f("ix_wraps_key_id"), table_name="wraps")
    op.drop_table("wraps")
    op.drop_table("case_entries")
    op.drop_index(op.f("ix_cases_partner_id"), table_name="cases")
    op.drop_table("cases")
    op.drop_table("sites")
    op.drop_index("uq_partner_keys_one_active", table_name="partner_keys")
    op.drop_table("partner_keys")
    op.drop_index(op.f("ix_partner_countries_partner_id"), table_name="partner_countries")
    op.drop_table("partner_countries")
    op.drop_table("partners")
