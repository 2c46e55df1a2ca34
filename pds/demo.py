"""`pds demo`: an idempotent demo person with records and a demo NGO with OAuth credentials."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from consent.organisations import create_organisation, find_organisation_by_name, register_client
from pds.app import Services

DEMO_EMAIL = "demo@example.org"
DEMO_ORG = "Asha Community Health (demo)"
DEMO_REDIRECT = "http://127.0.0.1:8765/callback"
DEMO_SCOPES = (
    "identity.name:read",
    "identity.date_of_birth:read",
    "contact.phone:read",
    "health.immunisations:read",
    "household.members:read",
)
DEMO_RECORDS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("identity.name", {"given_name": "Asha", "family_name": "Devi"}),
    ("identity.date_of_birth", {"date": "1990-04-12"}),
    ("contact.phone", {"number": "+919876543210", "kind": "mobile"}),
    ("health.immunisations", {"vaccine": "td", "dose": 1, "date": "2024-01-15"}),
)


def seed_demo(services: Services) -> dict[str, Any]:
    """Create what is missing and return the demo's credentials (kept in DATA_DIR)."""
    saved = _credentials_file(services)
    people = services.people
    if not people.exists(DEMO_EMAIL):
        person_id = people.sign_up(DEMO_EMAIL, services.settings.demo_password)
        for type_name, value in DEMO_RECORDS:
            services.records.create(person_id, type_name, value)
    with services.db.write() as conn:
        if find_organisation_by_name(conn, DEMO_ORG) is None or not saved.exists():
            organisation_id = create_organisation(
                conn,
                name=DEMO_ORG,
                website="https://example.org",
                policy_url="https://example.org/privacy",
            )
            issued = register_client(
                conn,
                organisation_id=organisation_id,
                client_name="Asha field app (demo)",
                redirect_uris=[DEMO_REDIRECT],
                allowed_scopes=DEMO_SCOPES,
                public=False,
                default_purpose="dpv:ServiceProvision",
            )
            _write_private(
                saved,
                {
                    "organisation": DEMO_ORG,
                    "organisation_id": organisation_id,
                    "client_id": issued.client_id,
                    "client_secret": issued.client_secret,
                    "redirect_uri": DEMO_REDIRECT,
                    "scopes": list(DEMO_SCOPES),
                },
            )
    credentials: dict[str, Any] = json.loads(saved.read_text(encoding="utf-8"))
    return {
        "person": {"email": DEMO_EMAIL, "password": services.settings.demo_password},
        "organisation": credentials,
    }


def _credentials_file(services: Services) -> Path:
    return services.settings.data_dir / "demo-credentials.json"


def _write_private(path: Path, content: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(content, handle, indent=2)
