"""Alembic environment: runs migrations against the URL Assay passes in `config.attributes`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from assay.store.tables import Base, import_all_tables

import_all_tables()

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    from assay.store.engine import make_null_pool_engine

    engine = make_null_pool_engine(context.config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _run(conn)
else:
    _run(connection)
