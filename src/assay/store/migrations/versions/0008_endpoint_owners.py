"""model endpoint owners: a project for per-project endpoints (NULL: site-wide, admins'), and the base URL
the stored key was entered for

Revision ID: 0008_endpoint_owners
Revises: 0006_authoring
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_endpoint_owners"
down_revision = "0006_authoring"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("model_endpoints") as batch:
        batch.add_column(sa.Column("project_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("key_base_url", sa.String(500), nullable=False, server_default=""))
        batch.create_foreign_key("fk_model_endpoints_project", "projects", ["project_id"], ["id"],
                                 ondelete="CASCADE")
    # existing endpoints become site-wide (admins'); their keys stay bound to the URL they have now
    op.execute("UPDATE model_endpoints SET key_base_url = base_url WHERE key_encrypted <> ''")


def downgrade() -> None:
    with op.batch_alter_table("model_endpoints") as batch:
        batch.drop_constraint("fk_model_endpoints_project", type_="foreignkey")
        batch.drop_column("key_base_url")
        batch.drop_column("project_id")
