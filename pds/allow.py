"""`Allow` on an OPTIONS answer names every method of the path.

Litestar 2 answers OPTIONS with only the methods of the handlers registered first for a path
when a path's handlers are registered in parts, e.g. by a controller (litestar#4169, fixed in
Litestar 3). This corrects the header from the app's own route map.
"""

from __future__ import annotations

from litestar import Litestar
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.routes import HTTPRoute
from litestar.types import ASGIApp, Message, Receive, Scope, Send


def _methods(app: Litestar, path_format: str) -> set[str]:
    return {
        method
        for route in app.routes
        if isinstance(route, HTTPRoute) and route.path_format == path_format
        for method in route.methods
    }


def allow_header_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope["method"] != "OPTIONS":
            await app(scope, receive, send)
            return

        async def send_with_allow(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                methods = _methods(Litestar.from_scope(scope), scope.get("path_template", ""))
                if "allow" in headers and methods:
                    headers["allow"] = ", ".join(sorted(methods))
            await send(message)

        await app(scope, receive, send_with_allow)

    return middleware
