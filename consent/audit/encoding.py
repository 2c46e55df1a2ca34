"""The canonical bytes of an audit entry: what its Merkle leaf hashes.

Deterministic JSON (sorted keys, no spaces, UTF-8) of exactly the fields below, so anyone holding
an export can re-hash an entry offline. Only the standard library and `crypto` may be imported
here: the offline verifier depends on this module.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from crypto.merkle import LEAF_PREFIX, leaf_hash

ENCODING_VERSION = 1

# The fields an entry consists of, and the JSON types each may take. `time` is epoch
# microseconds (an integer, so the encoding has no float or time-zone ambiguity).
FIELDS: Mapping[str, tuple[type, ...]] = {
    "seq": (int,),
    "time": (int,),
    "actor_type": (str,),
    "actor_id": (str, type(None)),
    "organisation_id": (str, type(None)),
    "client_id": (str, type(None)),
    "action": (str,),
    "subject": (str, type(None)),
    "record_types": (list,),
    "record_ids": (list,),
    "grant_id": (str, type(None)),
    "purpose": (str, type(None)),
    "outcome": (str,),
    "reason": (str, type(None)),
    "request_id": (str, type(None)),
}
OUTCOMES = frozenset({"allowed", "denied"})


class MalformedEntry(ValueError):
    """An entry is missing a field or has a field of the wrong type."""


def check_entry(entry: Mapping[str, object]) -> None:
    """Raise MalformedEntry unless every field is present with an acceptable type."""
    for name, types in FIELDS.items():
        if name not in entry:
            raise MalformedEntry(f"missing field {name!r}")
        value = entry[name]
        # bool is an int subclass; a boolean seq or time is malformed, not 0 or 1.
        if isinstance(value, bool) or not isinstance(value, types):
            raise MalformedEntry(f"field {name!r} has the wrong type")
        if isinstance(value, list) and not all(isinstance(item, str) for item in value):
            raise MalformedEntry(f"field {name!r} must be a list of strings")
    if entry["outcome"] not in OUTCOMES:
        raise MalformedEntry("outcome must be 'allowed' or 'denied'")


# What an export's entry line may hold: the fields, its type and stored hash, and the encoding
# version (absent from exports written before entry lines carried the canonical bytes).
_LINE_KEYS = frozenset(FIELDS) | {"type", "leaf_hash", "v"}


def check_entry_line(document: Mapping[str, object]) -> None:
    """Raise MalformedEntry for an entry line with a key or a version its leaf hash does not cover.

    The leaf hash covers the fields only, so anything else on the line must be exactly what the
    export writes, or an altered line could still verify.
    """
    extra = document.keys() - _LINE_KEYS
    if extra:
        raise MalformedEntry(f"unexpected field(s) {', '.join(sorted(extra))}")
    version = document.get("v", ENCODING_VERSION)
    if type(version) is not int or version != ENCODING_VERSION:  # not True, not 1.0
        raise MalformedEntry(f"encoding version {version!r} is not {ENCODING_VERSION}")
    check_entry(document)


def canonical_entry(entry: Mapping[str, object]) -> bytes:
    """Return the canonical encoding of an entry (extra keys are ignored)."""
    check_entry(entry)
    document = {name: entry[name] for name in FIELDS}
    document["v"] = ENCODING_VERSION
    text = json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8")


def entry_leaf_hash(entry: Mapping[str, object]) -> bytes:
    """Return the RFC 9162 leaf hash H(0x00 || canonical entry)."""
    return leaf_hash(canonical_entry(entry))


# An export's entry line is this prefix, the stored leaf hash, then the canonical encoding minus
# its opening brace: still one JSON object with every field, and the verifier can hash the tail
# as it stands instead of parsing and re-encoding a million entries (see `split_entry_line`).
ENTRY_LINE_PREFIX = b'{"type":"entry","leaf_hash":"'
_HASH_B64_LENGTH = 44  # base64 of a SHA-256 digest
_TAIL_AT = len(ENTRY_LINE_PREFIX) + _HASH_B64_LENGTH + 2  # after the hash's closing `",`
_SEQ_KEY = b',"seq":'  # never inside a string value: canonical JSON escapes a `"` there as `\"`


_NEWLINE = b"\r\n"
_LEAF_OF_OPEN_BRACE = hashlib.sha256(LEAF_PREFIX + b"{")


def entry_line(stored_b64: str, canonical: bytes) -> str:
    """The export line of an entry whose canonical encoding is `canonical`."""
    return f'{ENTRY_LINE_PREFIX.decode()}{stored_b64}",{canonical.decode("utf-8")[1:]}\n'


def split_entry_line(line: bytes) -> tuple[bytes, bytes, int] | None:
    """(stored leaf hash in base64, the leaf hash of the line's canonical tail, seq) of a line
    `entry_line` wrote.

    None for any other shape; the caller then parses the line as JSON. The tail is whatever the
    line holds, so it is trusted only once its hash equals the stored leaf hash and the tree
    those hashes build matches a signed checkpoint.
    """
    if not line.startswith(ENTRY_LINE_PREFIX) or line[_TAIL_AT - 2 : _TAIL_AT] != b'",':
        return None
    end = len(line)
    while end > _TAIL_AT and line[end - 1] in _NEWLINE:
        end -= 1
    at = line.find(_SEQ_KEY, _TAIL_AT, end)
    stop = line.find(b",", at + len(_SEQ_KEY), end)
    digits = line[at + len(_SEQ_KEY) : stop]
    if at < 0 or stop < 0 or not digits.isdigit() or len(digits) > 19:  # 19: any int64
        return None
    # leaf_hash(b"{" + tail) without copying the tail: the hash state after 0x00 and "{".
    leaf = _LEAF_OF_OPEN_BRACE.copy()
    leaf.update(memoryview(line)[_TAIL_AT:end])
    return line[len(ENTRY_LINE_PREFIX) : _TAIL_AT - 2], leaf.digest(), int(digits)
