"""A request id per HTTP request: returned in `X-Request-ID`, bound to logs and audit entries.

The same middleware writes one access-log line per request.
"""

from __future__ import annotations

import re
import secrets
import time
from contextvars import ContextVar

import structlog
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.exceptions import HTTPException
from litestar.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "x-request-id"
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
access_log = structlog.get_logger("pds.access")
_STATE_KEY = "pds_request_id"
_current: ContextVar[str | None] = ContextVar("pds_request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being served on this thread or task, if any."""
    return _current.get()


def with_request_id(scope: Scope, headers: dict[str, str], status: int) -> dict[str, str]:
    """`headers` plus the request's id, for an answer this middleware does not send itself: an
    exception handler's, outside it, for a refusal raised by a middleware inside it; or for a
    request no route took (an unknown address, a method the path does not take), which never
    reached the middleware: that one gets its id, and its access-log line, here."""
    request_id = scope.get("state", {}).get(_STATE_KEY)
    if request_id is None:
        request_id = _adopt(scope)
        _log_access(scope, status, None, request_id=request_id)  # no context carries it here
    return {**headers, HEADER: request_id}


def _adopt(scope: Scope) -> str:
    """A new id, kept in the request's scope. Never the caller's: the id is stored in the
    request's audit entries, which are permanent (hashed into the log, exported, beyond the reach
    of erasure), so a caller must not be able to write text there (a name, a phone number)."""
    request_id = secrets.token_hex(12)
    scope.setdefault("state", {})[_STATE_KEY] = request_id
    return request_id


def _log_access(scope: Scope, status: int, duration_ms: float | None, **extra: str) -> None:
    # The route's template (`/api/v1/me/records/{record_id}`), never the path or its query: ids
    # in a path link a line to a person, and the access log is kept and shipped under other rules
    # than the audit log, which records who read what. The request id joins the two when needed.
    # A request no route took has no template, and its path is whatever the client typed.
    # A proxy's or client's own well-formed `X-Request-ID` is kept here only, beside ours, to
    # join this line to their logs.
    incoming = dict(scope["headers"]).get(HEADER.encode(), b"").decode("latin-1")
    if incoming and _ACCEPTABLE.match(incoming):
        extra["client_request_id"] = incoming
    access_log.info(
        "request",
        method=scope.get("method"),
        route=scope.get("path_template") or None,
        status=status,
        duration_ms=duration_ms,
        **extra,
    )


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    """Make the request's id; return it on the response; log the request's line."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        request_id = _adopt(scope)
        token = _current.set(request_id)
        structlog.contextvars.bind_contextvars(request_id=request_id)

        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableScopeHeaders.from_message(message)[HEADER] = request_id
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        except HTTPException as exc:
            # Raised by a middleware inside this one (CSRF, rate limit): the app's exception
            # handler answers it outside, with this status (and the id, see `with_request_id`).
            status = exc.status_code
            raise
        finally:
            _log_access(scope, status, round((time.perf_counter() - started) * 1000, 2))
            structlog.contextvars.unbind_contextvars("request_id")
            _current.reset(token)

    return middleware
