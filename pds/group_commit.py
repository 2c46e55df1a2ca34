"""Group commit: many callers' write transactions become one transaction and one commit.

On PostgreSQL every audited action appends to one gapless log under a transaction-scoped lock,
released only when the commit is durable. One commit per action would make the WAL flush (ms on
real disks) the ceiling of the whole deployment however many workers run. Here, concurrent callers
queue; one of them (the leader) runs everyone's work in one transaction, each caller's part in its
own SAVEPOINT, commits once, and only then does each caller return. So an action and its audit
entry still commit together or not at all, nobody is answered before the commit, one caller's
failure rolls back only that caller's part, and a failed commit fails every caller of the group.

The log's lock is the one thing every group waits for, so it must be held as briefly as possible:
with a `DeferredWrites` (the audit log), each part's appends wait in memory and are written in
one go at the end of the group, taking the lock only for those inserts and the commit. Each part
runs in its caller's context (contextvars), so its entries carry its own request id.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import Connection

T = TypeVar("T")
MAX_GROUP = 64


class DeferredWrites(Protocol):
    """Writes a group's parts make on its connection, held back until the group's end."""

    def deferring(self, conn: Connection) -> AbstractContextManager[list[Any]]:
        """Hold this connection's writes back inside, in the list it yields (a failed part's are
        cut off the end); write them, in order, on a normal exit, still inside the transaction;
        drop them on an exception."""


class _Job(Generic[T]):
    __slots__ = ("context", "done", "error", "lead", "value", "work")

    def __init__(self, work: Callable[[Connection], T]) -> None:
        self.work = work
        self.context = contextvars.copy_context()
        self.done = threading.Event()
        self.lead = False
        self.value: T | None = None
        self.error: BaseException | None = None

    def outcome(self) -> T:
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


class GroupCommit:
    """`run(work)`: work(conn) inside a shared write transaction; returns after its commit."""

    def __init__(
        self,
        write: Callable[[], AbstractContextManager[Connection]],
        deferred: DeferredWrites | None = None,
    ) -> None:
        self._write = write
        self.deferred = deferred
        self._mutex = threading.Lock()
        self._pending: list[_Job[Any]] = []
        self._busy = False

    def run(self, work: Callable[[Connection], T]) -> T:
        job: _Job[T] = _Job(work)
        with self._mutex:
            self._pending.append(job)
            leading = not self._busy
            self._busy = True
        if not leading:
            job.done.wait()
            if not job.lead:
                return job.outcome()
        self._lead(job)
        return job.outcome()

    def _lead(self, job: _Job[Any]) -> None:
        with self._mutex:
            others = [queued for queued in self._pending if queued is not job]
            group = [job, *others[: MAX_GROUP - 1]]
            self._pending = others[MAX_GROUP - 1 :]
        self._commit(group)
        with self._mutex:
            if self._pending:  # hand over: the next in line commits the next group
                successor = self._pending[0]
                successor.lead = True
                successor.done.set()
            else:
                self._busy = False
        for other in group:
            if other is not job:
                other.done.set()

    def _commit(self, group: list[_Job[Any]]) -> None:
        try:
            deferred = self.deferred
            with (
                self._write() as conn,
                nullcontext([]) if deferred is None else deferred.deferring(conn) as held,
            ):
                for job in group:
                    mark = len(held)
                    try:
                        with conn.begin_nested():
                            job.value = job.context.run(job.work, conn)
                    except Exception as exc:  # only this caller's part is rolled back
                        job.error = exc
                        del held[mark:]
        except Exception as exc:  # the transaction or its commit failed: nothing happened
            for job in group:
                if job.error is None:
                    job.value, job.error = None, exc
