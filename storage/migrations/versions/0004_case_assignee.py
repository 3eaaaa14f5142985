"""Assignment of a case to one caseworker credential of its partner (or to nobody).

``cases.assignee_credential_id`` is nullable and points at ``caseworker_credentials``: which of the
partner's credentials looks after the case. It names no worker and carries no day; existing cases
start unassigned. Deleting a credential row (never done today: credentials are revoked) would
leave its cases unassigned rather than fail.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("assignee_credential_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_cases_assignee_credential_id_caseworker_credentials",
            "caseworker_credentials",
            ["assignee_credential_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_constraint(
            "fk_cases_assignee_credential_id_caseworker_credentials", type_="foreignkey"
        )
        batch.drop_column("assignee_credential_id")
