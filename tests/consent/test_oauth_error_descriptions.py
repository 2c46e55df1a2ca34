"""OAuth error descriptions are our own words: they never quote what the client sent, and hold
only the characters RFC 6749 §5.2 allows (%x20-21 / %x23-5B / %x5D-7E). Whatever a client sends
to registration is registered or refused, never a server error."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from consent.registration import issue_registration_token
from pds.app import Services
from pds.settings import Settings
from tests.conftest import make_settings, sign_up
from tests.oauth_support import Registered, authorization_params, pkce, register

SCOPE = "contact.phone:read"
_ALLOWED = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]*")
# The page's own address, echoed so that switching language comes back here (not an error text).
_OWN_ADDRESS = re.compile(r'<input type="hidden" name="next" value="[^"]*">')
# Distinctive values: a marker no description or page has, then anything (no NUL: httpx refuses).
VALUES = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00")).map(
    lambda text: "~zQ" + text
)
RUNS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    # Registration shares the sign-up rate limit; the registration property sends many.
    return make_settings(tmp_path, database_url, rate_limit_signup_per_minute=0)


def _assert_our_own_words(response: Any, sent: str) -> None:
    """An error answer (redirect, JSON or page) quotes nothing of `sent`, and its description
    is within RFC 6749 §5.2's characters. A success may echo what was registered (RFC 7591)."""
    location = response.headers.get("location", "")
    if response.is_success or (response.is_redirect and "error=" not in location):
        return
    if response.is_redirect:
        description = parse_qs(urlsplit(location).query).get("error_description", [""])[0]
    elif "json" in response.headers["content-type"]:
        answer = response.json()
        assert not any(sent in str(part) for part in answer.values()), (sent, answer)
        description = answer.get("error_description", "")
    else:  # the authorization endpoint's error page
        page = _OWN_ADDRESS.sub("", response.text)
        assert sent not in page and html.escape(sent) not in page, (sent, page)
        return
    assert sent not in description, (sent, description)
    assert _ALLOWED.fullmatch(description), description


@RUNS
@given(name=st.sampled_from(["grant_type", "code", "redirect_uri", "code_verifier", "refresh_token",
                             "scope", "client_id", "client_secret"]), value=VALUES)  # fmt: skip
def test_token_endpoint(client: Any, services: Services, name: str, value: str) -> None:
    ngo = register(services)
    for grant_type in ("authorization_code", "refresh_token"):
        form = {"grant_type": grant_type, "code": "x", "redirect_uri": ngo.redirect_uri,
                "code_verifier": "v" * 43, "refresh_token": "x", name: value}  # fmt: skip
        for auth in (ngo.auth, None):
            _assert_our_own_words(client.post("/oauth/token", data=form, auth=auth), value)


@RUNS
@given(
    name=st.sampled_from(["token", "token_type_hint", "client_id", "client_secret"]), value=VALUES
)
def test_revocation_and_introspection(
    client: Any, services: Services, name: str, value: str
) -> None:
    ngo = register(services)
    for path in ("/oauth/revoke", "/oauth/introspect"):
        for auth in (ngo.auth, None):
            form = {"token": "x", name: value}
            _assert_our_own_words(client.post(path, data=form, auth=auth), value)
    bad_basic = client.post("/oauth/revoke", data={"token": "x"}, auth=(value, value))
    _assert_our_own_words(bad_basic, value)


@RUNS
@given(
    name=st.sampled_from(
        ["response_type", "client_id", "redirect_uri", "scope", "purpose",
         "authorization_details", "code_challenge", "code_challenge_method"]
    ),
    value=VALUES,
)  # fmt: skip
@example(name="response_type", value="~zQtoken")  # was the whole description
def test_authorization_endpoint(client: Any, services: Services, name: str, value: str) -> None:
    if not client.cookies:
        sign_up(client)
    ngo = register(services)
    _, challenge = pkce()
    params = authorization_params(ngo, SCOPE, challenge) | {name: value}
    response = client.get("/oauth/authorize", params=params, follow_redirects=False)
    assert response.status_code in (200, 302, 400), response.status_code
    _assert_our_own_words(response, value)


@RUNS
@given(
    name=st.sampled_from(
        ["client_name", "redirect_uris", "scope", "token_endpoint_auth_method", "grant_types",
         "response_types", "contacts", "jwks", "client_uri", "logo_uri", "tos_uri", "policy_uri",
         "jwks_uri", "software_id", "software_version", "software_statement", None]
    ),
    shape=st.sampled_from(["string", "list", "object"]),
    value=VALUES,
)  # fmt: skip
@example(name=None, shape="object", value="~zQmember")  # was quoted: "~zQmember must be ..."
@example(name="policy_uri", shape="list", value="~zQ")  # was a 500: Authlib read a list as a URI
@example(name="jwks", shape="string", value="~zQ")  # was a 500: Authlib read a string as keys
def test_registration(
    client: Any, services: Services, name: str | None, shape: str, value: str
) -> None:
    """`name` None: the value is the name of a member this server does not know."""
    with services.db.write() as conn:
        token, _ = issue_registration_token(conn)
    sent: Any = {"string": value, "list": [value], "object": {"v": value}}[shape]
    metadata = {"client_name": "Field app", "redirect_uris": ["https://ngo.example.org/cb"],
                "scope": SCOPE, name or value: sent}  # fmt: skip
    headers = {"Authorization": f"Bearer {token}"}
    answer = client.post("/oauth/register", json=metadata, headers=headers)
    assert answer.status_code in (201, 400), answer.text  # a client's mistake, never ours
    _assert_our_own_words(answer, value)
    unauthenticated = {"Authorization": value.encode()}
    _assert_our_own_words(
        client.post("/oauth/register", json=metadata, headers=unauthenticated), value
    )


def test_an_unsupported_response_type_redirects_in_our_words(
    client: Any, services: Services
) -> None:
    """Authlib put the response_type itself in the description, and could not redirect at all
    when it held a quote."""
    sign_up(client)
    ngo: Registered = register(services)
    _, challenge = pkce()
    for response_type in ("token", 'co"de'):
        params = authorization_params(ngo, SCOPE, challenge, response_type=response_type)
        response = client.get("/oauth/authorize", params=params, follow_redirects=False)
        assert response.status_code == 302, (response_type, response.status_code)
        query = parse_qs(urlsplit(response.headers["location"]).query)
        assert query["error"] == ["unsupported_response_type"]
        assert query["error_description"] == ["Only response_type=code is supported."]
        assert query["state"] == [params["state"]]
