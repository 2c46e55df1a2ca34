"""How `pds` writes the audit log: pseudonyms, actors, and denials that outlive a rollback.

A person appears in the log only as an audit pseudonym derived from their data key. Erasure
destroys the data key, so afterwards nobody — the service included — can link the entries to the
person, while the entries and every checkpoint still verify. With `shred_on_erasure` even an old
backup cannot re-derive it, because the key-encryption key that wrapped the data key is gone too.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection

from consent.audit.log import ActorType, AuditEvent, AuditLog
from consent.scopes import Action
from crypto.keys import UnknownKeyError
from crypto.lookup import pseudonym
from pds.db import Database
from pds.keystore import KeyStore
from pds.people.datakeys import DataKeyMissing, load_data_key

_SUBKEY_LABEL = b"pds.audit.pseudonym-key.v1"
# A record id the service made (`new_id`: UUID4 text). An entry can be neither edited nor erased,
# so an "id" a caller typed into a URL (free text: a name, a phone number) never reaches it.
_RECORD_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def loggable_record_ids(ids: Iterable[str]) -> tuple[str, ...]:
    """The ids an entry may name: those shaped like the service's own (others are left out)."""
    return tuple(record_id for record_id in ids if _RECORD_ID.fullmatch(record_id))


def pseudonym_from_data_key(data_key: bytes, person_id: str) -> str:
    """The person's audit pseudonym ("ps_" + 32 hex characters)."""
    # A subkey, so the data key itself is only ever used by the AEAD.
    subkey = hmac.new(data_key, _SUBKEY_LABEL, hashlib.sha256).digest()
    return pseudonym(subkey, person_id, "audit")


@dataclass(frozen=True)
class Accessor:
    """Who is reading or writing a person's records: the person, or an organisation under a grant.

    `may(record_type, action)` answers for an organisation; the person may do anything with their
    own records.
    """

    actor_type: ActorType = ActorType.PERSON
    organisation_id: str | None = None
    client_id: str | None = None
    grant_id: str | None = None
    purpose: str | None = None
    may: Callable[[str, Action], bool] | None = None

    def allows(self, record_type: str, action: Action) -> bool:
        return self.may is None or self.may(record_type, action)


THE_PERSON = Accessor()
EventFactory = Callable[[Connection], AuditEvent]


class AuditTrail:
    """The audit log plus what only `pds` knows: data keys, hence pseudonyms."""

    def __init__(self, log: AuditLog, db: Database, keys: KeyStore) -> None:
        self.log = log
        self.db = db
        self.keys = keys

    def pseudonym(self, conn: Connection, person_id: str) -> str | None:
        """The person's pseudonym, or None if they were erased (or never existed).

        A data key whose key-encryption key was destroyed (a backup restored after an erasure)
        counts as erased too.
        """
        try:
            return pseudonym_from_data_key(load_data_key(conn, self.keys, person_id), person_id)
        except (DataKeyMissing, UnknownKeyError):
            return None

    def append(self, conn: Connection, event: AuditEvent) -> None:
        self.log.append(conn, event)

    def event(
        self,
        conn: Connection,
        action: str,
        person_id: str | None,
        *,
        data_key: bytes | None = None,
        by: Accessor = THE_PERSON,
        actor_type: ActorType | None = None,
        record_types: tuple[str, ...] = (),
        record_ids: tuple[str, ...] = (),
    ) -> AuditEvent:
        """An event about `person_id`, done by that person (or by `by`, an organisation)."""
        subject = None
        if person_id is not None:
            subject = (
                pseudonym_from_data_key(data_key, person_id)
                if data_key is not None
                else self.pseudonym(conn, person_id)
            )
        actor_id = by.client_id if by.actor_type is ActorType.ORGANISATION else subject
        return AuditEvent(
            action,
            actor_type or by.actor_type,
            actor_id=actor_id,
            subject=subject,
            organisation_id=by.organisation_id,
            client_id=by.client_id,
            record_types=record_types,
            record_ids=loggable_record_ids(record_ids),
            grant_id=by.grant_id,
            purpose=by.purpose,
        )

    def operator_action(
        self,
        action: str,
        conn: Connection | None = None,
        *,
        organisation_id: str | None = None,
        client_id: str | None = None,
        person_id: str | None = None,
    ) -> None:
        """An operator's command-line action (actor `admin`, id `cli`), in `conn` if given;
        `person_id`: the account it concerns, named by its pseudonym."""

        def append(conn: Connection) -> None:
            subject = None if person_id is None else self.pseudonym(conn, person_id)
            event = AuditEvent(
                action,
                ActorType.ADMIN,
                actor_id="cli",
                subject=subject,
                organisation_id=organisation_id,
                client_id=client_id,
            )
            self.append(conn, event)

        if conn is not None:
            append(conn)
            return
        with self.db.write() as own:
            append(own)

    def record(self, make: EventFactory, reason: str | None = None) -> None:
        """Write one entry in its own transaction (never call it inside another write)."""
        with self.db.write() as conn:
            event = make(conn)
            self.append(conn, event if reason is None else event.denied(reason))

    @contextmanager
    def denials(self, make: EventFactory, reasons: Mapping[type[Exception], str]) -> Iterator[None]:
        """Record `make(conn)` as denied when the body raises one of `reasons`, then re-raise.

        Use it around the action's write transaction: that transaction rolls back (its allowed
        entry with it) before the denial is written in a transaction of its own.
        """
        try:
            yield
        except tuple(reasons) as exc:
            self.record_denial(make, reasons, exc)
            raise

    def record_denial(
        self, make: EventFactory, reasons: Mapping[type[Exception], str], exc: Exception
    ) -> None:
        """What `denials` does once `exc` (one of `reasons`) ended the action."""
        reason = next(text for cls, text in reasons.items() if isinstance(exc, cls))
        self.record(make, reason)
