"""CORS for what a browser-based OAuth app reads cross-origin, and for nothing else.

A single-page app (a public client with PKCE; OAuth 2.0 for Browser-Based Apps, RFC 9700 §2.1)
calls the token and revocation endpoints from its own origin and reads the discovery and JWKS
documents. Every other route (the person's pages, the records API with its session cookie)
sends no CORS header, so a browser keeps other sites out of them.

- Token and revocation: the `Origin` is echoed only when it is the origin of a redirect URI of
  a registered public client. `*` would work too (tokens travel in bodies, never cookies), but
  the echo keeps arbitrary sites from driving a client's token requests from a victim's browser.
  Never `Access-Control-Allow-Credentials`: no cookie is involved, and none may be sent.
- Discovery and JWKS: public, cacheable documents: `*`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from consent.organisations import is_browser_app_origin
from pds.db import Database

BROWSER_APP_PATHS = frozenset({"/oauth/token", "/oauth/revoke"})
PUBLIC_DOCUMENT_PATHS = frozenset(
    {"/.well-known/oauth-authorization-server", "/.well-known/jwks.json"}
)
_CORS_PATHS = BROWSER_APP_PATHS | PUBLIC_DOCUMENT_PATHS
_PREFLIGHT_MAX_AGE = "600"  # seconds a browser may reuse a preflight answer
_STATE_KEY = "pds_cors"

OriginCheck = Callable[[str], Awaitable[bool]]


def browser_app_origins(db: Database) -> OriginCheck:
    """`is_browser_app_origin` as the middleware asks it: off the event loop unless SQLite."""

    def check(origin: str) -> bool:
        with db.read() as conn:
            return is_browser_app_origin(conn, origin)

    async def is_browser_app(origin: str) -> bool:
        return await db.run_hot(check, origin)

    return is_browser_app


async def _allowed_origin(scope: Scope, is_browser_app: OriginCheck) -> str | None:
    """The `Access-Control-Allow-Origin` for a request to one of the paths, or None for none."""
    if scope["path"] in PUBLIC_DOCUMENT_PATHS:
        return "*"
    origin = next((v for k, v in scope["headers"] if k == b"origin"), b"").decode("latin-1")
    return origin if origin and await is_browser_app(origin) else None


def _cors_headers(allow_origin: str) -> dict[str, str]:
    if allow_origin == "*":
        return {"Access-Control-Allow-Origin": "*"}
    return {"Access-Control-Allow-Origin": allow_origin, "Vary": "Origin"}


def _preflight_headers(allow_origin: str) -> dict[str, str]:
    if allow_origin == "*":
        return {**_cors_headers(allow_origin), "Access-Control-Allow-Methods": "GET"}
    return {
        **_cors_headers(allow_origin),
        "Access-Control-Allow-Methods": "POST",
        "Access-Control-Allow-Headers": "Authorization, Content-Type",
        "Access-Control-Max-Age": _PREFLIGHT_MAX_AGE,
    }


def cors_headers(scope: Scope) -> dict[str, str]:
    """The CORS headers this request's answer carries (none for most), for an answer this
    middleware does not send itself: a browser app must be able to read a 429's Retry-After."""
    added: dict[str, str] = scope.get("state", {}).get(_STATE_KEY, {})
    return added


def cors_middleware(is_browser_app: OriginCheck) -> Callable[[ASGIApp], ASGIApp]:
    """The middleware, given how to tell a browser-based app's origin."""

    def wrap(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            # Every other route passes straight through: this runs on the hot paths too.
            if scope["type"] != ScopeType.HTTP or scope["path"] not in _CORS_PATHS:
                await app(scope, receive, send)
                return
            allow_origin = await _allowed_origin(scope, is_browser_app)
            if allow_origin is None:
                await app(scope, receive, send)
                return
            is_preflight = scope["method"] == "OPTIONS" and any(
                k == b"access-control-request-method" for k, _ in scope["headers"]
            )
            added = (_preflight_headers if is_preflight else _cors_headers)(allow_origin)
            # For a refusal raised by a middleware inside this one (a rate limit): the app's
            # exception handler answers it outside, with these (`cors_headers`).
            scope.setdefault("state", {})[_STATE_KEY] = added

            async def send_with_cors(message: Message) -> None:
                if message["type"] == "http.response.start":
                    headers = MutableScopeHeaders.from_message(message)
                    for name, value in added.items():
                        if name not in headers:
                            headers.add(name, value)
                await send(message)

            await app(scope, receive, send_with_cors)

        return middleware

    return wrap
