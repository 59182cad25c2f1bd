"""items remember the law their code's biases were drawn from

New binary codes draw their biases from Nuida et al.'s discrete law; items
shared before this revision were drawn from the arcsine law. The law shapes
every codeword, so an item keeps the one it was made with or its copies could
not be traced.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # As in 0004: a plain ADD COLUMN plus backfill (no table rebuild on SQLite).
    op.add_column("items", sa.Column("code_bias", sa.String(32), nullable=True))
    op.execute("UPDATE items SET code_bias = 'arcsine'")


def downgrade() -> None:
    op.execute("ALTER TABLE items DROP COLUMN code_bias")
