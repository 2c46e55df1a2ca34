"""Group commit: concurrent callers share one transaction, each part in its own savepoint."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text

from pds.db import Database
from pds.group_commit import GroupCommit


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'group.db'}")
    with database.write() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER PRIMARY KEY)"))
    yield database
    database.dispose()


def _count(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(text("SELECT count(*) FROM t")).scalar_one())


def test_concurrent_callers_commit_together_and_a_failure_stays_its_own(db: Database) -> None:
    commits = 0

    @contextmanager
    def counted_write() -> Iterator[object]:
        nonlocal commits
        with db.write() as conn:
            yield conn
        commits += 1

    group = GroupCommit(counted_write)  # type: ignore[arg-type]
    results: dict[int, object] = {}

    def insert(n: int) -> None:
        def work(conn: object) -> int:
            conn.execute(text("INSERT INTO t (n) VALUES (:n)"), {"n": n % 40})  # type: ignore[attr-defined]
            return n

        try:
            results[n] = group.run(work)
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
    assert commits <= 50


def test_a_failed_commit_fails_every_caller_of_the_group(db: Database) -> None:
    @contextmanager
    def failing_write() -> Iterator[object]:
        with db.write() as conn:
            yield conn
            raise RuntimeError("commit failed")

    group = GroupCommit(failing_write)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="commit failed"):
        group.run(lambda conn: conn.execute(text("INSERT INTO t (n) VALUES (1)")))
    assert _count(db) == 0
