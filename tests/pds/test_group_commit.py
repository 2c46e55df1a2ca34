"""Group commit: concurrent callers share one transaction, each part in its own savepoint; with
an early release, a group's locks go at its commit and its callers wait for the disk."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from pds.db import Database
from pds.group_commit import GroupCommit
from tests.conftest import POSTGRES_URL, run_coroutine


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


def _queued_behind_a_leader(group: GroupCommit, connect: Any, callers: int) -> Any:
    """A `connect` whose first call (the first leader's) waits until the other callers have
    queued, so they all make up the second group: one group of many parts, deterministically."""
    first = True

    @contextmanager
    def connecting() -> Iterator[Connection]:
        nonlocal first
        if first:
            first = False
            deadline = time.monotonic() + 10
            while len(group._pending) < callers - 1 and time.monotonic() < deadline:
                time.sleep(0.005)
        with connect() as conn:
            yield conn

    return connecting


def _one_big_group(db: Database, callers: int) -> tuple[GroupCommit, list[int]]:
    """A group commit whose second group holds every caller but the first (see below), and a
    one-item list counting the connections it opened."""
    connections = [0]

    @contextmanager
    def counted() -> Iterator[Connection]:
        connections[0] += 1
        with db.engine.connect() as conn:
            yield conn

    group = GroupCommit(counted)
    group._connect = _queued_behind_a_leader(group, counted, callers)
    return group, connections


def _run_all(group: GroupCommit, works: list[Any]) -> dict[int, object]:
    results: dict[int, object] = {}

    def call(n: int) -> None:
        try:
            results[n] = group.run(works[n])
        except Exception as exc:
            results[n] = exc

    threads = [threading.Thread(target=call, args=(n,)) for n in range(len(works))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def _run_all_async(group: GroupCommit, works: list[Any]) -> list[object]:
    """Every work through `run_async` from one event loop; each caller's outcome, in order."""

    async def callers() -> list[object]:
        return await asyncio.gather(*(group.run_async(w) for w in works), return_exceptions=True)

    try:
        return run_coroutine(asyncio.wait_for(callers(), timeout=30))
    finally:
        group.close()


def test_one_group_of_many_parts_commits_once_and_a_failed_part_stays_its_own(
    db: Database,
) -> None:
    group, connections = _one_big_group(db, 50)
    # Parts n and n + 40 insert the same key: the second of each pair fails inside the group.
    results = _run_all(group, [_insert(n % 40) for n in range(50)])
    failures = [n for n, outcome in results.items() if isinstance(outcome, Exception)]
    assert len(results) == 50 and len(failures) == 10
    assert connections == [2]  # the first caller alone, then everyone else in one group
    assert _count(db) == 40  # every caller's own part committed, the duplicates rolled back


def test_event_loop_callers_share_groups_and_no_thread_waits_for_each(db: Database) -> None:
    """`run_async`: the same groups as `run`, led in the group's own threads; callers wait on
    the loop, and each gets its own outcome."""
    ran_in: set[str] = set()

    def part(n: int) -> Any:
        insert = _insert(n % 40)

        def work(conn: Connection) -> int:
            ran_in.add(threading.current_thread().name)
            return int(insert(conn))

        return work

    group, connections = _one_big_group(db, 50)
    outcomes = _run_all_async(group, [part(n) for n in range(50)])
    assert outcomes[:40] == list(range(40))  # each caller's own value, in its own order
    assert all(isinstance(outcome, DBAPIError) for outcome in outcomes[40:])  # the duplicates
    assert connections == [2]  # the first caller alone, then everyone else in one group
    assert _count(db) == 40
    # Every part ran in a leader of the pool (two groups, so at most two), none on the loop.
    assert ran_in and len(ran_in) <= 2
    assert all(name.startswith("group-commit") for name in ran_in)


def test_a_failed_commit_fails_every_event_loop_caller_too(db: Database) -> None:
    group = GroupCommit(db.engine.connect, _FailingDeferred())
    outcomes = _run_all_async(group, [_insert(n) for n in range(5)])
    assert len(outcomes) == 5
    assert all(isinstance(o, RuntimeError) and str(o) == "commit failed" for o in outcomes)
    assert _count(db) == 0


def test_a_caller_that_goes_away_leaves_its_group_and_the_next_callers_whole(
    db: Database,
) -> None:
    """A cancelled request (the client disconnected) no longer waits; its part still runs in
    its group like any other, and the callers after it are served."""
    release = threading.Event()

    def slow(conn: Connection) -> int:
        release.wait(10)
        return int(_insert(1)(conn))

    group = GroupCommit(db.engine.connect)

    async def scenario() -> list[object]:
        abandoned = asyncio.ensure_future(group.run_async(slow))
        await asyncio.sleep(0.05)
        abandoned.cancel()
        later = [asyncio.ensure_future(group.run_async(_insert(n))) for n in (2, 3)]
        await asyncio.sleep(0.05)
        release.set()
        return await asyncio.gather(*later)

    try:
        served = run_coroutine(asyncio.wait_for(scenario(), timeout=30))
    finally:
        group.close()
    assert served == [2, 3]
    assert _count(db) == 3  # the abandoned part committed too: its work was done


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
    group._connect = _queued_behind_a_leader(group, db.engine.connect, 10)
    results = _run_all(group, [_insert(n) for n in range(10)])
    assert all(isinstance(outcome, ConnectionError) for outcome in results.values())
    assert len(results) == 10


class _SlowRelease:
    """Settles slowly, then notes which callers' parts it has made durable."""

    def __init__(self) -> None:
        self.settled: set[int] = set()

    def relax(self, conn: Connection) -> None:
        pass

    def settle(self, conn: Connection) -> None:
        time.sleep(0.05)
        self.settled.update(conn.info.pop("parts", []))


def test_every_caller_of_a_group_is_answered_after_the_settle(db: Database) -> None:
    release = _SlowRelease()
    group = GroupCommit(db.engine.connect, early_release=release)
    group._connect = _queued_behind_a_leader(group, db.engine.connect, 10)
    answered_before_settled: list[int] = []

    def part(n: int) -> Any:
        def work(conn: Connection) -> int:
            conn.info.setdefault("parts", []).append(n)
            return int(_insert(n)(conn))

        return work

    def call(n: int) -> None:
        group.run(part(n))
        if n not in release.settled:
            answered_before_settled.append(n)

    threads = [threading.Thread(target=call, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert release.settled == set(range(10))
    assert answered_before_settled == []


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


@pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL (PDS_TEST_POSTGRES_URL)")
def test_a_role_that_may_not_write_the_flush_record_commits_durably_instead(
    postgres_url: str,
) -> None:
    """A hardened server may revoke pg_logical_emit_message from PUBLIC: the service then
    keeps the lock through the flush rather than fail every fetch after its commit."""
    url = make_url(postgres_url)
    role = f"pds_no_emit_{url.database}"[:63]
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    function = "pg_logical_emit_message(boolean, text, text)"
    with admin.connect() as conn:
        conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        conn.execute(text(f"REVOKE EXECUTE ON FUNCTION {function} FROM PUBLIC"))
    restricted = url.set(username=role).render_as_string(hide_password=False)
    unprobed, probed = Database(restricted), Database(restricted)
    try:
        with pytest.raises(DBAPIError, match="permission denied"):
            unprobed.write_grouped(lambda conn: conn.execute(text("SELECT 1")).scalar_one())
        probed.start_background()  # what the app does at startup
        assert probed.write_grouped(lambda conn: conn.execute(text("SELECT 1")).scalar_one()) == 1
    finally:
        unprobed.dispose()
        probed.dispose()
        with admin.connect() as conn:
            conn.execute(text(f"GRANT EXECUTE ON FUNCTION {function} TO PUBLIC"))
            conn.execute(text(f'DROP ROLE "{role}"'))
        admin.dispose()
