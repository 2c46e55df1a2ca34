"""Smoke test of the benchmark harness (not a benchmark): a tiny dataset loads the way `make bench`
loads a large one, and the service reads it back through the NGO fetch path."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from sqlalchemy import text

from bench import audit
from bench.config import TINY
from bench.dataset import FETCHED_TYPE, PeopleLoader, load_people
from bench.grants import issue_tokens
from bench.report import markdown
from bench.scenarios import Figure
from bench.workspace import Workspace, consent, prepare_keys
from bench.wrk import busy_fraction, machine_ticks
from consent.audit.checkpoints import latest_checkpoint
from consent.audit.export import prepare_export
from pds.records.organisation_routes import read_record
from tests.conftest import run_coroutine


def test_a_tiny_bench_dataset_is_served_and_its_audit_log_verifies(tmp_path: Path) -> None:
    root = tmp_path / "bench"
    material = prepare_keys(root)
    ws = Workspace("tiny", root, f"sqlite:///{root / 'tiny.db'}")
    try:
        loader = PeopleLoader(material.keyring, material.index_key, TINY.records_per_person)
        loaded = load_people([ws.db], loader, count=TINY.people, sample=4)
        assert (loaded.people, loaded.records) == (TINY.people, TINY.records)
        state = audit.prepare([ws], TINY.audit_entries, loaded)
        assert state.available and state.entries == TINY.audit_entries
        consent(ws, loaded, fetch_people=2, refresh_grants=1)
        assert ws.client is not None
        pair = issue_tokens(ws.db, ws.client, ws.fetch_grants[:1])[0]
        record_id = next(p.record_id for p in loaded.sample if p.person_id == pair.grant.person_id)

        services = ws.start_services()
        record = run_coroutine(
            read_record(services.consent.access, services.records, pair.access_token, record_id)
        )
        assert record.type == FETCHED_TYPE and len(record.value["members"]) == 16

        # The bulk-loaded entries hash as the service's own do: the export rebuilds the root.
        with ws.db.read() as conn:
            checkpoint = latest_checkpoint(conn)
        assert checkpoint is not None and checkpoint.tree_size >= TINY.audit_entries
        last = list(prepare_export(ws.db, checkpoint).lines())[-1]
        assert json.loads(last)["verified"] is True
    finally:
        ws.close()


def test_settling_leaves_no_loading_work_for_the_measurements(
    tmp_path: Path, database_url: str
) -> None:
    """SQLite: the WAL is copied into the database file and emptied. PostgreSQL: every table
    is vacuumed and analysed, and a checkpoint has written out everything loaded."""
    root = tmp_path / "bench"
    material = prepare_keys(root)
    ws = Workspace("tiny", root, database_url)
    try:
        loader = PeopleLoader(material.keyring, material.index_key, TINY.records_per_person)
        load_people([ws.db], loader, count=TINY.people, sample=4)
        if ws.db.is_sqlite:
            path = Path(database_url.removeprefix("sqlite:///"))
            wal = path.with_name(path.name + "-wal")
            assert wal.stat().st_size > 0  # the load is still in the WAL
            ws.settle()
            assert wal.stat().st_size == 0
            with sqlite3.connect(f"file:{path}?immutable=1", uri=True) as conn:  # ignores the WAL
                assert conn.execute("SELECT count(*) FROM people").fetchone()[0] == TINY.people
            return
        with ws.db.engine.connect() as conn:
            started, wal_end = conn.execute(text("SELECT now(), pg_current_wal_insert_lsn()")).one()
        ws.settle()
        with ws.db.engine.connect() as conn:
            tables = conn.execute(
                text("SELECT relname, last_vacuum, last_analyze FROM pg_stat_user_tables")
            ).all()
            behind = conn.execute(
                text("SELECT checkpoint_lsn < :lsn FROM pg_control_checkpoint()"), {"lsn": wal_end}
            ).scalar_one()
        assert {"people", "records", "audit_entries"} <= {name for name, _, _ in tables}
        assert all(
            vacuumed is not None and analysed is not None and min(vacuumed, analysed) >= started
            for _, vacuumed, analysed in tables
        )
        assert behind is False
    finally:
        ws.close()


def test_profile_sums_py_spy_samples_per_function(tmp_path: Path) -> None:
    from bench.profile import top_frames

    raw = tmp_path / "raw.txt"
    raw.write_text(
        "main (app.py:1);handle (routes.py:10);commit (db.py:5) 3\n"
        "main (app.py:1);handle (routes.py:12);render (json.py:7) 1\n"
        "main (app.py:2) 2\n"
        "main (app.py:2);<native> (libc.so) 1\n"
    )
    total, inclusive, exclusive = top_frames(raw, 10)
    assert total == 7
    assert dict(inclusive) == {
        "main (app.py)": 7,
        "handle (routes.py)": 4,
        "commit (db.py)": 3,
        "render (json.py)": 1,
        "<native> (libc.so)": 1,
    }
    assert exclusive[0] == ("commit (db.py)", 3) and dict(exclusive)["main (app.py)"] == 2


def test_the_postgres_figure_shows_how_busy_the_machine_was() -> None:
    busy_before = machine_ticks()
    sum(range(200_000))  # some CPU between the two readings
    fraction = busy_fraction(busy_before, machine_ticks())
    assert fraction is None or 0 <= fraction <= 1
    figure = Figure(
        "PostgreSQL fetch, 2 workers / 1 worker", 1.4, "ratio", ">= 1.5", False,
        {"machine_busy": {"1w": 0.61, "2w": 0.975}},
    )  # fmt: skip
    meta = {
        "commit": "abc1234", "date": "today", "command": "make bench", "scale": "tiny",
        "people": 1, "records": 1, "audit_entries": 1, "server": "granian", "machine": "2 cores",
        "rounds": 1, "seconds": 1,
    }  # fmt: skip
    assert "| 1.400 (machine CPU busy: 1 worker 61%, 2 workers 98%) | >= 1.5 | **no** |" in (
        markdown([figure], meta)
    )
