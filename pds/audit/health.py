"""Operator checks of the audit log: a fresh checkpoint (readiness) and its integrity (doctor)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select

from consent.audit.checkpoints import latest_checkpoint, log_size
from consent.audit.export import prepare_export
from consent.audit.models import audit_checkpoints, audit_entries
from consent.audit.note import verifier_key
from consent.audit.verify import verify_export
from consent.storage import utcnow
from pds.db import Database


def checkpoint_freshness_check(db: Database, every_seconds: float) -> Callable[[], str | None]:
    """Not ready when the oldest unsigned entry has waited over twice the checkpoint interval."""
    allowed = max(2 * every_seconds, 60.0)

    def check() -> str | None:
        try:
            with db.read() as conn:
                size, latest = log_size(conn), latest_checkpoint(conn)
                signed = latest.tree_size if latest else 0
                waiting_since = conn.execute(
                    select(audit_entries.c.time).where(audit_entries.c.seq == signed + 1)
                ).scalar_one_or_none()
        except Exception as exc:  # unreachable database: reported by the database check
            return f"audit log unreadable ({type(exc).__name__})"
        if size == signed or waiting_since is None:
            return None
        waited = (utcnow() - waiting_since).total_seconds()
        if waited > allowed:
            return (
                f"audit checkpoint stale: {size - signed} entries unsigned for {waited:.0f} s "
                f"(limit {allowed:.0f} s); check the audit scheduler or run `pds audit checkpoint`"
            )
        return None

    return check


def verify_latest_checkpoint(db: Database) -> tuple[bool, str]:
    """Rebuild the tree from the stored entries and check it against the latest checkpoint."""
    with db.read() as conn:
        latest = latest_checkpoint(conn)
    if latest is None:
        return True, "no checkpoint yet (the log is empty or has never been signed)"
    export = prepare_export(db, latest)
    keys = [verifier_key(latest.key_name, latest.public_key)]
    report = verify_export(export.lines(), keys=keys)
    if report.ok:
        return True, f"entries 1..{latest.tree_size} match the signed checkpoint"
    where = f" (first bad entry: {report.first_bad_seq})" if report.first_bad_seq else ""
    return False, "; ".join(report.problems) + where


def checkpoint_origins(db: Database) -> list[tuple[str, int, int]]:
    """Each origin checkpoints were signed under: (origin, first size, last size), oldest first.

    More than one means a process configured for another origin signed some (a fork of the log).
    """
    size = audit_checkpoints.c.tree_size
    with db.read() as conn:
        rows = conn.execute(
            select(audit_checkpoints.c.key_name, func.min(size), func.max(size))
            .group_by(audit_checkpoints.c.key_name)
            .order_by(func.min(size))
        ).all()
    return [(str(name), int(first), int(last)) for name, first, last in rows]
