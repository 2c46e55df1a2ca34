"""A person's typed records, encrypted with their data key, versioned on every change."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, delete, func, insert, select, update

from consent.storage import new_id, utcnow
from crypto.aead import DecryptionError, decrypt, encrypt
from pds.db import Database
from pds.keystore import KeyStore
from pds.people.datakeys import load_data_key
from pds.records.catalogue import CATALOGUE, get_record_type, validate_value
from pds.records.models import record_versions, records

MAX_RECORDS_PER_PERSON = 2000


class RecordNotFound(LookupError):
    """No such record for this person (or it belongs to someone else)."""


class RecordIntegrityError(Exception):
    """A stored ciphertext failed authentication: altered or moved in the database."""

    def __init__(self, record_id: str) -> None:
        super().__init__(record_id)
        self.record_id = record_id


class VersionConflict(Exception):
    """The record changed since the version the client last saw."""

    def __init__(self, current: int) -> None:
        super().__init__(current)
        self.current = current


class InvalidRecordValue(Exception):
    """The value does not match its record type; `errors` name the failing fields."""

    def __init__(self, errors: Sequence[Mapping[str, Any]]) -> None:
        super().__init__(errors)
        self.errors = list(errors)


class TooManyRecords(Exception):
    """A person may hold at most MAX_RECORDS_PER_PERSON records."""


@dataclass(frozen=True)
class RecordView:
    id: str
    type: str
    version: int
    value: dict[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class VersionView:
    version: int
    value: dict[str, Any]
    created_at: datetime


def record_aad(person_id: str, record_id: str, version: int, type_name: str) -> bytes:
    """Associated data binding a ciphertext to its place: a moved ciphertext fails to decrypt."""
    return "\x1f".join(("pds.record.v1", person_id, record_id, str(version), type_name)).encode()


def _serialise(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _validated(type_name: str, value: object) -> dict[str, Any]:
    try:
        return validate_value(type_name, value)
    except ValidationError as exc:
        raise InvalidRecordValue(
            [
                {"loc": ("value", *err["loc"]), "msg": err["msg"], "type": err["type"]}
                for err in exc.errors(include_url=False, include_input=False)
            ]
        ) from None


class RecordService:
    """The person's own view of their records."""

    def __init__(self, db: Database, keys: KeyStore) -> None:
        self.db = db
        self.keys = keys

    def create(self, person_id: str, type_name: str, value: object) -> RecordView:
        get_record_type(type_name)
        clean = _validated(type_name, value)
        record_id = new_id()
        now = utcnow()
        with self.db.write() as conn:
            held = conn.execute(
                select(func.count()).select_from(records).where(records.c.person_id == person_id)
            ).scalar_one()
            if held >= MAX_RECORDS_PER_PERSON:
                raise TooManyRecords
            data_key = load_data_key(conn, self.keys, person_id)
            conn.execute(
                insert(records).values(
                    id=record_id,
                    person_id=person_id,
                    type=type_name,
                    version=1,
                    created_at=now,
                    updated_at=now,
                )
            )
            self._insert_version(conn, data_key, person_id, record_id, 1, type_name, clean, now)
        return RecordView(record_id, type_name, 1, clean, now, now)

    def _insert_version(
        self,
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
                ciphertext=encrypt(data_key, _serialise(value), aad),
                created_at=now,
            )
        )

    def list_records(self, person_id: str, *, type_name: str | None = None) -> list[RecordView]:
        query = (
            select(
                records.c.id,
                records.c.type,
                records.c.version,
                records.c.created_at,
                records.c.updated_at,
                record_versions.c.ciphertext,
            )
            .join(
                record_versions,
                (record_versions.c.record_id == records.c.id)
                & (record_versions.c.version == records.c.version),
            )
            .where(records.c.person_id == person_id)
            .order_by(records.c.type, records.c.created_at, records.c.id)
        )
        if type_name is not None:
            query = query.where(records.c.type == type_name)
        with self.db.read() as conn:
            rows = conn.execute(query).all()
            if not rows:
                return []
            data_key = load_data_key(conn, self.keys, person_id)
        catalogue_order = {name: index for index, name in enumerate(CATALOGUE)}
        views = [
            RecordView(
                row.id,
                row.type,
                row.version,
                self._open(data_key, person_id, row.id, row.version, row.type, row.ciphertext),
                row.created_at,
                row.updated_at,
            )
            for row in rows
        ]
        return sorted(
            views, key=lambda view: (catalogue_order.get(view.type, 999), view.created_at)
        )

    def _open(
        self,
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

    def _head(self, conn: Connection, person_id: str, record_id: str) -> Any:
        row = conn.execute(
            select(
                records.c.type, records.c.version, records.c.created_at, records.c.updated_at
            ).where(records.c.id == record_id, records.c.person_id == person_id)
        ).first()
        if row is None:
            raise RecordNotFound(record_id)
        return row

    def get(self, person_id: str, record_id: str) -> RecordView:
        with self.db.read() as conn:
            head = self._head(conn, person_id, record_id)
            ciphertext = conn.execute(
                select(record_versions.c.ciphertext).where(
                    record_versions.c.record_id == record_id,
                    record_versions.c.version == head.version,
                )
            ).scalar_one()
            data_key = load_data_key(conn, self.keys, person_id)
        value = self._open(data_key, person_id, record_id, head.version, head.type, ciphertext)
        return RecordView(
            record_id, head.type, head.version, value, head.created_at, head.updated_at
        )

    def update(
        self,
        person_id: str,
        record_id: str,
        value: object,
        *,
        expected_version: int | None = None,
    ) -> RecordView:
        """Store a new version; the earlier versions stay readable in the history."""
        with self.db.read() as conn:
            type_name = self._head(conn, person_id, record_id).type
        clean = _validated(type_name, value)
        now = utcnow()
        with self.db.write() as conn:
            head = self._head(conn, person_id, record_id)
            if expected_version is not None and expected_version != head.version:
                raise VersionConflict(head.version)
            version = head.version + 1
            data_key = load_data_key(conn, self.keys, person_id)
            self._insert_version(
                conn, data_key, person_id, record_id, version, head.type, clean, now
            )
            result = conn.execute(
                update(records)
                .where(records.c.id == record_id, records.c.version == head.version)
                .values(version=version, updated_at=now)
            )
            if result.rowcount != 1:  # a concurrent writer on PostgreSQL got there first
                raise VersionConflict(head.version + 1)
        return RecordView(record_id, head.type, version, clean, head.created_at, now)

    def delete(self, person_id: str, record_id: str) -> None:
        """Delete a record and every version of it."""
        with self.db.write() as conn:
            self._head(conn, person_id, record_id)
            delete_record_rows(conn, record_ids=[record_id])

    def versions(self, person_id: str, record_id: str) -> list[VersionView]:
        with self.db.read() as conn:
            head = self._head(conn, person_id, record_id)
            rows = conn.execute(
                select(
                    record_versions.c.version,
                    record_versions.c.ciphertext,
                    record_versions.c.created_at,
                )
                .where(record_versions.c.record_id == record_id)
                .order_by(record_versions.c.version.desc())
            ).all()
            data_key = load_data_key(conn, self.keys, person_id)
        return [
            VersionView(
                row.version,
                self._open(data_key, person_id, record_id, row.version, head.type, row.ciphertext),
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
