"""While the app runs, SQLite's WAL is checkpointed by a thread of its own, not inside requests.

Seen from outside: a row written through the API reaches the database file itself (read with
`immutable=1`, which ignores the WAL) within a few seconds, although the auto-checkpoint
threshold is far from reached.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from pds.app import build_services, create_app
from tests.conftest import TEST_ORIGIN, make_settings, sign_up


def _people_in_the_database_file(path: Path) -> int:
    with sqlite3.connect(f"file:{path}?immutable=1", uri=True) as conn:
        return int(conn.execute("SELECT count(*) FROM people").fetchone()[0])


def _serve(tmp_path: Path, url: str) -> TestClient[Litestar]:
    settings = make_settings(tmp_path, url)
    return TestClient(app=create_app(settings, build_services(settings)), base_url=TEST_ORIGIN)


@pytest.mark.parametrize("engine_name", ["sqlite"], indirect=True)
def test_committed_writes_reach_the_database_file_while_serving(
    tmp_path: Path, database_url: str
) -> None:
    path = Path(database_url.removeprefix("sqlite:///"))
    with _serve(tmp_path, database_url) as client:
        sign_up(client)
        deadline = time.monotonic() + 10
        while _people_in_the_database_file(path) == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _people_in_the_database_file(path) == 1
        # The write is in the WAL too: a normal reader saw it all along.
        with sqlite3.connect(path) as conn:
            assert conn.execute("SELECT count(*) FROM people").fetchone()[0] == 1


@pytest.mark.parametrize("engine_name", ["sqlite"], indirect=True)
def test_without_the_app_running_the_write_waits_in_the_wal(
    tmp_path: Path, database_url: str
) -> None:
    """The control: nothing else would have copied it into the file so soon."""
    path = Path(database_url.removeprefix("sqlite:///"))
    settings = make_settings(tmp_path, database_url)
    services = build_services(settings)
    app = create_app(settings, services)
    client = TestClient(app=app, base_url=TEST_ORIGIN)  # no `with`: no start-up, no thread
    sign_up(client)
    time.sleep(2)
    assert _people_in_the_database_file(path) == 0
    services.db.dispose()
