"""people can be suspended one by one

Halting stops a whole partner organisation; once a trace names the person
whose copy leaked, the originator needs to stop that person only. The
suspension is kept on the person (since when, why), never by deleting them:
their issued copies stay on record and stay traceable.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # As in 0004: plain ADD COLUMN (no table rebuild on SQLite); both stay empty for
    # everyone who is not suspended.
    op.add_column("people", sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("people", sa.Column("suspend_reason", sa.String(500), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE people DROP COLUMN suspend_reason")
    op.execute("ALTER TABLE people DROP COLUMN suspended_at")
