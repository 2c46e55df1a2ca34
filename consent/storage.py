"""Column types and table metadata shared by every package that stores rows.

It lives in `consent` (the lowest layer that touches a database) so that both `consent` and
`pds` can use it without `consent` importing `pds`.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import BigInteger, Connection, Dialect, MetaData, String
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


def new_id() -> str:
    """A fresh random identifier (UUID4 text)."""
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_micros(moment: datetime) -> int:
    """Epoch microseconds: how every timestamp is stored, so raw SQL compares integers."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: timestamps must carry a timezone")
    return int(moment.timestamp() * 1_000_000)


def from_micros(micros: int) -> datetime:
    return datetime.fromtimestamp(micros / 1_000_000, tz=UTC)


class Timestamp(TypeDecorator[datetime]):
    """An aware UTC datetime stored as epoch microseconds (portable, index-friendly)."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> int | None:
        return None if value is None else to_micros(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else from_micros(int(value))


def id_column_type() -> String:
    return String(36)


T = TypeVar("T")


class Transactions(Protocol):
    """What `consent` needs of a database: read and write transactions (pds.db.Database is one).

    A write transaction must never be opened while the same thread holds another one.
    """

    def read(self) -> AbstractContextManager[Connection]: ...

    def write(self) -> AbstractContextManager[Connection]: ...

    def run_hot(self, work: Callable[[], T]) -> Awaitable[T]:
        """Await blocking database work from async code: inline where that is cheaper (SQLite)."""
        ...
