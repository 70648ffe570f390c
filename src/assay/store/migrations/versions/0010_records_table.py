"""records table (the data manager): records.queued (a lead took the record out of the queue) and the
indexes its filters, sorts and deep pages use

Revision ID: 0010_records_table
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_records_table"
down_revision = "0001"
branch_labels = None
depends_on = None

INDEXES = [
    ("records", "ix_records_table_id", ["project_id", "id"]),
    ("records", "ix_records_table_priority", ["project_id", "priority", "id"]),
    ("records", "ix_records_table_submitted", ["project_id", "submitted_count", "id"]),
    ("annotations", "ix_annotations_table_user", ["project_id", "user_id", "status", "record_id"]),
    ("assignments", "ix_assignments_table_status", ["project_id", "status", "record_id"]),
]


def upgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.add_column(sa.Column("queued", sa.Boolean(), nullable=False, server_default=sa.true()))
    for table, name, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for table, name, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    with op.batch_alter_table("records") as batch:
        batch.drop_column("queued")
