"""`pds doctor`: check configuration, keys, database, migrations and audit, and say what to fix."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from dataclasses import dataclass

from pydantic import ValidationError

from pds.audit.health import checkpoint_origins, verify_latest_checkpoint
from pds.audit.wiring import log_origin
from pds.db import Database
from pds.keystore import (
    FileKeyProvider,
    KeyConfigurationError,
    KeyMaterial,
    KeyStore,
    key_provider_for,
)
from pds.migrate import current_revision, head_revision
from pds.people.datakeys import count_by_kek
from pds.settings import Settings, load_settings


@dataclass(frozen=True)
class Finding:
    check: str
    ok: bool
    message: str
    fix: str = ""


def run_doctor(environ: dict[str, str] | None = None) -> list[Finding]:
    """Every finding, in the order an operator should fix them."""
    try:
        settings = load_settings(environ)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors())
        return [
            Finding(
                "configuration",
                False,
                f"invalid settings: {fields}",
                "fix the PDS_* variables named",
            )
        ]
    findings = list(_configuration(settings))
    material = None
    try:
        material = KeyStore(
            key_provider_for(settings.keyring_json, settings.resolved_keyring_file)
        ).material
        findings.append(Finding("keys", True, repr(material)))
    except KeyConfigurationError as exc:
        findings.append(Finding("keys", False, str(exc), _key_fix(settings)))
    if material is not None and settings.is_production and material.development:
        findings.append(
            Finding(
                "keys",
                False,
                "development keys in production",
                "run `pds keys init` on a safe machine and install the result",
            )
        )
    db = Database(settings.resolved_database_url)
    try:
        findings.extend(_database(db, material))
        if all(f.ok for f in findings if f.check in ("database", "migrations")):
            findings.append(_audit(db, log_origin(settings.public_url)))
    finally:
        db.dispose()
    return findings


def _audit(db: Database, configured: str) -> Finding:
    try:
        origins = checkpoint_origins(db)
        ok, message = verify_latest_checkpoint(db)
    except Exception as exc:  # a log too damaged to even export is a finding, not a crash
        return Finding(
            "audit",
            False,
            f"cannot rebuild the log ({type(exc).__name__})",
            "stop writes, keep a copy of the database, compare with a backup",
        )
    if len(origins) > 1:
        return _forked(origins, configured, message)
    if origins and origins[0][0] != configured:
        return Finding(
            "audit",
            False,
            f"PDS_PUBLIC_URL names the audit log {configured}, but its checkpoints are signed as "
            f"{origins[0][0]}",
            "set PDS_PUBLIC_URL to the server's public URL (here and in cron): the server, "
            "`pds audit checkpoint` and `pds audit key` refuse to sign until it names this log",
        )
    fix = "" if ok else "stop writes, keep a copy of the database, compare with a backup"
    return Finding("audit", ok, message, fix)


def _forked(origins: list[tuple[str, int, int]], configured: str, verified: str) -> Finding:
    """Checkpoints under several origins: a process with another PDS_PUBLIC_URL signed some."""
    signed = "; ".join(f"{name} at sizes {first}..{last}" for name, first, last in origins)
    strays = [name for name, _, _ in origins if name != origins[0][0]]
    return Finding(
        "audit",
        False,
        f"checkpoints are signed under {len(origins)} origins ({signed}), so exports fail "
        f"verification ({verified}); this process names the log {configured}",
        f"a process with another PDS_PUBLIC_URL signed checkpoints (e.g. `pds audit checkpoint` "
        f"from cron), which alone is not tampering: set PDS_PUBLIC_URL to the server's "
        f"everywhere; keep a copy of the database, then delete the checkpoints signed as "
        f"{', '.join(strays)} (audit_checkpoints.key_name) so that exports verify again",
    )


def _configuration(settings: Settings) -> Iterator[Finding]:
    yield Finding(
        "configuration",
        True,
        f"environment={settings.environment.value}, public_url={settings.public_url}",
    )
    if settings.is_production and not settings.public_url.startswith("https://"):
        yield Finding(
            "configuration",
            False,
            "production without https public URL",
            "set PDS_PUBLIC_URL=https://…",
        )
    if settings.keyring_json is None and settings.resolved_keyring_file.exists():
        mode = stat.S_IMODE(settings.resolved_keyring_file.stat().st_mode)
        if mode & 0o077:
            yield Finding(
                "keys",
                False,
                f"key file mode is {mode:o}: readable by others",
                f"chmod 600 {settings.resolved_keyring_file}",
            )


def _key_fix(settings: Settings) -> str:
    if (
        settings.keyring_json is None
        and not FileKeyProvider(settings.resolved_keyring_file).exists()
    ):
        return "run `pds keys init` (development: `pds keys init --dev`)"
    return f"chmod 600 {settings.resolved_keyring_file}; check its contents"


def _database(db: Database, material: KeyMaterial | None) -> Iterator[Finding]:
    try:
        current = current_revision(db)
    except Exception as exc:  # unreachable, bad credentials, missing driver…
        yield Finding(
            "database",
            False,
            f"cannot connect ({type(exc).__name__})",
            "check PDS_DATABASE_URL and that the server is up",
        )
        return
    yield Finding("database", True, f"connected ({db.engine.dialect.name})")
    head = head_revision()
    if current != head:
        yield Finding(
            "migrations", False, f"database at {current}, code expects {head}", "run `pds migrate`"
        )
        return
    yield Finding("migrations", True, f"at {head}")
    if material is None:
        return
    with db.read() as conn:
        usage = count_by_kek(conn)
    missing = sorted(set(usage) - set(material.keyring.ids))
    if missing:
        yield Finding(
            "keys",
            False,
            f"data keys wrapped by KEKs not in the key file: {missing}",
            "restore the key file from its backup",
        )
    retired = sorted(set(material.keyring.ids) - set(usage) - {material.keyring.active_id})
    if retired:
        yield Finding(
            "keys",
            True,
            f"retired KEKs no longer used: {retired} (may be removed with `pds keys remove-kek`)",
        )
