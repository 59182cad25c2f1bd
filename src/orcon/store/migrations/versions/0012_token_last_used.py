"""When each API token was last used

An administrator tidying tokens needs to see which one a forgotten script still
uses and which nobody has used for months. Recorded at most once every ten
minutes per token, so a busy collector does not write on every call. Tokens
used before this revision show no time until their next use.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "api_tokens", sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("last_used_at")
