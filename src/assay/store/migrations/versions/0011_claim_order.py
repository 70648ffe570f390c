"""claim order: records.queue_taken (submitted + leased while below the project's k, NULL once full) and the
partial index the claim reads in its order, so a claim costs the same however many records are open

Revision ID: 0011_claim_order
Revises: 0010_records_table
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_claim_order"
down_revision = "0010_records_table"
branch_labels = None
depends_on = None

# every record's key from its counters and its project's k (the same rule as `assay.store.slots`)
BACKFILL = """
UPDATE records SET queue_taken = CASE
    WHEN submitted_count + leased_count
         < (SELECT projects.annotators_per_record FROM projects WHERE projects.id = records.project_id)
    THEN submitted_count + leased_count END
"""
WITH_ROOM = sa.text("queue_taken IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.add_column(sa.Column("queue_taken", sa.Integer(), nullable=True, server_default="0"))
    op.execute(BACKFILL)
    op.create_index("ix_records_claim", "records",
                    ["project_id", "is_gold", "queued", sa.text("priority DESC"), sa.text("queue_taken DESC"), "id"],
                    postgresql_where=WITH_ROOM, sqlite_where=WITH_ROOM)


def downgrade() -> None:
    op.drop_index("ix_records_claim", table_name="records")
    with op.batch_alter_table("records") as batch:
        batch.drop_column("queue_taken")
