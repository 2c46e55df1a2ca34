"""What the JSON API accepts as a request body: JSON, labelled as JSON, or a clear 4xx.

Litestar answers 400 for msgspec's `DecodeError`, but msgspec raises `UnicodeDecodeError` for
bytes that are not UTF-8 and `RecursionError` for nesting deeper than it follows: both reached
the catch-all as 500s, before any authentication (anyone could fill the log with tracebacks).

Litestar also decodes a body as JSON whatever its Content-Type says. A body labelled
`text/plain` (which a browser form may send cross-site without a CORS preflight) or not
labelled at all is refused with 415 instead. The check runs only where a handler takes a JSON
body, so it costs the GETs nothing.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import HTTPException, SerializationException
from litestar.status_codes import HTTP_415_UNSUPPORTED_MEDIA_TYPE

JSON_MEDIA_TYPE = "application/json"
# RFC 5789 §3.1 names the media types a PATCH takes; Accept-Post (W3C LDP) does so for POST.
_ACCEPT_HEADER = {"POST": "Accept-Post", "PATCH": "Accept-Patch"}


def is_json_media_type(media_type: str) -> bool:
    """`application/json`, or a structured-syntax `+json` type (RFC 6839)."""
    return media_type == JSON_MEDIA_TYPE or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def unsupported_media_type(method: str) -> HTTPException:
    accept = _ACCEPT_HEADER.get(method)
    return HTTPException(
        status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE,
        detail=f"Send the body as JSON, with the header Content-Type: {JSON_MEDIA_TYPE}.",
        headers={accept: JSON_MEDIA_TYPE} if accept else None,
    )


class JsonBodyRequest(Request[Any, Any, Any]):
    __slots__ = ()  # built several times a request (each middleware that reads one makes its own)

    async def json(self) -> Any:
        if not is_json_media_type(self.content_type[0]):
            raise unsupported_media_type(self.method)
        try:
            return await super().json()
        except UnicodeDecodeError as exc:
            raise SerializationException("The body is not UTF-8 text.") from exc
        except RecursionError as exc:
            raise SerializationException("The body's JSON is nested too deeply.") from exc
