"""The database: one synchronous SQLAlchemy engine, read and write transactions.

SQLite (the embedded default) runs in WAL mode with `synchronous=NORMAL`: a crash can lose the
last few committed transactions on power loss but never corrupts the file; FULL costs 15-28% of
write throughput here. Writers take `BEGIN IMMEDIATE` and are serialised inside the process by a
lock, because SQLite's own busy-retry sleeps give second-long tail latencies under contention.
PostgreSQL needs neither.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import anyio.to_thread
import structlog
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from pds.group_commit import DeferredWrites, GroupCommit, PostgresEarlyRelease
from pds.wal_checkpoints import AUTOCHECKPOINT_PAGES, WalCheckpointer

_WRITE_OPTION = "pds_write"
log = structlog.get_logger("pds.db")
P = ParamSpec("P")
T = TypeVar("T")


class Database:
    """Owns the engine; hands out one connection per transaction."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        parsed = make_url(url)
        self.url = url
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite:
            self.engine = _sqlite_engine(url, echo=echo)
        else:
            self.engine = create_engine(
                url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20
            )
        self._write_lock: threading.Lock | None = threading.Lock() if self.is_sqlite else None
        self._writer: Connection | None = None
        # SQLite's writers take turns anyway, and its commits cost no fsync: no groups there.
        self._group = (
            None
            if self.is_sqlite
            else GroupCommit(self._write_connection, early_release=PostgresEarlyRelease())
        )
        self._checkpointer = WalCheckpointer(self.engine) if self.is_sqlite else None

    def defer_in_groups(self, deferred: DeferredWrites) -> None:
        """Group commits hold these writes (the audit log's) back to the group's end."""
        if self._group is not None:
            self._group.deferred = deferred

    def start_background(self) -> None:
        """While serving: SQLite checkpoints in a thread of their own (pds.wal_checkpoints);
        PostgreSQL's group commits release their locks early only if this role can wait for
        the flush the way pds.group_commit does (a hardened server may have revoked it)."""
        if self._checkpointer is not None:
            self._checkpointer.start()
        if self._group is not None and not self._may_release_early():
            self._group.early_release = None

    def _may_release_early(self) -> bool:
        try:
            with self.read() as conn:
                allowed = PostgresEarlyRelease.allowed(conn)
        except DBAPIError:
            return True  # the database is away; the first group commit will say so
        if not allowed:
            log.warning(
                "group_commit_holds_lock_through_flush",
                reason="this role may not execute pg_logical_emit_message (docs/deployment.md)",
            )
        return allowed

    def stop_background(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction (deferred on SQLite, so readers never wait for writers)."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction: commits on success, rolls back on any exception."""
        if self._write_lock is None:
            with self._write_connection() as conn, conn.begin():
                yield conn
            return
        with self._write_lock:
            conn = self._sqlite_writer()
            try:
                with conn.begin():
                    yield conn
            except BaseException:
                self._drop_writer_if_left_open(conn)
                raise

    @contextmanager
    def _write_connection(self) -> Iterator[Connection]:
        """A PostgreSQL connection for writes (group commits begin and commit it themselves)."""
        with self.engine.connect() as conn:
            conn.execution_options(**{_WRITE_OPTION: True})
            yield conn

    def _sqlite_writer(self) -> Connection:
        """SQLite's one writer connection, kept open: its writers take turns under the lock
        anyway, and a pool checkout and return cost the NGO fetch (one write each) ~70 µs."""
        conn = self._writer
        if conn is None or conn.closed or conn.invalidated:
            if conn is not None:
                conn.close()
            conn = self._writer = self.engine.connect()
            conn.execution_options(**{_WRITE_OPTION: True})
        return conn

    def _drop_writer_if_left_open(self, conn: Connection) -> None:
        """After a failed COMMIT SQLAlchemy skips its ROLLBACK, and SQLite may still be inside
        the transaction (a deferred constraint, SQLITE_BUSY): a pooled connection was rolled
        back on its way back to the pool; the kept one is closed instead, which rolls back and
        releases SQLite's write lock, and the next write opens a new one."""
        try:
            left_open = conn.invalidated or conn.connection.dbapi_connection.in_transaction  # type: ignore[union-attr]
        except Exception:
            left_open = True
        if left_open:
            self._writer = None
            if not conn.closed:
                conn.invalidate()

    def write_grouped(self, work: Callable[[Connection], T]) -> T:
        """`work(conn)` in a write transaction that may be shared with concurrent callers.

        PostgreSQL: group commit (see pds.group_commit), so concurrent audited actions share
        one durable commit. SQLite: its own transaction (its writers are serialised anyway and
        a commit costs no fsync with synchronous=NORMAL).
        """
        if self._group is None:
            with self.write() as conn:
                return work(conn)
        return self._group.run(work)

    async def write_grouped_async(self, work: Callable[[Connection], T]) -> T:
        """`write_grouped` for a caller on the event loop: SQLite runs it there (`run_hot`);
        PostgreSQL queues it for its group's leader thread, and no thread waits per caller."""
        if self._group is None:
            return await self.run_hot(self.write_grouped, work)
        return await self._group.run_async(work)

    def dispose(self) -> None:
        # The writer may be mid-transaction in another thread (a sweep outliving shutdown's
        # grace period): close it only once it is free, or leave it to the process's end.
        lock = self._write_lock
        if lock is not None and lock.acquire(timeout=10):
            try:
                writer, self._writer = self._writer, None
                if writer is not None:
                    writer.close()
            finally:
                lock.release()
        if self._group is not None:
            self._group.close()
        self.engine.dispose()

    async def run_hot(self, work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a hot path's blocking work: on the event loop for SQLite, in a thread otherwise.

        Measured here: a local SQLite call on the loop is about 2x faster than the thread hop
        (~0.4 ms of GIL hand-offs); a network database call must never block the loop.
        """
        lock = self._write_lock
        if lock is not None and not lock.locked():
            return work(*args, **kwargs)
        # PostgreSQL, or another thread is writing (a sweep, a prune, an erasure): wait for it
        # in a thread, never on the event loop.
        return await anyio.to_thread.run_sync(partial(work, *args, **kwargs))


def _sqlite_engine(url: str, *, echo: bool) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, echo=echo, connect_args={"check_same_thread": False}, pool_use_lifo=True
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module so BEGIN is ours to emit.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "foreign_keys=ON",
            "busy_timeout=5000",
            # 32 MiB of page cache (default 2 MiB): the random-key indexes the hot path reads
            # and appends to (records, data keys, audit subjects) stay cached as tables grow.
            "cache_size=-32768",
            # Checkpoints run in a thread while serving; this only bounds the WAL without it.
            f"wal_autocheckpoint={AUTOCHECKPOINT_PAGES}",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(_WRITE_OPTION, False)
        # Straight to the driver: every transaction starts here, and SQLAlchemy's statement
        # machinery would cost more than SQLite's BEGIN itself.
        conn.connection.dbapi_connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")  # type: ignore[union-attr]

    return engine
