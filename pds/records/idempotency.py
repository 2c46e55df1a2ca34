"""`Idempotency-Key` for record-creating POSTs: a replay returns the first response, once.

The stored response is encrypted with the person's data key (it holds record values), bound to
its scope and key. The lookup and the insert happen in the creating transaction, so a record and
its idempotency entry commit together; a concurrent duplicate loses on the primary key and is
answered from the winner's entry.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Annotated, Any

from litestar.params import HeaderParameter
from sqlalchemy import insert, select

from consent.storage import utcnow
from crypto.aead import decrypt, encrypt
from pds.records.models import idempotency_keys

MAX_KEY_LENGTH = 255


class InvalidIdempotencyKey(ValueError):
    """The header is empty or longer than MAX_KEY_LENGTH."""


class IdempotencyKeyReused(Exception):
    """The key was already used for a different request."""


@dataclass(frozen=True)
class IdempotentRequest:
    scope: str
    key: str
    fingerprint: bytes

    @classmethod
    def for_create(cls, scope: str, key: str, type_name: str, value: object) -> IdempotentRequest:
        if not key or len(key) > MAX_KEY_LENGTH:
            raise InvalidIdempotencyKey(key)
        canonical = json.dumps({"type": type_name, "value": value}, sort_keys=True, default=str)
        return cls(scope, key, hashlib.sha256(canonical.encode()).digest())

    @property
    def key_hash(self) -> bytes:
        return hashlib.sha256(self.key.encode()).digest()

    def aad(self) -> bytes:
        return b"pds.idempotency.v1\x1f" + self.scope.encode() + b"\x1f" + self.key_hash


def replay(conn: Any, request: IdempotentRequest, data_key: bytes) -> dict[str, Any] | None:
    """The first response for this key, or None; IdempotencyKeyReused if the request differs."""
    row = conn.execute(
        select(idempotency_keys.c.fingerprint, idempotency_keys.c.response_ct).where(
            idempotency_keys.c.scope == request.scope,
            idempotency_keys.c.key_hash == request.key_hash,
        )
    ).first()
    if row is None:
        return None
    if bytes(row.fingerprint) != request.fingerprint:
        raise IdempotencyKeyReused
    stored: dict[str, Any] = json.loads(decrypt(data_key, bytes(row.response_ct), request.aad()))
    return stored


def remember(
    conn: Any, request: IdempotentRequest, person_id: str, data_key: bytes, response: Any
) -> None:
    body = json.dumps(response, sort_keys=True, default=str).encode()
    conn.execute(
        insert(idempotency_keys).values(
            scope=request.scope,
            key_hash=request.key_hash,
            person_id=person_id,
            fingerprint=request.fingerprint,
            response_ct=encrypt(data_key, body, request.aad()),
            created_at=utcnow(),
        )
    )


# The request header, documented in the OpenAPI contract of both record-creating POSTs.
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        description="Repeat a POST safely: the same key and body return the first response.",
    ),
]
