"""The OAuth endpoints' part of the published contract: the bodies Authlib reads itself, what the
endpoints answer, and their RFC 6749 errors.

Authlib parses and checks these requests, not Litestar, so the request bodies are documented
here as JSON Schema and attached to the operation (`documented_operation`); the models only
describe answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example, OpenAPIMediaType, Operation, RequestBody, Schema
from pydantic import BaseModel, Field

from consent.examples import NamedExample, example_config
from consent.oauth.models import CONFIDENTIAL_AUTH_METHODS, GRANT_TYPES, PUBLIC_AUTH_METHOD
from consent.organisations import MAX_REDIRECT_URIS, MAX_URI_LENGTH
from consent.purposes import PURPOSES

FORM = "application/x-www-form-urlencoded"
# Made-up values for the examples.
_CLIENT_ID = "pds_3q2-7wSXnYVvT2yQ1lZ8cg"
_CLIENT_SECRET = "hJ0c1mV0x9oWc3m8ZlEo2yX4sQ7uB6tA5rN1pK3dF8g"  # noqa: S105
_ACCESS_TOKEN = "mNWnoWQpHqJAqYTQN9ADup0vnbDYRcsF8mMNIGsbBbA"  # noqa: S105
_REFRESH_TOKEN = "PbWvWCdIZ3u6-0iXNdXkYSm4_HluY7uSf3gbhPbMuL0"  # noqa: S105
_REDIRECT = "https://ngo.example.org/callback"


class OAuthError(BaseModel):
    """An RFC 6749 §5.2 error (also RFC 6750, 7009, 7591 and 7662 errors)."""

    model_config = example_config(
        {"error": "invalid_grant", "error_description": "Invalid 'code' in request."}
    )

    error: str = Field(
        description="invalid_request, invalid_client, invalid_grant, unauthorized_client, "
        "unsupported_grant_type, invalid_scope, invalid_token, invalid_redirect_uri or "
        "invalid_client_metadata"
    )
    error_description: str | None = Field(None, description="for the developer, not the user")
    error_uri: str | None = None


class TokenResponse(BaseModel):
    """RFC 6749 §5.1. Refresh tokens rotate: each use returns a new one and retires the old."""

    model_config = example_config(
        {
            "token_type": "Bearer",
            "access_token": _ACCESS_TOKEN,
            "expires_in": 600,
            "refresh_token": _REFRESH_TOKEN,
            "scope": "contact.phone:read",
        }
    )

    token_type: str = Field(description="always Bearer")
    access_token: str
    expires_in: int = Field(description="seconds")
    refresh_token: str | None = None
    scope: str = Field(description="the scopes granted, space-separated")


class RevocationResponse(BaseModel):
    """RFC 7009 §2.2: the same empty answer whether or not the token was known."""

    model_config = example_config({})


class Introspection(BaseModel):
    """RFC 7662 §2.2. An unknown, expired or revoked token (or another client's) is only
    `{"active": false}`."""

    model_config = example_config(
        {
            "active": True,
            "client_id": _CLIENT_ID,
            "scope": "contact.phone:read",
            "iat": 1795463428,
            "exp": 1795464028,
            "iss": "https://pds.example.org",
            "sub": "ps_17ce8253ae3d919f16edd8fdc3bdf5c8",
            "purpose": "dpv:ServiceProvision",
            "token_type": "Bearer",
        }
    )

    active: bool
    client_id: str | None = None
    scope: str | None = None
    iat: int | None = None
    exp: int | None = None
    iss: str | None = None
    sub: str | None = Field(None, description="the person, pseudonymous per organisation")
    purpose: str | None = Field(None, description="the grant's purpose (a W3C DPV purpose)")
    token_type: str | None = None


class ClientInformation(BaseModel):
    """RFC 7591 §3.2.1: the client's metadata as registered, defaults applied. The secret is
    shown once; public clients (`none`) get no secret. `client_uri` and `policy_uri` are kept
    (and repeated) when the registration founds the organisation: they become its website and
    privacy policy. Other metadata (`contacts`, `logo_uri`, …) is not kept or repeated."""

    model_config = example_config(
        {
            "client_id": _CLIENT_ID,
            "client_secret": _CLIENT_SECRET,
            "client_id_issued_at": 1795463428,
            "client_secret_expires_at": 0,
            "client_name": "Asha Community Health field app",
            "redirect_uris": [_REDIRECT],
            "scope": "contact.phone:read health.immunisations:read",
            "token_endpoint_auth_method": "client_secret_basic",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
        }
    )

    client_id: str
    client_secret: str | None = Field(None, description="confidential clients only")
    client_id_issued_at: int
    client_secret_expires_at: int | None = Field(
        None, description="with a secret: 0, it does not expire"
    )
    client_name: str
    redirect_uris: list[str]
    scope: str = Field(description="the scopes as registered, in normal form")
    token_endpoint_auth_method: str
    grant_types: list[str] = Field(description="every client may refresh its tokens")
    response_types: list[str]
    client_uri: str | None = Field(None, description="the new organisation's website")
    policy_uri: str | None = Field(None, description="the new organisation's privacy policy")
    purpose: str | None = Field(
        None, description="the DPV purpose of authorization requests that state none"
    )


class ServerMetadata(BaseModel):
    """RFC 8414 authorization server metadata."""

    model_config = example_config(
        {
            "issuer": "https://pds.example.org",
            "authorization_endpoint": "https://pds.example.org/oauth/authorize",
            "token_endpoint": "https://pds.example.org/oauth/token",
            "revocation_endpoint": "https://pds.example.org/oauth/revoke",
            "introspection_endpoint": "https://pds.example.org/oauth/introspect",
            "registration_endpoint": "https://pds.example.org/oauth/register",
            "scopes_supported": ["contact.phone:read", "contact.phone:write"],
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "none"],
            "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "none"],
            "introspection_endpoint_auth_methods_supported": ["client_secret_basic"],
            "code_challenge_methods_supported": ["S256"],
            "authorization_response_iss_parameter_supported": True,
            "authorization_details_types_supported": ["pds_consent"],
            "purposes_supported": ["dpv:ServiceProvision"],
        }
    )

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    revocation_endpoint: str
    introspection_endpoint: str
    registration_endpoint: str
    scopes_supported: list[str]
    response_types_supported: list[str]
    response_modes_supported: list[str]
    grant_types_supported: list[str]
    token_endpoint_auth_methods_supported: list[str]
    revocation_endpoint_auth_methods_supported: list[str]
    introspection_endpoint_auth_methods_supported: list[str]
    code_challenge_methods_supported: list[str]
    authorization_response_iss_parameter_supported: bool
    authorization_details_types_supported: list[str]
    purposes_supported: list[str] = Field(description="W3C DPV purposes a client may ask for")


@dataclass
class JsonSchema(Schema):
    """A schema given as plain JSON Schema (Litestar's `Schema` serialises field by field)."""

    raw: dict[str, Any] = field(default_factory=dict)

    def to_schema(self) -> dict[str, Any]:
        return self.raw


def documented_operation(
    media_type: str, schema: dict[str, Any], examples: Mapping[str, dict[str, Any]]
) -> type[Operation]:
    """An Operation class adding the request body a handler reads itself (Litestar documents
    only the bodies it parses)."""
    body = RequestBody(
        required=True,
        content={
            media_type: OpenAPIMediaType(
                schema=JsonSchema(raw=schema),
                examples={name: Example(summary=name, value=v) for name, v in examples.items()},
            )
        },
    )

    @dataclass
    class DocumentedOperation(Operation):
        def __post_init__(self) -> None:
            self.request_body = body

    return DocumentedOperation


def _string(description: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "description": description, **extra}


# RFC 6749 §3.2: unknown parameters are ignored, but no parameter may be repeated.
_OTHER_PARAMETER = {"type": "string"}
# RFC 7591 §2: metadata this server does not use (extensions, e.g. OpenID's) is ignored.
_OTHER_METADATA: dict[str, Any] = {}
_CLIENT_FIELDS = {
    "client_id": _string("alone for a public client; with client_secret for client_secret_post"),
    "client_secret": _string("client_secret_post only; prefer HTTP Basic"),
}
_VERIFIER = _string("PKCE (S256)", minLength=43, maxLength=128, pattern="^[A-Za-z0-9._~-]+$")


def token_request_schema(scope_pattern: str) -> dict[str, Any]:
    code = {
        "title": "Authorization code (PKCE)",
        "type": "object",
        "additionalProperties": _OTHER_PARAMETER,
        "required": ["grant_type", "code", "redirect_uri", "code_verifier"],
        "properties": {
            "grant_type": {"const": "authorization_code"},
            "code": _string("from the redirect to redirect_uri", minLength=1),
            "redirect_uri": _string("exactly as in the authorization request", format="uri"),
            "code_verifier": _VERIFIER,
            **_CLIENT_FIELDS,
        },
    }
    refresh = {
        "title": "Refresh token (rotates)",
        "type": "object",
        "additionalProperties": _OTHER_PARAMETER,
        "required": ["grant_type", "refresh_token"],
        "properties": {
            "grant_type": {"const": "refresh_token"},
            "refresh_token": _string("the latest one; a reused one revokes the grant"),
            "scope": _string("fewer scopes than granted, space-separated", pattern=scope_pattern),
            **_CLIENT_FIELDS,
        },
    }
    return {"oneOf": [code, refresh]}


TOKEN_EXAMPLES = {
    "authorization code": {
        "grant_type": "authorization_code",
        "code": "Wq3xUe0b8mHkq1YV2cPnQ1fJ",
        "redirect_uri": _REDIRECT,
        "code_verifier": "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
    },
    "refresh token": {"grant_type": "refresh_token", "refresh_token": _REFRESH_TOKEN},
}

TOKEN_FORM_SCHEMA = {  # revocation and introspection
    "type": "object",
    "additionalProperties": _OTHER_PARAMETER,
    "required": ["token"],
    "properties": {
        "token": _string("an access or refresh token; unknown ones are simply not active"),
        "token_type_hint": _string(
            "`access_token` or `refresh_token`: only orders the search (any other value is ignored)"
        ),
        **_CLIENT_FIELDS,
    },
}
TOKEN_FORM_EXAMPLES = {"access token": {"token": _ACCESS_TOKEN, "token_type_hint": "access_token"}}


def registration_schema(scope_pattern: str) -> dict[str, Any]:
    """RFC 7591 client metadata, as far as this server accepts it."""
    return {
        "type": "object",
        "additionalProperties": _OTHER_METADATA,
        "required": ["client_name", "redirect_uris", "scope"],
        "properties": {
            "client_name": _string("shown to people on the consent screen", maxLength=200),
            "redirect_uris": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_REDIRECT_URIS,
                "items": _string(
                    "exact, absolute, no fragment; https (http on loopback only); RFC 3986 "
                    "characters only",
                    format="uri",
                    maxLength=MAX_URI_LENGTH,
                    pattern=r"^(https://[A-Za-z0-9.-]+|http://(127\.0\.0\.1|localhost))"
                    r"[A-Za-z0-9\-._~:/?\[\]!$&'()+,;=%]*$",
                ),
            },
            # Kept only when the registration founds the organisation: then an https URL (500
            # characters at most); ignored otherwise, so the schema cannot say more.
            "client_uri": _string("a new organisation's website"),
            # An extension: authorization requests without `purpose` then use this one.
            "purpose": {
                "enum": sorted(PURPOSES),
                "description": "the DPV purpose of authorization requests that state none (a "
                "stock client then sends nothing but standard parameters)",
            },
            "policy_uri": _string("a new organisation's privacy policy"),
            **{
                name: {"type": "string", "description": "accepted, not kept"}
                for name in (
                    "logo_uri",
                    "tos_uri",
                    "jwks_uri",
                    "software_id",
                    "software_version",
                    "software_statement",
                )
            },
            "contacts": {
                "type": "array",
                "items": {"type": "string"},
                "description": "accepted, not kept",
            },
            "jwks": {"type": "object", "description": "accepted, not kept"},
            "scope": _string("the scopes the client may ask for", pattern=scope_pattern),
            "token_endpoint_auth_method": {
                "enum": [*CONFIDENTIAL_AUTH_METHODS, PUBLIC_AUTH_METHOD],
                "description": "none: a public client (PKCE only, no secret)",
            },
            "grant_types": {
                "type": "array",
                "items": {"enum": list(GRANT_TYPES)},
                "contains": {"const": "authorization_code"},
                "description": "the code flow; refresh_token is registered either way",
            },
            "response_types": {
                "type": "array",
                "items": {"const": "code"},
                "minItems": 1,
            },
        },
    }


REGISTRATION_EXAMPLES = {
    "confidential client": {
        "client_name": "Asha Community Health field app",
        "redirect_uris": [_REDIRECT],
        "scope": "contact.phone:read health.immunisations:read",
    }
}


def scope_pattern(scopes: Iterable[str]) -> str:
    """A pattern for a space-separated list of the given scopes."""
    one = "(" + "|".join(re.escape(s) for s in sorted(scopes)) + ")"
    return f"^{one}( {one})*$"


def oauth_errors(*cases: tuple[int, str, str, str | None]) -> dict[int, ResponseSpec]:
    """RFC 6749 error responses: (status, description, error, error_description) per example."""
    by_status: dict[int, list[tuple[str, str, str | None]]] = {}
    for status, description, error, detail in cases:
        by_status.setdefault(status, []).append((description, error, detail))
    return {
        status: ResponseSpec(
            OAuthError,
            description="; ".join(dict.fromkeys(d for d, _, _ in items)),
            generate_examples=False,
            examples=[
                NamedExample(
                    id=error,
                    summary=error,
                    value={"error": error, **({"error_description": detail} if detail else {})},
                )
                for _, error, detail in items
            ],
        )
        for status, items in sorted(by_status.items())
    }


def answer(model: type[BaseModel], description: str) -> ResponseSpec:
    """A success answer Litestar cannot infer (the handler returns Authlib's response)."""
    return ResponseSpec(model, description=description, generate_examples=False)
