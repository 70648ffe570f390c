"""dataset owners: the project that owns each dataset (NULL: site-wide); no row: site-wide

Revision ID: 0009_dataset_owners
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_dataset_owners"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dataset_owners",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_index("ix_dataset_owners_project_id", "dataset_owners", ["project_id"])


def downgrade() -> None:
    op.drop_index("ix_dataset_owners_project_id", table_name="dataset_owners")
    op.drop_table("dataset_owners")
