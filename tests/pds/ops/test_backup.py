"""`pds backup` / `pds restore` on both engines: data comes back; erased people stay unreadable."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pds.cli import main
from pds.settings import Settings
from tests.conftest import PASSWORD, cli_env, sign_up

PHONE = {"type": "contact.phone", "value": {"number": "+919876543210"}}


def _cli(settings: Settings, *args: str) -> Any:
    env = cli_env(settings)
    return CliRunner().invoke(main, list(args), env=env)


def test_backup_then_restore_brings_the_data_back(
    client: Any, new_client: Any, settings: Settings, services: Any, tmp_path: Path
) -> None:
    sign_up(client)
    kept = client.post("/api/v1/me/records", json=PHONE).json()
    leaver = new_client()
    sign_up(leaver, "leaver@example.org")
    leaver.post("/api/v1/me/records", json=PHONE)
    assert leaver.request("DELETE", "/api/v1/me", json={"password": PASSWORD}).status_code == 204

    target = tmp_path / "backups" / "pds.backup"
    result = _cli(settings, "backup", str(target))
    assert result.exit_code == 0, result.output
    assert target.exists() and target.with_name("pds.backup.manifest.json").exists()

    client.delete(f"/api/v1/me/records/{kept['id']}")  # a change after the backup
    assert client.get("/api/v1/me/records").json()["items"] == []

    refused = _cli(settings, "restore", str(target))
    assert refused.exit_code != 0 and "--yes" in refused.output
    restored = _cli(settings, "restore", str(target), "--yes")
    assert restored.exit_code == 0, restored.output

    again = new_client()
    again.post("/api/v1/signin", json={"email": "asha@example.org", "password": PASSWORD})
    items = again.get("/api/v1/me/records").json()["items"]
    assert [item["id"] for item in items] == [kept["id"]]
    gone = new_client().post(
        "/api/v1/signin", json={"email": "leaver@example.org", "password": PASSWORD}
    )
    assert gone.status_code == 401


def test_restore_of_a_missing_backup_is_a_clear_error(settings: Settings, tmp_path: Path) -> None:
    result = _cli(settings, "restore", str(tmp_path / "none.backup"), "--yes")
    assert result.exit_code != 0
    assert "no backup at" in result.output


def test_someone_erased_after_the_backup_stays_unreadable_after_restore(
    client: Any, settings: Settings, services: Any, tmp_path: Path
) -> None:
    sign_up(client)
    client.post("/api/v1/me/records", json=PHONE)
    target = tmp_path / "pds.backup"
    assert _cli(settings, "backup", str(target)).exit_code == 0
    assert client.request("DELETE", "/api/v1/me", json={"password": PASSWORD}).status_code == 204
    assert _cli(settings, "restore", str(target), "--yes").exit_code == 0

    # The rows are back, but the key that wrapped their data key was destroyed by the erasure.
    client.post("/api/v1/signin", json={"email": "asha@example.org", "password": PASSWORD})
    response = client.get("/api/v1/me/records")
    assert response.status_code == 410
    assert response.json()["type"].endswith("/account-erased")
    assert "+919876543210" not in response.text


@pytest.mark.parametrize("engine_name", ["sqlite"], indirect=True)
def test_restore_checks_the_audit_root_signed_at_backup_time(
    client: Any, settings: Settings, services: Any, tmp_path: Path
) -> None:
    sign_up(client)
    client.post("/api/v1/me/records", json=PHONE)
    target = tmp_path / "pds.backup"
    assert _cli(settings, "backup", str(target)).exit_code == 0
    manifest = json.loads(target.with_name("pds.backup.manifest.json").read_text())
    assert manifest["audit_checkpoint"]["tree_size"] >= 2
    assert _cli(settings, "restore", str(target), "--yes").exit_code == 0  # the root matches

    tampered = sqlite3.connect(target)  # someone edits the backup's log
    tampered.execute("UPDATE audit_entries SET leaf_hash = zeroblob(32) WHERE seq = 1")
    tampered.execute("DELETE FROM audit_nodes")
    tampered.commit()
    tampered.close()
    refused = _cli(settings, "restore", str(target), "--yes")
    assert refused.exit_code != 0
    assert "does not match the checkpoint taken at backup" in refused.output
