"""Revocation (RFC 7009), introspection (RFC 7662) and dynamic registration (RFC 7591)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from authlib.oauth2.rfc6749 import InvalidRequestError, OAuth2Request
from authlib.oauth2.rfc6750 import InvalidTokenError
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7591 import (
    ClientRegistrationEndpoint,
    InvalidClientMetadataError,
    InvalidRedirectURIError,
)
from authlib.oauth2.rfc7662 import IntrospectionEndpoint

from consent.access import MalformedBearerRequest, bearer_credentials
from consent.oauth.events import TokenEvent, TokenEventKind
from consent.oauth.models import (
    CONFIDENTIAL_AUTH_METHODS,
    GRANT_TYPES,
    PUBLIC_AUTH_METHOD,
    OAuthClient,
    StoredToken,
    find_token,
)
from consent.organisations import (
    MAX_REDIRECT_URIS,
    InvalidClientMetadata,
    create_organisation,
    is_public_page,
    new_client_id,
    new_client_secret,
    register_client,
    validate_redirect_uri,
)
from consent.purposes import UnknownPurpose, validate_purpose
from consent.registration import (
    RegistrationToken,
    find_registration_token,
    spend_registration_token,
)
from consent.scopes import InvalidScope, ScopeSet
from consent.tokens import revoke_family, revoke_token

if TYPE_CHECKING:
    from consent.oauth.server import ConsentAuthorizationServer


class _AnyHint:
    """RFC 7009 §2.1 and RFC 7662 §2.1: `token_type_hint` is only a hint, which the server may
    ignore and must search past. Authlib refuses a hint it does not know (`unsupported_token_type`,
    with 401), which left a token a client asked to revoke valid; here it only orders the search
    (`find_token`)."""

    def check_params(self, request: OAuth2Request, client: OAuthClient) -> None:
        if "token" not in request.form:
            raise InvalidRequestError()


class TokenRevocation(_AnyHint, RevocationEndpoint):  # type: ignore[misc]
    # RFC 7009 §2.1: public clients may revoke their own tokens too.
    CLIENT_AUTH_METHODS = [*CONFIDENTIAL_AUTH_METHODS, PUBLIC_AUTH_METHOD]
    server: ConsentAuthorizationServer

    def query_token(self, token_string: str, token_type_hint: str | None) -> StoredToken | None:
        with self.server.db.read() as conn:
            return find_token(conn, token_string, token_type_hint, self.server.clock())

    def revoke_token(self, token: StoredToken, request: OAuth2Request) -> None:
        """Mark revoked, never delete; a refresh token takes everything rotated from it along."""
        now = self.server.clock()
        with self.server.db.write() as conn:
            if token.presented_as == "refresh_token":
                revoke_family(conn, token.family_id, now)
            else:
                revoke_token(conn, token.id, now)
            event = TokenEvent(
                TokenEventKind.REVOKED,
                token.person_id,
                token.client_id,
                token.grant_id,
                token.scope,
            )
            self.server.token_event(conn, event)


class TokenIntrospection(_AnyHint, IntrospectionEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = list(CONFIDENTIAL_AUTH_METHODS)
    server: ConsentAuthorizationServer

    def query_token(self, token_string: str, token_type_hint: str | None) -> StoredToken | None:
        with self.server.db.read() as conn:
            return find_token(conn, token_string, token_type_hint, self.server.clock())

    def check_permission(
        self, token: StoredToken, client: OAuthClient, request: OAuth2Request
    ) -> bool:
        # A client learns about its own tokens only; another client's token is "inactive".
        return token.check_client(client)

    def introspect_token(self, token: StoredToken) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "active": True,
            "client_id": token.client_id,
            "scope": token.scope,
            "iat": int(token.issued_at.timestamp()),
            "iss": self.server.issuer,
            "sub": self.server.subject_for(token.person_id, token.organisation_id),
            "purpose": token.purpose,
        }
        if token.presented_as == "access_token":
            payload["token_type"] = "Bearer"  # noqa: S105 - a type name, not a secret
            payload["exp"] = int(token.access_expires_at.timestamp())
        return payload


class MalformedBearerError(InvalidTokenError):  # type: ignore[misc]
    """RFC 6750 §3.1: a malformed bearer request is `invalid_request` (400), with the same
    `WWW-Authenticate` challenge; `invalid_token` (401) is for a well-formed token we refuse."""

    error = "invalid_request"
    description = "The Authorization header must be one Bearer credential (RFC 6750 section 2.1)."
    status_code = 400


class ClientRegistration(ClientRegistrationEndpoint):  # type: ignore[misc]
    """Registration with a single-use initial access token from `pds org registration-token`."""

    server: ConsentAuthorizationServer

    def authenticate_token(self, request: Any) -> RegistrationToken:
        header = request.headers.get("Authorization")
        if not header:
            raise InvalidTokenError("An initial access token is required.", realm="pds")
        try:
            token = bearer_credentials(header)
        except MalformedBearerRequest:
            raise MalformedBearerError(realm="pds") from None
        with self.server.db.read() as conn:
            found = find_registration_token(conn, token)
        if found is None:
            raise InvalidTokenError(realm="pds")
        return found

    def get_server_metadata(self) -> dict[str, Any]:
        return self.server.metadata()

    def extract_client_metadata(self, request: Any) -> dict[str, Any]:
        if request.payload.problem is not None:  # said in our words by the adapter
            raise InvalidClientMetadataError(request.payload.problem)
        # RFC 7591 §3.2.2 has its own error for redirect URIs: check them before Authlib does.
        _check_redirect_uris(request.payload.data.get("redirect_uris"))
        # Authlib's claim checks assume these shapes and crash on others (e.g. a list of objects).
        _check_value_shapes(request.payload.data)
        token: RegistrationToken = request.credential
        # A new organisation's pages are the client's (checked before Authlib, in our words).
        pages = _organisation_pages(request.payload.data) if token.organisation_id is None else {}
        purpose = _default_purpose(request.payload.data)
        # Authlib refuses values the server metadata does not list as supported.
        metadata: dict[str, Any] = super().extract_client_metadata(request)
        _check_code_flow(metadata)
        scope = metadata.get("scope")
        try:
            scopes = self.server.vocabulary.parse(scope) if isinstance(scope, str) else None
        except InvalidScope:
            raise InvalidClientMetadataError("scope names an unknown scope.") from None
        if not scopes:
            raise InvalidClientMetadataError("scope is required.")
        name = metadata.get("client_name")
        if not isinstance(name, str) or not 0 < len(name.strip()) <= 200:
            raise InvalidClientMetadataError("client_name is required (at most 200 characters).")
        return _as_registered(metadata, name.strip(), scopes) | pages | purpose

    def generate_client_id(self, request: Any) -> str:
        return new_client_id()

    def generate_client_secret(self, request: Any) -> str:
        return new_client_secret()

    def generate_client_info(self, request: Any) -> dict[str, Any]:
        info: dict[str, Any] = super().generate_client_info(request)
        if _is_public(request.payload.data):
            del info["client_secret"], info["client_secret_expires_at"]
        return info

    def save_client(
        self, client_info: dict[str, Any], client_metadata: dict[str, Any], request: Any
    ) -> str:
        token: RegistrationToken = request.credential
        client_id = str(client_info["client_id"])
        with self.server.db.write() as conn:
            if not spend_registration_token(conn, token, client_id):
                raise InvalidTokenError(realm="pds")
            organisation_id = token.organisation_id or create_organisation(
                conn,
                name=client_metadata["client_name"],
                website=client_metadata.get("client_uri"),
                policy_url=client_metadata.get("policy_uri"),
            )
            register_client(
                conn,
                organisation_id=organisation_id,
                client_name=client_metadata["client_name"],
                redirect_uris=client_metadata["redirect_uris"],
                allowed_scopes=client_metadata["scope"].split(),
                public=_is_public(client_metadata),
                client_id=client_id,
                client_secret=client_info.get("client_secret"),
                default_purpose=client_metadata.get("purpose"),
            )
        return client_id


def _check_code_flow(metadata: dict[str, Any]) -> None:
    """RFC 7591 §2.1: the response types and grant types must agree, and the only flow here is
    the authorization code flow (response type `code`, grant type `authorization_code`)."""
    if "authorization_code" not in metadata.get("grant_types", ["authorization_code"]):
        raise InvalidClientMetadataError("grant_types must include authorization_code.")
    if set(metadata.get("response_types", ["code"])) != {"code"}:
        raise InvalidClientMetadataError("response_types must be code, and only code.")


def _as_registered(metadata: dict[str, Any], name: str, scopes: ScopeSet) -> dict[str, Any]:
    """RFC 7591 §3.2.1: the metadata as registered, which the response repeats in full.

    Every client may refresh (refresh tokens are always issued), so both grant types are
    registered even when only `authorization_code` was asked for (§2 lets the server replace a
    requested value). Metadata the server does not keep (`contacts`, `logo_uri`, …; `client_uri`
    and `policy_uri` unless the client founds a new organisation) is not registered, so it is not
    repeated either.
    """
    return {
        "client_name": name,
        "redirect_uris": metadata["redirect_uris"],
        "scope": str(scopes),
        "token_endpoint_auth_method": metadata["token_endpoint_auth_method"],
        "grant_types": list(GRANT_TYPES),
        "response_types": ["code"],
    }


def _organisation_pages(metadata: dict[str, Any]) -> dict[str, str]:
    """`client_uri` and `policy_uri` become a new organisation's website and privacy policy, which
    the consent screen links to; an organisation that exists keeps its own."""
    pages = {}
    for name in ("client_uri", "policy_uri"):
        value = metadata.get(name)
        if value is None:
            continue
        if not isinstance(value, str) or not is_public_page(value):
            raise InvalidClientMetadataError(
                f"{name} must be an https URL of 500 characters or fewer."
            )
        pages[name] = value
    return pages


def _default_purpose(metadata: dict[str, Any]) -> dict[str, str]:
    """`purpose` (an extension member): the DPV purpose of authorization requests that state
    none, so a stock client needs no parameter its library does not know to send."""
    purpose = metadata.get("purpose")
    if purpose is None:
        return {}
    try:
        return {"purpose": validate_purpose(purpose if isinstance(purpose, str) else "")}
    except UnknownPurpose:
        raise InvalidClientMetadataError(
            "purpose must be one of the DPV purposes this server lists."
        ) from None


def _check_redirect_uris(uris: Any) -> None:
    if uris is None:
        raise InvalidRedirectURIError("redirect_uris is required.")
    if not isinstance(uris, list) or not uris or not all(isinstance(u, str) for u in uris):
        raise InvalidRedirectURIError("redirect_uris must be a non-empty list of URIs.")
    if len(uris) > MAX_REDIRECT_URIS:
        raise InvalidRedirectURIError(f"redirect_uris may list {MAX_REDIRECT_URIS} at most.")
    try:
        for uri in uris:
            validate_redirect_uri(uri)
    except InvalidClientMetadata:
        raise InvalidRedirectURIError("A redirect URI is not acceptable.") from None


# RFC 7591 §2's shapes of the members this server or Authlib reads: Authlib's claim checks assume
# them, and crash (a 500) on others, e.g. a URI sent as a list.
_ONE_STRING = frozenset(
    {
        "client_name", "client_uri", "logo_uri", "tos_uri", "policy_uri", "jwks_uri", "scope",
        "token_endpoint_auth_method", "software_id", "software_version", "software_statement",
    }
)  # fmt: skip
_STRING_LISTS = frozenset({"redirect_uris", "grant_types", "response_types", "contacts"})


def _check_value_shapes(metadata: dict[str, Any]) -> None:
    """Standard members have their RFC 7591 shape. Any other member (an extension such as
    OpenID's `default_max_age`: 3600) is ignored whatever its value, like `jwks` (keys for client
    authentication by signed JWT, which this server does not offer), taken out before Authlib
    reads it."""
    metadata.pop("jwks", None)
    for name, value in metadata.items():
        if name in _ONE_STRING and not isinstance(value, str):
            raise InvalidClientMetadataError(f"{name} must be a string.")
        if name in _STRING_LISTS and not (
            isinstance(value, list) and all(isinstance(item, str) for item in value)
        ):
            raise InvalidClientMetadataError(f"{name} must be a list of strings.")


def _is_public(metadata: Any) -> bool:
    return isinstance(metadata, dict) and metadata.get("token_endpoint_auth_method") == "none"
