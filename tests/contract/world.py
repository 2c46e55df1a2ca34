"""One service with a person, an auditor and an NGO in it, for fuzzing the whole contract.

Credentials are obtained the way real callers obtain them: the person signs up through the API,
the NGO's bearer token comes from the real OAuth flow (consent screen, code, PKCE, token
endpoint), the organisation API uses the NGO client's id and secret. Only the auditor, whose role
an operator gives, and the single-use registration tokens, which an operator issues, are made
directly through the services.
"""

from __future__ import annotations

import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from litestar import Litestar
from litestar.testing import TestClient

from consent.registration import issue_registration_token
from pds.app import Services, build_services, create_app
from pds.people.auth import session_cookie_name
from pds.people.service import Role
from tests.conftest import PASSWORD, TEST_ORIGIN, make_settings, sign_up
from tests.oauth_support import (
    ALL_TEST_SCOPES,
    IMMUNISATION,
    NAME,
    PHONE,
    Registered,
    obtain_tokens,
    register,
)

NGO_SCOPES = " ".join(ALL_TEST_SCOPES)


@dataclass
class FuzzWorld:
    app: Litestar
    services: Services
    person_id: str
    auditor_id: str
    ngo: Registered
    data_subject: TestClient[Litestar]  # the person who connected the NGO (signed in)

    @property
    def session_cookie(self) -> str:
        return session_cookie_name(self.services.settings.secure_cookies)

    def ngo_client_credentials(self) -> tuple[str, str]:
        assert self.ngo.client_secret is not None
        return self.ngo.client_id, self.ngo.client_secret

    def person_session(self) -> str:
        """A fresh session of the fuzzed person (the fuzzer may sign out or change passwords)."""
        return self.services.people.open_session(self.person_id)

    def auditor_session(self) -> str:
        return self.services.people.open_session(self.auditor_id)

    def ngo_access_token(self) -> str:
        """A new access token through the real OAuth flow (consent screen, code, PKCE, token)."""
        return str(obtain_tokens(self.data_subject, self.ngo, NGO_SCOPES)["access_token"])

    def registration_token(self) -> str:
        """A single-use initial access token for dynamic client registration (RFC 7591)."""
        with self.services.db.write() as conn:
            token, _ = issue_registration_token(conn)
        return token


def build_world(tmp_path: Path, template: Path) -> FuzzWorld:
    shutil.copyfile(template, tmp_path / "pds.db")
    settings = make_settings(
        tmp_path,
        f"sqlite:///{tmp_path / 'pds.db'}",
        # The fuzzer must not be throttled; the limits have their own tests.
        rate_limit_signin_per_minute=0,
        rate_limit_signup_per_minute=0,
        rate_limit_token_per_minute=0,
        rate_limit_record_writes_per_minute=0,
        background_worker=False,
    )
    services = build_services(settings)
    app = create_app(settings, services)
    ngo = register(services, name="Fuzz NGO")
    other_ngo = register(services, name="Other NGO")

    # The data subject: connected to the NGO, so its token reads and writes their records.
    data_subject = TestClient(app=app, base_url=TEST_ORIGIN)
    sign_up(data_subject, f"subject-{secrets.token_hex(3)}@example.org")
    for record in (PHONE, NAME, IMMUNISATION):
        assert data_subject.post("/api/v1/me/records", json=record).status_code == 201

    # The fuzzed person: records, and a connection (with its receipts) to look at and revoke.
    person = TestClient(app=app, base_url=TEST_ORIGIN)
    person_id = sign_up(person, f"person-{secrets.token_hex(3)}@example.org")
    for record in (PHONE, NAME):
        assert person.post("/api/v1/me/records", json=record).status_code == 201
    obtain_tokens(person, other_ngo, "contact.phone:read identity.name:read")

    auditor_id = services.people.sign_up(
        f"auditor-{secrets.token_hex(3)}@example.org", PASSWORD, Role.AUDITOR
    )
    services.audit.auditor.publish_checkpoint()  # so the proof endpoints have a tree to prove
    return FuzzWorld(app, services, person_id, auditor_id, ngo, data_subject)
