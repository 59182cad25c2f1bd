"""When an item's markings last changed

Every item page lists the item's changes of markings, and the leak watch asks what an
item's markings were when an article appeared; both read the ledger's item.remarked
events, which means a scan of the whole log. Most items are never re-marked: with the
time of the last change on the item, they need no scan at all. The upgrade reads it
off the ledger for items already re-marked.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "items", sa.Column("markings_changed_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.execute(
        "UPDATE items SET markings_changed_at = (SELECT MAX(e.created_at) FROM ledger_entries e "
        "WHERE e.kind = 'item.remarked' AND e.body LIKE '%\"item\":\"' || items.id || '\"%')"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE items DROP COLUMN markings_changed_at")
