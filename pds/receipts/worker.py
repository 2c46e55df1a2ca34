"""The background worker: delivers due notices and sweeps expired grants, in one daemon thread.

Started and stopped with the application (its lifespan). Several server processes may each run
one: a notice is claimed before it is sent, and a grant that another process expired first is
simply not expired twice. `pds outbox deliver` and `pds grants expire` do the same from cron.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import structlog

from consent.grant_service import GrantService
from consent.notices import NoticeService

log = structlog.get_logger("pds.receipts.worker")
BATCH = 100
PRUNE_EVERY = 3600.0  # seconds


class BackgroundWorker:
    def __init__(
        self,
        notices: NoticeService,
        grants: GrantService,
        *,
        interval: float,
        sweep_every: float,
        shutdown_grace: float,
    ) -> None:
        self.notices = notices
        self.grants = grants
        self.interval = interval
        self.sweep_every = sweep_every
        self.shutdown_grace = shutdown_grace
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="pds-notices", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to finish; waits for a delivery in progress (bounded by its timeout)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(self.shutdown_grace)
            self._thread = None

    def sweep(self) -> int:
        """Mark every grant past its end as expired (receipts and notices follow)."""
        expired = self.grants.expire_due()
        if expired:
            log.info("grants_expired", count=len(expired))
        return len(expired)

    def prune(self) -> None:
        pruned = self.notices.prune()
        if pruned:
            log.info("notices_pruned", count=pruned)

    def deliver(self) -> None:
        """Deliver due notices, batch after batch, until none is due or the worker stops."""
        while not self._stopping.is_set():
            report = self.notices.deliver_due(limit=BATCH)
            if report.delivered or report.failed or report.abandoned:
                log.info(
                    "notices_delivered",
                    delivered=report.delivered,
                    failed=report.failed,
                    abandoned=report.abandoned,
                )
            if report.delivered + report.failed + report.abandoned < BATCH:
                return

    def _run(self) -> None:
        next_sweep = next_prune = 0.0
        while not self._stopping.is_set():
            if time.monotonic() >= next_sweep:
                self._guarded(self.sweep)
                next_sweep = time.monotonic() + self.sweep_every
            if time.monotonic() >= next_prune:
                self._guarded(self.prune)
                next_prune = time.monotonic() + PRUNE_EVERY
            self._guarded(self.deliver)
            self._stopping.wait(self.interval)

    @staticmethod
    def _guarded(task: Callable[[], object]) -> None:
        # One failed round (database restarting, a concurrent sweep) must not end the thread; the
        # next round retries. Only the error's type is logged: messages can carry SQL parameters.
        try:
            task()
        except Exception as exc:
            log.warning(
                "background_task_failed",
                task=getattr(task, "__name__", "?"),
                error=type(exc).__name__,
            )
