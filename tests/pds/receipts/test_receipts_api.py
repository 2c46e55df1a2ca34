"""The receipts APIs over HTTP, on both engines: the person's, the organisation's, the JWKS."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from litestar.testing import TestClient
from sqlalchemy import select, update

from consent.receipt_tables import consent_receipts
from pds.app import Services, build_services, create_app
from tests.conftest import PASSWORD, TEST_ORIGIN, make_settings, sign_up
from tests.oauth_support import Registered, obtain_tokens, register
from tests.receipt_support import connect, jwcrypto_verify

SCOPES = "contact.phone:read health.immunisations:read"


def _basic(client_id: str, secret: str) -> dict[str, str]:
    token = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def _auth(ngo: Registered) -> dict[str, str]:
    assert ngo.client_secret is not None
    return _basic(ngo.client_id, ngo.client_secret)


def _connected_person(client: Any, services: Services) -> tuple[str, Registered, str]:
    """A person who consents through the real OAuth flow, then narrows and revokes."""
    person_id = sign_up(client)
    ngo = register(services)
    obtain_tokens(client, ngo, SCOPES)
    grant_id = client.get("/api/v1/me/grants").json()["items"][0]["id"]
    narrowed = client.patch(
        f"/api/v1/me/grants/{grant_id}", json={"scopes": ["contact.phone:read"]}
    )
    assert narrowed.status_code == 200, narrowed.text
    assert client.delete(f"/api/v1/me/grants/{grant_id}").status_code == 204
    return person_id, ngo, grant_id


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["type"].startswith("/problems/")
    return body


def test_the_person_lists_reads_and_downloads_receipts(client: Any, services: Services) -> None:
    _, _, grant_id = _connected_person(client, services)
    listed = client.get("/api/v1/me/receipts")
    assert listed.status_code == 200 and listed.headers["cache-control"] == "no-store"
    items = listed.json()["items"]
    assert [i["event_type"] for i in items] == ["withdrawn", "narrowed", "given"]  # newest first
    assert {i["grant_id"] for i in items} == {grant_id}
    assert items[0]["organisation_name"] == "Asha Community Health"
    paged, cursor = [], None
    while True:
        page = client.get(
            "/api/v1/me/receipts", params={"limit": 1, **({"cursor": cursor} if cursor else {})}
        ).json()
        paged += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert paged == items
    published = client.get("/.well-known/jwks.json")
    assert set(published.headers["cache-control"].split(", ")) == {"public", "max-age=300"}
    for item in items:
        detail = client.get(f"/api/v1/me/receipts/{item['id']}").json()
        assert detail["payload"]["consentReceiptID"] == item["id"]
        assert detail["header"]["kid"] == item["kid"] and detail["header"]["alg"] == "EdDSA"
        raw = client.get(
            f"/api/v1/me/receipts/{item['id']}", headers={"Accept": "application/jose"}
        )
        assert raw.headers["content-type"].startswith("application/jose")
        assert f"receipt-{item['id']}.jws" in raw.headers["content-disposition"]
        assert raw.text == detail["jws"]
        assert jwcrypto_verify(raw.text, published.json()) == detail["payload"]
    only = client.get("/api/v1/me/receipts", params={"grant_id": grant_id}).json()["items"]
    assert len(only) == 3


def test_receipts_are_private_to_their_person(
    client: Any, new_client: Any, services: Services
) -> None:
    _connected_person(client, services)
    receipt_id = client.get("/api/v1/me/receipts").json()["items"][0]["id"]
    other = new_client()
    sign_up(other, "other@example.org")
    _problem(other.get(f"/api/v1/me/receipts/{receipt_id}"), 404)
    assert other.get("/api/v1/me/receipts").json()["items"] == []
    _problem(new_client().get("/api/v1/me/receipts"), 401)


BAD_INPUT = [
    ("/api/v1/me/receipts", {"cursor": "not-a-cursor"}, {400}),
    ("/api/v1/me/receipts", {"cursor": base64.urlsafe_b64encode(b"9" * 40).decode()}, {400}),
    ("/api/v1/me/receipts", {"cursor": "x" * 500}, {400, 422}),
    ("/api/v1/me/receipts", {"limit": "0"}, {400, 422}),
    ("/api/v1/me/receipts", {"limit": "100000"}, {400, 422}),
    ("/api/v1/me/receipts", {"limit": "many"}, {400, 422}),
    ("/api/v1/me/receipts/" + "x" * 100, {}, {400, 422}),
    ("/api/v1/me/receipts/unknown", {}, {404}),
]


def test_bad_input_gets_a_problem_never_a_500(client: Any, services: Services) -> None:
    sign_up(client)
    for path, params, statuses in BAD_INPUT:
        response = client.get(path, params=params)
        assert response.status_code in statuses, (path, params, response.text)
        _problem(response, response.status_code)


def test_an_organisation_lists_the_receipts_of_its_grants(client: Any, services: Services) -> None:
    _, ngo, grant_id = _connected_person(client, services)
    elsewhere = connect(services)  # another NGO's grant: never listed to this one
    published = client.get("/.well-known/jwks.json").json()
    listed = client.get("/api/v1/receipts", headers=_auth(ngo))
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert [i["event_type"] for i in items] == ["given", "narrowed", "withdrawn"]  # oldest first
    assert all(i["grant_id"] == grant_id != elsewhere.grant.id for i in items)
    assert "person_id" not in listed.text
    for item in items:
        assert jwcrypto_verify(item["jws"], published)["consentReceiptID"] == item["id"]
    first = client.get("/api/v1/receipts", params={"limit": 2}, headers=_auth(ngo)).json()
    rest = client.get(
        "/api/v1/receipts", params={"cursor": first["next_cursor"]}, headers=_auth(ngo)
    ).json()
    assert first["items"] + rest["items"] == items and rest["next_cursor"] is None


def test_organisation_credentials_are_checked(client: Any, services: Services) -> None:
    ngo = register(services)
    public = register(services, name="Public app", public=True)
    assert ngo.client_secret is not None
    cases: list[dict[str, str]] = [
        {},
        _basic(ngo.client_id, ngo.client_secret + "x"),
        _basic("pds_unknown", ngo.client_secret),
        _basic(public.client_id, ""),
        {"Authorization": "Basic !!!notbase64"},
        {"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()},
        {"Authorization": "Bearer " + ngo.client_secret},
        {"Authorization": "Basic " + base64.b64encode(b"\xff\xfe:x").decode()},
        _basic("x" * 500, "y"),
    ]
    for headers in cases:
        for method, path in (("GET", "/api/v1/receipts"), ("GET", "/api/v1/webhook")):
            response = client.request(method, path, headers=headers)
            _problem(response, 401)
            assert response.headers["www-authenticate"].startswith("Basic ")


def test_an_organisation_manages_its_webhook(client: Any, services: Services) -> None:
    ngo = register(services)
    _problem(client.get("/api/v1/webhook", headers=_auth(ngo)), 404)
    url = "https://ngo.example.org/pds/notices"
    saved = client.put("/api/v1/webhook", json={"url": url}, headers=_auth(ngo))
    assert saved.status_code == 200 and saved.json()["url"] == url
    assert client.get("/api/v1/webhook", headers=_auth(ngo)).json()["url"] == url
    for bad in (
        {"url": "http://ngo.example.org/notices"},
        {"url": "https://user:pw@ngo.example.org/"},
        {"url": "javascript:alert(1)"},
        {"url": url + "\r\nX-Injected: y"},  # was saved, then failed every delivery for 72 h
        {"url": url + " x"},
        {"url": url + "#"},
        {"url": url, "extra": 1},
        {"url": 5},
        {},
    ):
        response = client.put("/api/v1/webhook", json=bad, headers=_auth(ngo))
        assert response.status_code in (400, 422), (bad, response.text)
        _problem(response, response.status_code)
    malformed = client.put(
        "/api/v1/webhook",
        content=b"{not json",
        headers={**_auth(ngo), "Content-Type": "application/json"},
    )
    _problem(malformed, 400)
    assert client.delete("/api/v1/webhook", headers=_auth(ngo)).status_code == 204
    _problem(client.get("/api/v1/webhook", headers=_auth(ngo)), 404)


def test_receipts_are_exported_and_erasure_invalidates_the_consents(
    client: Any, services: Services
) -> None:
    person_id = sign_up(client)
    ngo = register(services)
    obtain_tokens(client, ngo, SCOPES)
    export = client.get("/api/v1/me/export").json()
    assert [r["event_type"] for r in export["receipts"]] == ["given"]
    grant_id = export["receipts"][0]["grant_id"]
    assert client.request("DELETE", "/api/v1/me", json={"password": PASSWORD}).status_code == 204
    chain = services.receipts.receipts.chain(grant_id)
    assert [r.event_type for r in chain] == ["given", "invalidated"]
    assert chain[0].person_id == person_id
    listed = client.get("/api/v1/receipts", headers=_auth(ngo)).json()["items"]
    assert [i["event_type"] for i in listed] == ["given", "invalidated"]


def test_openapi_documents_the_receipt_apis(client: Any) -> None:
    paths = client.get("/schema/openapi.json").json()["paths"]
    for path in (
        "/api/v1/me/receipts",
        "/api/v1/me/receipts/{receipt_id}",
        "/api/v1/receipts",
        "/api/v1/webhook",
        "/.well-known/jwks.json",
    ):
        assert path in paths, path


def test_metrics_show_receipts_and_the_outbox(tmp_path: Path, database_url: str) -> None:
    settings = make_settings(
        tmp_path, database_url, metrics_token="t0ken-for-metrics", background_worker=False
    )
    services = build_services(settings)
    try:
        connected = connect(services)
        services.receipts.notices.set_webhook(connected.ngo.organisation_id, "https://n.example/")
        services.consent.grants.revoke(connected.person_id, connected.grant.id)
        with TestClient(create_app(settings, services), base_url=TEST_ORIGIN) as http:
            text = http.get("/metrics", headers={"Authorization": "Bearer t0ken-for-metrics"}).text
    finally:
        services.db.dispose()
    assert "pds_consent_receipts 2.0" in text
    assert "pds_notice_outbox_depth 1.0" in text
    assert "pds_notice_delivery_failures 0.0" in text


def test_a_tampered_stored_receipt_is_refused_not_served(client: Any, services: Services) -> None:
    _connected_person(client, services)
    receipt_id = client.get("/api/v1/me/receipts").json()["items"][0]["id"]
    with services.db.write() as conn:
        jws = conn.execute(
            select(consent_receipts.c.jws).where(consent_receipts.c.id == receipt_id)
        ).scalar_one()
        forged = jws.replace(".eyJ", ".eyK", 1)
        conn.execute(
            update(consent_receipts).where(consent_receipts.c.id == receipt_id).values(jws=forged)
        )
    body = _problem(client.get(f"/api/v1/me/receipts/{receipt_id}"), 409)
    assert body["receipt_id"] == receipt_id
    odd_accept = client.get(f"/api/v1/me/receipts/{receipt_id}", headers={"Accept": ";;, q=x"})
    assert odd_accept.status_code < 500
