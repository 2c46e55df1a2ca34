"""An NGO with a stock OAuth client (requests-oauthlib, PKCE S256) against `pds serve` on loopback.

The client knows only the issuer: every OAuth endpoint comes from the RFC 8414 metadata. It
registers (RFC 7591) with an initial access token from `pds org registration-token`, the person
approves on the consent page (posted with its CSRF token, as a browser would), the client
exchanges the code, reads records, refreshes; then the person revokes and the very next call is
401 and the next refresh `invalid_grant`.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from oauthlib.oauth2.rfc6749.errors import InvalidGrantError
from requests_oauthlib import OAuth2Session

from pds.keystore import FileKeyProvider, generate_key_material

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
PDS = str(Path(sys.executable).parent / "pds")
PASSWORD = "correct horse battery staple"
REDIRECT = "http://127.0.0.1:8765/callback"
SCOPES = ["contact.phone:read", "identity.name:read"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environment(data_dir: Path, issuer: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PDS_")}
    env.update(
        {
            "PYTHONPATH": str(REPO),
            "PDS_ENVIRONMENT": "development",
            "PDS_DATA_DIR": str(data_dir),
            "PDS_PUBLIC_URL": issuer,
            "PDS_PASSWORD_TIME_COST": "1",
            "PDS_PASSWORD_MEMORY_KIB": "1024",
        }
    )
    return env


def _pds(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [PDS, *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """`pds serve` with its own keys and SQLite database; yields the issuer and environment."""
    data_dir = tmp_path_factory.mktemp("oauth-e2e")
    port = _free_port()
    issuer = f"http://127.0.0.1:{port}"
    FileKeyProvider(data_dir / "keys" / "keyring.json").save(
        generate_key_material(development=True)
    )
    env = _environment(data_dir, issuer)
    _pds(env, "migrate")
    process = subprocess.Popen(
        [PDS, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, "pds serve exited"
            try:
                if requests.get(f"{issuer}/health/live", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "pds serve did not start"
            time.sleep(0.2)
        yield issuer, env
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def _register(env: dict[str, str], metadata: dict[str, Any], **members: Any) -> dict[str, Any]:
    """RFC 7591 registration with a fresh initial access token from `pds org registration-token`."""
    initial = json.loads(_pds(env, "org", "registration-token"))["initial_access_token"]
    registered = requests.post(
        metadata["registration_endpoint"],
        json={"redirect_uris": [REDIRECT], "scope": " ".join(SCOPES), **members},
        headers={"Authorization": f"Bearer {initial}"},
        timeout=10,
    )
    assert registered.status_code == 201, registered.text
    answer: dict[str, Any] = registered.json()
    return answer


def _person(issuer: str, email: str = "asha@example.org") -> requests.Session:
    person = requests.Session()
    signed = person.post(f"{issuer}/api/v1/signup", json={"email": email, "password": PASSWORD})
    assert signed.status_code == 201, signed.text
    for record in (
        {"type": "contact.phone", "value": {"number": "+919876543210"}},
        {"type": "identity.name", "value": {"given_name": "Asha"}},
        {
            "type": "health.immunisations",
            "value": {"vaccine": "td", "dose": 1, "date": "2024-01-15"},
        },
    ):
        assert person.post(f"{issuer}/api/v1/me/records", json=record).status_code == 201
    return person


def _approve(
    person: requests.Session, authorization_url: str, organisation: str = "Stock Client NGO"
) -> str:
    """What the person does in a browser: open the consent page, tick every item, allow."""
    page = person.get(authorization_url, allow_redirects=False)
    assert page.status_code == 200, page.text
    assert organisation in page.text and "phone numbers" in page.text
    csrf = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    form = {"_csrf_token": csrf.group(1), "decision": "approve", "duration": "30"}
    form.update({f"item:{scope}": "yes" for scope in SCOPES})
    answer = person.post(authorization_url, data=form, allow_redirects=False)
    assert answer.status_code in (302, 303), answer.text
    return str(answer.headers["location"])


def test_stock_client_discovers_registers_authorizes_reads_and_loses_access(
    server: tuple[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    issuer, env = server
    # oauthlib refuses plain http; the server is on loopback, where RFC 8252 allows it.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    metadata = requests.get(f"{issuer}/.well-known/oauth-authorization-server", timeout=10).json()
    assert metadata["issuer"] == issuer
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["authorization_response_iss_parameter_supported"] is True

    registered = _register(
        env,
        metadata,
        client_name="Stock Client NGO",
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
        token_endpoint_auth_method="client_secret_basic",
    )
    client_id, secret = registered["client_id"], registered["client_secret"]

    person = _person(issuer)
    ngo = OAuth2Session(client_id, redirect_uri=REDIRECT, scope=SCOPES, pkce="S256")
    url, state = ngo.authorization_url(
        metadata["authorization_endpoint"], purpose="dpv:ServiceProvision"
    )
    callback = _approve(person, url)
    assert f"state={state}" in callback and "iss=" in callback
    token = ngo.fetch_token(
        metadata["token_endpoint"], authorization_response=callback, client_secret=secret
    )
    assert token["token_type"] == "Bearer" and token["expires_in"] == 600

    records = ngo.get(f"{issuer}/api/v1/records")
    assert records.status_code == 200, records.text
    assert sorted(item["type"] for item in records.json()["items"]) == [
        "contact.phone",
        "identity.name",
    ]
    refreshed = ngo.refresh_token(metadata["token_endpoint"], auth=(client_id, secret))
    assert refreshed["refresh_token"] != token["refresh_token"]
    assert ngo.get(f"{issuer}/api/v1/records").status_code == 200

    grants = person.get(f"{issuer}/api/v1/me/grants").json()["items"]
    assert [g["organisation"]["name"] for g in grants] == ["Stock Client NGO"]
    assert person.delete(f"{issuer}/api/v1/me/grants/{grants[0]['id']}").status_code == 204

    after = ngo.get(f"{issuer}/api/v1/records")
    assert after.status_code == 401
    assert 'error="invalid_token"' in after.headers["www-authenticate"]
    with pytest.raises(InvalidGrantError):
        ngo.refresh_token(metadata["token_endpoint"], auth=(client_id, secret))


def test_a_public_client_works_with_the_librarys_defaults(
    server: tuple[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found in review: requests-oauthlib sends a public client's id in HTTP Basic with an empty
    password (its default), which was answered invalid_client; and a request had to name a
    purpose the discovery document cannot tell a library to send."""
    issuer, env = server
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    metadata = requests.get(f"{issuer}/.well-known/oauth-authorization-server", timeout=10).json()
    client_id = _register(
        env,
        metadata,
        client_name="Field App",
        token_endpoint_auth_method="none",
        purpose="dpv:ServiceProvision",
    )["client_id"]
    person = _person(issuer, "ravi@example.org")
    app = OAuth2Session(client_id, redirect_uri=REDIRECT, scope=SCOPES, pkce="S256")
    # Nothing but standard parameters: the purpose is the one the client registered.
    url, _state = app.authorization_url(metadata["authorization_endpoint"])
    token = app.fetch_token(
        metadata["token_endpoint"], authorization_response=_approve(person, url, "Field App")
    )
    assert app.get(f"{issuer}/api/v1/records").status_code == 200
    refreshed = app.refresh_token(metadata["token_endpoint"], client_id=client_id)
    assert refreshed["access_token"] != token["access_token"]
    # The same empty password does not stand in for a confidential client's secret.
    answer = requests.post(
        metadata["token_endpoint"],
        data={"grant_type": "refresh_token", "refresh_token": refreshed["refresh_token"]},
        auth=(client_id + "x", ""),
        timeout=10,
    )
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client", answer.text
