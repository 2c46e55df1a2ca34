"""Helpers for audit tests: an auditor's browser, the raw log, exports."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import BigInteger, Connection, select, type_coerce

from consent.audit.models import audit_entries
from pds.app import Services
from pds.people.service import Role
from tests.conftest import PASSWORD

PHONE = {"type": "contact.phone", "value": {"number": "+919876543210", "kind": "mobile"}}


def auditor_client(
    new_client: Any, services: Services, email: str = "auditor@example.org"
) -> TestClient[Litestar]:
    services.people.sign_up(email, PASSWORD, Role.AUDITOR)
    client: TestClient[Litestar] = new_client()
    response = client.post("/api/v1/signin", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return client


def raw_rows(conn: Connection) -> list[dict[str, Any]]:
    """Every entry as stored (time as raw epoch microseconds), oldest first."""
    columns = [
        type_coerce(c, BigInteger).label("time") if c.name == "time" else c for c in audit_entries.c
    ]
    rows = conn.execute(select(*columns).order_by(audit_entries.c.seq)).all()
    return [row._asdict() for row in rows]


def log_rows(services: Services) -> list[dict[str, Any]]:
    with services.db.read() as conn:
        return raw_rows(conn)


def actions(services: Services) -> list[tuple[str, str]]:
    return [(row["action"], row["outcome"]) for row in log_rows(services)]


def export_text(client: TestClient[Litestar], **params: Any) -> str:
    response = client.get("/api/v1/audit/export", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    return response.text
