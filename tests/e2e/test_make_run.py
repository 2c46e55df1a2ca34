"""`make run` on a fresh data directory: keys, schema, demo, and a real server on loopback."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(base: str, process: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"server exited early:\n{process.stdout.read() if process.stdout else ''}"
            )
        try:
            if httpx.get(f"{base}/health/ready", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("server did not become ready")


@pytest.fixture
def make_run(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str], Path]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PDS_")}
    env.update({"PDS_DATA_DIR": str(tmp_path / "data"), "PDS_PORT": str(port)})
    process = subprocess.Popen(
        ["make", "--no-print-directory", "run"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, process)
        yield base, process, tmp_path / "data"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def test_make_run_serves_the_demo(make_run: tuple[str, subprocess.Popen[str], Path]) -> None:
    base, _process, data_dir = make_run
    keyring = data_dir / "keys" / "keyring.json"
    assert keyring.exists()
    assert oct(keyring.stat().st_mode & 0o777) == "0o600"
    assert json.loads(keyring.read_text())["development"] is True
    assert (data_dir / "pds.db").exists()
    credentials = json.loads((data_dir / "demo-credentials.json").read_text())
    assert credentials["client_id"].startswith("pds_") and credentials["client_secret"]

    with httpx.Client(base_url=base) as browser:
        assert browser.get("/health/live").json() == {"status": "ok"}
        signin = browser.post(
            "/api/v1/signin", json={"email": "demo@example.org", "password": "demo-password-2026"}
        )
        assert signin.status_code == 200, signin.text
        types = {item["type"] for item in browser.get("/api/v1/me/records").json()["items"]}
        assert {"identity.name", "contact.phone", "health.immunisations"} <= types
        page = browser.get("/")
        assert page.status_code == 200 and "My records" in page.text
        assert page.headers["content-security-policy"].startswith("default-src 'none'")


def test_demo_is_idempotent_and_production_refuses_dev_keys(
    make_run: tuple[str, subprocess.Popen[str], Path],
) -> None:
    _base, _process, data_dir = make_run
    pds = str(REPO / ".venv" / "bin" / "pds")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PDS_")}
    env["PDS_DATA_DIR"] = str(data_dir)
    first = json.loads((data_dir / "demo-credentials.json").read_text())
    again = subprocess.run([pds, "demo"], env=env, capture_output=True, text=True, check=True)
    assert json.loads(again.stdout)["organisation"]["client_id"] == first["client_id"]

    env["PDS_ENVIRONMENT"] = "production"
    refused = subprocess.run(
        [pds, "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode != 0
    assert re.search(r"refusing to start in production with development keys", refused.stderr)
