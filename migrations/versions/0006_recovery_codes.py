"""recovery codes

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 13:50:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable: accounts made before this have no recovery code until they make one.
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recovery_hash', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_column('recovery_hash')
