"""Readiness fails with a reason for each cause; metrics appear after traffic and need the token."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from litestar.testing import TestClient
from sqlalchemy import text

from pds.app import build_services, create_app
from pds.settings import Settings
from tests.conftest import TEST_ORIGIN, make_settings, sign_up
from tests.pds.ops.schema import schema_version


def _ready(settings: Settings) -> Any:
    services = build_services(settings)
    try:
        with TestClient(create_app(settings, services), base_url=TEST_ORIGIN) as client:
            return client.get("/health/ready")
    finally:
        services.db.dispose()


def test_ready_when_all_is_well(client: Any) -> None:
    response = client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert client.get("/health/live").json() == {"status": "ok"}


def test_not_ready_when_the_database_is_unreachable(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, "postgresql+psycopg://nobody@127.0.0.1:1/none")
    response = _ready(settings)
    assert response.status_code == 503
    assert response.headers["retry-after"]
    assert any("database unreachable" in r for r in response.json()["reasons"])


def test_not_ready_when_migrations_are_pending(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'empty.db'}")
    response = _ready(settings)
    assert response.status_code == 503
    assert any("migrations pending" in r for r in response.json()["reasons"])


def test_not_ready_when_keys_become_unreadable(settings: Settings, services: Any) -> None:
    with TestClient(create_app(settings, services), base_url=TEST_ORIGIN) as client:
        assert client.get("/health/ready").status_code == 200
        settings.resolved_keyring_file.chmod(0o644)
        response = client.get("/health/ready")
        settings.resolved_keyring_file.chmod(0o600)
    assert response.status_code == 503
    assert any("keys unavailable" in r for r in response.json()["reasons"])


def test_schema_rolled_back_is_reported(settings: Settings, services: Any) -> None:
    with schema_version(services.db, "old"):
        response = _ready(settings)
    assert response.status_code == 503
    assert "database at old" in json.dumps(response.json())


def test_metrics_need_the_token_and_show_traffic(tmp_path: Path, database_url: str) -> None:
    settings = make_settings(tmp_path, database_url, metrics_token="s3cret-metrics-token")
    services = build_services(settings)
    with TestClient(create_app(settings, services), base_url=TEST_ORIGIN) as client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        sign_up(client)
        record = client.post(
            "/api/v1/me/records",
            json={"type": "contact.phone", "value": {"number": "+919876543210"}},
        ).json()
        client.get(f"/api/v1/me/records/{record['id']}")
        client.get("/api/v1/me/records/does-not-exist")
        text_body = client.get(
            "/metrics", headers={"Authorization": "Bearer s3cret-metrics-token"}
        ).text
    services.db.dispose()
    assert "pds_requests_total" in text_body
    assert 'path="/api/v1/me/records/{record_id}"' in text_body  # templates, not ids
    assert record["id"] not in text_body
    assert "pds_request_duration_seconds_bucket" in text_body
    assert "pds_people 1.0" in text_body
    assert "pds_grants_active 0.0" in text_body
    assert "pds_tokens_issued 0.0" in text_body
    denied = re.search(r"^pds_accesses_denied (\S+)$", text_body, re.MULTILINE)
    assert denied and float(denied.group(1)) >= 1  # the unknown record read above was denied
    assert "pds_records 1.0" in text_body


def test_metrics_are_off_without_a_token(client: Any) -> None:
    assert client.get("/metrics").status_code == 404


def test_not_ready_when_audit_entries_wait_unsigned_too_long(client: Any, services: Any) -> None:
    sign_up(client)  # one audited entry, not yet covered by a checkpoint
    assert client.get("/health/ready").status_code == 200  # within the interval
    with services.db.write() as conn:  # as if the checkpoint scheduler had stopped an hour ago
        conn.execute(text("UPDATE audit_entries SET time = time - 3600000000"))
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert any("audit checkpoint stale" in r for r in response.json()["reasons"])
    services.audit.auditor.publish_checkpoint()
    assert client.get("/health/ready").status_code == 200
