"""Authlib's AuthorizationServer over our storage: which grants, endpoints and tokens we allow.

Framework-neutral: `consent.oauth.adapter` adds the few methods that speak Litestar.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import (
    InvalidScopeError,
    OAuth2Request,
    UnsupportedResponseTypeError,
)
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc9207 import IssuerParameter
from sqlalchemy import Connection, select

from consent.grant_service import GrantService
from consent.grants import GRANT_IS_ACTIVE, grants
from consent.oauth.client_auth import authenticate_public, in_our_words
from consent.oauth.endpoints import ClientRegistration, TokenIntrospection, TokenRevocation
from consent.oauth.events import TokenEvent, TokenHook
from consent.oauth.flows import AuthorizationCodeFlow, RefreshTokenFlow, S256CodeChallenge
from consent.oauth.models import (
    CONFIDENTIAL_AUTH_METHODS,
    PUBLIC_AUTH_METHOD,
    OAuthClient,
    StoredCode,
)
from consent.oauth.purpose import AUTHORIZATION_DETAILS_TYPE
from consent.organisations import get_client
from consent.purposes import PURPOSES
from consent.scopes import InvalidScope, ScopeSet, ScopeVocabulary
from consent.storage import Transactions, utcnow
from consent.tokens import NewTokens
from crypto.lookup import pseudonym, random_token

ACCESS_TOKEN_TTL = timedelta(minutes=10)
# RFC 6749 §4.1.2 recommends at most ten minutes; a redirect and a token request need seconds.
CODE_TTL = timedelta(minutes=1)

ENDPOINT_PATHS = {
    "authorization_endpoint": "/oauth/authorize",
    "token_endpoint": "/oauth/token",
    "revocation_endpoint": "/oauth/revoke",
    "introspection_endpoint": "/oauth/introspect",
    "registration_endpoint": "/oauth/register",
}


def _new_token(**_: Any) -> str:
    return random_token(32)  # 256 random bits; only its SHA-256 is stored


class OnlyCodeResponseType(UnsupportedResponseTypeError):  # type: ignore[misc]
    """`unsupported_response_type` naming the parameter, never its value.

    Authlib's own error makes the client's response_type its description (and cannot be built
    at all when that value holds a character RFC 6749 §5.2 excludes, which lost the redirect).
    """

    def __init__(self, redirect_uri: str | None) -> None:
        super().__init__("code", "Only response_type=code is supported.", redirect_uri=redirect_uri)

    def get_error_description(self) -> str:
        return str(self.description)


class Issuer(IssuerParameter):  # type: ignore[misc]
    """RFC 9207: `iss` in every authorization response, errors included."""

    def __init__(self, issuer: str) -> None:
        self.issuer = issuer

    def get_issuer(self) -> str:
        return self.issuer


class ConsentAuthorizationServer(AuthorizationServer):  # type: ignore[misc]
    def __init__(
        self,
        db: Transactions,
        grants: GrantService,
        vocabulary: ScopeVocabulary,
        *,
        issuer: str,
        pseudonym_key: bytes,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(scopes_supported=[str(scope) for scope in vocabulary.all_scopes])
        self.db = db
        self.grants = grants
        self.vocabulary = vocabulary
        self.issuer = issuer
        self.pseudonym_key = pseudonym_key
        self.clock = clock
        self.code_ttl = CODE_TTL
        # In-transaction hooks for every token issued, rotated or revoked (the audit log).
        self.token_hooks: list[TokenHook] = []
        self.access_token_ttl = ACCESS_TOKEN_TTL
        expires_in = int(ACCESS_TOKEN_TTL.total_seconds())
        self.register_token_generator(
            "default", BearerTokenGenerator(_new_token, _new_token, expires_in)
        )
        # Only these two grants: no implicit, no password, no client credentials.
        self.register_grant(AuthorizationCodeFlow, [S256CodeChallenge(required=True)])
        self.register_grant(RefreshTokenFlow)
        self.register_endpoint(TokenRevocation)
        self.register_endpoint(TokenIntrospection)
        self.register_endpoint(ClientRegistration)
        self.issuer_parameter = Issuer(issuer)
        self.register_extension(self.issuer_parameter)
        self.register_client_auth_method(PUBLIC_AUTH_METHOD, authenticate_public)

    def handle_error_response(self, request: Any, error: Any) -> Any:
        in_our_words(error)
        return super().handle_error_response(request, error)

    def query_client(self, client_id: str) -> OAuthClient | None:
        if not isinstance(client_id, str) or len(client_id) > 64:
            return None
        with self.db.read() as conn:
            client = get_client(conn, client_id)
        return None if client is None else OAuthClient(client)

    def get_authorization_grant(self, request: OAuth2Request) -> Any:
        payload = request.payload
        if payload.response_type != "code":
            # Redirect only to a URI registered for the client (RFC 6749 §4.1.2.1), like Authlib.
            client = self.query_client(payload.client_id)
            known = client is not None and client.check_redirect_uri(payload.redirect_uri)
            raise OnlyCodeResponseType(payload.redirect_uri if known else None)
        return super().get_authorization_grant(request)

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        raise NotImplementedError("each flow stores its tokens in its own transaction")

    def validate_requested_scope(self, scope: str | None) -> None:
        try:
            if not self.vocabulary.parse(scope):
                raise InvalidScopeError("A scope is required.")
        except InvalidScope:
            raise InvalidScopeError() from None

    def live_grant_scopes(self, conn: Connection, grant_id: str, now: datetime) -> ScopeSet:
        """The grant's scopes if it is active and unexpired, else the empty set."""
        row = conn.execute(
            select(grants.c.scope).where(
                grants.c.id == grant_id,
                GRANT_IS_ACTIVE,
                grants.c.expires_at > now,
            )
        ).first()
        return ScopeSet() if row is None else ScopeSet.parse(row.scope)

    def new_tokens(
        self, token: dict[str, Any], code: StoredCode, scopes: ScopeSet, now: datetime
    ) -> NewTokens:
        return NewTokens(
            grant_id=code.grant_id,
            family_id=code.id,
            client_id=code.client_id,
            person_id=code.person_id,
            scope=str(scopes),
            access_token=token["access_token"],
            refresh_token=token.get("refresh_token"),
            issued_at=now,
            access_expires_at=now + self.access_token_ttl,
        )

    @staticmethod
    def decoded_details(details: str) -> Any:
        return json.loads(details)

    def subject_for(self, person_id: str, organisation_id: str) -> str:
        """A pairwise pseudonym: organisations cannot link a person across each other."""
        return pseudonym(self.pseudonym_key, person_id, f"org:{organisation_id}")

    def token_event(self, conn: Connection, event: TokenEvent) -> None:
        """Run the token hooks inside the transaction that changed the tokens."""
        for hook in self.token_hooks:
            hook(conn, event)

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """Authlib's notifications; the audit log attaches here in a later step."""

    def metadata(self) -> dict[str, Any]:
        """RFC 8414 authorization server metadata."""
        return {
            "issuer": self.issuer,
            **{key: self.issuer + path for key, path in ENDPOINT_PATHS.items()},
            "scopes_supported": self.scopes_supported,
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_methods_supported": [
                *CONFIDENTIAL_AUTH_METHODS,
                PUBLIC_AUTH_METHOD,
            ],
            "revocation_endpoint_auth_methods_supported": [
                *CONFIDENTIAL_AUTH_METHODS,
                PUBLIC_AUTH_METHOD,
            ],
            "introspection_endpoint_auth_methods_supported": list(CONFIDENTIAL_AUTH_METHODS),
            "code_challenge_methods_supported": ["S256"],
            "authorization_response_iss_parameter_supported": True,
            "authorization_details_types_supported": [AUTHORIZATION_DETAILS_TYPE],
            "purposes_supported": sorted(PURPOSES),
        }
