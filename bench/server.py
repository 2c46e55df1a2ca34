"""The service under test: `pds serve` (granian) as a subprocess on loopback, and its memory."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

PDS = Path(sys.executable).with_name("pds")
ASGI_SERVER = "granian"

# What every bench server runs with: production settings (JSON logs, secure cookies), the bare
# JSON baseline route, no per-address token rate limit (wrk is one address), and the background
# worker off (its cron-job form; see docs/deployment.md), so only requests run.
BENCH_ENV = {
    "PDS_ENVIRONMENT": "production",
    "PDS_BENCH_BASELINE": "1",
    "PDS_RATE_LIMIT_TOKEN_PER_MINUTE": "0",
    "PDS_BACKGROUND_WORKER": "false",
}


def server_version() -> str:
    from importlib.metadata import version

    return f"{ASGI_SERVER} {version(ASGI_SERVER)}"


class Server:
    """`pds serve --workers N` until closed; `worker_pids()` are its worker processes."""

    def __init__(
        self, env: Mapping[str, str], port: int, *, workers: int = 1, log: Path | None = None
    ) -> None:
        self.port = port
        self.workers = workers
        self.base_url = f"http://127.0.0.1:{port}"
        self._log = Path(log or os.devnull).open("ab")  # noqa: SIM115 (closed in close())
        command = [str(PDS), "serve", "--host", "127.0.0.1", "--port", str(port)]
        self.process = subprocess.Popen(
            [*command, "--workers", str(workers)],
            env={**os.environ, **BENCH_ENV, **env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        try:
            self._wait_ready()
        except BaseException:
            self.close()
            raise

    def _wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"pds serve exited with {self.process.returncode}")
            if _live(self.port) and len(self.worker_pids()) >= self.workers:
                return
            time.sleep(0.2)
        raise RuntimeError("pds serve did not become ready")

    def worker_pids(self) -> list[int]:
        """Granian's workers are the server process's children (the process itself if none)."""
        children = _children(self.process.pid)
        return children or [self.process.pid]

    def peak_rss_mb(self) -> list[float]:
        """Each worker's peak resident set size so far (VmHWM), in MB."""
        return [_vm_hwm_kb(pid) / 1024 for pid in self.worker_pids()]

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _live(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        connection.request("GET", "/health/live")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may contain spaces and parentheses: the ppid follows the last ')'.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def _vm_hwm_kb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return float(line.split()[1])
    return 0.0
