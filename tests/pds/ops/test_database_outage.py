"""When PostgreSQL goes away every endpoint answers 503 + Retry-After, then recovers by itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy.engine import make_url

from pds.app import build_services, create_app
from tests.conftest import PASSWORD, TEST_ORIGIN, make_settings, sign_up
from tests.pds.ops.tcp_proxy import TcpProxy

pytestmark = pytest.mark.parametrize("engine_name", ["postgresql"], indirect=True)
PHONE = {"type": "contact.phone", "value": {"number": "+919876543210"}}


@pytest.fixture
def proxied(database_url: str, tmp_path: Path) -> Iterator[tuple[Any, TcpProxy]]:
    url = make_url(database_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    proxy.start()
    via_proxy = url.set(port=proxy.port).render_as_string(hide_password=False)
    settings = make_settings(tmp_path, via_proxy)
    services = build_services(settings)
    with TestClient(create_app(settings, services), base_url=TEST_ORIGIN) as client:
        yield client, proxy
    proxy.stop()
    services.db.dispose()


def _assert_unavailable(response: Any) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert int(response.headers["retry-after"]) > 0


def test_outage_gives_503_everywhere_and_no_access_then_recovery(
    proxied: tuple[Any, TcpProxy],
) -> None:
    client, proxy = proxied
    sign_up(client)
    record = client.post("/api/v1/me/records", json=PHONE).json()

    proxy.stop()
    for method, path, body in (
        ("GET", "/api/v1/me/records", None),
        ("GET", f"/api/v1/me/records/{record['id']}", None),
        ("POST", "/api/v1/me/records", PHONE),
        ("POST", "/api/v1/signin", {"email": "asha@example.org", "password": PASSWORD}),
        ("POST", "/api/v1/signup", {"email": "new@example.org", "password": PASSWORD}),
        ("GET", "/api/v1/me/export", None),
    ):
        _assert_unavailable(client.request(method, path, json=body))
    ready = client.get("/health/ready")
    assert ready.status_code == 503 and "database unreachable" in ready.text

    proxy.start()  # the database is back: no restart needed
    assert client.get("/health/ready").status_code == 200
    items = client.get("/api/v1/me/records").json()["items"]
    assert [item["id"] for item in items] == [record["id"]]  # nothing partial was written
    assert client.post("/api/v1/me/records", json=PHONE).status_code == 201
