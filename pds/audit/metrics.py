"""Scrape-time gauges for the audit log: how big it is and how much of it is not yet signed."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import Connection

from consent.audit.checkpoints import latest_checkpoint, log_size
from consent.storage import utcnow


def audit_metrics(conn: Connection) -> Iterable[GaugeMetricFamily]:
    """Entries, entries not covered by a signed checkpoint, and the latest checkpoint's age."""
    size = log_size(conn)
    latest = latest_checkpoint(conn)
    signed = latest.tree_size if latest else 0
    yield GaugeMetricFamily("pds_audit_entries", "Audit entries appended (pruned included)", size)
    # Entries after the latest checkpoint are protected only once the next one is signed:
    # alert when this stays above PDS_AUDIT_CHECKPOINT_EVERY_ENTRIES.
    yield GaugeMetricFamily(
        "pds_audit_unsigned_entries",
        "Audit entries after the latest signed checkpoint",
        size - signed,
    )
    if latest is not None:
        age = (utcnow() - latest.created_at).total_seconds()
        yield GaugeMetricFamily(
            "pds_audit_checkpoint_age_seconds", "Seconds since the latest signed checkpoint", age
        )
