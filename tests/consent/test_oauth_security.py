"""RFC 9700 negative tests: what the authorization server must refuse, on both engines."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import httpx
from litestar.testing import TestClient
from sqlalchemy import update

from consent.tokens import oauth_codes
from pds.app import Services, create_app
from tests.conftest import TEST_ORIGIN, make_settings, sign_up
from tests.oauth_support import (
    ISSUER,
    PHONE,
    REDIRECT,
    authorization_params,
    bearer,
    decide,
    exchange,
    live_server,
    obtain_tokens,
    pkce,
    redirect_query,
    refresh,
    register,
)
from tests.pds.audit.support import log_rows

SCOPE = "contact.phone:read"


def _code(http: Any, client: Any, challenge: str) -> str:
    answer = redirect_query(decide(http, authorization_params(client, SCOPE, challenge)))
    return answer["code"]


def test_redirect_uri_mutants_get_an_error_page_and_no_redirect(
    client: Any, services: Services
) -> None:
    sign_up(client)
    ngo = register(services)
    _, challenge = pkce()
    mutants = [
        REDIRECT + "/",  # trailing slash
        REDIRECT + "/more",  # sub-path
        REDIRECT + "?next=x",  # added query
        REDIRECT + "#frag",  # fragment
        REDIRECT.replace("callback", "Callback"),  # case
        REDIRECT.replace("ngo.example.org", "ngo.example.org:8443"),  # port
        REDIRECT.replace("https:", "http:"),  # scheme
        REDIRECT.replace("https://", "https://attacker@"),  # userinfo
        REDIRECT.replace("ngo.example.org", "NGO.example.org"),  # host case
        "https://attacker.example/callback",
    ]
    for mutant in mutants:
        params = authorization_params(ngo, SCOPE, challenge, redirect_uri=mutant)
        response = client.get("/oauth/authorize", params=params, follow_redirects=False)
        assert response.status_code == 400, mutant
        assert "location" not in response.headers, mutant
        assert "cannot continue" in response.text


def test_a_native_apps_loopback_redirect_may_use_any_port(client: Any, services: Services) -> None:
    """RFC 8252 §7.3 (RFC 9700 §2.1): a loopback IP literal's port is whatever the app found
    free; everything else about the URI still matches exactly. Found in review: refused."""
    sign_up(client)
    registered = "http://127.0.0.1:8765/callback"
    app = register(services, public=True, redirect_uri=registered)
    verifier, challenge = pkce()
    elsewhere = replace(app, redirect_uri="http://127.0.0.1:49152/callback")
    answer = decide(client, authorization_params(elsewhere, SCOPE, challenge))
    assert answer.headers["location"].startswith("http://127.0.0.1:49152/callback?code=")
    tokens = exchange(client, elsewhere, redirect_query(answer)["code"], verifier)
    assert tokens.status_code == 200, tokens.text
    for mutant in (
        "http://127.0.0.1:49152/callback/",  # the path still matches exactly
        "http://127.0.0.1:49152/callback?x=1",
        "http://localhost:49152/callback",  # a name, not the loopback literal
        "https://127.0.0.1:49152/callback",
        "http://evil@127.0.0.1:49152/callback",
        "http://127.0.0.1:99999/callback",
        "http://127.0.0.2:49152/callback",
    ):
        params = authorization_params(app, SCOPE, challenge, redirect_uri=mutant)
        refused = client.get("/oauth/authorize", params=params, follow_redirects=False)
        assert refused.status_code == 400 and "location" not in refused.headers, mutant
    other = register(services, name="Web NGO", redirect_uri="https://ngo.example.org:443/cb")
    params = authorization_params(
        other, SCOPE, challenge, redirect_uri="https://ngo.example.org/cb"
    )
    assert client.get("/oauth/authorize", params=params).status_code == 400  # not for https


def test_unknown_or_missing_client_is_an_error_page(client: Any, services: Services) -> None:
    sign_up(client)
    ngo = register(services)
    _, challenge = pkce()
    for client_id in ("pds_unknown", "", "x" * 500):
        params = authorization_params(ngo, SCOPE, challenge, client_id=client_id)
        response = client.get("/oauth/authorize", params=params, follow_redirects=False)
        assert response.status_code == 400 and "location" not in response.headers
    params = authorization_params(ngo, SCOPE, challenge, redirect_uri="")
    response = client.get("/oauth/authorize", params=params, follow_redirects=False)
    assert response.status_code == 400 and "location" not in response.headers


def test_pkce_is_required_s256_only(client: Any, services: Services) -> None:
    sign_up(client)
    ngo = register(services)
    verifier, challenge = pkce()
    cases = [
        authorization_params(ngo, SCOPE, None),  # no PKCE at all
        authorization_params(ngo, SCOPE, None, code_challenge=verifier),  # method omitted: plain
        authorization_params(
            ngo, SCOPE, None, code_challenge=verifier, code_challenge_method="plain"
        ),
        authorization_params(ngo, SCOPE, challenge, code_challenge_method="S512"),
    ]
    for params in cases:
        response = client.get("/oauth/authorize", params=params, follow_redirects=False)
        answer = redirect_query(response)
        assert answer["error"] == "invalid_request", params
        assert answer["state"] == params["state"] and answer["iss"] == ISSUER
        assert urlsplit(response.headers["location"]).netloc == "ngo.example.org"


def test_wrong_or_missing_verifier_is_refused_and_spends_the_code(
    client: Any, services: Services
) -> None:
    """A code is good for one try (found in review: after a wrong verifier, the right one still
    got tokens, so a stolen code could be tried against guessed verifiers)."""
    sign_up(client)
    ngo = register(services)
    other_verifier, _ = pkce()
    for verifier, error in ((None, "invalid_request"), (other_verifier, "invalid_grant"),
                            ("short", "invalid_request")):  # fmt: skip
        right, challenge = pkce()
        code = _code(client, ngo, challenge)
        start = len(log_rows(services))
        refused = exchange(client, ngo, code, verifier)
        assert refused.status_code == 400 and refused.json()["error"] == error, verifier
        assert exchange(client, ngo, code, right).json()["error"] == "invalid_grant", verifier
        audited = [(r["action"], r["outcome"], r["reason"]) for r in log_rows(services)[start:]]
        assert audited[0] == ("token.issued", "denied", "pkce_failed"), audited


def test_a_code_works_once_under_20_concurrent_redemptions_and_reuse_revokes(
    client: Any, app: Any, services: Services
) -> None:
    sign_up(client)
    client.post("/api/v1/me/records", json=PHONE)
    ngo = register(services)
    verifier, challenge = pkce()
    code = _code(client, ngo, challenge)
    barrier = threading.Barrier(20)
    with live_server(app) as base_url:

        def redeem(_: int) -> Any:
            with httpx.Client(base_url=base_url) as http:
                barrier.wait()
                return exchange(http, ngo, code, verifier)

        with ThreadPoolExecutor(max_workers=20) as pool:
            results = list(pool.map(redeem, range(20)))
    winners = [r for r in results if r.status_code == 200]
    assert len(winners) == 1, [r.status_code for r in results]
    assert all(r.json()["error"] == "invalid_grant" for r in results if r.status_code != 200)
    # The reuse revoked what the code had issued: the winner's tokens no longer work.
    tokens = winners[0].json()
    assert client.get("/api/v1/records", headers=bearer(tokens["access_token"])).status_code == 401
    assert refresh(client, ngo, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_code_is_bound_to_client_and_redirect_uri(client: Any, services: Services) -> None:
    sign_up(client)
    ngo = register(services)
    other = register(services, name="Other NGO", redirect_uri=REDIRECT)
    verifier, challenge = pkce()
    code = _code(client, ngo, challenge)
    assert exchange(client, other, code, verifier).json()["error"] == "invalid_grant"
    moved = exchange(client, ngo, code, verifier, redirect_uri=REDIRECT + "/other")
    assert moved.json()["error"] == "invalid_grant"
    assert exchange(client, ngo, code, verifier).status_code == 200


def test_an_expired_code_fails(client: Any, services: Services) -> None:
    sign_up(client)
    ngo = register(services)
    verifier, challenge = pkce()
    code = _code(client, ngo, challenge)
    with services.db.write() as conn:
        conn.execute(update(oauth_codes).values(expires_at=oauth_codes.c.issued_at))
    assert exchange(client, ngo, code, verifier).json()["error"] == "invalid_grant"


def test_implicit_and_password_grants_are_refused(client: Any, services: Services) -> None:
    sign_up(client)
    ngo = register(services)
    _, challenge = pkce()
    params = authorization_params(ngo, SCOPE, challenge, response_type="token")
    response = client.get("/oauth/authorize", params=params, follow_redirects=False)
    answer = redirect_query(response)
    assert answer["error"] == "unsupported_response_type" and "access_token" not in answer
    assert "#" not in response.headers["location"]
    password = client.post(
        "/oauth/token",
        data={"grant_type": "password", "username": "asha@example.org", "password": "x"},
        auth=ngo.auth,
    )
    assert password.status_code == 400 and password.json()["error"] == "unsupported_grant_type"
    for grant_type in ("client_credentials", "implicit", 'x"\\'):
        refused = client.post("/oauth/token", data={"grant_type": grant_type}, auth=ngo.auth)
        assert refused.status_code == 400, grant_type


def test_a_token_request_without_grant_type_is_invalid_request(
    client: Any, services: Services
) -> None:
    """RFC 6749 §5.2: a missing required parameter is invalid_request, not an unsupported grant."""
    ngo = register(services)
    for form in ({}, {"grant_type": ""}, {"code": "x", "redirect_uri": ngo.redirect_uri}):
        answer = client.post("/oauth/token", data=form, auth=ngo.auth)
        assert answer.status_code == 400, form
        assert answer.json() == {
            "error": "invalid_request",
            "error_description": "grant_type is required.",
        }, form
        assert answer.headers["cache-control"] == "no-store"


def test_oauth_parameters_in_another_media_type_are_named_as_such(
    client: Any, services: Services
) -> None:
    """Found in review: a form sent as text/plain was answered "grant_type is required"."""
    ngo = register(services)
    for path in ("/oauth/token", "/oauth/revoke", "/oauth/introspect"):
        answer = client.post(
            path,
            content="grant_type=refresh_token&refresh_token=x&token=x",
            headers={"content-type": "text/plain"},
            auth=ngo.auth,
        )
        assert answer.status_code == 400, path
        assert answer.json() == {
            "error": "invalid_request",
            "error_description": "Send the parameters as application/x-www-form-urlencoded.",
        }, path


def test_clients_cannot_introspect_or_revoke_each_others_tokens(
    client: Any, services: Services
) -> None:
    sign_up(client)
    client.post("/api/v1/me/records", json=PHONE)
    ngo_a = register(services, name="A")
    ngo_b = register(services, name="B")
    tokens_b = obtain_tokens(client, ngo_b, SCOPE)
    for kind in ("access_token", "refresh_token"):
        seen = client.post("/oauth/introspect", data={"token": tokens_b[kind]}, auth=ngo_a.auth)
        assert seen.status_code == 200 and seen.json() == {"active": False}
        refused = client.post("/oauth/revoke", data={"token": tokens_b[kind]}, auth=ngo_a.auth)
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    assert (
        client.get("/api/v1/records", headers=bearer(tokens_b["access_token"])).status_code == 200
    )
    own = client.post(
        "/oauth/introspect", data={"token": tokens_b["access_token"]}, auth=ngo_b.auth
    )
    body = own.json()
    assert body["active"] is True and body["client_id"] == ngo_b.client_id
    assert body["scope"] == SCOPE and body["sub"].startswith("ps_") and body["iss"] == ISSUER
    public = register(services, name="Public", public=True)
    anonymous = client.post(
        "/oauth/introspect", data={"token": tokens_b["access_token"], "client_id": public.client_id}
    )
    assert anonymous.status_code in (400, 401) and anonymous.json()["error"] == "invalid_client"


def test_revocation_endpoint_revokes_a_clients_own_token(client: Any, services: Services) -> None:
    sign_up(client)
    client.post("/api/v1/me/records", json=PHONE)
    ngo = register(services)
    tokens = obtain_tokens(client, ngo, SCOPE)
    done = client.post(
        "/oauth/revoke",
        data={"token": tokens["refresh_token"], "token_type_hint": "refresh_token"},
        auth=ngo.auth,
    )
    assert done.status_code == 200
    assert client.get("/api/v1/records", headers=bearer(tokens["access_token"])).status_code == 401
    assert refresh(client, ngo, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    unknown = client.post("/oauth/revoke", data={"token": "never-issued"}, auth=ngo.auth)
    assert unknown.status_code == 200  # RFC 7009 §2.2: unknown tokens are not an error


def test_a_token_type_hint_is_only_a_hint(client: Any, services: Services) -> None:
    """RFC 7009 §2.1, RFC 7662 §2.1: a wrong or unknown hint never leaves a token valid."""
    sign_up(client)
    ngo = register(services)
    tokens = obtain_tokens(client, ngo, SCOPE)
    access = tokens["access_token"]
    seen = client.post(
        "/oauth/introspect", data={"token": access, "token_type_hint": "bogus"}, auth=ngo.auth
    )
    assert seen.status_code == 200 and seen.json()["active"] is True
    done = client.post(
        "/oauth/revoke", data={"token": access, "token_type_hint": "bogus"}, auth=ngo.auth
    )
    assert done.status_code == 200
    assert client.get("/api/v1/records", headers=bearer(access)).status_code == 401
    wrong = client.post(
        "/oauth/revoke",
        data={"token": tokens["refresh_token"], "token_type_hint": "access_token"},
        auth=ngo.auth,
    )
    assert wrong.status_code == 200
    assert refresh(client, ngo, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_refresh_tokens_rotate_and_a_replay_revokes_the_grant(
    client: Any, services: Services
) -> None:
    sign_up(client)
    client.post("/api/v1/me/records", json=PHONE)
    ngo = register(services)
    first = obtain_tokens(client, ngo, SCOPE)
    second = refresh(client, ngo, first["refresh_token"]).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert client.get("/api/v1/records", headers=bearer(second["access_token"])).status_code == 200
    replay = refresh(client, ngo, first["refresh_token"])
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert client.get("/api/v1/records", headers=bearer(second["access_token"])).status_code == 401
    assert refresh(client, ngo, second["refresh_token"]).json()["error"] == "invalid_grant"
    grant = client.get("/api/v1/me/grants").json()["items"][0]
    assert grant["state"] == "revoked" and grant["revoked_by"] == "service"


def test_confidential_clients_must_authenticate(client: Any, services: Services) -> None:
    sign_up(client)
    ngo = register(services)
    verifier, challenge = pkce()
    code = _code(client, ngo, challenge)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": ngo.redirect_uri,
        "code_verifier": verifier,
        "client_id": ngo.client_id,
    }
    assert client.post("/oauth/token", data=form).json()["error"] == "invalid_client"
    wrong = client.post("/oauth/token", data=form, auth=(ngo.client_id, "wrong-secret"))
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    repeated = client.post(
        "/oauth/token",
        content=f"code={code}&code={code}&grant_type=authorization_code",
        headers={"content-type": "application/x-www-form-urlencoded"},
        auth=ngo.auth,
    )
    assert repeated.json()["error"] == "invalid_request"


def test_two_client_authentication_methods_at_once_are_refused(
    client: Any, services: Services
) -> None:
    """RFC 6749 §2.3: a client MUST NOT use more than one authentication method per request."""
    sign_up(client)
    client.post("/api/v1/me/records", json=PHONE)
    ngo = register(services)
    assert ngo.client_secret is not None
    tokens = obtain_tokens(client, ngo, SCOPE)
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    both = {**form, "client_id": ngo.client_id, "client_secret": ngo.client_secret}
    mixed = client.post("/oauth/token", data=both, auth=ngo.auth)
    # §5.2 invalid_client: "unsupported authentication method".
    assert mixed.status_code == 401 and mixed.json()["error"] == "invalid_client"
    assert "one client authentication method" in mixed.json()["error_description"]
    for endpoint in ("/oauth/revoke", "/oauth/introspect"):
        answer = client.post(endpoint, data={"token": "x", **both}, auth=ngo.auth)
        assert answer.json()["error"] == "invalid_client", endpoint
    # Each method alone still works, and the refused request spent nothing.
    assert client.post("/oauth/token", data=form, auth=ngo.auth).status_code == 200


def test_public_clients_use_pkce_without_a_secret(client: Any, services: Services) -> None:
    sign_up(client)
    client.post("/api/v1/me/records", json=PHONE)
    app_client = register(services, name="Field app", public=True)
    tokens = obtain_tokens(client, app_client, SCOPE)
    assert client.get("/api/v1/records", headers=bearer(tokens["access_token"])).status_code == 200
    assert refresh(client, app_client, tokens["refresh_token"]).status_code == 200


def test_denial_scope_and_purpose_errors_redirect_with_state_and_iss(
    client: Any, services: Services
) -> None:
    sign_up(client)
    ngo = register(services, scopes=(SCOPE,))
    _, challenge = pkce()
    denied = redirect_query(
        decide(client, authorization_params(ngo, SCOPE, challenge), approve=False)
    )
    assert denied["error"] == "access_denied" and denied["iss"] == ISSUER and denied["state"]
    for extra, error in (
        ({"scope": "health.immunisations:read"}, "invalid_scope"),  # not allowed for the client
        ({"scope": "health.teeth:read"}, "invalid_scope"),
        ({"scope": ""}, "invalid_scope"),
        ({"purpose": "dpv:Selling"}, "invalid_request"),
        ({"purpose": ""}, "invalid_request"),
        ({"authorization_details": "[{]"}, "invalid_authorization_details"),
    ):
        params = authorization_params(ngo, SCOPE, challenge) | extra
        if extra.get("purpose") == "" or "authorization_details" in extra:
            params.pop("purpose", None)
        answer = redirect_query(
            client.get("/oauth/authorize", params=params, follow_redirects=False)
        )
        assert answer["error"] == error and answer["iss"] == ISSUER, (extra, answer)


def test_purpose_via_authorization_details_is_stored_and_echoed(
    client: Any, services: Services
) -> None:
    sign_up(client)
    ngo = register(services)
    verifier, challenge = pkce()
    details = '[{"type": "pds_consent", "purpose": "dpv:IdentityVerification"}]'
    params = authorization_params(ngo, SCOPE, challenge, authorization_details=details)
    params.pop("purpose")
    code = redirect_query(decide(client, params))["code"]
    tokens = exchange(client, ngo, code, verifier).json()
    assert tokens["authorization_details"] == [
        {"type": "pds_consent", "purpose": "dpv:IdentityVerification"}
    ]
    grant = client.get("/api/v1/me/grants").json()["items"][0]
    assert grant["purpose"]["id"] == "dpv:IdentityVerification"


def test_hostile_authorization_input_never_causes_a_server_error(
    client: Any, services: Services
) -> None:
    sign_up(client)
    ngo = register(services)
    _, challenge = pkce()
    for extra in (
        {"response_type": 'to"ken\\'},
        {"response_type": "code token"},
        {"state": 'é"<script>'},
        {"scope": "contact.phone:read " * 300},
        {"redirect_uri": 'https://ngo.example.org/"\\é'},
        {"code_challenge": "é" * 60},
    ):
        params = authorization_params(ngo, SCOPE, challenge) | extra
        response = client.get("/oauth/authorize", params=params, follow_redirects=False)
        assert response.status_code in (200, 302, 400), (extra, response.status_code)
    for data in ({"grant_type": "authorization_code", "code": 'é"\\'}, {"grant_type": 'é"'}):
        assert client.post("/oauth/token", data=data, auth=ngo.auth).status_code in (400, 401)


def test_refusals_before_the_token_endpoint_carry_an_oauth_error(
    client: Any, tmp_path: Any, database_url: str
) -> None:
    """A wrong method, a body too large or a rate limit is refused before the OAuth handling;
    the answer is still one a stock OAuth client can read (RFC 6749 §5.2 `error`)."""
    wrong_method = client.get("/oauth/token")
    too_large = client.post(
        "/oauth/token",
        content=b"grant_type=client_credentials&x=" + b"a" * 2_000_000,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    for answer, status in ((wrong_method, 405), (too_large, 413)):
        assert answer.status_code == status
        assert answer.json()["error"] == "invalid_request"
        assert answer.json()["status"] == status  # still RFC 9457
    settings = make_settings(tmp_path, database_url, rate_limit_token_per_minute=1)
    with TestClient(create_app(settings), base_url=TEST_ORIGIN) as limited:
        form = {"grant_type": "client_credentials"}
        statuses = [limited.post("/oauth/token", data=form).status_code for _ in range(3)]
        refused = limited.post("/oauth/token", data=form)
    assert statuses[0] != 429 and refused.status_code == 429  # only the first got through
    assert refused.json()["error"] == "temporarily_unavailable"
    assert int(refused.headers["retry-after"]) > 0
    assert client.get("/api/v1/nope").json().get("error") is None  # only on /oauth/


def test_a_failed_client_authentication_is_said_alike_whatever_failed(
    client: Any, services: Services
) -> None:
    """Found in review: a wrong secret was answered with a Python list of methods, an unknown
    client id with "does not exist", telling a caller which ids exist."""
    ngo = register(services)
    form = {"grant_type": "refresh_token", "refresh_token": "x"}
    answers = [
        client.post("/oauth/token", data=form, auth=auth)
        for auth in ((ngo.client_id, "wrong-secret"), ("pds_unknown", "x"), (ngo.client_id, ""))
    ]
    for answer in answers:
        assert answer.status_code == 401, answer.text
        assert answer.json() == {
            "error": "invalid_client",
            "error_description": "Client authentication failed.",
        }
        assert answer.headers["www-authenticate"].startswith("Basic ")
