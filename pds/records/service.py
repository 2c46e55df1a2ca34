"""A person's typed records, encrypted with their data key, versioned on every change."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from consent.access import InsufficientScope
from consent.audit.log import AuditEvent
from consent.prepared import DriverStatement
from consent.scopes import Action, Scope
from consent.storage import from_micros, new_id, utcnow
from crypto.keys import WrappedKey
from pds.audit.trail import THE_PERSON, Accessor, AuditTrail, EventFactory
from pds.db import Database
from pds.keystore import KeyStore
from pds.people.datakeys import DataKeyMissing, load_data_key
from pds.people.models import data_keys
from pds.records.catalogue import CATALOGUE, get_record_type
from pds.records.idempotency import IdempotentRequest, remember, replay
from pds.records.models import record_versions, records
from pds.records.storage import (
    IS_CURRENT_VERSION,
    current_versions,
    delete_all_records,
    delete_record_rows,
    insert_version,
    open_value,
    record_aad,
    validated,
    versions_of,
)
from pds.records.views import (
    HiddenRecord,
    InvalidRecordValue,
    RecordIntegrityError,
    RecordNotFound,
    RecordView,
    TooManyRecords,
    VersionConflict,
    VersionView,
)

# Re-exported: callers import the service's vocabulary from here.
__all__ = [
    "MAX_RECORDS_PER_PERSON",
    "HiddenRecord",
    "InvalidRecordValue",
    "RecordIntegrityError",
    "RecordNotFound",
    "RecordService",
    "RecordView",
    "TooManyRecords",
    "VersionConflict",
    "VersionView",
    "delete_all_records",
    "record_aad",
]

MAX_RECORDS_PER_PERSON = 2000
# Names who reads, inside the reading transaction: (person id, accessor), or raises.
Authorise = Callable[[Connection], tuple[str, Accessor]]


# Which failures are access decisions worth an audit entry, and the reason each records.
# (A malformed value is not: nothing was read or written.)
_DENIALS: dict[type[Exception], str] = {
    HiddenRecord: "insufficient_scope",
    RecordNotFound: "not_found",
    InsufficientScope: "insufficient_scope",
    VersionConflict: "version_conflict",
    TooManyRecords: "quota",
    RecordIntegrityError: "integrity",
}

# The read path is hot: statements built once, so SQLAlchemy compiles them once.
_HEAD = select(records.c.type, records.c.version, records.c.created_at, records.c.updated_at).where(
    records.c.id == bindparam("record_id"), records.c.person_id == bindparam("person_id")
)
# `get` is the hottest (every NGO fetch): head, current ciphertext and wrapped data key in one
# indexed lookup, run on the driver cursor (raw values: timestamps in epoch µs).
_CURRENT = DriverStatement(
    select(
        records.c.type,
        records.c.version,
        records.c.created_at,
        records.c.updated_at,
        record_versions.c.ciphertext,
        data_keys.c.kek_id,
        data_keys.c.wrapped,
    )
    .join(record_versions, IS_CURRENT_VERSION)
    .outerjoin(data_keys, data_keys.c.person_id == records.c.person_id)
    .where(records.c.id == bindparam("record_id"), records.c.person_id == bindparam("person_id"))
)


class RecordService:
    """A person's records, read and written by the person or by an organisation (`by`).

    Every call writes one audit entry in its own transaction: allowed, or denied with a reason.
    """

    def __init__(self, db: Database, keys: KeyStore, audit: AuditTrail) -> None:
        self.db = db
        self.keys = keys
        self.audit = audit

    def _about(
        self, action: str, person_id: str, by: Accessor, record_ids: tuple[str, ...] = ()
    ) -> EventFactory:
        return lambda conn: self.audit.event(conn, action, person_id, by=by, record_ids=record_ids)

    def _log(
        self,
        conn: Connection,
        action: str,
        person_id: str,
        data_key: bytes,
        by: Accessor,
        types: Sequence[str],
        ids: Sequence[str],
    ) -> None:
        event = self.audit.event(
            conn,
            action,
            person_id,
            data_key=data_key,
            by=by,
            record_types=tuple(types),
            record_ids=tuple(ids),
        )
        self.audit.append(conn, event)

    def create(
        self,
        person_id: str,
        type_name: str,
        value: object,
        *,
        by: Accessor = THE_PERSON,
        idempotency: IdempotentRequest | None = None,
    ) -> RecordView:
        """Add a record; with `idempotency`, a repeated request returns the first response."""
        try:
            return self._create(person_id, type_name, value, by, idempotency)
        except IntegrityError:
            if idempotency is None:
                raise
            # A concurrent request with the same key committed first: answer from its entry.
            return self._create(person_id, type_name, value, by, idempotency)

    def _create(
        self,
        person_id: str,
        type_name: str,
        value: object,
        by: Accessor,
        idempotency: IdempotentRequest | None,
    ) -> RecordView:
        get_record_type(type_name)  # the catalogue is public: an unknown type is a client error
        with self.audit.denials(self._about("record.create", person_id, by), _DENIALS):
            # The scope first: a client that may not write this type learns nothing from our
            # validation of its value, and its attempt is an entry whatever it sent.
            if not by.allows(type_name, Action.WRITE):
                raise InsufficientScope(Scope(type_name, Action.WRITE))
            clean = validated(type_name, value)
            return self._insert(person_id, type_name, clean, by, idempotency)

    def _insert(
        self,
        person_id: str,
        type_name: str,
        clean: dict[str, Any],
        by: Accessor,
        idempotency: IdempotentRequest | None,
    ) -> RecordView:
        record_id = new_id()
        now = utcnow()
        with self.db.write() as conn:
            if idempotency is not None:
                stored = replay(conn, idempotency, load_data_key(conn, self.keys, person_id))
                if stored is not None:
                    return RecordView.from_json(stored)  # no second record, no second entry
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
            insert_version(conn, data_key, person_id, record_id, 1, type_name, clean, now)
            self._log(conn, "record.create", person_id, data_key, by, [type_name], [record_id])
            view = RecordView(record_id, type_name, 1, clean, now, now)
            if idempotency is not None:
                remember(conn, idempotency, person_id, data_key, view.to_json())
        return view

    def list_records(
        self, person_id: str, *, type_name: str | None = None, by: Accessor = THE_PERSON
    ) -> list[RecordView]:
        """The current version of each record (of one type, if given) that `by` may read.

        Asking for one type `by` may not read is refused (`InsufficientScope`, RFC 6750's 403)
        once its denied entry, naming the type, is committed."""
        out_of_scope = type_name is not None and not by.allows(type_name, Action.READ)
        views: list[RecordView] = []
        with (
            self.audit.denials(self._about("record.list", person_id, by), _DENIALS),
            self.db.write() as conn,
        ):
            data_key = load_data_key(conn, self.keys, person_id)
            if out_of_scope:
                refused = self.audit.event(
                    conn,
                    "record.list",
                    person_id,
                    data_key=data_key,
                    by=by,
                    record_types=(str(type_name),),
                )
                self.audit.append(conn, refused.denied("insufficient_scope"))
            else:
                views = [
                    view
                    for view in current_versions(conn, data_key, person_id, type_name)
                    if by.allows(view.type, Action.READ)
                ]
                types = [type_name] if type_name else sorted({view.type for view in views})
                ids = [view.id for view in views]
                self._log(conn, "record.list", person_id, data_key, by, types, ids)
        if out_of_scope:
            raise InsufficientScope(Scope(str(type_name), Action.READ))
        catalogue_order = {name: index for index, name in enumerate(CATALOGUE)}
        return sorted(
            views, key=lambda view: (catalogue_order.get(view.type, 999), view.created_at)
        )

    def _head(self, conn: Connection, person_id: str, record_id: str) -> Any:
        row = conn.execute(_HEAD, {"record_id": record_id, "person_id": person_id}).first()
        if row is None:
            raise RecordNotFound(record_id)
        return row

    def get(self, person_id: str, record_id: str, *, by: Accessor = THE_PERSON) -> RecordView:
        """The current version; a type `by` may not read is as absent as a missing record."""
        return self.get_authorised(lambda _conn: (person_id, by), record_id)

    def get_authorised(self, authorise: Authorise, record_id: str) -> RecordView:
        """`get` for whoever `authorise(conn)` names, checked inside the read's own transaction.

        The NGO fetch's bearer check runs here, so a fetch is one transaction, not two. A failed
        check raises before anything is read (and, like a bad token, is not an audited denial).
        """
        about, read = self._authorised_read(authorise, record_id)
        # Group commit on PostgreSQL: concurrent fetches share one durable commit.
        with self.audit.denials(about, _DENIALS):
            return self.db.write_grouped(read)

    async def get_authorised_async(self, authorise: Authorise, record_id: str) -> RecordView:
        """`get_authorised` for a caller on the event loop (the NGO fetch): see
        `Database.write_grouped_async`. A denial is written as `get_authorised` writes it."""
        about, read = self._authorised_read(authorise, record_id)
        try:
            return await self.db.write_grouped_async(read)
        except tuple(_DENIALS) as exc:
            await self.db.run_hot(self.audit.record_denial, about, _DENIALS, exc)
            raise

    def _authorised_read(
        self, authorise: Authorise, record_id: str
    ) -> tuple[EventFactory, Callable[[Connection], RecordView]]:
        """The read's work, and the entry a denial of it is recorded as."""
        who: dict[str, Any] = {}

        def about(conn: Connection) -> AuditEvent:
            return self.audit.event(
                conn, "record.read", who["person_id"], by=who["by"], record_ids=(record_id,)
            )

        def read(conn: Connection) -> RecordView:
            person_id, by = authorise(conn)
            who.update(person_id=person_id, by=by)
            row = _CURRENT.first(conn, record_id=record_id, person_id=person_id)
            if row is None:
                raise RecordNotFound(record_id)
            type_name, version, created, updated, ciphertext, kek_id, wrapped = row
            if not by.allows(type_name, Action.READ):
                raise HiddenRecord(record_id)
            if kek_id is None:
                raise DataKeyMissing(person_id)
            data_key = self.keys.unwrap(WrappedKey(kek_id, bytes(wrapped)), person_id)
            value = open_value(data_key, person_id, record_id, version, type_name, ciphertext)
            self._log(conn, "record.read", person_id, data_key, by, [type_name], [record_id])
            return RecordView(
                record_id, type_name, version, value, from_micros(created), from_micros(updated)
            )

        return about, read

    def update(
        self,
        person_id: str,
        record_id: str,
        value: object,
        *,
        expected_version: int | None = None,
        by: Accessor = THE_PERSON,
    ) -> RecordView:
        """Store a new version; the earlier versions stay readable in the history."""
        about = self._about("record.update", person_id, by, (record_id,))
        with self.audit.denials(about, _DENIALS):
            with self.db.read() as conn:
                type_name = self._head(conn, person_id, record_id).type
            self._check_write(by, record_id, type_name)
            clean = validated(type_name, value)
            now = utcnow()
            with self.db.write() as conn:
                head = self._head(conn, person_id, record_id)
                if expected_version is not None and expected_version != head.version:
                    raise VersionConflict(head.version)
                version = head.version + 1
                data_key = load_data_key(conn, self.keys, person_id)
                insert_version(conn, data_key, person_id, record_id, version, head.type, clean, now)
                result = conn.execute(
                    update(records)
                    .where(records.c.id == record_id, records.c.version == head.version)
                    .values(version=version, updated_at=now)
                )
                if result.rowcount != 1:  # a concurrent writer on PostgreSQL got there first
                    raise VersionConflict(head.version + 1)
                self._log(conn, "record.update", person_id, data_key, by, [head.type], [record_id])
        return RecordView(record_id, head.type, version, clean, head.created_at, now)

    @staticmethod
    def _check_write(by: Accessor, record_id: str, type_name: str) -> None:
        if by.allows(type_name, Action.WRITE):
            return
        if by.allows(type_name, Action.READ):
            raise InsufficientScope(Scope(type_name, Action.WRITE))
        raise HiddenRecord(record_id)  # a type it may not touch at all: as if absent

    def delete(self, person_id: str, record_id: str, *, by: Accessor = THE_PERSON) -> None:
        """Delete a record and every version of it."""
        with (
            self.audit.denials(self._about("record.delete", person_id, by, (record_id,)), _DENIALS),
            self.db.write() as conn,
        ):
            head = self._head(conn, person_id, record_id)
            self._check_write(by, record_id, head.type)
            data_key = load_data_key(conn, self.keys, person_id)
            delete_record_rows(conn, record_ids=[record_id])
            self._log(conn, "record.delete", person_id, data_key, by, [head.type], [record_id])

    def versions(
        self, person_id: str, record_id: str, *, by: Accessor = THE_PERSON
    ) -> list[VersionView]:
        with (
            self.audit.denials(
                self._about("record.versions", person_id, by, (record_id,)), _DENIALS
            ),
            self.db.write() as conn,
        ):
            head = self._head(conn, person_id, record_id)
            if not by.allows(head.type, Action.READ):
                raise HiddenRecord(record_id)
            data_key = load_data_key(conn, self.keys, person_id)
            views = versions_of(conn, data_key, person_id, record_id, head.type)
            self._log(conn, "record.versions", person_id, data_key, by, [head.type], [record_id])
        return views

    def export_all(self, conn: Connection, person_id: str) -> list[dict[str, Any]]:
        """Every record with its history, for the account export (which audits it as one)."""
        data_key = load_data_key(conn, self.keys, person_id)
        return [
            {
                **asdict(view),
                "versions": [
                    asdict(v) for v in versions_of(conn, data_key, person_id, view.id, view.type)
                ],
            }
            for view in current_versions(conn, data_key, person_id, None)
        ]
