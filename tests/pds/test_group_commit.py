"""Group commit: concurrent callers share one transaction, each part in its own savepoint; with
an early release, a group's locks go at its commit and its callers wait for the disk."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Connection, text

from pds.db import Database
from pds.group_commit import GroupCommit
from tests.conftest import POSTGRES_URL


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """Both engines: on PostgreSQL a failed statement aborts the transaction until rolled back."""
    database = Database(database_url)
    with database.write() as conn:
        conn.execute(text("DROP TABLE IF EXISTS t"))
        conn.execute(text("CREATE TABLE t (n INTEGER PRIMARY KEY)"))
    yield database
    with database.write() as conn:
        conn.execute(text("DROP TABLE t"))
    database.dispose()


def _count(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(text("SELECT count(*) FROM t")).scalar_one())


def _insert(n: int) -> Any:
    def work(conn: Connection) -> int:
        conn.execute(text("INSERT INTO t (n) VALUES (:n)"), {"n": n})
        return n

    return work


def test_concurrent_callers_commit_together_and_a_failure_stays_its_own(db: Database) -> None:
    connections = 0

    @contextmanager
    def counted() -> Iterator[Connection]:
        nonlocal connections
        with db.engine.connect() as conn:
            yield conn
        connections += 1

    group = GroupCommit(counted)
    results: dict[int, object] = {}

    def insert(n: int) -> None:
        try:
            results[n] = group.run(_insert(n % 40))
        except Exception as exc:  # the duplicates: n and n + 40 collide
            results[n] = exc

    threads = [threading.Thread(target=insert, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    failures = [n for n, outcome in results.items() if isinstance(outcome, Exception)]
    assert len(results) == 50 and len(failures) == 10
    assert _count(db) == 40  # every caller's own part committed, the duplicates rolled back
    assert connections <= 50


class _FailingDeferred:
    """The group's held-back writes fail at its end, so its transaction fails as a whole."""

    @contextmanager
    def deferring(self, conn: Connection) -> Iterator[list[Any]]:
        yield []
        raise RuntimeError("commit failed")


def test_a_failed_commit_fails_every_caller_of_the_group(db: Database) -> None:
    group = GroupCommit(db.engine.connect, _FailingDeferred())
    with pytest.raises(RuntimeError, match="commit failed"):
        group.run(_insert(1))
    assert _count(db) == 0


class _GatedRelease:
    """The first group settles only once a later group has committed: a group commit that
    waited for the disk before handing over the lead would never let that happen."""

    def __init__(self) -> None:
        self.first_settling = threading.Event()
        self.later_group_settled = threading.Event()
        self.first_saw_it = False

    def relax(self, conn: Connection) -> None:
        pass

    def settle(self, conn: Connection) -> None:
        if not self.first_settling.is_set():
            self.first_settling.set()
            self.first_saw_it = self.later_group_settled.wait(timeout=10)
        else:
            self.later_group_settled.set()


def test_the_next_group_goes_ahead_while_a_group_waits_for_the_disk(db: Database) -> None:
    release = _GatedRelease()
    group = GroupCommit(db.engine.connect, early_release=release)
    first = threading.Thread(target=group.run, args=(_insert(1),))
    first.start()
    assert release.first_settling.wait(timeout=10)  # committed, now waiting for the disk
    assert group.run(_insert(2)) == 2
    first.join(timeout=15)
    assert release.first_saw_it
    assert _count(db) == 2


class _UnsettledRelease:
    def relax(self, conn: Connection) -> None:
        pass

    def settle(self, conn: Connection) -> None:
        raise ConnectionError("server closed the connection")


def test_no_caller_is_answered_if_the_commit_is_not_known_to_be_durable(db: Database) -> None:
    group = GroupCommit(db.engine.connect, early_release=_UnsettledRelease())
    with pytest.raises(ConnectionError):
        group.run(_insert(1))


@pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL (PDS_TEST_POSTGRES_URL)")
def test_postgres_groups_commit_without_the_flush_then_wait_for_it(postgres_url: str) -> None:
    db = Database(postgres_url)
    try:
        with db.write() as conn:
            conn.execute(text("CREATE TEMPORARY TABLE IF NOT EXISTS probe (n int)"))
            outside = conn.execute(text("SHOW synchronous_commit")).scalar_one()
        seen: dict[str, Any] = {}

        def work(conn: Connection) -> None:
            seen["setting"] = conn.execute(text("SHOW synchronous_commit")).scalar_one()
            # Writes WAL: the group's commit record comes after this position.
            conn.execute(text("SELECT pg_logical_emit_message(true, 'pds.test', 'x')"))
            seen["lsn"] = conn.execute(text("SELECT pg_current_wal_insert_lsn()")).scalar_one()

        db.write_grouped(work)
        with db.read() as conn:
            flushed = conn.execute(
                text("SELECT pg_current_wal_flush_lsn() >= CAST(:lsn AS pg_lsn)"),
                {"lsn": seen["lsn"]},
            ).scalar_one()
        assert outside == "on" and seen["setting"] == "off"
        assert flushed  # durable before write_grouped returned
    finally:
        db.dispose()
