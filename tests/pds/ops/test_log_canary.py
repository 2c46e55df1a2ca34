"""No token, password, cookie or record value reaches a log line; every line has a request id."""

from __future__ import annotations

import io
import json
import logging
import secrets
from typing import Any

import pytest
import structlog
from sqlalchemy import select

from consent.audit.models import audit_entries
from pds.app import Services
from pds.logs import configure_logging
from pds.settings import Settings, load_settings


@pytest.fixture
def json_logs(settings: Settings) -> Any:
    """Production (JSON) logging into a buffer the test reads."""
    buffer = io.StringIO()
    configure_logging(load_settings({"PDS_ENVIRONMENT": "production"}), stream=buffer)
    # The test's own HTTP client logs every URL it requests: that is the harness, not the server.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    yield buffer
    logging.getLogger("httpx").setLevel(logging.NOTSET)
    configure_logging(settings)


def _lines(captured: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in captured.splitlines() if line.startswith("{")]


def test_canaries_through_every_api_never_reach_the_logs(
    client: Any, new_client: Any, json_logs: io.StringIO
) -> None:
    canary = "CANARY" + secrets.token_hex(6)
    password = canary + "-password"
    email = f"{canary.lower()}@example.org"
    assert (
        client.post("/api/v1/signup", json={"email": email, "password": password}).status_code
        == 201
    )
    record = client.post(
        "/api/v1/me/records", json={"type": "identity.name", "value": {"given_name": canary}}
    ).json()
    client.put(f"/api/v1/me/records/{record['id']}", json={"value": {"given_name": canary + "x"}})
    client.get(f"/api/v1/me/records/{record['id']}/versions")
    client.get("/api/v1/me/export")
    client.post("/api/v1/me/records", json={"type": "contact.phone", "value": {"number": canary}})
    new_client().post("/api/v1/signin", json={"email": email, "password": canary + "-wrong"})
    client.get(f"/signin?next=/{canary}")
    session_cookie = client.cookies.get("pds_session")
    structlog.get_logger("test").info("careless", password=password, token=session_cookie)
    client.request("DELETE", "/api/v1/me", json={"password": password})

    captured = json_logs.getvalue()
    lines = _lines(captured)
    assert len(lines) >= 10, captured[:2000]
    for needle in (canary, canary.lower(), password, email, session_cookie):
        assert needle not in captured
    requests = [line for line in lines if line.get("event") == "request"]
    assert requests and all(len(line["request_id"]) >= 8 for line in requests)
    careless = next(line for line in lines if line.get("event") == "careless")
    assert careless["password"] == "[redacted]" and careless["token"] == "[redacted]"


def test_the_request_id_is_ours_and_the_callers_only_joins_the_access_line(
    client: Any, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    """Found in review: a caller's X-Request-ID was adopted, and so stored in the request's audit
    entries for good; a phone number sent as one could never be erased."""
    generated = client.get("/health/live").headers["x-request-id"]
    assert len(generated) >= 16
    with caplog.at_level(logging.INFO, logger="pds.access"):
        sent = client.post(
            "/api/v1/signin",
            json={"email": "nobody@example.org", "password": "not the password"},
            headers={"X-Request-ID": "Lakshmi.Devi.919876543210"},
        )
        hostile = client.get("/health/live", headers={"X-Request-ID": "bad id\nwith newline"})
    ours = sent.headers["x-request-id"]
    assert ours != "Lakshmi.Devi.919876543210" and len(ours) >= 16
    lines = [r.msg for r in caplog.records if r.name == "pds.access"]
    signin, hostile_line = lines[-2:]  # type: ignore[misc]
    assert signin["route"] == "/api/v1/signin"  # type: ignore[index]
    assert (signin["request_id"], signin["client_request_id"]) == (  # type: ignore[index]
        ours,
        "Lakshmi.Devi.919876543210",
    )
    assert "client_request_id" not in hostile_line  # type: ignore[operator]
    assert hostile.headers["x-request-id"] != "bad id\nwith newline"
    with services.db.read() as conn:
        stored = conn.execute(select(audit_entries.c.request_id)).scalars().all()
    assert ours in stored and "Lakshmi.Devi.919876543210" not in stored


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/api/v1/no-such-thing", 404), ("PATCH", "/health/live", 405)],
)
def test_a_request_no_route_takes_has_an_id_and_an_access_line(
    client: Any, caplog: pytest.LogCaptureFixture, method: str, path: str, status: int
) -> None:
    """An unknown address or a method the path does not take is answered before any route (and
    its middleware): it still gets an id to quote to support, and one access-log line."""
    with caplog.at_level(logging.INFO, logger="pds.access"):
        answer = client.request(
            method, f"{path}?q=private", headers={"X-Request-ID": "ngo-12345678"}
        )
        page = client.request(method, path, headers={"Accept": "text/html"})
    assert answer.status_code == page.status_code == status
    assert len(answer.headers["x-request-id"]) >= 16
    assert len(page.headers["x-request-id"]) >= 16
    lines = [r.msg for r in caplog.records if r.name == "pds.access"]
    assert [(line["route"], line["status"], line["request_id"]) for line in lines] == [  # type: ignore[index]
        (None, status, answer.headers["x-request-id"]),
        (None, status, page.headers["x-request-id"]),
    ]
    assert lines[0]["client_request_id"] == "ngo-12345678"  # type: ignore[index]
    assert "path" not in lines[0]  # type: ignore[operator]


def test_the_access_log_names_the_route_not_the_path(
    client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Found in review: the access line kept the raw path, so record ids (which link a line to a
    person) went wherever the logs are shipped, under other retention than the audit log."""
    client.post("/api/v1/signup", json={"email": "route@example.org", "password": "a long pass"})
    record = client.post(
        "/api/v1/me/records", json={"type": "identity.name", "value": {"given_name": "Asha"}}
    ).json()
    with caplog.at_level(logging.INFO, logger="pds.access"):
        assert client.get(f"/api/v1/me/records/{record['id']}").status_code == 200
    lines = [r.msg for r in caplog.records if r.name == "pds.access"]
    assert lines[-1]["route"] == "/api/v1/me/records/{record_id}"  # type: ignore[index]
    assert lines and record["id"] not in str(lines)
