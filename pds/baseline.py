"""`GET /api/v1/bench/baseline`: the bare JSON endpoint `make bench` divides every figure by.

Served only with `PDS_BENCH_BASELINE=1`, never in a normal run. It sits under `/api/` so the same
middleware runs as for the NGO API (request id, access log, metrics, rate limits; CSRF skipped),
and returns a small dict on the event loop, so a ratio to it isolates what a scenario adds.
"""

from __future__ import annotations

from litestar import get


@get("/api/v1/bench/baseline", include_in_schema=False, sync_to_thread=False)
def bench_baseline() -> dict[str, str]:
    return {"status": "ok"}
