"""refresh token scope

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The table as this revision knows it, not the model: later changes must not alter this step.
_tokens = sa.table(
    'oauth_tokens',
    sa.column('scope', sa.Text()),
    sa.column('refresh_scope', sa.Text()),
    sa.column('refresh_hash', sa.LargeBinary(length=32)),
)


def upgrade() -> None:
    # A refresh request's `scope` narrows only the access token (RFC 6749 §6); the refresh token
    # keeps its own scopes. NULL where the row has no refresh token.
    with op.batch_alter_table('oauth_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refresh_scope', sa.Text(), nullable=True))
    # Rows issued before this had one scope for both tokens: the refresh token's is that one.
    op.execute(
        _tokens.update()
        .where(_tokens.c.refresh_hash.is_not(None))
        .values(refresh_scope=_tokens.c.scope)
    )


def downgrade() -> None:
    with op.batch_alter_table('oauth_tokens', schema=None) as batch_op:
        batch_op.drop_column('refresh_scope')
