"""`python -m bench.run [--scale full|quick]`: load, serve, measure, write bench/results/.

What `make bench` runs. SQLite first (one worker: the fetch, its latency at half rate, flat
growth, refresh, revocation, audit), then PostgreSQL (one worker vs two), then the report.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench import audit, scenarios
from bench.config import SCALES, Scale
from bench.dataset import PeopleLoader, load_people
from bench.postgres import PostgresCluster
from bench.report import commit, machine, now, write
from bench.scenarios import Figure
from bench.server import Server, server_version
from bench.workspace import Workspace, consent, prepare_keys

HERE = Path(__file__).resolve().parent
_START = time.monotonic()


def say(message: str) -> None:
    print(f"[bench {time.monotonic() - _START:6.0f}s] {message}", file=sys.stderr, flush=True)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL phase")
    parser.add_argument("--pg-port", type=int, default=54339)
    parser.add_argument("--port", type=int, default=18081, help="first of four ports")
    parser.add_argument("--data", type=Path, default=HERE / ".data")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    return parser.parse_args(argv)


def sqlite_phase(
    scale: Scale, large: Workspace, small: Workspace, port: int, root: Path
) -> tuple[list[Figure], list[float]]:
    figures: list[Figure] = []
    with (
        Server(large.env, port, log=root / "server-large.log") as big,
        Server(small.env, port + 1, log=root / "server-small.log") as little,
    ):
        say("SQLite: fetch vs bare JSON, and large vs small database")
        large_in = scenarios.fetch_input(large, root / "fetch-large.txt")
        small_in = scenarios.fetch_input(small, root / "fetch-small.txt")
        ratio, growth, max_rps = scenarios.throughput(scale, big, little, large_in, small_in)
        figures += [ratio, growth]
        say(f"  fetch/baseline {ratio.value:.3f}, growth {growth.value:.3f}")
        say("SQLite: p99 at half the fetch's max rate")
        figures.append(scenarios.latency_at_half_rate(scale, big, large_in, max_rps))
        say("SQLite: refresh-token grant")
        figures.append(scenarios.refresh(scale, big, large, root / "refresh.txt"))
        say("SQLite: revocation under load")
        figures.append(scenarios.revocation(big, large))
        peaks = big.peak_rss_mb() + little.peak_rss_mb()
    return figures, peaks


def postgres_phase(
    scale: Scale, ws: Workspace, port: int, root: Path
) -> tuple[Figure, list[float]]:
    with (
        Server(ws.env, port + 2, workers=1, log=root / "server-pg1.log") as one,
        Server(ws.env, port + 3, workers=2, log=root / "server-pg2.log") as two,
    ):
        say("PostgreSQL: fetch with one worker vs two")
        figure = scenarios.postgres_workers(scale, one, two, scenarios.fetch_input(ws, root / "f"))
        return figure, one.peak_rss_mb() + two.peak_rss_mb()


def fetch_rps(figures: list[Figure]) -> float:
    return float(figures[0].detail["fetch_large"]["median_rps"])


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    scale = SCALES[args.scale]
    root = (args.data / scale.name).resolve()
    material = prepare_keys(root)
    loader = PeopleLoader(material.keyring, material.index_key, scale.records_per_person)
    figures: list[Figure] = []
    notes: list[str] = []
    with ExitStack() as stack:
        pg = None if args.no_postgres else stack.enter_context(PostgresCluster(args.pg_port))
        large = Workspace("sqlite-large", root, f"sqlite:///{root / 'large.db'}")
        small = Workspace("sqlite-small", root, f"sqlite:///{root / 'small.db'}")
        targets = [large] if pg is None else [large, Workspace("postgres", root, pg.url)]
        for ws in (*targets, small):
            stack.callback(ws.close)
        say(f"loading {scale.people:,} people / {scale.records:,} records into {len(targets)} DBs")
        sample = scale.fetch_people + scale.refresh_grants + 1
        loaded = load_people([ws.db for ws in targets], loader, count=scale.people, sample=sample)
        small_fetch = min(scale.fetch_people, scale.small_people - 2)
        small_loaded = load_people(
            [small.db], loader, count=scale.small_people, sample=small_fetch + 2
        )
        say(f"loading {scale.audit_entries:,} audit entries")
        # The small database gets the same audit log, so flat growth compares what the issue
        # names, the number of records, not also an empty log against a full one.
        audit_state = audit.prepare([*targets, small], scale.audit_entries, loaded)
        notes += audit_state.notes
        say("approving grants through the service")
        for ws in targets:
            consent(
                ws, loaded, fetch_people=scale.fetch_people, refresh_grants=scale.refresh_grants
            )
        consent(small, small_loaded, fetch_people=small_fetch, refresh_grants=1)
        say("settling: VACUUM (ANALYZE) and CHECKPOINT on PostgreSQL, WAL into SQLite's files")
        for ws in (*targets, small):
            ws.settle()
        os.sync()  # the gigabytes just loaded reach the disk now, not during a measurement
        say("loaded")
        sqlite_figures, peaks = sqlite_phase(scale, large, small, args.port, root)
        figures += sqlite_figures
        if audit_state.available:
            say("audit: verify and append cost")
        figures += audit.figures(audit_state, large, root, fetch_rps(sqlite_figures))
        if pg is not None:
            pg_figure, pg_peaks = postgres_phase(scale, targets[1], args.port, root)
            figures.append(pg_figure)
            peaks += pg_peaks
        else:
            notes.append("PostgreSQL phase skipped (--no-postgres).")
        figures.append(scenarios.memory(peaks))
    meta: dict[str, Any] = {
        "commit": commit(),
        "date": now(),
        "command": "make bench" if scale.name == "full" else f"make bench-{scale.name}",
        "scale": scale.name,
        "people": scale.people,
        "records": scale.records,
        "audit_entries": audit_state.entries,
        "server": f"{server_version()}, 1 worker unless stated",
        "machine": machine(),
        "rounds": scale.rounds,
        "seconds": scale.seconds,
        "connections": scale.connections,
        "elapsed_s": round(time.monotonic() - _START),
        # Other processes on the machine: req/s ratios are only comparable when this is low.
        "load_average": [round(value, 1) for value in os.getloadavg()],
        "notes": notes,
    }
    table = write(figures, meta, args.out)
    print(table.read_text())
    say(f"wrote {table} and its .json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
