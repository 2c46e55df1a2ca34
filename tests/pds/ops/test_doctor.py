"""`pds doctor` finds what is wrong and says how to fix it."""

from __future__ import annotations

from typing import Any

from click.testing import CliRunner
from sqlalchemy import text

from pds.cli import main
from pds.settings import Settings
from tests.conftest import cli_env, sign_up
from tests.pds.ops.schema import schema_version


def _doctor(settings: Settings, public_url: str | None = None) -> Any:
    env = cli_env(settings, PDS_PUBLIC_URL=public_url or settings.public_url)
    return CliRunner().invoke(main, ["doctor"], env=env)


def test_doctor_passes_on_a_healthy_service(settings: Settings, services: Any) -> None:
    result = _doctor(settings)
    assert result.exit_code == 0, result.output
    assert "FAIL" not in result.output
    assert "[ok  ] migrations" in result.output


def test_doctor_detects_a_wrong_key_file_permission(settings: Settings, services: Any) -> None:
    settings.resolved_keyring_file.chmod(0o640)
    result = _doctor(settings)
    settings.resolved_keyring_file.chmod(0o600)
    assert result.exit_code == 1
    assert "readable by others" in result.output
    assert f"chmod 600 {settings.resolved_keyring_file}" in result.output


def test_doctor_detects_a_pending_migration(settings: Settings, services: Any) -> None:
    with schema_version(services.db, None):  # as if never migrated
        result = _doctor(settings)
    assert result.exit_code == 1
    assert "[FAIL] migrations" in result.output
    assert "run `pds migrate`" in result.output


def test_doctor_detects_an_unreachable_database(settings: Settings) -> None:
    broken = settings.model_copy(
        update={"database_url": "postgresql+psycopg://nobody@127.0.0.1:1/none"}
    )
    result = _doctor(broken)
    assert result.exit_code == 1
    assert "[FAIL] database: cannot connect" in result.output


def test_doctor_checks_the_audit_log_against_its_latest_checkpoint(
    client: Any, settings: Settings, services: Any
) -> None:
    sign_up(client)
    client.post(
        "/api/v1/me/records", json={"type": "contact.phone", "value": {"number": "+919876543210"}}
    )
    services.audit.auditor.publish_checkpoint()
    assert "[ok  ] audit" in _doctor(settings).output
    with services.db.write() as conn:
        conn.execute(text("UPDATE audit_entries SET action = 'record.read' WHERE seq = 2"))
    result = _doctor(settings)
    assert result.exit_code == 1, result.output
    assert "[FAIL] audit" in result.output


def test_doctor_names_a_public_url_of_another_log_as_the_cause(
    client: Any, settings: Settings, services: Any
) -> None:
    """Found in audit: from a shell without the server's PDS_PUBLIC_URL, doctor hinted at
    tampering (the log's checkpoints were then signed under two origins)."""
    sign_up(client)
    services.audit.auditor.publish_checkpoint()
    result = _doctor(settings, public_url="http://127.0.0.1:8000")
    assert result.exit_code == 1
    assert (
        "[FAIL] audit: PDS_PUBLIC_URL names the audit log 127.0.0.1:8000/audit, but its "
        "checkpoints are signed as testserver.local/audit"
    ) in result.output
    assert "set PDS_PUBLIC_URL to the server's public URL" in result.output
    assert "compare with a backup" not in result.output
    # A log forked before the fix (a checkpoint stored under another origin): the cause is named.
    with services.db.write() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_checkpoints (tree_size, root, created_at, note, key_name, "
                "public_key, frontier) SELECT tree_size + 1, root, created_at, note, "
                "'127.0.0.1:8000/audit', public_key, frontier FROM audit_checkpoints"
            )
        )
    forked = _doctor(settings).output
    assert "checkpoints are signed under 2 origins" in forked
    assert "a process with another PDS_PUBLIC_URL signed checkpoints" in forked
    assert "delete the checkpoints signed as 127.0.0.1:8000/audit" in forked
