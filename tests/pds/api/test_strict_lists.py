"""Every list reads its query strictly: a parameter it does not take, an empty one or one given
twice is named in a 422, never ignored (ignored, the answer is to another question: everything
where a filter was misspelt, one type's records where two were asked for)."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from pds.app import Services
from tests.conftest import sign_up
from tests.oauth_support import register

PERSON_LISTS = [
    ("/api/v1/me/records", "typ=contact.phone", "typ", "unknown parameter"),
    ("/api/v1/me/activity", "outcom=denied", "outcom", "unknown parameter"),
    ("/api/v1/me/activity", "outcome=allowed&outcome=denied", "outcome", "given more than once"),
    ("/api/v1/me/receipts", "grant=abc", "grant", "unknown parameter"),
    ("/api/v1/me/receipts", "limit=5&limit=50", "limit", "given more than once"),
    ("/api/v1/me/receipts", "grant_id=", "grant_id", "empty"),
]


def _named(answer: Any) -> list[tuple[str, str]]:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    return [(error["field"], error["message"]) for error in answer.json()["errors"]]


@pytest.mark.parametrize(("path", "query", "key", "message"), PERSON_LISTS)
def test_a_persons_list_names_what_it_does_not_take(
    client: Any, path: str, query: str, key: str, message: str
) -> None:
    sign_up(client)
    assert client.get(path).status_code == 200
    assert (key, message) in _named(client.get(f"{path}?{query}"))


def test_an_organisations_receipt_list_names_what_it_does_not_take(
    client: Any, services: Services
) -> None:
    ngo = register(services)
    assert ngo.client_secret is not None
    basic = base64.b64encode(f"{ngo.client_id}:{ngo.client_secret}".encode()).decode()
    headers = {"Authorization": f"Basic {basic}"}
    assert client.get("/api/v1/receipts", headers=headers).status_code == 200
    named = _named(client.get("/api/v1/receipts?since=2026-01-01", headers=headers))
    assert named == [("since", "unknown parameter")]
