"""SQLite's writes share one long-lived connection (pds.db): a failed write must leave nothing
behind on it, and writers from many threads must each commit exactly their own work."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from pds.db import Database


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'writer.db'}")
    with database.write() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)"))
    yield database
    database.dispose()


def _rows(db: Database) -> list[tuple[int, str]]:
    with db.read() as conn:
        return [(int(i), str(v)) for i, v in conn.execute(text("SELECT id, v FROM t ORDER BY id"))]


def test_a_write_that_raises_leaves_nothing_and_the_next_one_commits(db: Database) -> None:
    with pytest.raises(RuntimeError), db.write() as conn:
        conn.execute(text("INSERT INTO t VALUES (1, 'lost')"))
        raise RuntimeError("the action failed after its insert")
    with pytest.raises(IntegrityError), db.write() as conn:
        conn.execute(text("INSERT INTO t VALUES (2, 'also lost')"))
        conn.execute(text("INSERT INTO t VALUES (2, 'duplicate key')"))
    with db.write() as conn:
        conn.execute(text("INSERT INTO t VALUES (3, 'kept')"))
    assert _rows(db) == [(3, "kept")]


def test_concurrent_writers_each_commit_their_own_rows(db: Database) -> None:
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(40):
                row = n * 1000 + i
                if i % 10 == 9:  # every tenth transaction fails and must vanish
                    with pytest.raises(ZeroDivisionError), db.write() as conn:
                        conn.execute(text("INSERT INTO t VALUES (:id, 'x')"), {"id": row})
                        _ = 1 // 0
                    continue
                with db.write() as conn:
                    conn.execute(text("INSERT INTO t VALUES (:id, :v)"), {"id": row, "v": str(n)})
        except BaseException as exc:  # reported below: an assertion in a thread is lost
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    expected = [(n * 1000 + i, str(n)) for n in range(8) for i in range(40) if i % 10 != 9]
    assert _rows(db) == expected


def test_a_closed_writer_connection_is_replaced(db: Database) -> None:
    with db.write() as conn:
        conn.execute(text("INSERT INTO t VALUES (1, 'a')"))
    db.dispose()  # what shutdown does; a later write (a CLI step, a test) opens a new one
    with db.write() as conn:
        conn.execute(text("INSERT INTO t VALUES (2, 'b')"))
    assert _rows(db) == [(1, "a"), (2, "b")]


def test_a_commit_that_fails_does_not_leave_the_writer_inside_its_transaction(
    db: Database,
) -> None:
    """Found in review: SQLAlchemy skips ROLLBACK after a failed COMMIT, and SQLite stays in the
    transaction (here a deferred foreign key): the kept connection must not carry it on."""
    with db.write() as conn:
        conn.execute(
            text("CREATE TABLE child (id INTEGER PRIMARY KEY, t INTEGER REFERENCES t(id))")
        )
    with pytest.raises(IntegrityError), db.write() as conn:
        conn.execute(text("PRAGMA defer_foreign_keys=ON"))
        conn.execute(text("INSERT INTO child VALUES (1, 99)"))  # fails only at COMMIT
    for row in (1, 2):
        with db.write() as conn:
            conn.execute(text("INSERT INTO t VALUES (:id, 'after')"), {"id": row})
    assert _rows(db) == [(1, "after"), (2, "after")]
    with db.read() as conn:
        assert conn.execute(text("SELECT count(*) FROM child")).scalar_one() == 0


def test_dispose_waits_for_a_write_in_progress(db: Database) -> None:
    """Found in review: closing the writer under a running transaction could commit half of it."""
    started = threading.Event()

    def slow_write() -> None:
        with db.write() as conn:
            conn.execute(text("INSERT INTO t VALUES (1, 'first half')"))
            started.set()
            time.sleep(0.3)
            conn.execute(text("INSERT INTO t VALUES (2, 'second half')"))

    writer = threading.Thread(target=slow_write)
    writer.start()
    started.wait(5)
    db.dispose()
    writer.join()
    assert _rows(db) == [(1, "first half"), (2, "second half")]
