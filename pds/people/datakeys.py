"""Per-person data keys: made wrapped, unwrapped on use, re-wrapped on rotation, destroyed."""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from consent.prepared import DriverStatement
from consent.storage import utcnow
from crypto.aead import generate_key
from crypto.keys import WrappedKey, generate_kek_id
from pds.db import Database
from pds.keystore import KeyStore
from pds.people.models import data_keys


class DataKeyMissing(LookupError):
    """The person has no data key: erased, or never existed."""


def create_data_key(conn: Connection, keys: KeyStore, person_id: str) -> bytes:
    """Generate the person's data key and store it wrapped (the person row must exist)."""
    data_key, wrapped = keys.keyring.new_data_key(person_id)
    conn.execute(
        insert(data_keys).values(
            person_id=person_id,
            kek_id=wrapped.kek_id,
            wrapped=wrapped.blob,
            created_at=utcnow(),
        )
    )
    return data_key


# Every audited action of a person derives their pseudonym from this key: compiled once.
_WRAPPED_KEY = DriverStatement(
    select(data_keys.c.kek_id, data_keys.c.wrapped).where(
        data_keys.c.person_id == bindparam("person_id")
    )
)


def load_data_key(conn: Connection, keys: KeyStore, person_id: str) -> bytes:
    """Unwrap the person's data key (a DecryptionError here means the key row was tampered with)."""
    row = _WRAPPED_KEY.first(conn, person_id=person_id)
    if row is None:
        raise DataKeyMissing(person_id)
    kek_id, wrapped = row
    return keys.unwrap(WrappedKey(kek_id=kek_id, blob=bytes(wrapped)), person_id)


def destroy_data_key(conn: Connection, person_id: str) -> None:
    conn.execute(delete(data_keys).where(data_keys.c.person_id == person_id))


def count_by_kek(conn: Connection) -> dict[str, int]:
    rows = conn.execute(select(data_keys.c.kek_id, func.count()).group_by(data_keys.c.kek_id))
    return {str(kek_id): int(count) for kek_id, count in rows}


def rotate_kek(db: Database, keys: KeyStore, *, remove_old: bool) -> tuple[str, int]:
    """Add a fresh KEK, re-wrap every data key under it; records are not touched.

    The new KEK is saved before any data key is re-wrapped, so a crash in between leaves keys
    that still unwrap. With `remove_old`, KEKs no data key uses any more are destroyed after the
    commit (erasure does this, so a backup taken before the erasure stays undecryptable).
    """
    old_ids = set(keys.keyring.ids)
    new_id = generate_kek_id()
    keys.replace_keyring(keys.keyring.with_kek(new_id, generate_key(), activate=True))
    rewrapped = 0
    with db.write() as conn:
        rows = conn.execute(select(data_keys.c.person_id, data_keys.c.kek_id, data_keys.c.wrapped))
        updates = []
        for person_id, kek_id, blob in rows.all():
            fresh = keys.keyring.rewrap(WrappedKey(kek_id=kek_id, blob=bytes(blob)), person_id)
            updates.append({"pid": person_id, "kek": fresh.kek_id, "blob": fresh.blob})
        if updates:
            conn.execute(
                update(data_keys)
                .where(data_keys.c.person_id == bindparam("pid"))
                .values(kek_id=bindparam("kek"), wrapped=bindparam("blob")),
                updates,
            )
        rewrapped = len(updates)
    if remove_old:
        remove_unused_keks(db, keys, candidates=old_ids)
    return new_id, rewrapped


def remove_unused_keks(db: Database, keys: KeyStore, *, candidates: set[str]) -> list[str]:
    """Destroy the given KEKs; refuses any that still wraps a data key."""
    with db.read() as conn:
        in_use = count_by_kek(conn)
    removed = []
    keyring = keys.keyring
    for kek_id in sorted(candidates):
        if in_use.get(kek_id):
            raise ValueError(f"{kek_id} still wraps {in_use[kek_id]} data keys: rotate first")
        keyring = keyring.without_kek(kek_id)
        removed.append(kek_id)
    keys.replace_keyring(keyring)
    return removed
