"""authoring: model endpoints, authoring tasks and trees, red-team attempts, fact-checks

Revision ID: 0006_authoring
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_authoring"
down_revision = "0001"
branch_labels = None
depends_on = None


def _ts(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "model_endpoints",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=120), nullable=False, unique=True),
        sa.Column("base_url", sa.String(length=500), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("sampling", sa.JSON(), nullable=False),
        sa.Column("key_encrypted", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        _ts("created_at"), _ts("updated_at"),
    )
    op.create_table(
        "authoring_tasks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("category", sa.String(length=120), nullable=False),
        sa.Column("difficulty", sa.String(length=120), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
        _ts("created_at"), _ts("updated_at"),
    )
    op.create_index("ix_authoring_tasks_user", "authoring_tasks", ["project_id", "user_id"])
    op.create_table(
        "authoring_nodes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("task_id", sa.Integer(), sa.ForeignKey("authoring_tasks.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("parent_id", sa.Integer(), sa.ForeignKey("authoring_nodes.id", ondelete="CASCADE"),
                  nullable=True),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("original", sa.Text(), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("endpoint_id", sa.Integer(), sa.ForeignKey("model_endpoints.id", ondelete="SET NULL"),
                  nullable=True),
        sa.Column("chosen", sa.Boolean(), nullable=False),
        sa.Column("record_id", sa.Integer(), sa.ForeignKey("records.id", ondelete="SET NULL"), nullable=True),
        sa.Column("metadata", sa.JSON(), nullable=False),
        _ts("created_at"),
    )
    op.create_index("ix_authoring_nodes_task_id", "authoring_nodes", ["task_id"])
    op.create_table(
        "redteam_attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("task_id", sa.Integer(), sa.ForeignKey("authoring_tasks.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("node_id", sa.Integer(), sa.ForeignKey("authoring_nodes.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("attack_category", sa.String(length=120), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("harm_category", sa.String(length=120), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("safe_reply", sa.Text(), nullable=False),
        sa.Column("record_id", sa.Integer(), sa.ForeignKey("records.id", ondelete="SET NULL"), nullable=True),
        _ts("created_at"),
    )
    op.create_index("ix_redteam_attempts_task_id", "redteam_attempts", ["task_id"])
    op.create_table(
        "fact_checks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
        sa.Column("record_id", sa.Integer(), sa.ForeignKey("records.id", ondelete="CASCADE"), nullable=False),
        sa.Column("completion", sa.Integer(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("claim", sa.Text(), nullable=False),
        sa.Column("verdict", sa.String(length=20), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("correction", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        _ts("created_at"),
    )
    op.create_index("ix_fact_checks_record", "fact_checks", ["project_id", "record_id"])


def downgrade() -> None:
    op.drop_index("ix_fact_checks_record", table_name="fact_checks")
    op.drop_table("fact_checks")
    op.drop_index("ix_redteam_attempts_task_id", table_name="redteam_attempts")
    op.drop_table("redteam_attempts")
    op.drop_index("ix_authoring_nodes_task_id", table_name="authoring_nodes")
    op.drop_table("authoring_nodes")
    op.drop_index("ix_authoring_tasks_user", table_name="authoring_tasks")
    op.drop_table("authoring_tasks")
    op.drop_table("model_endpoints")
