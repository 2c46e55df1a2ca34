"""The person's connections: list, narrow, revoke — and what that does to the organisation's
tokens, at once; re-authorization shows the difference and never silently widens."""

from __future__ import annotations

import html
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from sqlalchemy import func, select

from consent.grants import grants
from consent.tokens import oauth_tokens
from pds.app import Services
from tests.conftest import PASSWORD, sign_up
from tests.oauth_support import (
    IMMUNISATION,
    NAME,
    PHONE,
    authorization_params,
    bearer,
    csrf_token,
    decide,
    grant_and_token,
    live_server,
    obtain_tokens,
    pkce,
    redirect_query,
    register,
)


def _records(client: Any, token: str) -> Any:
    return client.get("/api/v1/records", headers=bearer(token))


def test_list_shows_plain_language_purpose_expiry_and_last_access(
    client: Any, services: Services
) -> None:
    sign_up(client)
    client.post("/api/v1/me/records", json=PHONE)
    ngo = register(services)
    tokens = obtain_tokens(client, ngo, "contact.phone:read", duration="30")
    assert _records(client, tokens["access_token"]).status_code == 200
    (grant,) = client.get("/api/v1/me/grants").json()["items"]
    assert grant["organisation"]["name"] == "Asha Community Health"
    assert grant["scopes"] == [
        {
            "scope": "contact.phone:read",
            "record_type": "contact.phone",
            "action": "read",
            "label": "See your phone numbers",
        }
    ]
    assert grant["purpose"] == {
        "id": "dpv:ServiceProvision",
        "label": "to provide you with a service",
    }
    assert grant["state"] == "active" and grant["last_access_at"] is not None
    expires = datetime.fromisoformat(grant["expires_at"])
    assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30)


def test_narrowing_applies_to_the_next_call_and_widening_is_refused(
    client: Any, services: Services
) -> None:
    sign_up(client)
    client.post("/api/v1/me/records", json=PHONE)
    client.post("/api/v1/me/records", json=NAME)
    ngo = register(services)
    tokens = obtain_tokens(client, ngo, "contact.phone:read identity.name:read")
    assert len(_records(client, tokens["access_token"]).json()["items"]) == 2
    grant_id = client.get("/api/v1/me/grants").json()["items"][0]["id"]
    url = f"/api/v1/me/grants/{grant_id}"
    narrowed = client.patch(url, json={"scopes": ["identity.name:read"]})
    assert narrowed.status_code == 200, narrowed.text
    assert [item["type"] for item in _records(client, tokens["access_token"]).json()["items"]] == [
        "identity.name"
    ]
    later = (datetime.now(UTC) + timedelta(days=400)).isoformat()
    for body in (
        {"scopes": ["identity.name:read", "contact.phone:read"]},
        {"scopes": ["health.immunisations:read"]},
        {"scopes": []},
        {"expires_at": later},
        {"expires_at": (datetime.now(UTC) - timedelta(days=1)).isoformat()},
    ):
        refused = client.patch(url, json=body)
        assert refused.status_code == 422, (body, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
    for body in ({"expires_at": "2030-01-01T00:00:00"}, {"scopes": ["not a scope"]}, {"x": 1}):
        assert client.patch(url, json=body).status_code == 422, body
    sooner = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    assert client.patch(url, json={"expires_at": sooner}).status_code == 200


def test_revoking_ends_tokens_in_the_same_transaction(client: Any, services: Services) -> None:
    sign_up(client)
    client.post("/api/v1/me/records", json=PHONE)
    ngo = register(services)
    tokens = obtain_tokens(client, ngo, "contact.phone:read")
    grant_id = client.get("/api/v1/me/grants").json()["items"][0]["id"]
    assert client.delete(f"/api/v1/me/grants/{grant_id}").status_code == 204
    with services.db.read() as conn:
        revoked = conn.execute(select(oauth_tokens.c.revoked_at)).scalars().all()
    assert revoked and all(moment is not None for moment in revoked)
    answer = _records(client, tokens["access_token"])
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == 'Bearer realm="pds", error="invalid_token"'
    assert client.delete(f"/api/v1/me/grants/{grant_id}").status_code == 204  # idempotent
    assert client.patch(f"/api/v1/me/grants/{grant_id}", json={"scopes": []}).status_code == 409
    (grant,) = client.get("/api/v1/me/grants").json()["items"]
    assert grant["state"] == "revoked" and grant["revoked_by"] == "person"


def test_grants_of_others_are_404(client: Any, new_client: Any, services: Services) -> None:
    sign_up(client)
    ngo = register(services)
    obtain_tokens(client, ngo, "contact.phone:read")
    grant_id = client.get("/api/v1/me/grants").json()["items"][0]["id"]
    other = new_client()
    sign_up(other, "other@example.org")
    assert other.get("/api/v1/me/grants").json()["items"] == []
    for response in (
        other.get(f"/api/v1/me/grants/{grant_id}"),
        other.delete(f"/api/v1/me/grants/{grant_id}"),
        other.patch(f"/api/v1/me/grants/{grant_id}", json={"scopes": []}),
    ):
        assert response.status_code == 404
    assert client.get(f"/api/v1/me/grants/{grant_id}").json()["state"] == "active"


def test_reauthorization_shows_new_items_and_never_silently_widens(
    client: Any, services: Services
) -> None:
    sign_up(client)
    client.post("/api/v1/me/records", json=PHONE)
    client.post("/api/v1/me/records", json=IMMUNISATION)
    ngo = register(services)
    obtain_tokens(client, ngo, "contact.phone:read")
    both = "contact.phone:read health.immunisations:read"
    _, challenge = pkce()
    page = client.get("/oauth/authorize", params=authorization_params(ngo, both, challenge))
    assert "You already share" in page.text and page.text.count('class="tag">new<') == 1
    # The person keeps only what was already shared: the grant does not grow.
    tokens = obtain_tokens(client, ngo, both, items=["contact.phone:read"])
    assert tokens["scope"] == "contact.phone:read"
    (grant,) = client.get("/api/v1/me/grants").json()["items"]
    assert [s["scope"] for s in grant["scopes"]] == ["contact.phone:read"]
    assert [i["type"] for i in _records(client, tokens["access_token"]).json()["items"]] == [
        "contact.phone"
    ]
    # Approving the new item on the screen that showed it is what widens the grant.
    wider = obtain_tokens(client, ngo, both)
    assert wider["scope"] == both
    (grant,) = client.get("/api/v1/me/grants").json()["items"]
    assert len(grant["scopes"]) == 2


def _ticked(page: str) -> dict[str, bool]:
    """Each checkbox on the consent page by its field name: ticked or not, as a browser shows it."""
    ticked = {}
    for box in re.findall(r'<input type="checkbox"[^>]*>', page):
        name = re.search(r'name="([^"]+)"', box)
        assert name is not None
        ticked[html.unescape(name.group(1))] = " checked" in box
    return ticked


def test_nothing_new_is_ticked_in_advance(client: Any, services: Services) -> None:
    """A box ticked in advance is not consent (Planet49): only what is already shared starts
    ticked, and every new item waits for the person's own tick."""
    sign_up(client)
    ngo = register(services)
    _, challenge = pkce()
    both = "contact.phone:read health.immunisations:read"
    first = client.get("/oauth/authorize", params=authorization_params(ngo, both, challenge))
    assert _ticked(first.text) == {
        "item:contact.phone:read": False,
        "item:health.immunisations:read": False,
    }
    assert "Nothing is shared unless you tick it." in first.text
    obtain_tokens(client, ngo, "contact.phone:read")
    again = client.get("/oauth/authorize", params=authorization_params(ngo, both, challenge))
    assert _ticked(again.text) == {
        "item:contact.phone:read": True,
        "item:health.immunisations:read": False,
    }
    # A new reason is a new consent, for what is already shared too (found in review).
    params = authorization_params(ngo, both, challenge, purpose="dpv:ResearchAndDevelopment")
    new_reason = client.get("/oauth/authorize", params=params)
    assert "changes the reason" in new_reason.text
    assert not any(_ticked(new_reason.text).values())


def test_a_second_request_keeps_the_end_date_unless_the_person_chooses_another(
    client: Any, services: Services
) -> None:
    """Found in review: a second request started at 90 days, so a quick Allow moved a 30-day
    connection's end two months later, which the person never chose."""
    sign_up(client)
    ngo = register(services)
    obtain_tokens(client, ngo, "contact.phone:read", duration="30")
    (before,) = client.get("/api/v1/me/grants").json()["items"]
    both = "contact.phone:read health.immunisations:read"
    _, challenge = pkce()
    page = client.get("/oauth/authorize", params=authorization_params(ngo, both, challenge)).text
    checked = re.findall(r'<input type="radio"[^>]*checked>', page)
    assert checked == [
        '<input type="radio" id="duration-keep" name="duration" value="keep" checked>'
    ]
    assert "as now" in page and "to stop sharing, use" in page and "marked <strong>new" in page
    obtain_tokens(client, ngo, both, duration="keep")
    (kept,) = client.get("/api/v1/me/grants").json()["items"]
    assert kept["expires_at"] == before["expires_at"] and len(kept["scopes"]) == 2
    same = client.get("/oauth/authorize", params=authorization_params(ngo, both, challenge)).text
    assert "marked <strong>new" not in same  # nothing new: no such sentence
    obtain_tokens(client, ngo, both, duration="90")
    (moved,) = client.get("/api/v1/me/grants").json()["items"]
    assert moved["expires_at"] > before["expires_at"]


def test_a_tampered_duration_or_a_cross_site_post_is_refused(
    client: Any, services: Services
) -> None:
    """Found in review: any `duration` was saved as 90 days, and the consent form was the one
    cookie write without the Origin check."""
    sign_up(client)
    ngo = register(services)
    _, challenge = pkce()
    params = authorization_params(ngo, "contact.phone:read", challenge)
    for duration in ("7", "-1", "100000", "abc", "keep"):  # "keep": there is nothing to keep
        refused = decide(client, params, duration=duration)
        assert refused.status_code == 422, duration
        assert "Choose for how long" in refused.text
    page = client.get("/oauth/authorize", params=params)
    form = {"_csrf_token": csrf_token(page.text), "duration": "30", "decision": "approve"}
    form["item:contact.phone:read"] = "yes"
    cross = client.post(
        "/oauth/authorize?" + urlencode(params),
        data=form,
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert cross.status_code == 403
    assert client.get("/api/v1/me/grants").json()["items"] == []


def test_the_consent_screen_says_kept_items_follow_the_new_time(
    client: Any, services: Services
) -> None:
    """One grant per organisation has one end date: allowing a new request moves the end of what
    was already shared too, and the screen says so instead of "not changed here"."""
    sign_up(client)
    ngo = register(services)
    obtain_tokens(client, ngo, "contact.phone:read", duration="30")
    (before,) = client.get("/api/v1/me/grants").json()["items"]
    _, challenge = pkce()
    page = client.get(
        "/oauth/authorize", params=authorization_params(ngo, "identity.name:read", challenge)
    )
    assert "Also shared with them already" in page.text
    assert "they are shared for the time you choose below, and for the reason above" in page.text
    obtain_tokens(client, ngo, "identity.name:read", duration="90")
    (after,) = client.get("/api/v1/me/grants").json()["items"]
    assert {s["scope"] for s in after["scopes"]} == {"contact.phone:read", "identity.name:read"}
    assert after["expires_at"] > before["expires_at"]  # what the screen said


def test_approving_nothing_asks_again(client: Any, services: Services) -> None:
    sign_up(client)
    ngo = register(services)
    _, challenge = pkce()
    answer = decide(client, authorization_params(ngo, "contact.phone:read", challenge), items=[])
    assert answer.status_code == 422 and "Choose at least one item" in answer.text
    assert client.get("/api/v1/me/grants").json()["items"] == []
    # Asked again with what the person chose, not reset to sharing everything for 90 days.
    again = decide(
        client,
        authorization_params(ngo, "contact.phone:read health.immunisations:read", challenge),
        items=[],
        duration="30",
    ).text
    boxes = re.findall(r'<input type="checkbox"[^>]*>', again)
    radios = re.findall(r'<input type="radio"[^>]*>', again)
    assert len(boxes) == 2 and not any("checked" in box for box in boxes)
    assert [radio for radio in radios if "checked" in radio] == [
        '<input type="radio" id="duration-30" name="duration" value="30" checked>'
    ]


def test_signed_out_person_is_sent_to_sign_in_and_back(
    client: Any, new_client: Any, services: Services
) -> None:
    sign_up(client)
    ngo = register(services)
    _, challenge = pkce()
    params = authorization_params(ngo, "contact.phone:read", challenge)
    stranger = new_client()
    first = stranger.get("/oauth/authorize", params=params, follow_redirects=False)
    assert first.status_code in (302, 303)
    assert first.headers["location"].startswith("/signin?next=%2Foauth%2Fauthorize%3F")
    page = client.get("/oauth/authorize", params=params)
    assert "form-action 'self' https://ngo.example.org" in page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "no-referrer"
    assert redirect_query(decide(client, params))["code"]


def test_export_lists_connections_and_erasure_revokes_them(client: Any, services: Services) -> None:
    sign_up(client)
    client.post("/api/v1/me/records", json=PHONE)
    ngo = register(services)
    tokens = obtain_tokens(client, ngo, "contact.phone:read")
    exported = client.get("/api/v1/me/export").json()
    assert [c["organisation"]["name"] for c in exported["connections"]] == ["Asha Community Health"]
    erased = client.request("DELETE", "/api/v1/me", json={"password": PASSWORD})
    assert erased.status_code == 204, erased.text
    assert _records(client, tokens["access_token"]).status_code == 401
    with services.db.read() as conn:
        assert all(conn.execute(select(oauth_tokens.c.revoked_at)).scalars().all())


def test_no_request_starting_after_a_revoke_is_served(
    client: Any, app: Any, services: Services
) -> None:
    sign_up(client)
    person = client.get("/api/v1/me").json()["id"]
    client.post("/api/v1/me/records", json=PHONE)
    ngo = register(services)
    token, grant_id = grant_and_token(services, person, ngo, "contact.phone:read")
    stop = threading.Event()
    revoked_at: list[float] = []

    def hammer(_: int) -> list[tuple[float, int]]:
        seen = []
        with httpx.Client(base_url=base_url, headers=bearer(token)) as http:
            while not stop.is_set():
                started = time.monotonic()
                seen.append((started, http.get("/api/v1/records").status_code))
        return seen

    with live_server(app) as base_url, ThreadPoolExecutor(max_workers=4) as pool:
        running = [pool.submit(hammer, i) for i in range(4)]
        time.sleep(0.4)
        cookies = dict(client.cookies.items())
        revoke = httpx.delete(f"{base_url}/api/v1/me/grants/{grant_id}", cookies=cookies)
        revoked_at.append(time.monotonic())  # the revoke's response has arrived
        assert revoke.status_code == 204, revoke.text
        time.sleep(0.4)
        stop.set()
        seen = [entry for future in running for entry in future.result()]
    before = [status for started, status in seen if started < revoked_at[0]]
    after = [status for started, status in seen if started > revoked_at[0]]
    assert 200 in before and after, (len(before), len(after))
    assert set(after) == {401}


def test_the_consent_screen_says_whose_consent_it_is(client: Any, services: Services) -> None:
    """On a shared phone: the account is named, and "Not you?" signs out and back to the request."""
    sign_up(client, "asha@example.org")
    ngo = register(services)
    _, challenge = pkce()
    params = authorization_params(ngo, "contact.phone:read", challenge)
    page = client.get("/oauth/authorize", params=params)
    assert "You are signed in as asha@example.org." in page.text
    form = re.search(r'<form method="post" action="/signout".*?</form>', page.text, re.S)
    assert form is not None
    fields = {k: html.unescape(v) for k, v in re.findall(r'name="(\w+)" value="([^"]*)"', form[0])}
    left = client.post("/signout", data=fields, follow_redirects=False)
    assert left.status_code in (302, 303)
    back = parse_qs(urlsplit(left.headers["location"]).query)["next"][0]
    assert back == "/oauth/authorize?" + urlencode(params)
    assert client.get("/oauth/authorize", params=params, follow_redirects=False).status_code in (
        302,
        303,
    )  # signed out: the next person signs in first


def test_only_a_person_can_consent(new_client: Any, services: Services) -> None:
    """Found in review: an auditor's account approved a request, and got a grant it could
    neither see nor revoke (it has no connections page)."""
    from tests.pds.audit.support import auditor_client

    auditor = auditor_client(new_client, services)
    ngo = register(services)
    _, challenge = pkce()
    params = authorization_params(ngo, "contact.phone:read", challenge)
    page = auditor.get("/oauth/authorize", params=params)
    assert page.status_code == 403 and "This page is not for your account" in page.text
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token is not None  # the error page's language switch carries one
    form = {"decision": "approve", "item:contact.phone:read": "yes", "_csrf_token": token[1]}
    answer = auditor.post(
        "/oauth/authorize?" + urlencode(params), data=form, follow_redirects=False
    )
    assert answer.status_code == 403
    with services.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(grants)).scalar_one() == 0
