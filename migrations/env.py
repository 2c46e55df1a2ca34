"""Alembic environment: runs on the connection `pds migrate` hands in, or on the configured URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

# Importing the table modules registers their tables on the shared metadata.
import consent.audit.models
import consent.grants
import consent.organisations
import consent.receipt_tables
import consent.registration
import consent.tokens  # noqa: F401
import pds.people.models
import pds.records.models  # noqa: F401
from consent.storage import metadata

target_metadata = metadata
config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite://")
    with engine.begin() as conn:
        _run(conn)
