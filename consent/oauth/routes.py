"""The authorization server's machine endpoints: metadata, token, revocation, introspection,
registration. (The authorization endpoint is a page, so it lives with the web UI.)

They answer in RFC 6749 / 7009 / 7591 / 7662 form, never problem+json, and are exempt from the
browser CSRF check: clients authenticate themselves, no cookie is involved.
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749 import InvalidRequestError
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler

from consent.oauth.adapter import (
    LitestarAuthorizationServer,
    OAuthResponse,
    form_call,
    in_thread,
    json_call,
)

OAuthServer = NamedDependency[LitestarAuthorizationServer]
_COMMON: dict[str, Any] = {"tags": ["oauth"], "exclude_from_csrf": True}


@get(
    "/.well-known/oauth-authorization-server",
    summary="Authorization server metadata (RFC 8414)",
    sync_to_thread=False,
    tags=["oauth"],
)
def server_metadata(oauth: OAuthServer) -> Response[dict[str, Any]]:
    return Response(oauth.metadata(), headers={"Cache-Control": "public, max-age=3600"})


async def _form_endpoint(
    request: Request[Any, Any, Any], oauth: LitestarAuthorizationServer, name: str | None
) -> OAuthResponse:
    call = await form_call(request, oauth.issuer)
    if call.repeats_a_parameter():  # RFC 6749 §3.2: parameters MUST NOT be repeated
        return oauth.error_response(InvalidRequestError("A parameter is repeated."), call)
    if name is None:
        return await in_thread(oauth, lambda: oauth.create_token_response(call))
    return await in_thread(oauth, lambda: oauth.create_endpoint_response(name, call))


@post("/oauth/token", summary="Token endpoint (RFC 6749)", status_code=200, **_COMMON)
async def token_endpoint(request: Request[Any, Any, Any], oauth: OAuthServer) -> OAuthResponse:
    return await _form_endpoint(request, oauth, None)


@post("/oauth/revoke", summary="Token revocation (RFC 7009)", status_code=200, **_COMMON)
async def revocation_endpoint(request: Request[Any, Any, Any], oauth: OAuthServer) -> OAuthResponse:
    return await _form_endpoint(request, oauth, "revocation")


@post("/oauth/introspect", summary="Token introspection (RFC 7662)", status_code=200, **_COMMON)
async def introspection_endpoint(
    request: Request[Any, Any, Any], oauth: OAuthServer
) -> OAuthResponse:
    return await _form_endpoint(request, oauth, "introspection")


@post(
    "/oauth/register", summary="Dynamic client registration (RFC 7591)", status_code=201, **_COMMON
)
async def registration_endpoint(
    request: Request[Any, Any, Any], oauth: OAuthServer
) -> OAuthResponse:
    call = await json_call(request, oauth.issuer)
    return await in_thread(
        oauth, lambda: oauth.create_endpoint_response("client_registration", call)
    )


def oauth_routes() -> list[HTTPRouteHandler]:
    return [
        server_metadata,
        token_endpoint,
        revocation_endpoint,
        introspection_endpoint,
        registration_endpoint,
    ]
