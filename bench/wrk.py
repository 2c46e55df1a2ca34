"""Bounded load with wrk (Debian's, a compiled generator) on loopback, one JSON summary per run."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).with_name("lua") / "load.lua"


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: int  # socket errors and non-2xx/3xx answers
    # The server's CPU time per request (user + system, all its workers): unlike req/s it hardly
    # moves when other processes compete for the cores.
    cpu_us: float | None = None
    # The whole machine's CPU in use during the run (all cores, all processes), 0-1: near 1, a
    # figure measures the cores, not the service.
    machine_busy: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class WrkFailed(RuntimeError):
    pass


def run_wrk(
    base_url: str,
    mode: str,
    *,
    seconds: float,
    connections: int,
    threads: int = 1,
    input_file: Path | None = None,
    delay_ms: float = 0.0,
    basic: str = "",
    pids: Sequence[int] = (),
) -> WrkResult:
    """One wrk run of `mode` (see lua/load.lua); the Lua script reports what wrk measured."""
    env = {
        **os.environ,
        "BENCH_MODE": mode,
        "BENCH_THREADS": str(threads),
        "BENCH_DELAY_MS": f"{delay_ms:.3f}",
        "BENCH_BASIC": basic,
    }
    if input_file is not None:
        env["BENCH_INPUT"] = str(input_file)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s"]
    cpu_before = _cpu_seconds(pids)
    machine_before = machine_ticks()
    completed = subprocess.run(
        [*command, "-s", str(SCRIPT), base_url],
        env=env,
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=False,
    )
    cpu = _cpu_seconds(pids) - cpu_before
    machine_busy = busy_fraction(machine_before, machine_ticks())
    marker = next(
        (line for line in completed.stdout.splitlines() if line.startswith("BENCHJSON ")), None
    )
    if completed.returncode != 0 or marker is None:
        raise WrkFailed(f"wrk failed ({completed.returncode}): {completed.stderr.strip()}")
    data = json.loads(marker.removeprefix("BENCHJSON "))
    latency = data["latency_us"]
    duration = data["duration_us"] / 1e6
    return WrkResult(
        requests=data["requests"],
        seconds=duration,
        rps=data["requests"] / duration,
        p50_ms=latency["p50"] / 1000,
        p90_ms=latency["p90"] / 1000,
        p99_ms=latency["p99"] / 1000,
        max_ms=latency["max"] / 1000,
        errors=sum(data["errors"].values()),
        cpu_us=cpu * 1e6 / data["requests"] if pids and data["requests"] else None,
        machine_busy=machine_busy,
    )


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pids: Sequence[int]) -> float:
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _TICK


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all cores since boot, from /proc/stat's first line."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    total = sum(fields[:8])  # user nice system idle iowait irq softirq steal (guest is in user)
    return total - idle, total


def busy_fraction(before: tuple[int, int], after: tuple[int, int]) -> float | None:
    total = after[1] - before[1]
    return round((after[0] - before[0]) / total, 3) if total > 0 else None
