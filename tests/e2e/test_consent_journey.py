"""The whole story in a real browser, with an NGO's stock OAuth client on the other side.

A person signs up and adds records; an NGO (requests-oauthlib, PKCE S256, endpoints discovered from
the server's metadata) asks for three kinds of record; the person unticks one on the consent
screen; the NGO gets only the other two; the person sees the access, shares less, then stops
sharing in Connections; the NGO's next fetch fails; the revocation receipt downloads and verifies
with an independent JOSE library against the published keys.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from jwcrypto import jwk, jws
from requests_oauthlib import OAuth2Session

from pds.people.service import Role
from tests.e2e.conftest import (
    DESKTOP,
    PDS,
    LiveServer,
    add_record,
    check_accessibility,
    free_port,
    screenshot,
    sign_in,
    sign_up,
)

pytestmark = pytest.mark.e2e

ASKED = ["identity.name:read", "contact.phone:read", "health.immunisations:read"]
NGO = "Sahayak Health Trust"


def _grant_access(page: Any, base: str, ngo: OAuth2Session, callbacks: list[str]) -> Any:
    """The NGO asks, the person ticks name and phone (not immunisations) and allows, the NGO gets
    its token."""
    metadata = httpx.get(f"{base}/.well-known/oauth-authorization-server").json()
    url, _state = ngo.authorization_url(
        metadata["authorization_endpoint"], purpose="dpv:ServiceProvision"
    )
    page.goto(url)
    page.get_by_role("heading", name=re.compile(NGO)).wait_for()
    check_accessibility(page, "consent screen")
    screenshot(page, "consent")
    screenshot(page, "consent-phone", phone=True)
    # Nothing is ticked in advance: the person ticks the two items they agree to share.
    immunisations = page.get_by_label(re.compile("immunisation history"))
    assert not immunisations.is_checked()
    page.get_by_label(re.compile("your name")).check()
    page.get_by_label(re.compile("phone numbers")).check()
    page.get_by_role("button", name="Allow", exact=True).click()
    page.wait_for_url(re.compile(r"/callback\?"))
    return metadata, callbacks[-1]


def test_consent_fetch_see_narrow_revoke_and_verify_receipt_then_audit(
    live_server: LiveServer,
    browser: Any,
    page: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the NGO's redirect is on loopback
    # The person may approve less than was asked; oauthlib only accepts that when told to.
    monkeypatch.setenv("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")
    base = live_server.base
    redirect_uri = f"http://127.0.0.1:{free_port()}/callback"
    organisation_id, client_id, secret = live_server.register_ngo(NGO, redirect_uri, ASKED)

    sign_up(page, base, "journey@example.org")
    add_record(page, base, "identity.name", {"Given name": "Asha", "Family name": "Devi"})
    add_record(page, base, "contact.phone", {"Number": "9876543210"})
    add_record(
        page, base, "health.immunisations", {"Dose number": "1", "Date": "2024-01-15"},
        selects={"Vaccine": "td"},
    )  # fmt: skip

    # The NGO's app only sees its callback URL; the browser is sent there after consent.
    callbacks: list[str] = []

    def ngo_callback(route: Any) -> None:
        callbacks.append(route.request.url)
        route.fulfill(status=200, content_type="text/plain", body="Sahayak app: thank you")

    page.route(re.compile(re.escape(redirect_uri.rsplit("/", 1)[0]) + "/.*"), ngo_callback)
    ngo = OAuth2Session(client_id, redirect_uri=redirect_uri, scope=ASKED, pkce="S256")
    metadata, callback = _grant_access(page, base, ngo, callbacks)
    token = ngo.fetch_token(
        metadata["token_endpoint"], authorization_response=callback, client_secret=secret
    )
    assert sorted(token["scope"]) == ["contact.phone:read", "identity.name:read"]
    fetched = ngo.get(f"{base}/api/v1/records", timeout=10)
    assert fetched.status_code == 200
    assert {r["type"] for r in fetched.json()["items"]} == {"identity.name", "contact.phone"}

    # The person sees the access in Activity, and can narrow the list to that organisation.
    page.goto(f"{base}/activity")
    read = page.get_by_text(re.compile(f"^{NGO} looked at your records: (Name|Phone numbers)"))
    assert read.count() >= 1
    assert page.get_by_text(f"You gave {NGO} access to").count() == 1
    page.get_by_label("Who").select_option(label=NGO)
    page.get_by_role("button", name="Show").click()
    assert read.count() >= 1 and page.get_by_text("You created the account").count() == 0
    check_accessibility(page, "activity")
    screenshot(page, "activity")

    # The person sees who can see what, on the records and in Connections.
    page.goto(f"{base}/")
    assert page.get_by_text(f"Shared with: {NGO}").count() == 2
    page.get_by_role("link", name="Phone numbers").click()
    assert page.get_by_text(f"{NGO}: can see this kind of record").is_visible()
    page.get_by_role("link", name="Connections", exact=True).click()
    connection = page.get_by_role("region", name=NGO)
    assert "See your phone numbers" in connection.inner_text()
    assert "To provide you with a service" in connection.inner_text()
    check_accessibility(page, "connections")
    screenshot(page, "connections")
    screenshot(page, "connections-phone", phone=True)

    # Share less: one click, a page that says what changes, one click to confirm.
    connection.get_by_role("link", name=re.compile("Stop sharing this.*phone numbers")).click()
    assert "can no longer" in page.get_by_role("main").inner_text()
    check_accessibility(page, "share less confirmation")
    page.get_by_role("button", name="Yes, share less").click()
    assert page.get_by_role("status").inner_text().startswith("Done.")
    narrowed = ngo.get(f"{base}/api/v1/records", timeout=10).json()["items"]
    assert {r["type"] for r in narrowed} == {"identity.name"}

    # End sooner: choose the new end on the page that says what it means, confirm.
    page.get_by_role("region", name=NGO).get_by_role("link", name=re.compile("^End sooner")).click()
    check_accessibility(page, "end sooner")
    page.get_by_label(re.compile("^In a week")).check()
    page.get_by_role("button", name="End sooner").click()
    assert page.get_by_role("status").inner_text().startswith("Done.")

    # Stop sharing: the same two clicks; the NGO's very next request fails.
    page.get_by_role("region", name=NGO).get_by_role(
        "link", name=re.compile("Stop sharing")
    ).click()
    check_accessibility(page, "stop sharing confirmation")
    screenshot(page, "stop-sharing")
    page.get_by_role("button", name="Yes, stop sharing").click()
    assert "can no longer see or change anything" in page.get_by_role("status").inner_text()
    assert ngo.get(f"{base}/api/v1/records", timeout=10).status_code == 401
    assert page.get_by_role("heading", name="Ended connections").is_visible()

    # The refused fetch is in Activity too, with the reason.
    page.goto(f"{base}/activity?outcome=denied")
    refused = page.get_by_role("listitem").filter(has_text=f"{NGO} looked at your records")
    assert "Refused" in refused.first.inner_text()
    assert "you had taken the access back" in refused.first.inner_text()
    screenshot(page, "activity-refused", phone=True)

    # The revocation receipt: listed first, readable, downloadable, and it verifies.
    page.goto(f"{base}/connections")
    page.get_by_role("link", name="Receipts", exact=True).first.click()
    check_accessibility(page, "receipts")
    screenshot(page, "receipts")
    page.get_by_role("link", name=f"You stopped sharing with {NGO}").click()
    check_accessibility(page, "receipt")
    screenshot(page, "receipt")
    assert "Nothing: they no longer have access." in page.get_by_role("main").inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the signed receipt").click()
    saved = tmp_path / "receipt.jws"
    download.value.save_as(saved)
    keys = jwk.JWKSet.from_json(httpx.get(f"{base}/.well-known/jwks.json").text)
    token_jws = jws.JWS()
    token_jws.deserialize(saved.read_text().strip())
    token_jws.verify(keys)  # raises unless signed by a published key
    claims = json.loads(token_jws.payload)
    assert claims["consentRecord"]["event"]["eventState"] == "dpv:ConsentWithdrawn"
    assert claims["grant"]["state"] == "revoked"

    _auditor_finds_and_proves(live_server, browser, organisation_id, tmp_path)


def _auditor_finds_and_proves(
    live_server: LiveServer, browser: Any, organisation_id: str, tmp_path: Path
) -> None:
    """An auditor finds the NGO's reads of the person's records and checks an entry's proof."""
    base = live_server.base
    live_server.create_user("auditor@example.org", Role.AUDITOR)
    context = browser.new_context(viewport=DESKTOP, locale="en-GB", accept_downloads=True)
    page = context.new_page()
    try:
        sign_in(page, base, "auditor@example.org")
        page.get_by_role("heading", name="Audit log").wait_for()
        page.get_by_label("Organisation id").fill(organisation_id)
        page.get_by_label("Action").fill("record.list")
        page.get_by_role("button", name="Search").click()
        found = page.get_by_role("link", name=re.compile(r"^Entry \d+: record.list"))
        assert found.count() >= 2  # the read before and the read after sharing less
        assert "entries match" in page.get_by_role("status").inner_text()
        check_accessibility(page, "audit search")
        screenshot(page, "audit-log")

        found.last.click()
        assert page.get_by_text(NGO).first.is_visible()
        # Checkpoints are signed every second here; a brand-new entry waits for the next one.
        for _attempt in range(20):
            if page.get_by_text("Verified").count():
                break
            page.wait_for_timeout(500)
            page.reload()
        assert (
            "entry's fields hash to its stored leaf hash" in page.get_by_role("main").inner_text()
        )
        assert page.get_by_role("status").inner_text().startswith("Verified")
        check_accessibility(page, "audit entry")
        screenshot(page, "audit-entry")

        page.get_by_role("link", name="Checkpoint").click()
        assert page.get_by_role("status").inner_text().startswith("Verified")
        check_accessibility(page, "audit checkpoint")
        key = page.locator("p", has_text="Verifier key").locator("code").inner_text()
        with page.expect_download() as download:
            page.get_by_role("link", name="Export the whole log").click()
        export = tmp_path / "audit.ndjson"
        download.value.save_as(export)
        (tmp_path / "key").write_text(key + "\n")
        verified = subprocess.run(
            [PDS, "audit", "verify", str(export), "--key", str(tmp_path / "key"), "--json"],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert json.loads(verified.stdout)["ok"] is True
    finally:
        context.close()
