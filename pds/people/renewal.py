"""Renewed sessions send their cookie again: a hook on every answer's start.

A session's expiry slides (`PeopleService.resolve_session`), but the browser keeps the cookie
only for the lifetime it was given at sign-in. So when a request extends its session
(`pds.people.auth.resolve_session_cookie` notes it in the request's scope), its answer carries
the same cookie with a fresh lifetime, unless the answer sets that cookie itself (signing out).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar.types import Message, Scope

from pds.people.auth import RENEWED_SESSION, session_cookie_name
from pds.people.routes import session_cookie
from pds.settings import Settings


def renewed_session_hook(settings: Settings) -> Callable[[Message, Scope], Awaitable[None]]:
    prefix = session_cookie_name(settings.secure_cookies).encode() + b"="

    # A coroutine: Litestar runs a plain function hook in a worker thread, for every message.
    async def send_renewed_cookie(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        token = scope.get("state", {}).get(RENEWED_SESSION)
        if token is None:
            return
        headers = list(message.get("headers", ()))
        if any(name.lower() == b"set-cookie" and v.startswith(prefix) for name, v in headers):
            return  # the answer sets the session cookie itself (signed in again, signed out)
        headers.append(session_cookie(settings, token).to_encoded_header())
        message["headers"] = headers

    return send_renewed_cookie
