"""The authorization server's machine endpoints: metadata, token, revocation, introspection,
registration. (The authorization endpoint is a page, so it lives with the web UI.)

They answer in RFC 6749 / 7009 / 7591 / 7662 form, never problem+json, and are exempt from the
browser CSRF check: clients authenticate themselves, no cookie is involved. Only what the
service around them answers (body too large, rate limited, unavailable) is the service's own
format, handed in as `service_errors`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from authlib.oauth2.rfc6749 import InvalidClientError, InvalidRequestError
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec

from consent.oauth.adapter import (
    LitestarAuthorizationServer,
    OAuthResponse,
    form_call,
    json_call,
    run_authlib,
)
from consent.oauth.contract import (
    FORM,
    REGISTRATION_EXAMPLES,
    TOKEN_EXAMPLES,
    TOKEN_FORM_EXAMPLES,
    TOKEN_FORM_SCHEMA,
    ClientInformation,
    Introspection,
    RevocationResponse,
    ServerMetadata,
    TokenResponse,
    answer,
    documented_operation,
    oauth_errors,
    registration_schema,
    scope_pattern,
    token_request_schema,
)

OAuthServer = NamedDependency[LitestarAuthorizationServer]
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
# Security scheme names of the published document (the service defines the schemes).
CLIENT_SCHEME = "client"
REGISTRATION_SCHEME = "registration"
_CLIENT: dict[str, list[str]] = {CLIENT_SCHEME: []}
_COMMON: dict[str, Any] = {"tags": ["oauth"], "exclude_from_csrf": True}

_BAD_CLIENT = (
    401,
    "Client authentication failed, or used two methods at once",
    "invalid_client",
    "Client authentication failed.",
)
_MALFORMED = (400, "A parameter is missing, repeated or malformed", "invalid_request", None)
TOKEN_ERRORS = oauth_errors(
    _MALFORMED,
    (400, "The code or refresh token is invalid, expired, used or revoked", "invalid_grant",
     "Invalid 'code' in request."),
    (400, "Only authorization_code and refresh_token", "unsupported_grant_type", None),
    (400, "A scope wider than the grant", "invalid_scope", None),
    _BAD_CLIENT,
)  # fmt: skip
REVOCATION_ERRORS = oauth_errors(
    _MALFORMED,
    # RFC 7009 §2.1: the server checks the token was issued to the client asking, and refuses.
    (400, "The token was issued to another client", "invalid_grant", None),
    _BAD_CLIENT,
)
INTROSPECTION_ERRORS = oauth_errors(_MALFORMED, _BAD_CLIENT)
REGISTRATION_ERRORS = oauth_errors(
    (400, "A redirect URI is not acceptable", "invalid_redirect_uri",
     "A redirect URI is not acceptable."),
    (400, "Other metadata is not acceptable", "invalid_client_metadata", "scope is required."),
    (401, "No, an unknown, expired or spent initial access token", "invalid_token",
     "An initial access token is required."),
)  # fmt: skip


def server_metadata(oauth: OAuthServer) -> Response[dict[str, Any]]:
    return Response(oauth.metadata(), headers={"Cache-Control": "public, max-age=3600"})


async def _form_endpoint(
    request: Request[Any, Any, Any], oauth: LitestarAuthorizationServer, name: str | None
) -> OAuthResponse:
    call = await form_call(request, oauth.issuer)
    # RFC 6749 §3.2: the parameters are a form (an empty body is a missing parameter, below).
    if request.content_type[0] != FORM_MEDIA_TYPE and await request.body():
        error = InvalidRequestError(f"Send the parameters as {FORM_MEDIA_TYPE}.")
        return oauth.error_response(error, call)
    if call.repeats_a_parameter():  # RFC 6749 §3.2: parameters MUST NOT be repeated
        return oauth.error_response(InvalidRequestError("A parameter is repeated."), call)
    if call.mixes_client_authentication():  # §5.2: an authentication method not supported
        error = InvalidClientError(
            description="Use one client authentication method per request.", status_code=401
        )
        return oauth.error_response(error, call)
    if name is None:
        if not call.params.get("grant_type", [""])[0]:
            # RFC 6749 §5.2: a missing parameter is invalid_request (Authlib answers a request
            # without grant_type as if it named one it does not support).
            return oauth.error_response(InvalidRequestError("grant_type is required."), call)
        return await run_authlib(oauth, lambda: oauth.create_token_response(call))
    return await run_authlib(oauth, lambda: oauth.create_endpoint_response(name, call))


async def token_endpoint(request: Request[Any, Any, Any], oauth: OAuthServer) -> OAuthResponse:
    return await _form_endpoint(request, oauth, None)


async def revocation_endpoint(request: Request[Any, Any, Any], oauth: OAuthServer) -> OAuthResponse:
    return await _form_endpoint(request, oauth, "revocation")


async def introspection_endpoint(
    request: Request[Any, Any, Any], oauth: OAuthServer
) -> OAuthResponse:
    return await _form_endpoint(request, oauth, "introspection")


async def registration_endpoint(
    request: Request[Any, Any, Any], oauth: OAuthServer
) -> OAuthResponse:
    call = await json_call(request, oauth.issuer)
    return await run_authlib(
        oauth, lambda: oauth.create_endpoint_response("client_registration", call)
    )


def oauth_routes(
    scopes: Iterable[str],
    service_errors: Callable[[str], Mapping[int, ResponseSpec]] = lambda _path: {},
) -> list[HTTPRouteHandler]:
    """The endpoints, documented; `service_errors(path)` adds what the service answers there."""
    pattern = scope_pattern(scopes)

    def route(
        path: str, errors: Mapping[int, ResponseSpec], **options: Any
    ) -> Callable[[Callable[..., Any]], HTTPRouteHandler]:
        return post(path, responses={**service_errors(path), **errors}, **_COMMON, **options)

    return [
        get(
            "/.well-known/oauth-authorization-server",
            summary="Authorization server metadata (RFC 8414)",
            sync_to_thread=False,
            tags=["oauth"],
            security=[{}],
            responses={
                200: answer(ServerMetadata, "The endpoints, scopes and methods"),
                **service_errors("/.well-known/oauth-authorization-server"),
            },
        )(server_metadata),
        route(
            "/oauth/token",
            {200: answer(TokenResponse, "New tokens"), **TOKEN_ERRORS},
            summary="Token endpoint (RFC 6749): exchange a code, or rotate a refresh token",
            description="Confidential clients authenticate with HTTP Basic (or client_secret_post"
            "); public clients send their client_id and rely on PKCE.",
            status_code=200,
            security=[_CLIENT, {}],
            operation_class=documented_operation(
                FORM, token_request_schema(pattern), TOKEN_EXAMPLES
            ),
        )(token_endpoint),
        route(
            "/oauth/revoke",
            {200: answer(RevocationResponse, "Revoked, or was not valid"), **REVOCATION_ERRORS},
            summary="Token revocation (RFC 7009)",
            description="Revoking a refresh token revokes every token rotated from it.",
            status_code=200,
            security=[_CLIENT, {}],
            operation_class=documented_operation(FORM, TOKEN_FORM_SCHEMA, TOKEN_FORM_EXAMPLES),
        )(revocation_endpoint),
        route(
            "/oauth/introspect",
            {200: answer(Introspection, "The token's state"), **INTROSPECTION_ERRORS},
            summary="Token introspection (RFC 7662), for the client's own tokens",
            status_code=200,
            security=[_CLIENT],
            operation_class=documented_operation(FORM, TOKEN_FORM_SCHEMA, TOKEN_FORM_EXAMPLES),
        )(introspection_endpoint),
        route(
            "/oauth/register",
            {201: answer(ClientInformation, "The new client"), **REGISTRATION_ERRORS},
            summary="Dynamic client registration (RFC 7591)",
            description="Needs a single-use initial access token from `pds org "
            "registration-token` as a bearer token.",
            status_code=201,
            security=[{REGISTRATION_SCHEME: []}],
            operation_class=documented_operation(
                "application/json", registration_schema(pattern), REGISTRATION_EXAMPLES
            ),
        )(registration_endpoint),
    ]
