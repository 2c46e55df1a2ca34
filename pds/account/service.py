"""Whole-account operations: export everything, erase everything."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from sqlalchemy import Connection, delete

from consent.storage import utcnow
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
        shred_on_erasure: bool,
    ) -> None:
        self.db = db
        self.keys = keys
        self.people = people_service
        self.records = records_service
        self.shred_on_erasure = shred_on_erasure
        self.export_sections: list[ExportSection] = []
        self.erasure_steps: list[ErasureStep] = []

    def export(self, person_id: str) -> dict[str, Any]:
        """Everything the person has, as one portable JSON document."""
        records = self.records.list_records(person_id)
        document: dict[str, Any] = {
            "format": EXPORT_FORMAT,
            "exported_at": utcnow().isoformat(),
            "account": self.people.profile(person_id),
            "records": [
                {
                    **asdict(view),
                    "versions": [asdict(v) for v in self.records.versions(person_id, view.id)],
                }
                for view in records
            ],
        }
        for section in self.export_sections:
            name, content = section(person_id)
            document[name] = content
        return document

    def erase(self, person_id: str, password: str) -> None:
        """Irreversibly erase the account: records, sessions, and the data key itself.

        With `shred_on_erasure` the key-encryption key is then rotated and the old one destroyed,
        so a database copy taken before the erasure cannot be decrypted with the current keys.
        """
        if not self.people.verify_password(person_id, password):
            raise InvalidCredentials
        with self.db.write() as conn:
            for step in self.erasure_steps:
                step(conn, person_id)
            delete_all_records(conn, person_id)
            conn.execute(delete(sessions).where(sessions.c.person_id == person_id))
            destroy_data_key(conn, person_id)
            conn.execute(delete(people).where(people.c.id == person_id))
        if self.shred_on_erasure and self.keys.provider.writable:
            rotate_kek(self.db, self.keys, remove_old=True)
