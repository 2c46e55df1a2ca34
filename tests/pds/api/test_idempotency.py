"""`Idempotency-Key` on record-creating POSTs: one record, one audit entry, the same response."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from sqlalchemy import func, select

from consent.audit.models import audit_entries
from pds.app import Services
from tests.conftest import sign_up
from tests.oauth_support import bearer, grant_and_token, live_server, register

PHONE = {"type": "contact.phone", "value": {"number": "+919876543210"}}


def _count(services: Services, table: Any, *where: Any) -> int:
    with services.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def _creates(services: Services) -> int:
    return _count(services, audit_entries, audit_entries.c.action == "record.create")


def test_replay_returns_the_first_response_with_one_side_effect(
    client: Any, services: Services
) -> None:
    sign_up(client)
    key = {"Idempotency-Key": "field-app-7f3a-0001"}
    first = client.post("/api/v1/me/records", json=PHONE, headers=key)
    assert first.status_code == 201
    again = client.post("/api/v1/me/records", json=PHONE, headers=key)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert len(client.get("/api/v1/me/records").json()["items"]) == 1
    assert _creates(services) == 1


def test_same_key_with_another_body_is_refused(client: Any, services: Services) -> None:
    sign_up(client)
    key = {"Idempotency-Key": "k-12345678"}
    client.post("/api/v1/me/records", json=PHONE, headers=key)
    other = {"type": "contact.phone", "value": {"number": "+919812345678"}}
    response = client.post("/api/v1/me/records", json=other, headers=key)
    assert response.status_code == 422
    assert response.json()["type"].endswith("/idempotency-key-reused")
    assert len(client.get("/api/v1/me/records").json()["items"]) == 1


def test_keys_belong_to_their_owner_and_absent_keys_create_each_time(
    client: Any, new_client: Any, services: Services
) -> None:
    sign_up(client)
    other = new_client()
    sign_up(other, "other@example.org")
    key = {"Idempotency-Key": "shared-key-0001"}
    mine = client.post("/api/v1/me/records", json=PHONE, headers=key).json()
    theirs = other.post("/api/v1/me/records", json=PHONE, headers=key).json()
    assert mine["id"] != theirs["id"]
    client.post("/api/v1/me/records", json=PHONE)
    client.post("/api/v1/me/records", json=PHONE)
    assert len(client.get("/api/v1/me/records").json()["items"]) == 3
    too_long = client.post("/api/v1/me/records", json=PHONE, headers={"Idempotency-Key": "x" * 300})
    assert too_long.status_code in (400, 422)


def test_concurrent_replays_by_an_organisation_create_one_record(
    app: Any, client: Any, services: Services
) -> None:
    person_id = sign_up(client)
    organisation = register(services)
    token, _grant = grant_and_token(services, person_id, organisation, "contact.phone:write")
    headers = {**bearer(token), "Idempotency-Key": "ngo-batch-42-item-7"}
    with live_server(app) as base, ThreadPoolExecutor(8) as pool:
        responses = list(
            pool.map(
                lambda _: httpx.post(f"{base}/api/v1/records", json=PHONE, headers=headers),
                range(8),
            )
        )
    assert {r.status_code for r in responses} == {201}, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert len(client.get("/api/v1/me/records").json()["items"]) == 1
    assert _creates(services) == 1
