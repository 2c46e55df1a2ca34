"""Helpers for receipt tests: people with grants, and checking receipts the way an outsider does.

`jwcrypto_verify` uses an independent JOSE library and nothing but a published JWK Set, so a
receipt that passes it verifies without trusting any of PDS's own code.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import jsonschema
from jwcrypto import jwk, jws

from consent.grant_service import ConsentRequest
from consent.grants import Grant
from consent.scopes import ScopeSet
from pds.app import Services
from tests.conftest import PASSWORD
from tests.oauth_support import PURPOSE, Registered, register

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "openapi" / "consent-receipt.schema.json"


@dataclass(frozen=True)
class Connected:
    person_id: str
    email: str
    ngo: Registered
    grant: Grant


def new_person(services: Services) -> tuple[str, str]:
    email = f"p{secrets.token_hex(4)}@example.org"
    return services.people.sign_up(email, PASSWORD), email


def connect(
    services: Services,
    scopes: tuple[str, ...] = ("contact.phone:read", "health.immunisations:read"),
    *,
    person: tuple[str, str] | None = None,
    ngo: Registered | None = None,
    days: int = 90,
) -> Connected:
    """A person (new unless given) who approved an NGO's request on the consent screen."""
    person_id, email = person or new_person(services)
    ngo = ngo or register(services, name=f"NGO {secrets.token_hex(3)}")
    request = ConsentRequest(
        person_id, ngo.organisation_id, ngo.client_id, ScopeSet.of(*scopes), PURPOSE
    )
    grant = services.consent.grants.approve(request, request.scopes, timedelta(days=days))
    return Connected(person_id, email, ngo, grant)


def approve_again(
    services: Services, connected: Connected, scopes: tuple[str, ...], *, days: int = 90
) -> Grant:
    request = ConsentRequest(
        connected.person_id,
        connected.ngo.organisation_id,
        connected.ngo.client_id,
        ScopeSet.of(*scopes),
        PURPOSE,
    )
    return services.consent.grants.approve(request, request.scopes, timedelta(days=days))


def jwcrypto_verify(token: str, published_jwks: dict[str, Any] | jwk.JWKSet) -> dict[str, Any]:
    """Verify with jwcrypto against the JWKS alone; returns the payload; raises if invalid."""
    keyset = (
        published_jwks
        if isinstance(published_jwks, jwk.JWKSet)
        else jwk.JWKSet.from_json(json.dumps(published_jwks))
    )
    signed = jws.JWS()
    signed.deserialize(token)
    header = signed.jose_header
    if header.get("alg") != "EdDSA" or not isinstance(header.get("kid"), str):
        raise jws.InvalidJWSObject("not an EdDSA JWS with a kid")
    key = keyset.get_key(header["kid"])
    if key is None:
        raise jws.InvalidJWSSignature(f"no published key {header['kid']}")
    signed.verify(key, alg="EdDSA")
    payload: dict[str, Any] = json.loads(signed.payload)
    return payload


def schema_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
