"""Bulk-load people, data keys and encrypted records at scale, exactly as the service stores them.

Rows go in through `executemany` (SQLite) or `COPY` (PostgreSQL) in large transactions, but every
value is made by the service's own code: blind email index, email and records sealed with
XChaCha20-Poly1305 under a real per-person data key, that key wrapped under the keyring's KEK, the
record's associated data from `record_aad`. So the service decrypts what it reads, as in
production. A sample of people, spread evenly over the table, is remembered for the load.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table

from consent.storage import new_id, to_micros, utcnow
from crypto.aead import encrypt
from crypto.keys import Keyring
from crypto.lookup import blind_index
from crypto.passwords import PasswordHasher
from pds.db import Database
from pds.people.models import data_keys, people
from pds.people.service import _email_aad  # the service's own associated data for emails
from pds.records.catalogue import validate_value
from pds.records.models import record_versions, records
from pds.records.service import record_aad

# Records are ~1 KB (the fetched household record) or small; all are valid catalogue values.
FETCHED_TYPE = "household.members"
_RELATIONS = ("self", "spouse", "child", "parent", "sibling", "grandparent", "other_relative")
_HOUSEHOLD = {
    "members": [
        {
            "name": f"Member {n} Lakshmi Narayanan Subramaniam",
            "relationship": "self" if n == 0 else _RELATIONS[1 + n % 6],
            "year_of_birth": 1950 + n * 3,
        }
        for n in range(16)
    ]
}
_SMALL: tuple[tuple[str, dict[str, Any]], ...] = (
    ("identity.name", {"given_name": "Asha", "family_name": "Devi"}),
    ("identity.date_of_birth", {"date": "1990-04-12"}),
    ("contact.phone", {"number": "+919876543210", "kind": "mobile"}),
    ("health.immunisations", {"vaccine": "td", "dose": 1, "date": "2024-01-15"}),
)
CHUNK_PEOPLE = 2_000


def _plaintext(type_name: str, value: dict[str, Any]) -> bytes:
    # Validated by the catalogue, then serialised the way the service serialises record values.
    clean = validate_value(type_name, value)
    return json.dumps(clean, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


TEMPLATES: tuple[tuple[str, bytes], ...] = (
    (FETCHED_TYPE, _plaintext(FETCHED_TYPE, _HOUSEHOLD)),
    *((name, _plaintext(name, value)) for name, value in _SMALL),
)


@dataclass(frozen=True)
class SampledPerson:
    person_id: str
    record_id: str  # their ~1 KB household record
    data_key: bytes


@dataclass
class Loaded:
    people: int = 0
    records: int = 0
    sample: list[SampledPerson] = field(default_factory=list)


# The columns each loaded row fills, in the order of the tuples below (named, not positional, so
# a column added later with a default does not break the loader).
COLUMNS: dict[Table, tuple[str, ...]] = {
    people: (
        "id", "email_index", "email_ct", "password_hash", "role", "created_at",
        "password_changed_at",
    ),
    data_keys: ("person_id", "kek_id", "wrapped", "created_at"),
    records: ("id", "person_id", "type", "version", "created_at", "updated_at"),
    record_versions: ("record_id", "version", "ciphertext", "created_at"),
}  # fmt: skip


def bulk_insert(
    conn: Connection, table: Table, names: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Insert raw DB values (timestamps as epoch µs) into the named columns, in bulk."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        driver = conn.connection.driver_connection
        assert driver is not None
        with (
            driver.cursor() as cursor,
            cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" for _ in names)
        sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({marks})"  # noqa: S608
        conn.exec_driver_sql(sql, list(rows))


class PeopleLoader:
    """Makes people with data keys and records, chunk by chunk, for one or more databases."""

    def __init__(self, keyring: Keyring, index_key: bytes, records_per_person: int) -> None:
        self.keyring = keyring
        self.index_key = index_key
        self.records_per_person = records_per_person
        # One real argon2id hash shared by every bench person: nobody signs in during the load.
        self.password_hash = PasswordHasher(time_cost=1, memory_cost=1024).hash("bench-password")

    def chunks(
        self, count: int, sample_every: int, prefix: str
    ) -> Iterator[tuple[dict[Table, list[tuple[Any, ...]]], list[SampledPerson]]]:
        for start in range(0, count, CHUNK_PEOPLE):
            rows: dict[Table, list[tuple[Any, ...]]] = {
                people: [],
                data_keys: [],
                records: [],
                record_versions: [],
            }
            sampled = []
            for index in range(start, min(count, start + CHUNK_PEOPLE)):
                person = self._person(rows, f"{prefix}{index}@bench.example.org")
                if index % sample_every == 0:
                    sampled.append(person)
            yield rows, sampled

    def _person(self, rows: dict[Table, list[tuple[Any, ...]]], email: str) -> SampledPerson:
        now = to_micros(utcnow())
        person_id = new_id()
        data_key, wrapped = self.keyring.new_data_key(person_id)
        email_ct = encrypt(data_key, email.encode(), _email_aad(person_id))
        index = blind_index(self.index_key, email)
        rows[people].append((person_id, index, email_ct, self.password_hash, "person", now, now))
        rows[data_keys].append((person_id, wrapped.kek_id, wrapped.blob, now))
        fetched = ""
        for n in range(self.records_per_person):
            type_name, plaintext = TEMPLATES[n % len(TEMPLATES)]
            record_id = new_id()
            fetched = fetched or record_id
            ciphertext = encrypt(
                data_key, plaintext, record_aad(person_id, record_id, 1, type_name)
            )
            rows[records].append((record_id, person_id, type_name, 1, now, now))
            rows[record_versions].append((record_id, 1, ciphertext, now))
        return SampledPerson(person_id, fetched, data_key)


def load_people(
    targets: Sequence[Database],
    loader: PeopleLoader,
    *,
    count: int,
    sample: int,
    prefix: str = "p",
) -> Loaded:
    """Load `count` people into every target (same rows in each); remember `sample` of them."""
    loaded = Loaded()
    every = max(1, count // max(1, sample))
    for rows, sampled in loader.chunks(count, every, prefix):
        for db in targets:
            with db.write() as conn:
                for table, names in COLUMNS.items():
                    bulk_insert(conn, table, names, rows[table])
        loaded.people += len(rows[people])
        loaded.records += len(rows[records])
        loaded.sample.extend(sampled)
    for db in targets:
        analyse(db)
    return loaded


def analyse(db: Database) -> None:
    """Fresh planner statistics, as a production database would have after autovacuum."""
    with db.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
