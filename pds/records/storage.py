"""Encrypted record rows in and out: validation, sealing, opening, reading, deleting.

No audit entries here; the service decides what each call means and records it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, delete, insert, select

from crypto.aead import DecryptionError, decrypt, encrypt
from pds.records.catalogue import validate_value
from pds.records.models import record_versions, records
from pds.records.views import InvalidRecordValue, RecordIntegrityError, RecordView, VersionView


def record_aad(person_id: str, record_id: str, version: int, type_name: str) -> bytes:
    """Associated data binding a ciphertext to its place: a moved ciphertext fails to decrypt."""
    return "\x1f".join(("pds.record.v1", person_id, record_id, str(version), type_name)).encode()


def serialise(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def validated(type_name: str, value: object) -> dict[str, Any]:
    try:
        return validate_value(type_name, value)
    except ValidationError as exc:
        raise InvalidRecordValue(
            [
                {"loc": ("value", *err["loc"]), "msg": err["msg"], "type": err["type"]}
                for err in exc.errors(include_url=False, include_input=False)
            ]
        ) from None


def insert_version(
    conn: Connection,
    data_key: bytes,
    person_id: str,
    record_id: str,
    version: int,
    type_name: str,
    value: Mapping[str, Any],
    now: datetime,
) -> None:
    aad = record_aad(person_id, record_id, version, type_name)
    conn.execute(
        insert(record_versions).values(
            record_id=record_id,
            version=version,
            ciphertext=encrypt(data_key, serialise(value), aad),
            created_at=now,
        )
    )


# A record's current ciphertext: the version row its head points at.
IS_CURRENT_VERSION = (record_versions.c.record_id == records.c.id) & (
    record_versions.c.version == records.c.version
)


def current_versions(
    conn: Connection, data_key: bytes, person_id: str, type_name: str | None
) -> list[RecordView]:
    query = (
        select(
            records.c.id,
            records.c.type,
            records.c.version,
            records.c.created_at,
            records.c.updated_at,
            record_versions.c.ciphertext,
        )
        .join(record_versions, IS_CURRENT_VERSION)
        .where(records.c.person_id == person_id)
        .order_by(records.c.type, records.c.created_at, records.c.id)
    )
    if type_name is not None:
        query = query.where(records.c.type == type_name)
    return [
        RecordView(
            row.id,
            row.type,
            row.version,
            open_value(data_key, person_id, row.id, row.version, row.type, row.ciphertext),
            row.created_at,
            row.updated_at,
        )
        for row in conn.execute(query)
    ]


def open_value(
    data_key: bytes,
    person_id: str,
    record_id: str,
    version: int,
    type_name: str,
    ciphertext: bytes,
) -> dict[str, Any]:
    aad = record_aad(person_id, record_id, version, type_name)
    try:
        value: dict[str, Any] = json.loads(decrypt(data_key, bytes(ciphertext), aad))
    except DecryptionError:
        raise RecordIntegrityError(record_id) from None
    return value


def versions_of(
    conn: Connection, data_key: bytes, person_id: str, record_id: str, type_name: str
) -> list[VersionView]:
    rows = conn.execute(
        select(
            record_versions.c.version,
            record_versions.c.ciphertext,
            record_versions.c.created_at,
        )
        .where(record_versions.c.record_id == record_id)
        .order_by(record_versions.c.version.desc())
    ).all()
    return [
        VersionView(
            row.version,
            open_value(data_key, person_id, record_id, row.version, type_name, row.ciphertext),
            row.created_at,
        )
        for row in rows
    ]


def delete_record_rows(conn: Connection, *, record_ids: Sequence[str]) -> None:
    conn.execute(delete(record_versions).where(record_versions.c.record_id.in_(record_ids)))
    conn.execute(delete(records).where(records.c.id.in_(record_ids)))


def delete_all_records(conn: Connection, person_id: str) -> None:
    """Erasure: every record and version of the person."""
    ids = conn.execute(select(records.c.id).where(records.c.person_id == person_id)).scalars().all()
    for start in range(0, len(ids), 500):
        delete_record_rows(conn, record_ids=ids[start : start + 500])
