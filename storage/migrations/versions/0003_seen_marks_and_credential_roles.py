"""Which of a worker's entries the partner has opened; what each caseworker credential may do.

``case_entries.seen_by_partner`` is a flag, no day: the desk lists cases whose worker added
something nobody at the partner has opened yet. Existing rows: a caseworker's own entries are seen;
a worker's entry is taken as seen when a caseworker wrote in the case after it (they had the case
open to do so); every other worker entry starts unseen, so a follow-up nobody opened before this
upgrade is flagged once rather than silently taken as read.

``caseworker_credentials.role``: ``triage`` (everything but purging) or ``lead`` (purging too).
Existing credentials become ``triage``: the desk has no purge command, so no caseworker loses a
step they take today, and a token on a lost laptop can no longer delete cases for good; an
administrator issues a ``lead`` credential to whoever must purge.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("case_entries") as batch:
        batch.add_column(
            sa.Column("seen_by_partner", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("caseworker_credentials") as batch:
        batch.add_column(
            sa.Column("role", sa.String(length=32), nullable=False, server_default="triage")
        )
    op.execute(
        sa.text(
            "UPDATE case_entries SET seen_by_partner = :seen"
            " WHERE author = 'caseworker' OR seq < ("
            "   SELECT MAX(later.seq) FROM case_entries AS later"
            "   WHERE later.case_id = case_entries.case_id AND later.author = 'caseworker')"
        ).bindparams(seen=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("caseworker_credentials") as batch:
        batch.drop_column("role")
    with op.batch_alter_table("case_entries") as batch:
        batch.drop_column("seen_by_partner")
