"""Pretend the schema is at another revision, then put it back (PostgreSQL is shared by tests)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

from pds.db import Database
from pds.migrate import current_revision


@contextmanager
def schema_version(db: Database, revision: str | None) -> Iterator[None]:
    original = current_revision(db)
    _set(db, revision)
    try:
        yield
    finally:
        _set(db, original)


def _set(db: Database, revision: str | None) -> None:
    with db.write() as conn:
        conn.execute(text("DELETE FROM alembic_version"))
        if revision is not None:
            conn.execute(
                text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": revision}
            )
