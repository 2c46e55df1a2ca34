"""Before a person shares, they can read how the organisation looks after what it is given: the
consent screen and the connections page link to its privacy policy (else its website), which the
operator sets with `pds org create` or the organisation gives when it registers itself."""

from __future__ import annotations

import re
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from consent.audit.models import audit_entries
from consent.organisations import (
    InvalidClientMetadata,
    create_organisation,
    find_organisation_by_name,
    organisations,
    register_client,
)
from consent.registration import issue_registration_token
from pds.app import Services
from pds.cli import main
from pds.settings import Settings
from tests.conftest import cli_env, sign_up
from tests.oauth_support import (
    Registered,
    authorization_params,
    decide,
    pkce,
    redirect_query,
    register,
)

POLICY = "https://asha.example.org/privacy"
WEBSITE = "https://asha.example.org"
_LINKS = re.compile(r'<a href="([^"]+)" target="_blank" rel="noopener noreferrer">([^<]+)</a>')


def _consent_page(client: Any, services: Services, organisation_id: str) -> str:
    ngo = register(services, organisation_id=organisation_id)
    _, challenge = pkce()
    page = client.get(
        "/oauth/authorize", params=authorization_params(ngo, "contact.phone:read", challenge)
    )
    assert page.status_code == 200, page.text
    return str(page.text)


def _organisation(services: Services, **pages: str | None) -> str:
    with services.db.write() as conn:
        return create_organisation(conn, name="Asha Community Health", **pages)


def test_the_consent_screen_and_connections_link_the_privacy_policy(
    client: Any, services: Services
) -> None:
    sign_up(client)
    organisation_id = _organisation(services, website=WEBSITE, policy_url=POLICY)
    ngo = register(services, organisation_id=organisation_id)
    _, challenge = pkce()
    params = authorization_params(ngo, "contact.phone:read", challenge)
    consent = client.get("/oauth/authorize", params=params).text
    assert _LINKS.findall(consent) == [
        (POLICY, "How Asha Community Health looks after your data")
    ]  # the policy, not the website, when both are given; in a new tab, sending no referrer
    assert "(opens in a new tab)" in consent
    assert redirect_query(decide(client, params))["code"]
    connections = client.get("/connections").text
    assert _LINKS.findall(connections) == [
        (POLICY, "How Asha Community Health looks after your data")
    ]


def test_without_a_policy_the_website_is_linked(client: Any, services: Services) -> None:
    sign_up(client)
    page = _consent_page(client, services, _organisation(services, website=WEBSITE))
    assert _LINKS.findall(page) == [(WEBSITE, "How Asha Community Health looks after your data")]


def test_without_either_the_person_is_told_to_ask(client: Any, services: Services) -> None:
    sign_up(client)
    page = _consent_page(client, services, _organisation(services))
    assert _LINKS.findall(page) == []
    assert "Asha Community Health has not given a privacy policy." in page


def test_a_stored_address_that_is_not_an_https_page_is_never_a_link(
    client: Any, services: Services
) -> None:
    """Rows written before addresses were checked: a `javascript:` URL must not become a link."""
    sign_up(client)
    organisation_id = _organisation(services)
    with services.db.write() as conn:
        conn.execute(
            update(organisations)
            .where(organisations.c.id == organisation_id)
            .values(policy_url="javascript:alert(1)", website="http://ngo.example.org")
        )
    page = _consent_page(client, services, organisation_id)
    assert "javascript:" not in page and "http://ngo.example.org" not in page
    assert "has not given a privacy policy" in page


@pytest.mark.parametrize(
    "url",
    [
        "http://asha.example.org/privacy",  # not https (only loopback may be plain http)
        "javascript:alert(1)",
        "/privacy",
        "https://user:secret@asha.example.org/privacy",
        "https://asha.example.org/" + "p" * 500,
        "",
    ],
)
def test_an_organisation_page_must_be_a_public_https_url(services: Services, url: str) -> None:
    with pytest.raises(InvalidClientMetadata), services.db.write() as conn:
        create_organisation(conn, name="Asha Community Health", policy_url=url)
    with services.db.read() as conn:
        assert find_organisation_by_name(conn, "Asha Community Health") is None


def _cli(settings: Settings, *args: str) -> Any:
    env = cli_env(settings)
    return CliRunner().invoke(main, list(args), env=env)


def test_the_operator_sets_and_changes_an_organisations_pages(
    settings: Settings, services: Services
) -> None:
    create = ["org", "create", "--name", "Asha", "--redirect-uri", "https://asha.example.org/cb"]
    first = _cli(settings, *create, "--website", WEBSITE, "--policy-url", POLICY)
    assert first.exit_code == 0, first.output
    refused = _cli(settings, *create, "--policy-url", "http://asha.example.org/privacy")
    assert refused.exit_code != 0
    assert "the privacy policy must be an https URL" in refused.output
    changed = _cli(settings, *create, "--policy-url", POLICY + "-2026")
    assert changed.exit_code == 0, changed.output
    with services.db.read() as conn:
        row = conn.execute(
            select(organisations.c.website, organisations.c.policy_url).where(
                organisations.c.name == "Asha"
            )
        ).one()
        actions = conn.execute(select(audit_entries.c.action).order_by(audit_entries.c.seq))
        logged = [action for (action,) in actions]
    assert (row.website, row.policy_url) == (WEBSITE, POLICY + "-2026")  # the website kept
    assert logged == [
        "admin.client.register",
        "admin.organisation.update",
        "admin.client.register",
    ]  # the refused call left nothing: not its client, not its change


def _register(client: Any, services: Services, organisation_id: str | None, **pages: Any) -> Any:
    with services.db.write() as conn:
        token, _ = issue_registration_token(conn, organisation_id=organisation_id)
    metadata = {
        "client_name": "Registered NGO",
        "redirect_uris": ["https://registered.example.org/cb"],
        "scope": "contact.phone:read",
        **pages,
    }
    return client.post(
        "/oauth/register", json=metadata, headers={"Authorization": f"Bearer {token}"}
    )


def test_a_registration_that_founds_an_organisation_gives_its_pages(
    client: Any, services: Services
) -> None:
    created = _register(client, services, None, client_uri=WEBSITE, policy_uri=POLICY)
    assert created.status_code == 201, created.text
    assert (created.json()["client_uri"], created.json()["policy_uri"]) == (WEBSITE, POLICY)
    with services.db.read() as conn:
        row = conn.execute(
            select(organisations.c.website, organisations.c.policy_url).where(
                organisations.c.name == "Registered NGO"
            )
        ).one()
    assert (row.website, row.policy_url) == (WEBSITE, POLICY)


def test_an_organisation_that_exists_keeps_its_own_pages(client: Any, services: Services) -> None:
    organisation_id = _organisation(services, policy_url=POLICY)
    created = _register(
        client, services, organisation_id, policy_uri="https://elsewhere.example.org/privacy"
    )
    assert created.status_code == 201, created.text
    assert "policy_uri" not in created.json()  # not registered, so not repeated
    with services.db.read() as conn:
        kept = conn.execute(
            select(organisations.c.policy_url).where(organisations.c.id == organisation_id)
        ).scalar_one()
    assert kept == POLICY


@pytest.mark.parametrize(
    ("pages", "why"),
    [
        ({"policy_uri": "http://registered.example.org/privacy"}, "must be an https URL"),
        ({"client_uri": "javascript:alert(1)"}, "must be an https URL"),
        ({"client_uri": "https://registered.example.org/" + "x" * 500}, "must be an https URL"),
        ({"policy_uri": ["https://registered.example.org/privacy"]}, "must be a string"),
    ],
)
def test_a_page_that_is_not_a_public_https_url_is_refused(
    client: Any, services: Services, pages: dict[str, Any], why: str
) -> None:
    refused = _register(client, services, None, **pages)
    assert refused.status_code == 400, refused.text
    body = refused.json()
    assert body["error"] == "invalid_client_metadata"
    (name,) = pages
    assert body["error_description"].startswith(f"{name} {why}"), body
    with services.db.read() as conn:
        assert find_organisation_by_name(conn, "Registered NGO") is None


def test_an_app_named_as_its_organisation_is_not_named_twice(
    client: Any, services: Services
) -> None:
    """Found in review: `pds org create` names the client after the organisation, and the
    consent screen read "Seva Health Trust uses Seva Health Trust"."""
    sign_up(client)
    with services.db.write() as conn:
        organisation_id = create_organisation(conn, name="Seva Health Trust")
        issued = register_client(
            conn,
            organisation_id=organisation_id,
            client_name="Seva Health Trust",
            redirect_uris=["https://seva.example.org/cb"],
            allowed_scopes=["contact.phone:read"],
            public=True,
        )
    ngo = Registered(organisation_id, issued.client_id, None, "https://seva.example.org/cb")
    _, challenge = pkce()
    page = client.get(
        "/oauth/authorize", params=authorization_params(ngo, "contact.phone:read", challenge)
    )
    assert page.status_code == 200, page.text
    assert "uses <strong>" not in page.text
    assert '<p class="lead">It wants this access <strong>' in page.text
