"""SQLite's writes share one long-lived connection (pds.db): a failed write must leave nothing
behind on it, and writers from many threads must each commit exactly their own work."""

from __future__ import annotations

import threading
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
