"""The two grant types we allow, configured for RFC 9700 (Authlib's defaults are not).

- Authorization code: PKCE with S256 for every client (Authlib would accept `plain` and let
  confidential clients skip PKCE); codes are single-use by an atomic UPDATE, and a reused code
  revokes every token it led to; codes are bound to client and redirect URI.
- Refresh token: rotated on every use (Authlib would keep it); presenting a rotated refresh token
  again is a replay and revokes the whole grant.
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Any

from authlib.oauth2.rfc6749 import (
    InvalidGrantError,
    InvalidRequestError,
    OAuth2Error,
    OAuth2Request,
)
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant, RefreshTokenGrant
from authlib.oauth2.rfc7636 import CodeChallenge, create_s256_code_challenge

from consent.oauth.events import TokenEvent, TokenEventKind
from consent.oauth.models import OAuthClient, StoredCode, StoredToken, find_code, find_token
from consent.oauth.purpose import RequestedPurpose, requested_purpose
from consent.scopes import ScopeSet
from consent.tokens import (
    NewCode,
    NewTokens,
    consume_code,
    revoke_family,
    rotate_refresh,
    save_code,
    save_tokens,
)
from crypto.lookup import random_token

if TYPE_CHECKING:
    from consent.oauth.server import ConsentAuthorizationServer

TOKEN_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]


def _compare_s256(verifier: str, challenge: str) -> bool:
    return hmac.compare_digest(create_s256_code_challenge(verifier), challenge)


class S256CodeChallenge(CodeChallenge):  # type: ignore[misc]
    """PKCE required on every authorization request, S256 only (RFC 9700 §2.1.1)."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    CODE_CHALLENGE_METHODS = {"S256": _compare_s256}

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge (S256).")
        # An absent method means `plain` (RFC 7636 §4.3), which we do not accept.
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256.")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        try:
            if not grant.request.form.get("code_verifier"):
                raise InvalidRequestError("Missing 'code_verifier'.")
            super().validate_code_verifier(grant, result)
        except OAuth2Error:
            # A code is good for one try (RFC 6749 §4.1.2, RFC 9700 §2.1.1): a wrong or missing
            # verifier spends it, so a stolen code cannot be tried against guessed verifiers.
            grant.spend_code(refused="pkce_failed")
            raise


class ConsentDecision:
    """The `grant_user` Authlib carries from the consent screen into the saved code."""

    def __init__(self, person_id: str, grant_id: str, scopes: ScopeSet, purpose: RequestedPurpose):
        self.person_id = person_id
        self.grant_id = grant_id
        self.scopes = scopes
        self.purpose = purpose


class AuthorizationCodeFlow(AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS
    server: ConsentAuthorizationServer
    purpose: RequestedPurpose

    @staticmethod
    def validate_authorization_redirect_uri(request: OAuth2Request, client: OAuthClient) -> str:
        # Authlib's own message echoes the URI; ours does not, so no input reaches the page.
        uri = request.payload.redirect_uri
        if not uri:
            raise InvalidRequestError("Missing 'redirect_uri'.")
        if not client.check_redirect_uri(uri):
            raise InvalidRequestError("The redirect_uri is not registered for this client.")
        return str(uri)

    def validate_authorization_request(self) -> str:
        redirect_uri = str(super().validate_authorization_request())
        try:
            default = self.request.client.client.default_purpose
            self.purpose = requested_purpose(self.request.payload.datalist, default)
        except OAuth2Error as error:
            error.redirect_uri = redirect_uri
            raise
        return redirect_uri

    def generate_authorization_code(self) -> str:
        return random_token(32)

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        decision: ConsentDecision = request.user
        data = request.payload.data
        now = self.server.clock()
        with self.server.db.write() as conn:
            save_code(
                conn,
                code,
                NewCode(
                    client_id=request.client.get_client_id(),
                    grant_id=decision.grant_id,
                    person_id=decision.person_id,
                    redirect_uri=request.payload.redirect_uri,
                    scope=str(decision.scopes),
                    authorization_details=decision.purpose.authorization_details,
                    code_challenge=data["code_challenge"],
                    code_challenge_method=data["code_challenge_method"],
                    issued_at=now,
                    expires_at=now + self.server.code_ttl,
                ),
            )

    def query_authorization_code(self, code: str, client: OAuthClient) -> StoredCode | None:
        with self.server.db.read() as conn:
            return find_code(conn, code, client.get_client_id(), self.server.clock())

    def spend_code(self, refused: str) -> None:
        """Mark the request's code used without issuing anything, and audit the refusal."""
        code: StoredCode = self.request.authorization_code
        now = self.server.clock()
        with self.server.db.write() as conn:
            if consume_code(conn, code.id, now):
                refusal = _event(TokenEventKind.ISSUED, code, code.scope, refused=refused)
                self.server.token_event(conn, refusal)

    def delete_authorization_code(self, authorization_code: StoredCode) -> None:
        """Nothing to do: `save_token` consumed the code in the transaction that issued tokens."""

    def authenticate_user(self, authorization_code: StoredCode) -> StoredCode:
        return authorization_code

    def save_token(self, token: dict[str, Any]) -> None:
        """Consume the code and store the tokens atomically; the loser of a race is a reuse."""
        code: StoredCode = self.request.authorization_code
        server = self.server
        now = server.clock()
        with server.db.write() as conn:
            won = consume_code(conn, code.id, now)
            if won:
                grant_scopes = server.live_grant_scopes(conn, code.grant_id, now)
                scopes = ScopeSet.parse(code.scope) & grant_scopes
                if not scopes:
                    raise InvalidGrantError("The consent behind this code has ended.")
                token["scope"] = str(scopes)
                save_tokens(conn, server.new_tokens(token, code, scopes, now))
                server.token_event(conn, _event(TokenEventKind.ISSUED, code, str(scopes)))
        if not won:
            with server.db.write() as conn:
                revoke_family(conn, code.id, now)
                refused = _event(TokenEventKind.ISSUED, code, code.scope, refused="code_reused")
                server.token_event(conn, refused)
            raise InvalidGrantError("The authorization code was already used.")
        if code.authorization_details:
            token["authorization_details"] = server.decoded_details(code.authorization_details)


class RefreshTokenFlow(RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True
    server: ConsentAuthorizationServer

    def authenticate_refresh_token(self, refresh_token: str) -> StoredToken | None:
        server = self.server
        now = server.clock()
        with server.db.read() as conn:
            token = find_token(conn, refresh_token, "refresh_token", now)
        if token is None or token.presented_as != "refresh_token":
            return None
        if token.rotated:
            # RFC 9700 §4.14.2: a rotated refresh token used again means one copy was stolen.
            with server.db.write() as conn:
                refused = _event(TokenEventKind.REFRESHED, token, token.scope, refused="reused")
                server.token_event(conn, refused)
                server.grants.revoke_as_service(conn, token.grant_id)
            return None
        if token.is_revoked():
            return None
        return token

    def authenticate_user(self, refresh_token: StoredToken) -> StoredToken:
        return refresh_token

    def save_token(self, token: dict[str, Any]) -> None:
        """Rotate: retire the old refresh token and store the new pair in one transaction.

        The access token gets the requested scopes; the new refresh token keeps the old one's
        (RFC 6749 §6), as found: already within the grant's current scopes.
        """
        old: StoredToken = self.request.refresh_token
        server = self.server
        now = server.clock()
        with server.db.write() as conn:
            won = rotate_refresh(conn, old.id, now)
            if won:
                save_tokens(
                    conn,
                    NewTokens(
                        grant_id=old.grant_id,
                        family_id=old.family_id,
                        client_id=old.client_id,
                        person_id=old.person_id,
                        scope=token["scope"],
                        access_token=token["access_token"],
                        refresh_token=token.get("refresh_token"),
                        issued_at=now,
                        access_expires_at=now + server.access_token_ttl,
                        refresh_scope=old.scope,
                    ),
                )
                server.token_event(conn, _event(TokenEventKind.REFRESHED, old, token["scope"]))
        if not won:  # a concurrent refresh with the same token: a replay
            with server.db.write() as conn:
                refused = _event(TokenEventKind.REFRESHED, old, old.scope, refused="replayed")
                server.token_event(conn, refused)
                server.grants.revoke_as_service(conn, old.grant_id)
            raise InvalidGrantError()

    def revoke_old_credential(self, refresh_token: StoredToken) -> None:
        """Nothing to do: `save_token` retired it atomically."""


def _event(
    kind: TokenEventKind, source: StoredCode | StoredToken, scope: str, refused: str | None = None
) -> TokenEvent:
    return TokenEvent(kind, source.person_id, source.client_id, source.grant_id, scope, refused)
