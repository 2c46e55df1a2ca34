"""SIGKILL during writes, repeatedly: acknowledged writes survive, each with its audit entry,
the database passes its integrity check and the audit log verifies."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_make_run import free_port, wait_ready

pytestmark = pytest.mark.e2e
PDS = str(Path(sys.executable).parent / "pds")
PASSWORD = "correct horse battery staple"
ROUNDS = 3


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PDS_")}
    env.update({"PDS_DATA_DIR": str(data_dir), "PDS_RATE_LIMIT_RECORD_WRITES_PER_MINUTE": "0"})
    return env


def _serve(env: dict[str, str], port: int) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [PDS, "serve", "--port", str(port)], env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    wait_ready(f"http://127.0.0.1:{port}", process)
    return process


def _write_until_killed(base: str, cookies: httpx.Cookies, acknowledged: list[str]) -> None:
    """Create records one after another; remember those the server acknowledged."""
    with httpx.Client(base_url=base, cookies=cookies, timeout=5) as http:
        index = 0
        while True:
            index += 1
            try:
                response = http.post(
                    "/api/v1/me/records",
                    json={
                        "type": "health.conditions",
                        "value": {"name": f"c{index}", "status": "active"},
                    },
                )
            except httpx.TransportError:
                return
            if response.status_code == 201:
                acknowledged.append(response.json()["id"])


def test_sigkill_during_writes_loses_nothing_acknowledged(tmp_path: Path) -> None:
    env = _env(tmp_path / "data")
    for command in (["keys", "init", "--dev"], ["migrate"]):
        subprocess.run([PDS, *command], env=env, check=True, capture_output=True)
    acknowledged: list[str] = []
    cookies = httpx.Cookies()
    rng = random.Random(7)
    for round_number in range(ROUNDS):
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        process = _serve(env, port)
        if round_number == 0:
            signup = httpx.post(
                f"{base}/api/v1/signup", json={"email": "crash@example.org", "password": PASSWORD}
            )
            assert signup.status_code == 201
            cookies = signup.cookies
        writer = threading.Thread(target=_write_until_killed, args=(base, cookies, acknowledged))
        writer.start()
        time.sleep(rng.uniform(0.4, 1.2))
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        writer.join(timeout=10)
    assert len(acknowledged) > ROUNDS  # writes were really in flight when the server died

    port = free_port()
    process = _serve(env, port)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", cookies=cookies) as http:
            stored = {item["id"] for item in http.get("/api/v1/me/records").json()["items"]}
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    assert set(acknowledged) <= stored

    database = sqlite3.connect(tmp_path / "data" / "pds.db")
    try:
        assert database.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        (records,) = database.execute("SELECT count(*) FROM records").fetchone()
        (entries,) = database.execute(
            "SELECT count(*) FROM audit_entries"
            " WHERE action = 'record.create' AND outcome = 'allowed'"
        ).fetchone()
    finally:
        database.close()
    assert records == entries == len(stored)  # no write without its audit entry, and no ghost

    export = tmp_path / "audit.ndjson"
    subprocess.run([PDS, "audit", "export", str(export)], env=env, check=True, capture_output=True)
    verified = subprocess.run(
        [PDS, "audit", "verify", str(export)], env=env, capture_output=True, text=True
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
