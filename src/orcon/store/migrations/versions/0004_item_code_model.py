"""items remember their code's bias cutoff and, for text, their wording sites

Items shared before this revision were made with Tardos' cutoff 1/(300c); the
default for new binary codes is 1/(30c). The cutoff shapes every codeword, so
an item must keep the one it was made with or its copies could not be traced.
For the same reason a text item now keeps its sites (sealed under its key), so
that later lexicon changes do not change the sites of what was already shared;
text items shared before this revision are parsed with the current rules.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE on both back ends: SQLite's batch mode would rebuild the
    # table, which its foreign keys forbid. The column stays nullable in the
    # schema; every row has a value after the backfill and new rows always set it.
    op.add_column("items", sa.Column("code_cutoff", sa.Float(), nullable=True))
    op.execute("UPDATE items SET code_cutoff = 1.0 / (300.0 * code_c)")
    op.add_column("items", sa.Column("text_model", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE items DROP COLUMN text_model")
    op.execute("ALTER TABLE items DROP COLUMN code_cutoff")
