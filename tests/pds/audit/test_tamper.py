"""Tampering directly in the database is caught by the offline verifier, which names the first
bad entry: a changed byte, a deleted, reordered, inserted or truncated entry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import BigInteger, Connection, bindparam, delete, insert, select, update

from consent.audit.encoding import entry_leaf_hash
from consent.audit.models import audit_checkpoints, audit_entries
from consent.audit.note import parse_verifier_key
from consent.audit.verify import Report, verify_export
from pds.app import Services
from pds.cli import main
from tests.conftest import sign_up
from tests.pds.audit.support import PHONE, auditor_client, export_text, log_rows, raw_rows

Tamper = Callable[[Connection, list[dict[str, Any]]], None]


@pytest.fixture
def history(client: Any, new_client: Any, services: Services) -> dict[str, Any]:
    """About 20 entries, a checkpoint every 5 (N), and a checkpoint the auditor saved."""
    object.__setattr__(services.audit.trail.log, "checkpoint_every", 5)
    sign_up(client)
    record = client.post("/api/v1/me/records", json=PHONE).json()
    for _ in range(12):
        client.get(f"/api/v1/me/records/{record['id']}")
    auditor = auditor_client(new_client, services)
    saved = auditor.get("/api/v1/audit/checkpoint").json()
    return {"auditor": auditor, "saved": saved["note"], "key": saved["verifier_key"]}


def _verify(history: dict[str, Any], *, saved: bool = False, text: str | None = None) -> Report:
    text = text or export_text(history["auditor"])
    return verify_export(
        text.splitlines(),
        keys=[parse_verifier_key(history["key"])],
        saved_checkpoint=history["saved"] if saved else None,
    )


def _rehash(conn: Connection, seq: int) -> None:
    """What a careful attacker does after an edit: recompute the stored leaf hash."""
    row = next(r for r in raw_rows(conn) if r["seq"] == seq)
    conn.execute(
        update(audit_entries)
        .where(audit_entries.c.seq == seq)
        .values(leaf_hash=entry_leaf_hash(row))
    )


def test_untouched_log_verifies_with_saved_checkpoint(history: dict[str, Any]) -> None:
    report = _verify(history, saved=True)
    assert report.ok, report.problems
    assert report.checkpoints_verified >= 4
    assert report.saved_checkpoint.startswith("consistent")


def _change_byte(conn: Connection, rows: list[dict[str, Any]]) -> None:
    conn.execute(update(audit_entries).where(audit_entries.c.seq == 7).values(action="record.reae"))


def _malformed(conn: Connection, rows: list[dict[str, Any]]) -> None:
    conn.execute(
        update(audit_entries).where(audit_entries.c.seq == 7).values(record_ids={"not": "a list"})
    )


def _change_byte_and_rehash(conn: Connection, rows: list[dict[str, Any]]) -> None:
    _change_byte(conn, rows)
    _rehash(conn, 7)


def _delete(conn: Connection, rows: list[dict[str, Any]]) -> None:
    conn.execute(delete(audit_entries).where(audit_entries.c.seq == 7))


def _reorder(conn: Connection, rows: list[dict[str, Any]]) -> None:
    # Swap entries 7 and 9: each keeps its content and hash but takes the other's place.
    conn.execute(update(audit_entries).where(audit_entries.c.seq == 7).values(seq=-7))
    conn.execute(update(audit_entries).where(audit_entries.c.seq == 9).values(seq=7))
    conn.execute(update(audit_entries).where(audit_entries.c.seq == -7).values(seq=9))


def _insert(conn: Connection, rows: list[dict[str, Any]]) -> None:
    # Make room after entry 6 and slip in a forged entry with a correct hash of its own.
    for row in reversed(rows[6:]):
        conn.execute(
            update(audit_entries)
            .where(audit_entries.c.seq == row["seq"])
            .values(seq=row["seq"] + 1)
        )
    forged = {**rows[6], "seq": 7, "action": "record.delete"}
    forged["leaf_hash"] = entry_leaf_hash(forged)
    # The time goes in as raw microseconds, exactly as hashed.
    raw_time = bindparam("raw_time", forged.pop("time"), type_=BigInteger())
    conn.execute(insert(audit_entries).values({**forged, "time": raw_time}))


@pytest.mark.parametrize(
    ("tamper", "first_bad", "says"),
    [
        (_change_byte, 7, "does not match its leaf hash"),
        (_change_byte_and_rehash, 6, "hashes were recomputed"),
        (_malformed, 7, "entry 7 is malformed"),
        (_delete, 7, "entry 7 is missing"),
        (_reorder, 7, "entry 7 holds entry 9"),
        (_insert, 7, "inserted"),
    ],
    ids=["changed-byte", "changed-byte-rehashed", "malformed", "deleted", "reordered", "inserted"],
)
def test_tampering_names_the_first_bad_entry(
    history: dict[str, Any], services: Services, tamper: Tamper, first_bad: int, says: str
) -> None:
    rows = log_rows(services)
    with services.db.write() as conn:
        tamper(conn, rows)
    report = _verify(history)
    assert not report.ok
    assert report.first_bad_seq == first_bad, report.problems
    assert says in report.problems[0]


def test_truncation_is_caught_against_a_saved_checkpoint(
    history: dict[str, Any], services: Services
) -> None:
    saved_size = int(history["saved"].splitlines()[1])
    with services.db.write() as conn:
        # Cut the tail and every checkpoint that would have betrayed it.
        conn.execute(delete(audit_entries).where(audit_entries.c.seq > saved_size - 4))
        conn.execute(
            delete(audit_checkpoints).where(audit_checkpoints.c.tree_size > saved_size - 4)
        )
    export = export_text(history["auditor"])
    assert _verify(history, text=export).ok  # on its own, a shortened log looks fine …
    report = _verify(history, saved=True, text=export)  # … not against what was seen before
    assert not report.ok
    assert report.first_bad_seq == saved_size - 3
    assert "truncated" in report.problems[0]


def test_the_cli_names_the_first_bad_entry(
    history: dict[str, Any], services: Services, tmp_path: Any
) -> None:
    with services.db.write() as conn:
        _change_byte(conn, [])
    export = tmp_path / "audit.ndjson"
    export.write_text(export_text(history["auditor"]))
    key = tmp_path / "key.txt"
    key.write_text(history["key"] + "\n")
    saved = tmp_path / "checkpoint.txt"
    saved.write_text(history["saved"])
    args = ["audit", "verify", str(export), "--key", str(key), "--checkpoint", str(saved)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert "first bad entry is seq 7" in result.output


def test_stored_leaf_hashes_are_what_the_export_carries(
    history: dict[str, Any], services: Services
) -> None:
    rows = log_rows(services)
    assert all(entry_leaf_hash(row) == bytes(row["leaf_hash"]) for row in rows)
    with services.db.read() as conn:
        sizes = conn.execute(select(audit_checkpoints.c.tree_size)).scalars().all()
    assert {5, 10, 15} <= set(sizes)
