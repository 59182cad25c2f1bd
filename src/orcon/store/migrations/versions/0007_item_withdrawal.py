"""items can be withdrawn by the originator

An item shared by mistake, or overtaken by events, must stop reaching anyone at
once, before any expiry it was given. Withdrawal is kept on the item (since
when, why) and never deletes it: its copies stay on record and traceable.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # As in 0004: plain ADD COLUMN; both stay empty for every item not withdrawn.
    op.add_column("items", sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("items", sa.Column("withdraw_reason", sa.String(500), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE items DROP COLUMN withdraw_reason")
    op.execute("ALTER TABLE items DROP COLUMN withdrawn_at")
