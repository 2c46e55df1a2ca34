"""Liveness and readiness probes. Readiness runs every registered check and names what failed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

from litestar import Response, get
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from pydantic import BaseModel, Field
from sqlalchemy import text

from consent.examples import NamedExample, example_config
from pds.contract import PUBLIC
from pds.db import Database
from pds.keystore import KeyStore
from pds.migrate import current_revision, head_revision

# A check returns None when healthy, or a short reason an operator can act on.
ReadinessCheck = Callable[[], str | None]


def database_check(db: Database) -> ReadinessCheck:
    def check() -> str | None:
        try:
            with db.read() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:  # any failure means "not ready"; the type is the reason
            return f"database unreachable ({type(exc).__name__})"
        return None

    return check


def migrations_check(db: Database) -> ReadinessCheck:
    def check() -> str | None:
        try:
            current, head = current_revision(db), head_revision()
        except Exception as exc:  # unreachable database is reported by database_check
            return f"schema revision unknown ({type(exc).__name__})"
        if current != head:
            return (
                f"migrations pending: database at {current}, code expects {head}; run `pds migrate`"
            )
        return None

    return check


def keys_check(keys: KeyStore) -> ReadinessCheck:
    def check() -> str | None:
        try:
            keys.reload()
        except Exception as exc:  # unreadable, malformed or unsafe key file
            return f"keys unavailable: {exc}"
        return None

    return check


def core_readiness_checks(db: Database, keys: KeyStore) -> list[ReadinessCheck]:
    return [database_check(db), migrations_check(db), keys_check(keys)]


class HealthStatus(BaseModel):
    model_config = example_config({"status": "ok"})

    status: Literal["ok", "unavailable"]
    reasons: list[str] | None = Field(None, description="why it is unavailable")


_OK = {200: ResponseSpec(HealthStatus, description="OK", generate_examples=False)}
_NOT_READY = ResponseSpec(
    HealthStatus,
    description="Not ready (retry after `Retry-After` seconds)",
    generate_examples=False,
    examples=[
        NamedExample(
            id="unavailable",
            summary="The database cannot be reached",
            value={"status": "unavailable", "reasons": ["database unreachable (OperationalError)"]},
        )
    ],
)


def health_routes(checks: Sequence[ReadinessCheck]) -> list[HTTPRouteHandler]:
    @get(
        "/health/live",
        tags=["operations"],
        summary="The process is up",
        security=PUBLIC,
        responses=_OK,
        sync_to_thread=False,
    )
    def live() -> dict[str, str]:
        return {"status": "ok"}

    @get(
        "/health/ready",
        tags=["operations"],
        summary="The service can serve requests (database, schema, keys, audit checkpoint)",
        security=PUBLIC,
        responses={**_OK, 503: _NOT_READY},
        sync_to_thread=True,
    )
    def ready() -> Response[dict[str, Any]]:
        reasons = [reason for check in checks if (reason := check()) is not None]
        if reasons:
            return Response(
                {"status": "unavailable", "reasons": reasons},
                status_code=503,
                headers={"Retry-After": "5", "Cache-Control": "no-store"},
            )
        return Response({"status": "ok"}, headers={"Cache-Control": "no-store"})

    return [live, ready]
