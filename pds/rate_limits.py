"""Abuse limits: sign-in, recovery, sign-up, OAuth token and registration, record writes, and
the password checks a signed-in session can make (change password, new recovery code, erase).

Built on Litestar's rate-limit middleware, one instance per group so each group has its own
window. Sign-in, sign-up and OAuth endpoints are limited per client address; record writes per
credential (session cookie or bearer token, hashed), so many field workers behind one NAT do not
share a budget. Limits are per process: with several workers, the effective limit is multiplied.

The client address is the TCP peer's, or, behind a proxy named in `PDS_TRUSTED_PROXIES`, the one
`pds.forwarded` took from X-Forwarded-For (it rewrites the request's client before these run).
The token endpoint is limited per address, not per client id: the id is the caller's unverified
claim when the limit is counted, so keying on it would let one address buy a budget per made-up id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.middleware import DefineMiddleware
from litestar.middleware.rate_limit import RateLimitConfig, RateLimitMiddleware, get_remote_address

from pds.people.auth import session_cookie_name
from pds.settings import Settings


@dataclass(frozen=True)
class LimitGroup:
    name: str
    per_minute: int
    methods: frozenset[str]
    prefixes: tuple[str, ...]
    identify: Callable[[Request[Any, Any, Any]], str]
    exact: tuple[str, ...] = ()  # paths limited themselves, not what lies below them

    def applies(self, method: str, path: str) -> bool:
        return method in self.methods and (path.startswith(self.prefixes) or path in self.exact)


_SESSION_COOKIES = (session_cookie_name(secure=True), session_cookie_name(secure=False))


def _credential(request: Request[Any, Any, Any]) -> str:
    """Whoever is writing: their bearer token or session cookie, hashed; else their address.

    The session cookie alone, not the whole Cookie header: the form pages' CSRF cookie comes and
    goes, and with it the budget would have started afresh."""
    cookies = request.cookies
    session = next((cookies[name] for name in _SESSION_COOKIES if name in cookies), "")
    secret = request.headers.get("authorization") or session
    if not secret:
        return get_remote_address(request)
    return hashlib.sha256(secret.encode()).hexdigest()


# Guesses made without a session: a password at sign-in, a recovery code at recovery.
_ANONYMOUS_GUESSES = ("/api/v1/signin", "/signin", "/api/v1/recovery", "/recover")


def _password_guesser(request: Request[Any, Any, Any]) -> str:
    """Sign-in and recovery: per address (any cookie value would do as a fresh key). A signed-in
    session's password checks (change password, new recovery code, erase): per session, so a
    shared phone cannot guess the account's password at leisure; a made-up session cookie gets
    no further than sign-in."""
    path = request.url.path
    return (
        get_remote_address(request) if path.startswith(_ANONYMOUS_GUESSES) else _credential(request)
    )


def limit_groups(settings: Settings) -> list[LimitGroup]:
    post = frozenset({"POST"})
    writes = frozenset({"POST", "PUT", "PATCH", "DELETE"})
    # One group, one middleware, for every password guess: each group costs every request a few
    # microseconds, limited or not (the middleware builds a Request to ask whether it applies).
    passwords = (
        *_ANONYMOUS_GUESSES,
        "/api/v1/me/password",
        "/api/v1/me/recovery-code",
        "/settings/password",
        "/settings/recovery-code",
        "/settings/erase",
    )
    return [
        LimitGroup("passwords", settings.rate_limit_signin_per_minute, writes, passwords,
                   _password_guesser, exact=("/api/v1/me",)),
        LimitGroup("signup", settings.rate_limit_signup_per_minute, post,
                   ("/api/v1/signup", "/signup", "/oauth/register"), get_remote_address),
        LimitGroup("token", settings.rate_limit_token_per_minute, post,
                   ("/oauth/token",), get_remote_address),
        LimitGroup("record_writes", settings.rate_limit_record_writes_per_minute, writes,
                   ("/api/v1/me/records", "/api/v1/records", "/records"), _credential),
    ]  # fmt: skip


def is_limited(method: str, path: str) -> bool:
    """Whether a limit applies to this request under the default settings (the contract's 429s)."""
    return any(group.applies(method, path) for group in limit_groups(Settings()))


def _middleware_for(group: LimitGroup) -> DefineMiddleware:
    # The middleware keys its window by class name, so each group gets its own class.
    middleware_class = type(f"RateLimit_{group.name}", (RateLimitMiddleware,), {})

    async def applies(request: Request[Any, Any, Any]) -> bool:
        return group.applies(request.method, request.url.path)

    config = RateLimitConfig(
        rate_limit=("minute", group.per_minute),
        check_throttle_handler=applies,
        identifier_for_request=group.identify,
        middleware_class=middleware_class,
        store=f"rate_limit_{group.name}",
    )
    return config.middleware


def rate_limit_middleware(groups: Sequence[LimitGroup]) -> list[DefineMiddleware]:
    return [_middleware_for(group) for group in groups if group.per_minute > 0]
