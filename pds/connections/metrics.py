"""Scrape-time consent figures: grants by state, tokens issued, denied accesses."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import Connection, func, select

from consent.audit.models import audit_entries
from consent.grants import grants
from consent.storage import utcnow
from consent.tokens import oauth_tokens


def consent_metrics(conn: Connection) -> Iterable[GaugeMetricFamily]:
    by_state = GaugeMetricFamily("pds_grants", "Grants by state", labels=["state"])
    for state, count in conn.execute(
        select(grants.c.state, func.count()).group_by(grants.c.state)
    ).all():
        by_state.add_metric([str(state)], int(count))
    yield by_state
    live = conn.execute(
        select(func.count()).where(grants.c.state == "active", grants.c.expires_at > utcnow())
    ).scalar_one()
    yield GaugeMetricFamily("pds_grants_active", "Grants active and not yet expired", live)
    yield GaugeMetricFamily(
        "pds_tokens_issued",
        "OAuth token pairs ever issued",
        conn.execute(select(func.count()).select_from(oauth_tokens)).scalar_one(),
    )
    yield GaugeMetricFamily(
        "pds_accesses_denied",
        "Audited access decisions that were denied",
        conn.execute(select(func.count()).where(audit_entries.c.outcome == "denied")).scalar_one(),
    )
