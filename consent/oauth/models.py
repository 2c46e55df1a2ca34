"""Our stored clients, codes and tokens, shaped the way Authlib's mixins expect them.

Authlib asks these objects questions (may this client use this grant type? is this token
expired?); the answers encode our policy: exact redirect URIs, the code flow only, public clients
authenticate with nothing but PKCE, confidential ones always with their secret.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from authlib.oauth2.rfc6749 import AuthorizationCodeMixin, ClientMixin, TokenMixin
from sqlalchemy import Connection, bindparam, select

from consent.grants import GrantState, grants
from consent.organisations import Client
from consent.scopes import InvalidScope, ScopeSet
from consent.tokens import oauth_codes, oauth_tokens
from consent.uris import is_uri_text
from crypto.lookup import token_hash

GRANT_TYPES = ("authorization_code", "refresh_token")
CONFIDENTIAL_AUTH_METHODS = ("client_secret_basic", "client_secret_post")
PUBLIC_AUTH_METHOD = "none"


class OAuthClient(ClientMixin):  # type: ignore[misc]
    def __init__(self, client: Client) -> None:
        self.client = client

    def get_client_id(self) -> str:
        return self.client.client_id

    def get_default_redirect_uri(self) -> None:
        # RFC 9700: every authorization request names its redirect URI, matched exactly.
        return None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """The requested scope if the client may ask for all of it, else None (invalid_scope)."""
        try:
            requested = ScopeSet.parse(scope)
        except InvalidScope:
            return None
        if not requested or not requested.issubset(
            ScopeSet.parse(" ".join(self.client.allowed_scopes))
        ):
            return None
        return str(requested)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        # Simple string comparison (RFC 9700 §4.1.3): no normalisation, no prefix, no wildcard.
        if redirect_uri in self.client.redirect_uris:
            return True
        # Except the port of a loopback IP literal (RFC 8252 §7.3, RFC 9700 §2.1): a native app
        # listens on whatever port is free at the time.
        requested = _loopback_without_port(redirect_uri)
        return requested is not None and any(
            _loopback_without_port(registered) == requested
            for registered in self.client.redirect_uris
        )

    def check_client_secret(self, client_secret: str) -> bool:
        return self.client.check_secret(client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.client.public:
            # Introspection is for confidential clients only (RFC 7662 §4 advises authentication).
            return method == PUBLIC_AUTH_METHOD and endpoint != "introspection"
        return method in CONFIDENTIAL_AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in GRANT_TYPES


def _loopback_without_port(uri: str) -> str | None:
    """`http://127.0.0.1:PORT/path?query` (or `[::1]`) without its port; None for any other URI,
    `localhost` included (RFC 8252 §7.3: a name may not resolve to the loopback)."""
    if not is_uri_text(uri):
        return None
    parts = urlsplit(uri)
    if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "::1") or "@" in parts.netloc:
        return None
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not one
    except ValueError:
        return None
    host = "[::1]" if parts.hostname == "::1" else "127.0.0.1"
    return urlunsplit(("http", host, parts.path, parts.query, parts.fragment))


@dataclass(frozen=True)
class StoredCode(AuthorizationCodeMixin):  # type: ignore[misc]
    id: str
    client_id: str
    grant_id: str
    person_id: str
    redirect_uri: str
    scope: str
    authorization_details: str | None
    code_challenge: str
    code_challenge_method: str
    expires_at: datetime

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


def find_code(conn: Connection, code: str, client_id: str, now: datetime) -> StoredCode | None:
    """The unexpired code issued to this client (used or not: a used one is a reuse)."""
    row = conn.execute(
        select(oauth_codes).where(
            oauth_codes.c.code_hash == token_hash(code), oauth_codes.c.client_id == client_id
        )
    ).first()
    if row is None or row.expires_at <= now:
        return None
    return StoredCode(
        id=row.id,
        client_id=row.client_id,
        grant_id=row.grant_id,
        person_id=row.person_id,
        redirect_uri=row.redirect_uri,
        scope=row.scope,
        authorization_details=row.authorization_details,
        code_challenge=row.code_challenge,
        code_challenge_method=row.code_challenge_method,
        expires_at=row.expires_at,
    )


@dataclass(frozen=True)
class StoredToken(TokenMixin):  # type: ignore[misc]
    """A token row with its grant's state, as the token, revocation and introspection see it."""

    id: str
    family_id: str
    grant_id: str
    client_id: str
    person_id: str
    organisation_id: str
    # Effective: the presented token's scopes (the access or the refresh token's, which a
    # narrowed refresh makes differ) within the grant's current scopes.
    scope: str
    purpose: str
    issued_at: datetime
    access_expires_at: datetime
    rotated: bool
    revoked: bool
    grant_live: bool
    presented_as: str  # "access_token" or "refresh_token"
    now: datetime

    def check_client(self, client: OAuthClient) -> bool:
        return self.client_id == client.get_client_id()

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return max(0, int((self.access_expires_at - self.issued_at).total_seconds()))

    def is_expired(self) -> bool:
        if self.presented_as == "refresh_token":
            return False  # a refresh token lives as long as its grant (checked by is_revoked)
        return self.access_expires_at <= self.now

    def is_revoked(self) -> bool:
        return self.revoked or not self.grant_live

    def get_user(self) -> str:
        return self.person_id

    def get_client(self) -> Any:
        return None


_TOKEN_WITH_GRANT = select(
    oauth_tokens,
    grants.c.scope.label("grant_scope"),
    grants.c.state.label("grant_state"),
    grants.c.expires_at.label("grant_expires_at"),
    grants.c.organisation_id,
    grants.c.purpose,
).join(grants, grants.c.id == oauth_tokens.c.grant_id)


# Built once (not per call), so SQLAlchemy compiles each once: the token endpoint runs one per
# request.
_BY_HASH = {
    "access_token": _TOKEN_WITH_GRANT.where(oauth_tokens.c.access_hash == bindparam("digest")),
    "refresh_token": _TOKEN_WITH_GRANT.where(oauth_tokens.c.refresh_hash == bindparam("digest")),
}


def find_token(conn: Connection, token: str, hint: str | None, now: datetime) -> StoredToken | None:
    """A token by its string, as access token or refresh token (the hint only orders the search)."""
    digest = token_hash(token)
    kinds = (
        ["refresh_token", "access_token"]
        if hint == "refresh_token"
        else ["access_token", "refresh_token"]
    )
    for kind in kinds:
        row = conn.execute(_BY_HASH[kind], {"digest": digest}).first()
        if row is not None:
            return _stored_token(row, kind, now)
    return None


def _stored_token(row: Any, kind: str, now: datetime) -> StoredToken:
    live = row.grant_state == GrantState.ACTIVE.value and row.grant_expires_at > now
    issued = row.refresh_scope if kind == "refresh_token" else row.scope
    return StoredToken(
        id=row.id,
        family_id=row.family_id,
        grant_id=row.grant_id,
        client_id=row.client_id,
        person_id=row.person_id,
        organisation_id=row.organisation_id,
        scope=str(ScopeSet.parse(issued) & ScopeSet.parse(row.grant_scope)),
        purpose=row.purpose,
        issued_at=row.issued_at,
        access_expires_at=row.access_expires_at,
        rotated=row.rotated_at is not None,
        revoked=row.revoked_at is not None,
        grant_live=live,
        presented_as=kind,
        now=now,
    )
