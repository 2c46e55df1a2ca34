"""Operating the log: the checkpoint clock, `pds audit` commands, settings."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from litestar.testing import TestClient
from sqlalchemy import select

from consent.audit.checkpoints import OriginMismatch
from consent.audit.log import ActorType, AuditEvent
from consent.audit.models import audit_checkpoints
from consent.storage import utcnow
from pds.app import Services, build_services, create_app
from pds.audit.scheduler import AuditScheduler
from pds.audit.service import AuditorService
from pds.audit.wiring import AuditOriginMisconfigured
from pds.cli import main
from pds.settings import Settings, load_settings
from tests.conftest import cli_env, sign_up
from tests.pds.audit.support import log_rows


def test_a_checkpoint_at_least_every_t_seconds(client: Any, services: Services) -> None:
    now = [utcnow()]
    auditor = AuditorService(
        services.audit.trail, checkpoint_every_seconds=60, retention=None, clock=lambda: now[0]
    )
    assert auditor.checkpoint_if_due() is None  # an empty log needs no checkpoint
    sign_up(client)
    first = auditor.checkpoint_if_due()
    assert first is not None and first.tree_size == 1  # never signed before: due at once
    client.get("/api/v1/me/records")
    assert auditor.checkpoint_if_due() is None  # unsigned entries, but T has not passed
    now[0] += timedelta(seconds=61)
    second = auditor.checkpoint_if_due()
    assert second is not None and second.tree_size == 2
    now[0] += timedelta(seconds=600)
    assert auditor.checkpoint_if_due() is None  # nothing new: no new checkpoint


def test_the_scheduler_runs_its_jobs_until_stopped() -> None:
    ticks = threading.Event()
    calls: list[str] = []

    def checkpoint() -> None:
        calls.append("checkpoint")
        if len(calls) >= 3:
            ticks.set()

    def failing_prune() -> int:
        raise RuntimeError("database away for a moment")

    scheduler = AuditScheduler(checkpoint, failing_prune, interval=0.01)
    scheduler.start()
    assert ticks.wait(5)  # a failing job does not end the thread
    scheduler.stop()
    assert AuditScheduler(checkpoint, None, interval=0)._thread is None


def _cli(settings: Settings, *args: str, retention: str = "", public_url: str = "") -> Any:
    env = cli_env(
        settings,
        PDS_PUBLIC_URL=public_url or settings.public_url,
        PDS_AUDIT_RETENTION_DAYS=retention,
    )
    return CliRunner().invoke(main, list(args), env=env)


def test_cli_key_checkpoint_export_verify_prune(
    client: Any, settings: Settings, tmp_path: Path
) -> None:
    sign_up(client)
    key = _cli(settings, "audit", "key")
    assert key.exit_code == 0 and key.output.startswith("testserver.local/audit+")
    (tmp_path / "key").write_text(key.output)
    saved = _cli(settings, "audit", "checkpoint")
    assert saved.exit_code == 0 and saved.output.splitlines()[1] == "1"
    (tmp_path / "saved").write_text(saved.output)
    client.get("/api/v1/me/records")
    export = _cli(settings, "audit", "export", str(tmp_path / "log.ndjson"))
    assert export.exit_code == 0, export.output
    verify = _cli(
        settings,
        "audit",
        "verify",
        str(tmp_path / "log.ndjson"),
        "--key",
        str(tmp_path / "key"),
        "--checkpoint",
        str(tmp_path / "saved"),
        "--json",
    )
    assert verify.exit_code == 0, verify.output
    report = json.loads(verify.output)
    assert report["ok"] and report["entries"] == 2 and report["saved_checkpoint"].startswith("con")
    unkeyed = _cli(settings, "audit", "verify", str(tmp_path / "log.ndjson"))
    assert unkeyed.exit_code == 0 and "no --key given" in unkeyed.output
    (tmp_path / "blank").write_text("\n\n")  # found in review: read as "no --key given"
    blank = _cli(
        settings, "audit", "verify", str(tmp_path / "log.ndjson"), "--key", str(tmp_path / "blank")
    )
    assert blank.exit_code != 0 and "names no verifier key" in blank.output
    assert _cli(settings, "audit", "prune").exit_code != 0  # no retention configured
    pruned = _cli(settings, "audit", "prune", retention="30")
    assert pruned.exit_code == 0 and "pruned 0 entries" in pruned.output
    (tmp_path / "junk").write_text("not an export\n")
    junk = _cli(settings, "audit", "verify", str(tmp_path / "junk"))
    assert junk.exit_code == 1 and "FAILED" in junk.output


def test_settings_for_the_audit_log() -> None:
    settings = load_settings(
        {
            "PDS_AUDIT_CHECKPOINT_EVERY_ENTRIES": "500",
            "PDS_AUDIT_CHECKPOINT_EVERY_SECONDS": "30",
            "PDS_AUDIT_RETENTION_DAYS": "",
        }
    )
    assert settings.audit_checkpoint_every_entries == 500
    assert settings.audit_checkpoint_every_seconds == 30
    assert settings.audit_retention_days is None
    assert load_settings({"PDS_AUDIT_RETENTION_DAYS": "365"}).audit_retention_days == 365


def test_metrics_show_unsigned_entries(client: Any, services: Services) -> None:
    from pds.audit.metrics import audit_metrics

    sign_up(client)
    client.get("/api/v1/me/records")
    with services.db.read() as conn:
        gauges = {m.name: m.samples[0].value for m in audit_metrics(conn)}
    assert gauges == {"pds_audit_entries": 2, "pds_audit_unsigned_entries": 2}
    services.audit.auditor.publish_checkpoint()
    with services.db.read() as conn:
        gauges = {m.name: m.samples[0].value for m in audit_metrics(conn)}
    assert gauges["pds_audit_unsigned_entries"] == 0
    assert 0 <= gauges["pds_audit_checkpoint_age_seconds"] < 60


def test_invalid_settings_are_one_line_naming_the_variable(settings: Settings) -> None:
    """Found in review: `PDS_AUDIT_RETENTION_DAYS=0 pds audit prune` printed a traceback."""
    pruned = _cli(settings, "audit", "prune", retention="0")
    assert pruned.exit_code == 1
    assert pruned.output.strip() == (
        "Error: invalid settings: PDS_AUDIT_RETENTION_DAYS: "
        "Input should be greater than or equal to 1"
    )


def _checkpoints(services: Services) -> list[tuple[int, str]]:
    with services.db.read() as conn:
        rows = conn.execute(
            select(audit_checkpoints.c.tree_size, audit_checkpoints.c.key_name).order_by(
                audit_checkpoints.c.tree_size
            )
        )
        return [(int(size), str(name)) for size, name in rows]


MISMATCH = (
    "Error: the audit log's checkpoints are signed as testserver.local/audit, but this process "
    "would sign them as 127.0.0.1:8000/audit: refusing to sign a checkpoint of another log; "
    "set PDS_PUBLIC_URL to the server's public URL (the one that gives testserver.local/audit)"
)


def test_a_shell_without_the_servers_public_url_signs_nothing(
    client: Any, settings: Settings, services: Services, tmp_path: Path
) -> None:
    """Found in audit: cron's `pds audit checkpoint` without PDS_PUBLIC_URL stored a checkpoint
    under another origin, and every later export failed verification."""
    sign_up(client)
    assert _cli(settings, "audit", "checkpoint").exit_code == 0
    client.get("/api/v1/me/records")
    elsewhere = "http://127.0.0.1:8000"
    for command in (["checkpoint"], ["key"], ["export", str(tmp_path / "log.ndjson")]):
        refused = _cli(settings, "audit", *command, public_url=elsewhere)
        assert refused.exit_code == 1, command
        assert refused.output.strip() == MISMATCH, command
    assert _checkpoints(services) == [(1, "testserver.local/audit")]  # nothing stored
    assert not (tmp_path / "log.ndjson").exists()
    # The server's own origin still signs, and its export verifies.
    signed = _cli(settings, "audit", "checkpoint")
    assert signed.exit_code == 0 and signed.output.startswith("testserver.local/audit\n2\n")
    assert _cli(settings, "audit", "export", str(tmp_path / "log.ndjson")).exit_code == 0
    assert _cli(settings, "audit", "verify", str(tmp_path / "log.ndjson")).exit_code == 0


def test_nothing_signs_another_origins_checkpoint(
    client: Any, settings: Settings, services: Services
) -> None:
    """The server's own checkpointing (every N entries, every T seconds) refuses too."""
    sign_up(client)
    services.audit.auditor.publish_checkpoint()
    other = build_services(settings.model_copy(update={"public_url": "http://127.0.0.1:8000"}))
    try:
        later = utcnow() + timedelta(seconds=61)  # T has passed: a checkpoint is due
        auditor = AuditorService(
            other.audit.trail, checkpoint_every_seconds=60, retention=None, clock=lambda: later
        )
        client.get("/api/v1/me/records")
        with pytest.raises(OriginMismatch):
            auditor.checkpoint_if_due()
        with pytest.raises(OriginMismatch), other.db.write() as conn:
            for _ in range(other.audit.trail.log.checkpoint_every):  # reaches a multiple of N
                other.audit.trail.log.append(conn, AuditEvent("audit.prune", ActorType.SYSTEM))
    finally:
        other.db.dispose()
    assert _checkpoints(services) == [(1, "testserver.local/audit")]


def test_a_server_with_another_public_url_does_not_start(
    client: Any, settings: Settings, services: Services
) -> None:
    sign_up(client)
    services.audit.auditor.publish_checkpoint()
    elsewhere = settings.model_copy(update={"public_url": "http://127.0.0.1:8000"})
    other = build_services(elsewhere)
    try:
        with pytest.raises(ExceptionGroup) as caught, TestClient(create_app(elsewhere, other)):
            pass
        assert caught.group_contains(AuditOriginMisconfigured, match="set PDS_PUBLIC_URL")
    finally:
        other.db.dispose()
    served = _cli(settings, "serve", public_url="http://127.0.0.1:8000")
    assert served.exit_code == 1 and served.output.strip() == MISMATCH


def test_verify_names_an_error_answer_saved_in_place_of_an_export(
    settings: Settings, new_client: Any, tmp_path: Path
) -> None:
    """Found in audit: a saved 401 was reported as "the first line's format is None"."""
    answer = new_client().get("/api/v1/audit/export")  # nobody signed in
    assert answer.status_code == 401
    (tmp_path / "audit.ndjson").write_text(answer.text)
    result = _cli(settings, "audit", "verify", str(tmp_path / "audit.ndjson"))
    assert result.exit_code == 1
    assert "the file holds an error answer from the service (401 Unauthorized" in result.output
    assert "signed in as an auditor" in result.output
    assert "format is None" not in result.output


def test_an_account_an_operator_makes_is_logged_as_the_operators(
    settings: Settings, services: Services
) -> None:
    """Found in review: `pds user create --role auditor` left only a sign-up entry by the new
    account itself, so a privileged account made from the command line looked self-made."""
    made = CliRunner().invoke(
        main,
        ["user", "create", "--email", "aud@example.org", "--role", "auditor", "--password-stdin"],
        env=cli_env(settings),
        input="a long enough password\n",
    )
    assert made.exit_code == 0, made.output
    signup, created = log_rows(services)[-2:]
    assert (signup["action"], signup["actor_type"]) == ("account.signup", "auditor")
    assert (created["action"], created["actor_type"], created["actor_id"]) == (
        "admin.user.create.auditor",
        "admin",
        "cli",
    )
    assert created["subject"] == signup["subject"] and created["subject"].startswith("ps_")
    assert "aud@example.org" not in str(created)
