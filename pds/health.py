"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Any

from litestar import Response, get
from litestar.handlers import HTTPRouteHandler
from sqlalchemy import text

from pds.db import Database


def health_routes(db: Database) -> list[HTTPRouteHandler]:
    @get("/health/live", tags=["operations"], summary="The process is up", sync_to_thread=False)
    def live() -> dict[str, str]:
        return {"status": "ok"}

    @get(
        "/health/ready",
        tags=["operations"],
        summary="The service can serve requests",
        sync_to_thread=True,
    )
    def ready() -> Response[dict[str, Any]]:
        try:
            with db.read() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:  # any failure here means "not ready", with its reason
            return Response(
                {"status": "unavailable", "reason": f"database: {type(exc).__name__}"},
                status_code=503,
                headers={"Retry-After": "5"},
            )
        return Response({"status": "ok"})

    return [live, ready]
