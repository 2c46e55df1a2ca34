"""Many writers at once: entries equal actions, no sequence gaps. And no unaudited access: when
the audit entry cannot be written, the action fails and leaves nothing behind."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import func, select, text

from consent.audit.models import audit_entries
from consent.scopes import ScopeSet
from pds.app import Services
from pds.records.models import records
from tests.conftest import sign_up
from tests.oauth_support import PURPOSE, bearer, grant_and_token, register
from tests.pds.audit.support import PHONE, log_rows

PARALLEL = 50


def test_fifty_parallel_grants_revocations_and_fetches(
    client: Any, new_client: Any, services: Services
) -> None:
    person_id = sign_up(client)
    phone = client.post("/api/v1/me/records", json=PHONE).json()
    # One organisation per grant job, so no two jobs amend or end the same grant.
    organisations = [register(services, name=f"NGO {i}") for i in range(1 + PARALLEL // 3 + 1)]
    token, _ = grant_and_token(services, person_id, organisations[0], "contact.phone:read")
    before = len(log_rows(services))
    grants = services.consent.grants

    def grant_then_revoke(index: int) -> int:
        from consent.grant_service import ConsentRequest

        ngo = organisations[1 + index // 3]
        request = ConsentRequest(
            person_id,
            ngo.organisation_id,
            ngo.client_id,
            ScopeSet.parse("contact.phone:read"),
            PURPOSE,
        )
        grant = grants.approve(request, request.scopes)
        grants.revoke(person_id, grant.id)
        return 2

    def fetch(_: int) -> int:
        response = new_client().get(f"/api/v1/records/{phone['id']}", headers=bearer(token))
        assert response.status_code == 200, response.text
        return 1

    def read_own(_: int) -> int:
        assert services.records.get(person_id, phone["id"]).id == phone["id"]
        return 1

    jobs = [(grant_then_revoke, fetch, read_own)[i % 3] for i in range(PARALLEL)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        actions = sum(pool.map(lambda pair: pair[1](pair[0]), enumerate(jobs)))
    rows = log_rows(services)
    assert [row["seq"] for row in rows] == list(range(1, len(rows) + 1))  # no gaps, in order
    new = rows[before:]
    assert len(new) == actions
    granting = jobs.count(grant_then_revoke)
    assert sum(row["action"] == "record.read" for row in new) == PARALLEL - granting
    assert sum(row["action"] == "grant.created" for row in new) == granting
    assert sum(row["action"] == "grant.revoked" for row in new) == granting


def _refuse_audit_inserts(services: Services) -> None:
    statements = {
        "sqlite": [
            "CREATE TRIGGER audit_refused BEFORE INSERT ON audit_entries "
            "BEGIN SELECT RAISE(ABORT, 'audit log unavailable'); END"
        ],
        "postgresql": [
            "CREATE OR REPLACE FUNCTION audit_refused() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'audit log unavailable'; END $$",
            "CREATE TRIGGER audit_refused BEFORE INSERT ON audit_entries "
            "FOR EACH ROW EXECUTE FUNCTION audit_refused()",
        ],
    }[services.db.engine.dialect.name]
    with services.db.write() as conn:
        for statement in statements:
            conn.execute(text(statement))


def _allow_audit_inserts(services: Services) -> None:
    with services.db.write() as conn:
        conn.execute(
            text(
                "DROP TRIGGER audit_refused"
                + (" ON audit_entries" if services.db.engine.dialect.name == "postgresql" else "")
            )
        )


def _count(services: Services, table: Any) -> int:
    with services.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_no_unaudited_read_or_write(client: Any, services: Services) -> None:
    sign_up(client)
    record = client.post("/api/v1/me/records", json=PHONE).json()
    entries = _count(services, audit_entries)
    _refuse_audit_inserts(services)
    try:
        for response in (
            client.get(f"/api/v1/me/records/{record['id']}"),
            client.get("/api/v1/me/records"),
            client.post("/api/v1/me/records", json=PHONE),
            client.get("/api/v1/me/export"),
        ):
            assert response.status_code == 503, response.text
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.json()["type"].endswith("/audit-unavailable")
            assert response.headers["retry-after"]
            assert "+919876543210" not in response.text
    finally:
        _allow_audit_inserts(services)
    assert _count(services, records) == 1  # the refused create left no record
    assert _count(services, audit_entries) == entries
    assert client.get(f"/api/v1/me/records/{record['id']}").status_code == 200
