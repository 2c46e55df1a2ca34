"""What the JSON API accepts as a request body: JSON, labelled as JSON, or a clear 4xx.

Litestar answers 400 for msgspec's `DecodeError`, but msgspec raises `UnicodeDecodeError` for
bytes that are not UTF-8 and `RecursionError` for nesting deeper than it follows: both reached
the catch-all as 500s, before any authentication (anyone could fill the log with tracebacks).

Litestar also decodes a body as JSON whatever its Content-Type says. A body labelled
`text/plain` (which a browser form may send cross-site without a CORS preflight) or not
labelled at all is refused with 415 instead. The check runs only where a handler takes a JSON
body, so it costs the GETs nothing.

msgspec keeps the last of two members with the same name, other parsers the first, and a
proxy, log or signature check in front of us may have read the other one: an object naming a
key twice is refused (400). Proving a body has no duplicate is cheap: every member of an object
has its own `:` byte, so when the body has no more colons than the decoded value has keys, no
key was dropped. Only a body with colons inside its strings (times, URLs) is parsed a second
time, by the standard library's parser, which reports each object's members.
"""

from __future__ import annotations

import json
from typing import Any

from litestar import Request
from litestar.exceptions import HTTPException, SerializationException
from litestar.status_codes import HTTP_415_UNSUPPORTED_MEDIA_TYPE

from consent.strict_json import (
    JSON_MEDIA_TYPE,
    DuplicateKey,
    is_json_media_type,
    refuse_duplicate_keys,
)

__all__ = ["DuplicateKey", "JsonBodyRequest", "check_no_duplicate_keys", "unsupported_media_type"]

# RFC 5789 §3.1 names the media types a PATCH takes; Accept-Post (W3C LDP) does so for POST.
_ACCEPT_HEADER = {"POST": "Accept-Post", "PATCH": "Accept-Patch"}


def unsupported_media_type(method: str) -> HTTPException:
    accept = _ACCEPT_HEADER.get(method)
    return HTTPException(
        status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE,
        detail=f"Send the body as JSON, with the header Content-Type: {JSON_MEDIA_TYPE}.",
        headers={accept: JSON_MEDIA_TYPE} if accept else None,
    )


def _key_count(value: Any) -> int:
    """The number of object members in a decoded value (a loop: the nesting may be deep)."""
    count, pending = 0, [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            count += len(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return count


def check_no_duplicate_keys(body: bytes, decoded: Any) -> None:
    """Raise `DuplicateKey` if an object in the JSON `body` (decoded as `decoded`) names a key
    twice."""
    if body.count(b":") > _key_count(decoded):  # colons in strings, or a dropped duplicate
        json.loads(body, object_pairs_hook=refuse_duplicate_keys)


class JsonBodyRequest(Request[Any, Any, Any]):
    __slots__ = ()  # built several times a request (each middleware that reads one makes its own)

    async def json(self) -> Any:
        if not is_json_media_type(self.content_type[0]):
            raise unsupported_media_type(self.method)
        try:
            decoded = await super().json()
            check_no_duplicate_keys(await self.body(), decoded)
        except UnicodeDecodeError as exc:
            raise SerializationException("The body is not UTF-8 text.") from exc
        except ValueError as exc:  # a duplicate key (or JSON the second parser refuses)
            raise SerializationException(str(exc)) from exc
        except RecursionError as exc:
            raise SerializationException("The body's JSON is nested too deeply.") from exc
        return decoded
