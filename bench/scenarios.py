"""The measured scenarios. Every figure is a ratio of medians of runs alternated in the same run.

Alternating (A B A B A B) rather than A A A B B B means a slow patch of the shared 2-core machine
(another process, a checkpoint) hurts both sides of a ratio alike.
"""

from __future__ import annotations

import base64
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.config import Scale
from bench.grants import issue_tokens
from bench.revocation import RevocationResult, revocation_under_load
from bench.server import Server
from bench.workspace import Workspace
from bench.wrk import WrkResult, run_wrk
from pds.people.auth import session_cookie_name


@dataclass
class Figure:
    """One line of the results table."""

    scenario: str
    value: float
    unit: str  # "ratio", "s", "MB", "requests"
    target: str
    met: bool
    detail: dict[str, Any] = field(default_factory=dict)


Run = Callable[[], WrkResult]


def alternate(runs: dict[str, Run], rounds: int) -> dict[str, list[WrkResult]]:
    results: dict[str, list[WrkResult]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            results[name].append(run())
    return results


def median_rps(results: Sequence[WrkResult]) -> float:
    return statistics.median(result.rps for result in results)


def median_cpu(results: Sequence[WrkResult]) -> float | None:
    values = [result.cpu_us for result in results if result.cpu_us is not None]
    return statistics.median(values) if values else None


def cpu_ratio(base: Sequence[WrkResult], other: Sequence[WrkResult]) -> float | None:
    """Baseline CPU per request / the scenario's: the req/s ratio an idle machine would show."""
    b, o = median_cpu(base), median_cpu(other)
    return round(b / o, 3) if b and o else None


def summary(results: Sequence[WrkResult]) -> dict[str, Any]:
    cpu = median_cpu(results)
    busy = [result.machine_busy for result in results if result.machine_busy is not None]
    return {
        "median_rps": round(median_rps(results), 1),
        "median_cpu_us": None if cpu is None else round(cpu, 1),
        "median_machine_busy": round(statistics.median(busy), 3) if busy else None,
        "runs": [result.as_dict() for result in results],
        "errors": sum(result.errors for result in results),
    }


def fetch_input(ws: Workspace, path: Path) -> Path:
    """Fresh tokens for the sampled grants, one "token record_id" line each."""
    assert ws.client is not None and ws.loaded is not None
    records = {person.person_id: person.record_id for person in ws.loaded.sample}
    pairs = issue_tokens(ws.db, ws.client, ws.fetch_grants)
    path.write_text("".join(f"{p.access_token} {records[p.grant.person_id]}\n" for p in pairs))
    return path


def refresh_input(ws: Workspace, scale: Scale, path: Path) -> tuple[Path, str]:
    """A pool of refresh tokens large enough that none is presented twice."""
    assert ws.client is not None
    pairs = issue_tokens(ws.db, ws.client, ws.refresh_grants, scale.refresh_tokens_per_grant)
    path.write_text("".join(f"{pair.refresh_token}\n" for pair in pairs))
    credentials = f"{ws.client.client_id}:{ws.client.client_secret}".encode()
    return path, "Basic " + base64.b64encode(credentials).decode()


def throughput(
    scale: Scale, large: Server, small: Server, large_input: Path, small_input: Path
) -> tuple[Figure, Figure, float]:
    """Fetch vs bare JSON on the large database, and large vs small database (flat growth)."""

    def fetch(server: Server, path: Path) -> Run:
        return lambda: run_wrk(
            server.base_url,
            "fetch",
            seconds=scale.seconds,
            connections=scale.connections,
            input_file=path,
            pids=server.worker_pids(),
        )

    def baseline() -> WrkResult:
        return run_wrk(
            large.base_url,
            "baseline",
            seconds=scale.seconds,
            connections=scale.connections,
            pids=large.worker_pids(),
        )

    # Warm-up: first touches of each grant also write its coarse last_access_at.
    for server, path in ((large, large_input), (small, small_input)):
        run_wrk(server.base_url, "fetch", seconds=2, connections=4, input_file=path)
    results = alternate(
        {
            "baseline": baseline,
            "fetch_large": fetch(large, large_input),
            "fetch_small": fetch(small, small_input),
        },
        scale.rounds,
    )
    base, big, little = (median_rps(results[k]) for k in ("baseline", "fetch_large", "fetch_small"))
    detail: dict[str, Any] = {name: summary(runs) for name, runs in results.items()}
    ok = all(detail[name]["errors"] == 0 for name in detail)
    detail["cpu_ratio"] = cpu_ratio(results["baseline"], results["fetch_large"])
    ratio = Figure("fetch / bare JSON (SQLite, 1 worker)", big / base, "ratio", ">= 0.30",
                   ok and big / base >= 0.30, detail)  # fmt: skip
    growth = Figure(
        f"fetch with {scale.records:,} records / with {scale.small_records:,} (same audit log)",
        big / little,
        "ratio",
        ">= 0.90",
        ok and big / little >= 0.90,
        {
            "fetch_large_rps": round(big, 1),
            "fetch_small_rps": round(little, 1),
            # CPU per request on the small database / on the large one.
            "cpu_ratio": cpu_ratio(results["fetch_small"], results["fetch_large"]),
        },
    )
    return ratio, growth, big


def latency_at_half_rate(scale: Scale, server: Server, fetch_path: Path, max_rps: float) -> Figure:
    """p99 of the fetch and of bare JSON, both paced at half the fetch's maximum rate."""
    rate = max_rps / 2
    delay_ms = scale.connections * 1000 / rate  # per connection, mean, between requests

    def paced(mode: str, path: Path | None) -> Run:
        return lambda: run_wrk(
            server.base_url,
            mode,
            seconds=max(scale.seconds, 5),
            connections=scale.connections,
            input_file=path,
            delay_ms=delay_ms,
        )

    results = alternate(
        {"baseline": paced("baseline", None), "fetch": paced("fetch", fetch_path)}, scale.rounds
    )
    p99 = {name: statistics.median(r.p99_ms for r in runs) for name, runs in results.items()}
    ratio = p99["fetch"] / p99["baseline"]
    detail: dict[str, Any] = {
        "target_rps": round(rate, 1),
        "p99_ms": {name: round(value, 3) for name, value in p99.items()},
        **{name: summary(runs) for name, runs in results.items()},
    }
    ok = detail["fetch"]["errors"] == 0
    return Figure("p99 fetch / p99 bare JSON at half the fetch's max rate", ratio, "ratio",
                  "<= 3", ok and ratio <= 3, detail)  # fmt: skip


def refresh(scale: Scale, server: Server, ws: Workspace, path: Path) -> Figure:
    tokens, basic = refresh_input(ws, scale, path)

    def run_refresh() -> WrkResult:
        return run_wrk(
            server.base_url,
            "refresh",
            seconds=scale.seconds,
            connections=scale.connections,
            input_file=tokens,
            basic=basic,
            pids=server.worker_pids(),
        )

    def baseline() -> WrkResult:
        return run_wrk(
            server.base_url,
            "baseline",
            seconds=scale.seconds,
            connections=scale.connections,
            pids=server.worker_pids(),
        )

    # Each run reads the pool from its start: give every run its own slice of tokens.
    lines = tokens.read_text().splitlines()
    per_run = len(lines) // scale.rounds
    slices = [lines[i * per_run : (i + 1) * per_run] for i in range(scale.rounds)]
    queue = list(slices)

    def next_slice() -> WrkResult:
        tokens.write_text("\n".join(queue.pop(0)) + "\n")
        return run_refresh()

    results = alternate({"baseline": baseline, "refresh": next_slice}, scale.rounds)
    ratio = median_rps(results["refresh"]) / median_rps(results["baseline"])
    detail: dict[str, Any] = {name: summary(runs) for name, runs in results.items()}
    detail["tokens_per_run"] = per_run
    detail["cpu_ratio"] = cpu_ratio(results["baseline"], results["refresh"])
    ok = detail["refresh"]["errors"] == 0
    return Figure("refresh-token grant / bare JSON (SQLite, 1 worker)", ratio, "ratio", ">= 0.10",
                  ok and ratio >= 0.10, detail)  # fmt: skip


def revocation(server: Server, ws: Workspace) -> Figure:
    assert ws.revoke_grant is not None and ws.loaded is not None and ws.client is not None
    services = ws.start_services()
    grant = ws.revoke_grant
    record = next(p.record_id for p in ws.loaded.sample if p.person_id == grant.person_id)
    token = issue_tokens(ws.db, ws.client, [grant])[0].access_token
    session = services.people.open_session(grant.person_id)
    cookie = f"{session_cookie_name(services.settings.secure_cookies)}={session}"
    result: RevocationResult = revocation_under_load(
        server.port, token=token, record_id=record, grant_id=grant.grant_id, cookie=cookie
    )
    ok = result.revoke_status < 300 and result.sent_after >= 1000 and result.served_before > 0
    return Figure(
        "requests accepted after the revoke answered",
        result.accepted_after,
        "requests",
        f"0 of >= 1,000 (sent: {result.sent_after:,})",
        ok and result.accepted_after == 0,
        result.as_dict(),
    )


def memory(peaks: Sequence[float]) -> Figure:
    return Figure("peak RSS per worker under load", max(peaks), "MB", "<= 300",
                  max(peaks) <= 300, {"workers_mb": [round(mb, 1) for mb in peaks]})  # fmt: skip


def postgres_workers(scale: Scale, one: Server, two: Server, fetch_path: Path) -> Figure:
    """The same fetch on PostgreSQL with one worker and with two (alternated), each at its
    maximum rate (`Scale.saturating_connections`)."""
    connections = scale.saturating_connections

    def run(server: Server, mode: str) -> Run:
        path = fetch_path if mode == "fetch" else None
        return lambda: run_wrk(
            server.base_url,
            mode,
            seconds=scale.seconds,
            connections=connections,
            input_file=path,
            pids=server.worker_pids(),
        )

    for server in (one, two):
        run_wrk(server.base_url, "fetch", seconds=2, connections=4, input_file=fetch_path)
    results = alternate(
        {
            "baseline_1w": run(one, "baseline"),
            "fetch_1w": run(one, "fetch"),
            "baseline_2w": run(two, "baseline"),
            "fetch_2w": run(two, "fetch"),
        },
        scale.rounds,
    )
    rps = {name: median_rps(runs) for name, runs in results.items()}
    ratio = rps["fetch_2w"] / rps["fetch_1w"]
    detail: dict[str, Any] = {name: summary(runs) for name, runs in results.items()}
    detail["connections"] = connections
    detail["fetch_over_baseline"] = {
        "1w": round(rps["fetch_1w"] / rps["baseline_1w"], 3),
        "2w": round(rps["fetch_2w"] / rps["baseline_2w"], 3),
    }
    # Both cores serve wrk, PostgreSQL and the workers: how much of the machine each side used.
    detail["machine_busy"] = {
        "1w": detail["fetch_1w"]["median_machine_busy"],
        "2w": detail["fetch_2w"]["median_machine_busy"],
    }
    ok = detail["fetch_1w"]["errors"] == 0 and detail["fetch_2w"]["errors"] == 0
    return Figure("PostgreSQL fetch, 2 workers / 1 worker", ratio, "ratio", ">= 1.5",
                  ok and ratio >= 1.5, detail)  # fmt: skip
