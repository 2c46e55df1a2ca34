"""JSON the way every reader of a request reads it alike: labelled as JSON, and no object that
names a member twice (one parser keeps the first, another the last, and a proxy, log or
signature check in front of us may have read the other one)."""

from __future__ import annotations

from typing import Any

JSON_MEDIA_TYPE = "application/json"


def is_json_media_type(media_type: str) -> bool:
    """`application/json`, or a structured-syntax `+json` type (RFC 6839); lower case, without
    parameters (as `Request.content_type` gives it)."""
    return media_type == JSON_MEDIA_TYPE or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


class DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        shown = key if len(key) <= 64 else key[:64] + "…"
        super().__init__(f"The key {shown!r} appears twice in one JSON object.")
        self.key = key


def refuse_duplicate_keys(members: list[tuple[str, Any]]) -> dict[str, Any]:
    """`json.loads`'s `object_pairs_hook`: the object, or `DuplicateKey`."""
    found = dict(members)
    if len(found) != len(members):
        seen: set[str] = set()
        for key, _ in members:
            if key in seen:
                raise DuplicateKey(key)
            seen.add(key)
    return found
