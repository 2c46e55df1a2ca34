"""SQLite WAL checkpoints off the request path.

With `synchronous=NORMAL` a WAL commit does not fsync; the fsyncs happen when the WAL is copied
back into the database file (a checkpoint). Left to SQLite, that runs inside whichever commit
pushes the WAL past `wal_autocheckpoint` pages, and the NGO fetch (one audited commit per request)
paid ~250 µs per request on average for it here. While the app runs, this thread checkpoints
every second instead (PASSIVE: it never blocks readers or writers); a large auto-checkpoint
threshold stays as the backstop for processes that run without it, such as the CLI.
"""

from __future__ import annotations

import threading

import structlog
from sqlalchemy import Engine

AUTOCHECKPOINT_PAGES = 10_000  # the backstop: ~40 MiB of WAL
INTERVAL_SECONDS = 1.0

log = structlog.get_logger("pds.db")


class WalCheckpointer:
    """A daemon thread running `PRAGMA wal_checkpoint(PASSIVE)` every `interval` seconds."""

    def __init__(self, engine: Engine, interval: float = INTERVAL_SECONDS) -> None:
        self._engine = engine
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="wal-checkpoints", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            thread.join()

    def checkpoint(self) -> None:
        # The driver connection directly: autocommit (pds.db takes transaction control away from
        # sqlite3), and a checkpoint cannot run inside the transaction SQLAlchemy would begin.
        connection = self._engine.raw_connection()
        try:
            connection.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")  # type: ignore[union-attr]
        finally:
            connection.close()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.checkpoint()
            except Exception as exc:
                # Never let the thread die: the next commit past the backstop checkpoints anyway.
                log.warning("wal_checkpoint_failed", error=type(exc).__name__)
