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

And not through the disk: a durable commit holds its locks until its WAL is flushed, so every
other worker's group waited on this one's fsync (PostgreSQL with two workers served 1.4x one; with
commits not waiting for the flush, 1.6x). With an `EarlyRelease` (PostgreSQL's), a group commits
without waiting for the flush, which releases the lock at once, hands the lead to the next group,
and only then waits until its commit is on disk; its callers are answered after that wait, so
nobody is answered before their work is durable, as before. The price: for that wait (~0.2-2 ms)
others can read the group's rows before they are durable, and a crash then loses them and what
read them (SQLite with synchronous=NORMAL has the same window on power loss). Signed audit
checkpoints never are (consent.audit.checkpoints.publish commits them durably).
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext, suppress
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import Connection, text

from consent.prepared import DriverStatement

T = TypeVar("T")
MAX_GROUP = 64

# Compiled driver statements (consent.prepared: errors translated as SQLAlchemy's own, a lost
# connection invalidated). On PostgreSQL each is a round trip, so one query releases a part's
# savepoint and takes the next's (simple protocol: no parameters, never prepared); released
# savepoints also keep the group's audit inserts out of nested subtransactions, each of which
# would take an xid of its own inside the log's lock.
_SAVEPOINT = DriverStatement(text("SAVEPOINT group_part"))
_RELEASE = DriverStatement(text("RELEASE SAVEPOINT group_part"))
_RELEASE_AND_NEXT = DriverStatement(text("RELEASE SAVEPOINT group_part; SAVEPOINT group_part"))
_ROLLBACK_TO = DriverStatement(text("ROLLBACK TO SAVEPOINT group_part"))
_NO_FLUSH_WAIT = DriverStatement(text("SELECT set_config('synchronous_commit', 'off', true)"))
# Transactional: its commit is a synchronous one. PUBLIC may execute it unless an installation
# revoked that (docs/deployment.md).
_FLUSH_MARK = DriverStatement(text("SELECT pg_logical_emit_message(true, 'pds.flush', '')"))
_MAY_FLUSH_MARK = text(
    "SELECT has_function_privilege('pg_logical_emit_message(boolean, text, text)', 'EXECUTE')"
)


class DeferredWrites(Protocol):
    """Writes a group's parts make on its connection, held back until the group's end."""

    def deferring(self, conn: Connection) -> AbstractContextManager[list[Any]]:
        """Hold this connection's writes back inside, in the list it yields (a failed part's are
        cut off the end); write them, in order, on a normal exit, still inside the transaction;
        drop them on an exception."""


class EarlyRelease(Protocol):
    """A group's commit that releases its locks before it is durable (see the module doc)."""

    def relax(self, conn: Connection) -> None:
        """In the group's transaction: its commit will not wait for the disk."""

    def settle(self, conn: Connection) -> None:
        """After that commit, on the same connection: return once the commit is durable."""


class PostgresEarlyRelease:
    """PostgreSQL: `synchronous_commit` off for the group's transaction (SET LOCAL), then a
    transactional WAL record in a transaction of its own, which commits synchronously: flushing
    it flushes everything before it (the WAL is flushed in order), the group's commit included."""

    @staticmethod
    def allowed(conn: Connection) -> bool:
        """May this role write the WAL record the wait is made of?"""
        return bool(conn.execute(_MAY_FLUSH_MARK).scalar_one())

    def relax(self, conn: Connection) -> None:
        _NO_FLUSH_WAIT.first(conn)

    def settle(self, conn: Connection) -> None:
        driver: Any = conn.connection.driver_connection
        try:
            driver.autocommit = True  # one statement, one transaction
            _FLUSH_MARK.first(conn)
            driver.autocommit = False
        except BaseException:
            if not conn.invalidated:  # never back to the pool half-switched
                conn.invalidate()
            raise


class _Job(Generic[T]):
    __slots__ = ("context", "done", "error", "future", "lead", "value", "work")

    def __init__(self, work: Callable[[Connection], T]) -> None:
        self.work = work
        self.context = contextvars.copy_context()
        self.done = threading.Event()
        # An event loop's caller (`run_async`) waits on a future instead of a blocked thread.
        self.future: asyncio.Future[None] | None = None
        self.lead = False
        self.value: T | None = None
        self.error: BaseException | None = None

    def release(self) -> None:
        """Its caller may go on: the outcome is set."""
        future = self.future
        if future is None:
            self.done.set()
            return
        with suppress(RuntimeError):  # its loop has closed: nobody is waiting any more
            future.get_loop().call_soon_threadsafe(_wake, future)

    def outcome(self) -> T:
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


class GroupCommit:
    """`run(work)`: work(conn) inside a shared write transaction; returns after its commit.

    `await run_async(work)` is the same for a caller on an event loop, without a thread of its
    own: its group's leader runs in `leaders` and wakes it when done. A thread per caller that
    only waited for the leader cost each PostgreSQL fetch ~15% of its worker's CPU (two thread
    wake-ups and the interpreter lock handed to and fro).
    """

    def __init__(
        self,
        connect: Callable[[], AbstractContextManager[Connection]],
        deferred: DeferredWrites | None = None,
        early_release: EarlyRelease | None = None,
    ) -> None:
        self._connect = connect
        self.deferred = deferred
        self.early_release = early_release
        self._mutex = threading.Lock()
        self._pending: list[_Job[Any]] = []
        self._busy = False
        # Leaders of the groups led for `run_async` callers. A group waiting for its flush keeps
        # its thread, so this also caps the groups waiting on a slow disk or standby at 7.
        self.leaders = ThreadPoolExecutor(max_workers=8, thread_name_prefix="group-commit")

    async def run_async(self, work: Callable[[Connection], T]) -> T:
        job: _Job[T] = _Job(work)
        job.future = asyncio.get_running_loop().create_future()
        if self._enqueue(job):
            self.leaders.submit(self._lead_then_release, job)
        await job.future
        return job.outcome()

    def run(self, work: Callable[[Connection], T]) -> T:
        job: _Job[T] = _Job(work)
        if not self._enqueue(job):
            job.done.wait()
            if not job.lead:
                return job.outcome()
        self._lead(job)
        return job.outcome()

    def close(self) -> None:
        self.leaders.shutdown(wait=False)

    def _enqueue(self, job: _Job[Any]) -> bool:
        """Queue the job; True if it leads the next group (no group is being led)."""
        with self._mutex:
            self._pending.append(job)
            leading = not self._busy
            self._busy = True
        return leading

    def _lead_then_release(self, job: _Job[Any]) -> None:
        try:
            self._lead(job)
        finally:
            job.release()

    def _lead(self, job: _Job[Any]) -> None:
        with self._mutex:
            others = [queued for queued in self._pending if queued is not job]
            group = [job, *others[: MAX_GROUP - 1]]
            self._pending = others[MAX_GROUP - 1 :]
        handed_over = False
        release = self.early_release  # one decision for the whole group
        try:
            with self._connect() as conn:
                committed = self._commit(group, conn, release)
                self._hand_over()
                handed_over = True
                wrote = any(member.error is None for member in group)
                if committed and wrote and release is not None:
                    release.settle(conn)
        except BaseException as exc:  # no connection, or no word that the commit is durable
            _fail(group, exc)
            if not isinstance(exc, Exception):
                raise
        finally:
            if not handed_over:
                self._hand_over()
            for other in group:
                if other is not job:
                    other.release()

    def _hand_over(self) -> None:
        """The next in line leads the next group (it may start before this one is durable)."""
        with self._mutex:
            if self._pending:
                successor = self._pending[0]
                successor.lead = True
                if successor.future is None:
                    successor.done.set()  # its own thread leads
                else:
                    self.leaders.submit(self._lead_then_release, successor)
            else:
                self._busy = False

    def _commit(
        self, group: list[_Job[Any]], conn: Connection, release: EarlyRelease | None
    ) -> bool:
        deferred = self.deferred
        one_query = conn.dialect.name == "postgresql"  # SQLite runs one statement per call
        try:
            with (
                conn.begin(),
                nullcontext([]) if deferred is None else deferred.deferring(conn) as held,
            ):
                if release is not None:
                    release.relax(conn)
                for index, job in enumerate(group):
                    if index == 0:
                        _SAVEPOINT.execute(conn)
                    elif one_query:
                        _RELEASE_AND_NEXT.execute(conn)
                    else:
                        _RELEASE.execute(conn)
                        _SAVEPOINT.execute(conn)
                    mark = len(held)
                    try:
                        job.value = job.context.run(job.work, conn)
                    except Exception as exc:  # only this caller's part is rolled back
                        job.error = exc
                        del held[mark:]
                        if conn.invalidated:
                            raise  # the connection is gone, and the transaction with it
                        _ROLLBACK_TO.execute(conn)
                _RELEASE.execute(conn)
        except Exception as exc:  # the transaction or its commit failed: nothing happened
            _fail(group, exc)
            return False
        return True


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():  # its caller may have been cancelled (the client went away)
        future.set_result(None)


def _fail(group: list[_Job[Any]], exc: BaseException) -> None:
    for job in group:
        if job.error is None:
            job.value, job.error = None, exc
