"""The organisation API against a simple model of consent (Hypothesis, both engines).

People x organisations x scopes x record types: grants are approved, some narrowed, some revoked,
tokens issued. For every token and every record the API's answer must be exactly what the model
says — zero unexpected allows, zero unexpected denials.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consent.scopes import Action, Scope, ScopeSet
from pds.app import Services
from tests.oauth_support import Registered, bearer, grant_and_token, register

TYPES = {
    "contact.phone": {"number": "+919876543210"},
    "identity.name": {"given_name": "Asha"},
    "health.immunisations": {"vaccine": "td", "dose": 1, "date": "2024-01-15"},
}
SCOPES = [Scope(t, a) for t in TYPES for a in Action]
PEOPLE = 2
ORGANISATIONS = 2
_emails = itertools.count()


@dataclass
class Case:
    granted: ScopeSet  # what the person approved
    narrowed_to: ScopeSet | None  # then kept only these (None: not narrowed)
    revoked: bool

    def effective(self) -> ScopeSet:
        if self.revoked:
            return ScopeSet()
        return self.granted if self.narrowed_to is None else self.granted & self.narrowed_to


def _case() -> st.SearchStrategy[Case | None]:
    granted = st.frozensets(st.sampled_from(SCOPES), min_size=1).map(ScopeSet)
    narrowing = st.one_of(st.none(), st.frozensets(st.sampled_from(SCOPES)).map(ScopeSet))
    case = st.builds(Case, granted, narrowing, st.booleans())
    return st.one_of(st.none(), case)


@pytest.fixture
def ngos(services: Services) -> list[Registered]:
    """Created once per engine; the examples share them (organisations outlive people)."""
    return [register(services, name=f"NGO {i}") for i in range(ORGANISATIONS)]


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(cases=st.lists(_case(), min_size=PEOPLE * ORGANISATIONS, max_size=PEOPLE * ORGANISATIONS))
def test_every_answer_matches_the_model(
    client: Any, services: Services, ngos: list[Registered], cases: list[Any]
) -> None:
    people = [
        services.people.sign_up(f"p{next(_emails)}@example.org", "correct horse battery")
        for _ in range(PEOPLE)
    ]
    records = {
        services.records.create(person, type_name, value).id: (person, type_name)
        for person in people
        for type_name, value in TYPES.items()
    }
    tokens = []
    for (person, ngo), case in zip(itertools.product(people, ngos), cases, strict=True):
        if case is None:
            continue
        token, grant_id = grant_and_token(services, person, ngo, str(case.granted))
        if case.narrowed_to is not None and case.granted & case.narrowed_to:
            services.consent.grants.narrow(person, grant_id, scopes=case.granted & case.narrowed_to)
        else:
            case.narrowed_to = None
        if case.revoked:
            services.consent.grants.revoke(person, grant_id)
        tokens.append((token, person, case.effective(), case.revoked))
    for token, person, allowed, revoked in tokens:
        _check_token(client, token, person, allowed, revoked, records)


def _check_token(
    client: Any,
    token: str,
    person: str,
    allowed: ScopeSet,
    revoked: bool,
    records: dict[str, tuple[str, str]],
) -> None:
    headers = bearer(token)
    listed = client.get("/api/v1/records", headers=headers)
    if revoked:
        assert listed.status_code == 401
        return
    expected = {
        rid
        for rid, (owner, type_name) in records.items()
        if owner == person and allowed.allows(type_name, Action.READ)
    }
    assert {item["id"] for item in listed.json()["items"]} == expected
    for record_id, (owner, type_name) in records.items():
        readable = owner == person and allowed.allows(type_name, Action.READ)
        answer = client.get(f"/api/v1/records/{record_id}", headers=headers)
        assert answer.status_code == (200 if readable else 404), (type_name, allowed)
    for type_name, value in TYPES.items():
        created = client.post(
            "/api/v1/records", json={"type": type_name, "value": value}, headers=headers
        )
        assert created.status_code == (201 if allowed.allows(type_name, Action.WRITE) else 403)
        if created.status_code == 201:
            records[created.json()["id"]] = (person, type_name)
