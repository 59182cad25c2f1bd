"""Mail that could not be sent yet

A notice of a moved embargo, or a leak alert, that the mail server did not take was
reported once and lost. It now waits in the outbox and is tried again, with a growing
pause, until it is sent or an administrator drops it.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    ts = sa.DateTime(timezone=True)
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=10), nullable=False),
        sa.Column("about", sa.String(length=10), nullable=False),
        sa.Column("to_addr", sa.String(length=2000), nullable=False),
        sa.Column("item_id", sa.String(length=40), nullable=True),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("was", sa.Text(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("queued_at", ts, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_try_at", ts, nullable=False),
        sa.Column("claimed_until", ts, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("mail_outbox")
