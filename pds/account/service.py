"""Whole-account operations: export everything, erase everything."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, delete

from consent.storage import utcnow
from pds.audit.trail import AuditTrail
from pds.db import Database
from pds.keystore import KeyStore
from pds.people.datakeys import destroy_data_key, rotate_kek
from pds.people.models import people, sessions
from pds.people.service import InvalidCredentials, PeopleService
from pds.records.service import RecordService, delete_all_records

EXPORT_FORMAT = "pds-export/1"

# Other parts of the service (grants, receipts, activity) add their share of an export or an
# erasure through these hooks, so this module needs to know none of them.
ExportSection = Callable[[str], tuple[str, Any]]
ErasureStep = Callable[[Connection, str], None]


class AccountService:
    def __init__(
        self,
        db: Database,
        keys: KeyStore,
        people_service: PeopleService,
        records_service: RecordService,
        *,
        audit: AuditTrail,
        shred_on_erasure: bool,
    ) -> None:
        self.db = db
        self.keys = keys
        self.people = people_service
        self.records = records_service
        self.audit = audit
        self.shred_on_erasure = shred_on_erasure
        self.export_sections: list[ExportSection] = []
        self.erasure_steps: list[ErasureStep] = []

    def export(self, person_id: str) -> dict[str, Any]:
        """Everything the person has, as one portable JSON document (one audit entry)."""
        with self.db.read() as conn:
            records = self.records.export_all(conn, person_id)
        document: dict[str, Any] = {
            "format": EXPORT_FORMAT,
            "exported_at": utcnow().isoformat(),
            "account": self.people.profile(person_id),
            "records": records,
        }
        for section in self.export_sections:
            name, content = section(person_id)
            document[name] = content
        # Written before the document leaves: if the entry cannot be written, nothing is handed out.
        with self.db.write() as conn:
            event = self.audit.event(
                conn,
                "account.export",
                person_id,
                record_types=tuple(sorted({r["type"] for r in records})),
                record_ids=tuple(r["id"] for r in records),
            )
            self.audit.append(conn, event)
        return document

    def erase(self, person_id: str, password: str) -> None:
        """Irreversibly erase the account: records, sessions, and the data key itself.

        With `shred_on_erasure` the key-encryption key is then rotated and the old one destroyed,
        so a database copy taken before the erasure cannot be decrypted with the current keys.
        """
        if not self.people.verify_password(person_id, password):
            self.audit.record(
                lambda conn: self.audit.event(conn, "account.erase", person_id),
                "invalid_credentials",
            )
            raise InvalidCredentials
        with self.db.write() as conn:
            # First, while the data key (and so the pseudonym) still exists; the erasure steps'
            # own entries (grants ended) come next, for the same reason.
            self.audit.append(conn, self.audit.event(conn, "account.erase", person_id))
            for step in self.erasure_steps:
                step(conn, person_id)
            delete_all_records(conn, person_id)
            conn.execute(delete(sessions).where(sessions.c.person_id == person_id))
            destroy_data_key(conn, person_id)
            conn.execute(delete(people).where(people.c.id == person_id))
        if self.shred_on_erasure and self.keys.provider.writable:
            rotate_kek(self.db, self.keys, remove_old=True)
