"""The audit clock: a checkpoint at least every T seconds, and retention pruning, in one thread.

Started and stopped with the application. Several server processes may each run one: both jobs
take the log's writer lock and do nothing when another process got there first. `pds audit
checkpoint` and `pds audit prune` do the same from cron.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import structlog

log = structlog.get_logger("pds.audit.scheduler")
PRUNE_EVERY_SECONDS = 3600.0


class AuditScheduler:
    def __init__(
        self,
        checkpoint_if_due: Callable[[], object],
        prune: Callable[[], int] | None,
        *,
        interval: float,
    ) -> None:
        self.checkpoint_if_due = checkpoint_if_due
        self.prune = prune
        self.interval = interval
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.interval <= 0 or (self._thread is not None and self._thread.is_alive()):
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="pds-audit", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(5.0)
            self._thread = None

    def _run(self) -> None:
        next_prune = time.monotonic()
        while not self._stopping.wait(self.interval):
            self._guarded(self.checkpoint_if_due)
            if self.prune is not None and time.monotonic() >= next_prune:
                self._guarded(self.prune)
                next_prune = time.monotonic() + PRUNE_EVERY_SECONDS

    @staticmethod
    def _guarded(job: Callable[[], object]) -> None:
        # A failing job (database away for a moment) must not end the thread: the next tick
        # retries, and the failure is logged with its cause.
        try:
            job()
        except Exception:
            log.exception("audit_job_failed", job=getattr(job, "__name__", "job"))
