"""Hot-path statements: a Core construct compiled once per dialect, run on the DBAPI cursor.

SQLAlchemy's execution machinery (cache lookup, parameter processing, result wrapping) costs tens
of microseconds a statement, more than SQLite itself takes to answer an indexed lookup. A hot
path compiles its statement once and hands the driver raw values instead, inside the same
transaction as everything else on the connection. Raw means raw: no type processing, so
timestamps go in and come out as epoch microseconds (`consent.storage.to_micros`). Driver errors
are translated as SQLAlchemy translates them (DBAPIError, a lost connection invalidated), so the
service's error handling sees the same exceptions either way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Dialect
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler


class _Compiled:
    __slots__ = ("defaults", "names", "positional", "sql")

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        self.sql = compiled.string
        self.positional = compiled.positiontup is not None
        self.names: Sequence[str] = tuple(compiled.positiontup or ())
        # Literal values written into the construct (e.g. state == 'active') become parameters.
        self.defaults: Mapping[str, Any] = {
            name: value for name, value in compiled.params.items() if value is not None
        }

    def parameters(self, given: Mapping[str, Any]) -> Sequence[Any] | Mapping[str, Any]:
        merged = {**self.defaults, **given}
        if self.positional:
            return tuple(merged[name] for name in self.names)
        return merged


class DriverStatement:
    """One statement, compiled on first use per dialect; rows come back as plain tuples."""

    __slots__ = ("_by_dialect", "statement")

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._by_dialect: dict[str, _Compiled] = {}

    def _compiled(self, dialect: Dialect) -> _Compiled:
        compiled = self._by_dialect.get(dialect.name)
        if compiled is None:
            compiled = self._by_dialect[dialect.name] = _Compiled(self.statement, dialect)
        return compiled

    def sql(self, dialect: Dialect) -> str:
        return self._compiled(dialect).sql

    def _run(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        compiled = self._compiled(conn.dialect)
        parameters = compiled.parameters(params)
        cursor = conn.connection.cursor()
        try:
            cursor.execute(compiled.sql, parameters)
        except conn.dialect.loaded_dbapi.Error as exc:
            cursor.close()
            raise _translated(conn, compiled.sql, exc) from exc
        return cursor

    def first(self, conn: Connection, **params: Any) -> tuple[Any, ...] | None:
        cursor = self._run(conn, params)
        try:
            row: tuple[Any, ...] | None = cursor.fetchone()
        finally:
            cursor.close()
        return row

    def all(self, conn: Connection, **params: Any) -> list[tuple[Any, ...]]:
        cursor = self._run(conn, params)
        try:
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def execute(self, conn: Connection, **params: Any) -> int:
        """Run a write; returns the driver's rowcount."""
        cursor = self._run(conn, params)
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def execute_many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run a write once per row in one driver call (psycopg pipelines it: one round trip)."""
        compiled = self._compiled(conn.dialect)
        parameters: Any = [compiled.parameters(row) for row in rows]  # all one kind, per dialect
        cursor = conn.connection.cursor()
        try:
            cursor.executemany(compiled.sql, parameters)
        except conn.dialect.loaded_dbapi.Error as exc:
            raise _translated(conn, compiled.sql, exc) from exc
        finally:
            cursor.close()


def _translated(conn: Connection, sql: str, exc: Any) -> StatementError:
    dialect = conn.dialect
    lost = dialect.is_disconnect(exc, conn.connection.dbapi_connection, None)
    if lost:
        conn.invalidate(exc)
    translated: StatementError = DBAPIError.instance(
        sql,
        None,
        exc,
        dialect.loaded_dbapi.Error,
        hide_parameters=True,  # parameters are token hashes and ciphertexts: never in a log
        connection_invalidated=lost,
        dialect=dialect,
    )
    return translated
