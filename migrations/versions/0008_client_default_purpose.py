"""client default purpose

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 21:50:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The purpose a client registered (a DPV term), for authorization requests that state none:
    # a stock OAuth client then needs no parameter the discovery document cannot tell it.
    with op.batch_alter_table('oauth_clients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('default_purpose', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('oauth_clients', schema=None) as batch_op:
        batch_op.drop_column('default_purpose')
