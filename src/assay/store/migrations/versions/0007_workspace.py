"""workspace: history of submitted annotations (annotation_revisions)

Revision ID: 0007_workspace
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_workspace"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "annotation_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("annotation_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("annotation_revision", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("active_seconds", sa.Float(), nullable=False),
        sa.Column("submission_id", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["annotation_id"], ["annotations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["record_id"], ["records.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "submission_id", name="uq_annotation_revisions_submission"),
    )
    op.create_index("ix_annotation_revisions_annotation", "annotation_revisions", ["annotation_id", "number"])
    op.create_index("ix_annotation_revisions_user", "annotation_revisions", ["project_id", "user_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_annotation_revisions_user", table_name="annotation_revisions")
    op.drop_index("ix_annotation_revisions_annotation", table_name="annotation_revisions")
    op.drop_table("annotation_revisions")
