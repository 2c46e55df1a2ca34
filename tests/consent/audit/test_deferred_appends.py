"""Group commit with the audit log deferred: entries of the parts that succeed, and only those,
are written at the group's end, gapless, each with its own caller's request id (both engines)."""

from __future__ import annotations

import threading
from contextvars import ContextVar
from dataclasses import replace

import pytest
from sqlalchemy import select

from consent.audit.checkpoints import latest_checkpoint, publish_current
from consent.audit.encoding import MalformedEntry
from consent.audit.export import prepare_export
from consent.audit.log import AuditLog
from consent.audit.models import audit_entries
from consent.audit.note import parse_verifier_key, verifier_key
from consent.audit.verify import verify_export
from pds.group_commit import GroupCommit
from tests.consent.audit.conftest import ORIGIN, BareLog, event

CALLERS = 40
request_id: ContextVar[str | None] = ContextVar("test_request_id", default=None)


class PartFailed(Exception):
    pass


def test_entries_of_failed_parts_vanish_and_the_rest_keep_their_own_request_ids(
    bare_log: BareLog,
) -> None:
    log = AuditLog(bare_log.log.signer, request_id=request_id.get, checkpoint_every=7)
    group = GroupCommit(bare_log.db.engine.connect, deferred=log)
    outcomes: dict[int, str] = {}

    def caller(n: int) -> None:
        request_id.set(f"req-{n}")

        def work(conn: object) -> int:
            log.append(conn, event(record_id=f"r{n}"))  # type: ignore[arg-type]
            if n % 5 == 0:
                raise PartFailed  # after appending: its entry must go with it
            return n

        try:
            group.run(work)
            outcomes[n] = "ok"
        except PartFailed:
            outcomes[n] = "failed"

    threads = [threading.Thread(target=caller, args=(n,)) for n in range(CALLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    with bare_log.db.read() as conn:
        rows = conn.execute(
            select(
                audit_entries.c.seq, audit_entries.c.record_ids, audit_entries.c.request_id
            ).order_by(audit_entries.c.seq)
        ).all()
    succeeded = {n for n, outcome in outcomes.items() if outcome == "ok"}
    assert len(succeeded) == CALLERS - CALLERS // 5
    assert [row.seq for row in rows] == list(range(1, len(succeeded) + 1))  # no gaps
    written = {int(row.record_ids[0][1:]): row.request_id for row in rows}
    assert written == {n: f"req-{n}" for n in succeeded}

    # The checkpoints published inside the deferred writes (every 7th entry) verify.
    with bare_log.db.write() as conn:
        publish_current(conn, log.signer, bare_log.clock())
    with bare_log.db.read() as conn:
        checkpoint = latest_checkpoint(conn)
    assert checkpoint is not None
    key = parse_verifier_key(str(verifier_key(ORIGIN, bare_log.key.public_key_bytes())))
    report = verify_export(prepare_export(bare_log.db, checkpoint).lines(), keys=[key])
    assert report.ok, report.problems
    assert report.checkpoints_verified >= len(succeeded) // 7


def test_a_group_whose_entries_cannot_be_written_fails_and_leaves_no_marker(
    bare_log: BareLog,
) -> None:
    """The deferred write fails at the group's end: the group fails, and the pooled connection
    appends immediately again afterwards (a marker left on it would swallow later entries)."""
    log = AuditLog(bare_log.log.signer, request_id=request_id.get, checkpoint_every=100)
    group = GroupCommit(bare_log.db.engine.connect, deferred=log)
    unencodable = replace(event(), record_types=(1,))  # type: ignore[arg-type]

    with pytest.raises(MalformedEntry):
        group.run(lambda conn: log.append(conn, unencodable))
    with bare_log.db.write() as conn:
        log.append(conn, event())
    with bare_log.db.read() as conn:
        assert conn.execute(select(audit_entries.c.seq)).scalars().all() == [1]
