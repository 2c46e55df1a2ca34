"""A request body that is not JSON is the client's error (400), whatever the decoder raises.

Litestar answers 400 for msgspec's `DecodeError`, but msgspec raises `UnicodeDecodeError` for
bytes that are not UTF-8 and `RecursionError` for nesting deeper than it follows: both reached
the catch-all as 500s, before any authentication (anyone could fill the log with tracebacks).
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import SerializationException


class JsonBodyRequest(Request[Any, Any, Any]):
    __slots__ = ()  # built several times a request (each middleware that reads one makes its own)

    async def json(self) -> Any:
        try:
            return await super().json()
        except UnicodeDecodeError as exc:
            raise SerializationException("The body is not UTF-8 text.") from exc
        except RecursionError as exc:
            raise SerializationException("The body's JSON is nested too deeply.") from exc
