"""Fixtures for audit tests that must not import `pds` or `consent` themselves."""

from __future__ import annotations

from typing import Any

import pytest

from pds.app import Services
from tests.conftest import sign_up
from tests.pds.audit.support import PHONE, auditor_client


@pytest.fixture
def auditor(client: Any, new_client: Any, services: Services) -> Any:
    """An auditor's browser, on a log with a person's sign-up, records and reads in it."""
    sign_up(client)
    record = client.post("/api/v1/me/records", json=PHONE).json()
    for _ in range(4):
        client.get(f"/api/v1/me/records/{record['id']}")
    return auditor_client(new_client, services)


@pytest.fixture
def more_activity(client: Any) -> Any:
    """Call to add entries after a checkpoint was saved."""

    def add(count: int) -> None:
        for _ in range(count):
            client.get("/api/v1/me/records")

    return add
