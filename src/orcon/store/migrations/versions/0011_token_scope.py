"""API tokens may be read-only

A token kept by a collector that only reads (a SIEM polling the ledger's events, a
partner's script fetching its copies) could also halt partners or share items if it
leaked. A read-only token may use the API's reading (GET) calls only. Tokens made
before this revision keep full access, as before.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(
            sa.Column("scope", sa.String(length=10), nullable=False, server_default="full")
        )


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("scope")
