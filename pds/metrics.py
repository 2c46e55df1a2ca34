"""Prometheus metrics on `/metrics`, behind a bearer token.

Request rate, latency and errors per route come from Litestar's Prometheus middleware (route
templates, not raw paths, so record ids never become labels). Domain figures — active grants,
denied accesses, outbox depth… — are read from the database at scrape time by `MetricSource`s that
each part of the service registers, so they are right however many workers serve requests.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable
from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.handlers import HTTPRouteHandler
from litestar.plugins.prometheus import PrometheusConfig
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Connection, func, select

from pds.db import Database
from pds.people.models import people
from pds.records.models import records
from pds.settings import Settings

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
MetricSource = Callable[[Connection], Iterable[GaugeMetricFamily]]


def core_source(conn: Connection) -> Iterable[GaugeMetricFamily]:
    yield GaugeMetricFamily(
        "pds_people",
        "Accounts held",
        value=conn.execute(select(func.count()).select_from(people)).scalar_one(),
    )
    yield GaugeMetricFamily(
        "pds_records",
        "Records held",
        value=conn.execute(select(func.count()).select_from(records)).scalar_one(),
    )


class DatabaseCollector(Collector):
    """Runs every registered source in one read transaction per scrape."""

    def __init__(self, db: Database, sources: list[MetricSource]) -> None:
        self.db = db
        self.sources = sources

    def collect(self) -> Iterable[Any]:
        with self.db.read() as conn:
            for source in self.sources:
                yield from source(conn)


def prometheus_middleware_config() -> PrometheusConfig:
    return PrometheusConfig(
        app_name="pds",
        prefix="pds",
        group_path=True,
        exclude=["/metrics", "/health/"],
    )


def metrics_route(
    settings: Settings, db: Database, sources: list[MetricSource]
) -> HTTPRouteHandler:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(db, sources))
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else ""

    @get("/metrics", include_in_schema=False, sync_to_thread=True)
    def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
        if not token:
            raise NotFoundException("metrics are disabled: set PDS_METRICS_TOKEN")
        presented = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(presented.encode(), token.encode()):
            raise NotAuthorizedException(
                "metrics need the bearer token", headers={"WWW-Authenticate": "Bearer"}
            )
        body = generate_latest(REGISTRY) + generate_latest(registry)
        return Response(body, media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})

    return metrics
