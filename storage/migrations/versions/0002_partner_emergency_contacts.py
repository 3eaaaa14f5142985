"""Partners' emergency contacts, shown at once to a worker who reports immediate danger.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("partners") as batch:
        batch.add_column(
            sa.Column(
                "emergency_contacts", sa.String(length=1000), nullable=False, server_default=""
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("partners") as batch:
        batch.drop_column("emergency_contacts")
