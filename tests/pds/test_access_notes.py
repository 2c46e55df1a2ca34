"""Noting a grant's last access never makes a fetch wait for another transaction."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import pytest
from sqlalchemy import select

from consent.grants import grants
from pds.app import Services
from tests.conftest import sign_up
from tests.oauth_support import PHONE, bearer, grant_and_token, register


def test_a_fetch_due_to_note_its_access_does_not_wait_for_a_held_grant_row(
    client: Any, services: Services, engine_name: str
) -> None:
    """Found by the bench: every minute each busy grant's note falls due; a fetch waited for the
    grant's row while another worker's group commit held it, and two groups noting the same two
    grants in opposite orders deadlocked (one request failed after PostgreSQL's 1 s timeout)."""
    if engine_name != "postgresql":
        pytest.skip("row locks are PostgreSQL's: SQLite has one writer at a time")
    person_id = sign_up(client)
    record = client.post("/api/v1/me/records", json=PHONE).json()
    token, grant_id = grant_and_token(services, person_id, register(services), "contact.phone:read")
    with services.db.engine.connect() as other, ThreadPoolExecutor(max_workers=1) as fetcher:
        held = other.begin()  # another transaction holds the grant's row
        other.execute(select(grants.c.id).where(grants.c.id == grant_id).with_for_update())
        fetch = fetcher.submit(client.get, f"/api/v1/records/{record['id']}", headers=bearer(token))
        try:
            answer = fetch.result(timeout=10)
        except FutureTimeout:
            answer = None
        finally:
            held.rollback()
        assert answer is not None, "the fetch waited for the held grant row"
        assert answer.status_code == 200, answer.text
    # Once the row is free, the next due note is written as before.
    assert client.get(f"/api/v1/records/{record['id']}", headers=bearer(token)).status_code == 200
    with services.db.read() as conn:
        noted = conn.execute(select(grants.c.last_access_at).where(grants.c.id == grant_id))
        assert noted.scalar_one() is not None
