"""The audit log at scale: a million bulk-loaded entries, a checkpoint, `pds audit verify`.

Entries are made by the service's own `entry_values` and hashed by its own `entry_leaf_hash`, so
their Merkle leaves are what the service would have written, and the checkpoint over them is
published by the service's `publish` (signed with the service's key). Until the audit log is part
of the service, `prepare` says so and the audit figures are left out.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.dataset import FETCHED_TYPE, Loaded, bulk_insert
from bench.grants import PURPOSE, Client
from bench.scenarios import Figure
from bench.server import PDS
from bench.workspace import Workspace
from consent.storage import new_id, utcnow

Say = Callable[[str], None]
CHUNK = 20_000


@dataclass
class AuditState:
    available: bool = False
    entries: int = 0
    notes: list[str] = field(default_factory=list)


def available() -> bool:
    try:
        import consent.audit.log  # noqa: F401
        import pds.audit.trail  # noqa: F401
    except ImportError:
        return False
    from consent.storage import metadata

    return "audit_entries" in metadata.tables


def load_entries(
    targets: Sequence[Workspace], count: int, client: Client, subjects: Sequence[str]
) -> None:
    """Entries 1..count, as organisations reading records would have appended them (made once,
    inserted into every target)."""
    from consent.audit.encoding import entry_leaf_hash
    from consent.audit.log import ActorType, AuditEvent, entry_values
    from consent.audit.models import audit_entries

    names = [column.name for column in audit_entries.columns]
    json_columns = {"record_types", "record_ids"}
    now = utcnow()
    for start in range(1, count + 1, CHUNK):
        rows = []
        for seq in range(start, min(count, start + CHUNK - 1) + 1):
            event = AuditEvent(
                "record.read",
                ActorType.ORGANISATION,
                actor_id=client.client_id,
                subject=subjects[seq % len(subjects)],
                organisation_id=client.organisation_id,
                client_id=client.client_id,
                record_types=(FETCHED_TYPE,),
                record_ids=(new_id(),),
                grant_id=new_id(),
                purpose=PURPOSE,
            )
            values: dict[str, Any] = entry_values(seq, now, event, new_id())
            values["leaf_hash"] = entry_leaf_hash(values)
            rows.append(
                tuple(json.dumps(values[n]) if n in json_columns else values[n] for n in names)
            )
        for ws in targets:
            with ws.db.write() as conn:
                bulk_insert(conn, audit_entries, names, rows)


def publish_checkpoint(ws: Workspace) -> None:
    """The service's own checkpoint over everything loaded (builds the tree once, stores tiles)."""
    from consent.audit.checkpoints import lock_log, log_size, publish

    trail = ws.start_services().audit.trail
    with ws.db.write() as conn:
        lock_log(conn)
        publish(conn, trail.log.signer, log_size(conn), utcnow())


def prepare(targets: Sequence[Workspace], count: int, loaded: Loaded) -> AuditState:
    """Bulk entries and a checkpoint in every target, before anything else appends."""
    if not available():
        return AuditState(notes=["The audit log is not part of the service yet: no audit figures."])
    from pds.audit.trail import pseudonym_from_data_key

    subjects = [pseudonym_from_data_key(p.data_key, p.person_id) for p in loaded.sample]
    client = Client("bench-org", "bench-client", "")  # ids as entries carry them; not a login
    load_entries(targets, count, client, subjects)
    for ws in targets:
        publish_checkpoint(ws)
    return AuditState(available=True, entries=count)


def verify_time(ws: Workspace, root: Path) -> Figure:
    """Export through the service, then time the offline verifier as an auditor would run it."""
    from consent.audit.checkpoints import latest_checkpoint
    from consent.audit.export import prepare_export

    with ws.db.read() as conn:
        checkpoint = latest_checkpoint(conn)
    assert checkpoint is not None
    path = root / "audit-export.ndjson"
    with path.open("w", encoding="utf-8") as out:
        out.writelines(prepare_export(ws.db, checkpoint).lines())
    started = time.monotonic()
    completed = subprocess.run(
        [str(PDS), "audit", "verify", str(path)], capture_output=True, text=True, check=False
    )
    seconds = time.monotonic() - started
    ok = completed.returncode == 0
    detail = {"entries": checkpoint.tree_size, "exit": completed.returncode,
              "output": completed.stdout[-500:] + completed.stderr[-500:]}  # fmt: skip
    return Figure(f"`pds audit verify` over {checkpoint.tree_size:,} entries", seconds, "s",
                  "<= 10 s", ok and seconds <= 10, detail)  # fmt: skip


def append_cost(ws: Workspace, fetch_rps: float, person_id: str, n: int = 3000) -> Figure:
    """What the audit adds to a fetch, measured in-process, as a share of one fetch's time.

    With the entry, the fetch's transaction is a write (BEGIN IMMEDIATE on SQLite, commit) that
    also derives the pseudonym, hashes the leaf and inserts; without, it would be a plain read.
    """
    from consent.audit.log import ActorType
    from pds.audit.trail import Accessor
    from pds.people.datakeys import load_data_key

    services = ws.start_services()
    trail = services.audit.trail
    by = Accessor(ActorType.ORGANISATION, "org", "client", "grant", PURPOSE)
    with ws.db.read() as conn:
        data_key = load_data_key(conn, services.keys, person_id)

    record_id = new_id()  # shaped like a real one: the log leaves out ids the service never made

    def audited() -> None:
        with ws.db.write() as conn:
            event = trail.event(conn, "record.read", person_id, data_key=data_key, by=by,
                                record_types=(FETCHED_TYPE,), record_ids=(record_id,))  # fmt: skip
            trail.append(conn, event)

    def plain() -> None:
        with ws.db.read():
            pass

    timings: dict[str, list[float]] = {"audited": [], "plain": []}
    for _ in range(5):  # alternate blocks, keep the median block
        for name, work in (("audited", audited), ("plain", plain)):
            started = time.perf_counter()
            for _ in range(n // 5):
                work()
            timings[name].append((time.perf_counter() - started) / (n // 5))
    cost = statistics.median(timings["audited"]) - statistics.median(timings["plain"])
    share = cost * fetch_rps
    detail = {"append_us": round(cost * 1e6, 1), "fetch_us": round(1e6 / fetch_rps, 1)}
    return Figure("audit append / fetch time (SQLite)", share, "ratio", "<= 0.20", share <= 0.20,
                  detail)  # fmt: skip


def figures(state: AuditState, ws: Workspace, root: Path, fetch_rps: float) -> list[Figure]:
    if not state.available:
        return []
    assert ws.loaded is not None
    return [verify_time(ws, root), append_cost(ws, fetch_rps, ws.loaded.sample[0].person_id)]
