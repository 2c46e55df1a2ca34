"""SQLite WAL checkpoints off the request path.

With `synchronous=NORMAL` a WAL commit does not fsync; the fsyncs happen when the WAL is copied
back into the database file (a checkpoint). Left to SQLite, that runs inside whichever commit
pushes the WAL past `wal_autocheckpoint` pages, and the NGO fetch (one audited commit per request)
paid ~250 µs per request on average for it here. While the app runs, this thread checkpoints
four times a second instead (PASSIVE: it never blocks readers or writers; an idle WAL costs
nothing); a large auto-checkpoint threshold stays as the backstop for processes that run without
it, such as the CLI. Small, frequent checkpoints keep each burst of page writes and its fsync
short, and a request that needs the disk meanwhile waits less (p99 of the fetch at half rate on a
500,000-record database: 4.6-6.6 ms against 5.4-7.0 ms at one a second).

Why the backstop is large: SQLite starts the WAL afresh only when a write begins with every frame
copied back. Under steady writes some always arrive during a background checkpoint, so the WAL
grows until the backstop, and the commit that crosses it runs a checkpoint itself: two fsyncs,
15-30 ms here, with every request waiting behind it. At 10,000 pages that was every ~3 s at 500
fetches/s (most of the fetch's p99); at 100,000 it is every ~30 s of unbroken load, and any lull
lets the WAL restart sooner. The WAL file keeps the size it reached (up to ~400 MiB) until the last
connection closes: `journal_size_limit` would give the space back, but truncating a large WAL
inside the restarting commit cost 40 ms of kernel time here.
"""

from __future__ import annotations

import threading

import structlog
from sqlalchemy import Engine

AUTOCHECKPOINT_PAGES = 100_000  # the backstop: ~400 MiB of WAL
INTERVAL_SECONDS = 0.25

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
