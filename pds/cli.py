"""The `pds` command line: serve, migrate, demo, keys, users, openapi."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from pydantic import ValidationError

from consent.audit.checkpoints import OriginMismatch
from pds.app import Services, build_services
from pds.audit.cli import audit_cli
from pds.audit.wiring import AuditOriginMisconfigured, check_log_origin
from pds.backup import BackupError, backup, restore
from pds.connections.cli import org
from pds.db import Database
from pds.demo import seed_demo
from pds.doctor import run_doctor
from pds.keystore import (
    FileKeyProvider,
    KeyConfigurationError,
    generate_key_material,
)
from pds.migrate import upgrade
from pds.openapi_document import openapi_document, render
from pds.people.datakeys import count_by_kek, remove_unused_keks, rotate_kek
from pds.people.service import EmailAlreadyRegistered, Role
from pds.receipts.cli import (
    grants_group,
    org_webhook,
    outbox,
    receipt,
    rotate_signing,
    write_receipt_schema,
)
from pds.settings import ENV_PREFIX, Settings, load_settings

DEV_KEY_WARNING = (
    "WARNING: generated DEVELOPMENT keys at {path}.\n"
    "They protect nothing in production and the service refuses them when "
    "PDS_ENVIRONMENT=production. See docs/operations.md for production keys."
)


def _settings() -> Settings:
    return load_settings()


def _services() -> Services:
    try:
        return build_services(_settings())
    except KeyConfigurationError as exc:
        raise click.ClickException(str(exc)) from None


class _Commands(click.Group):
    """Invalid PDS_* settings (or a PDS_PUBLIC_URL naming another audit log) end any command
    with one line naming them, not a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except AuditOriginMisconfigured as exc:
            raise click.ClickException(str(exc)) from None
        except OriginMismatch as exc:  # an append that reached a checkpoint, say
            raise click.ClickException(str(AuditOriginMisconfigured(exc))) from None
        except ValidationError as exc:
            if exc.title != Settings.__name__:
                raise
            named = "; ".join(
                f"{ENV_PREFIX}{'_'.join(str(part) for part in error['loc']).upper()}: "
                f"{error['msg']}"
                for error in exc.errors()
            )
            raise click.ClickException(f"invalid settings: {named}") from None


@click.group(cls=_Commands)
def main() -> None:
    """PDS: personal data store and consent service."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the application with granian (a production ASGI server)."""
    from granian import Granian
    from granian.constants import Interfaces

    # Fail fast, with a readable message, on bad keys or settings or another log's origin.
    check_log_origin(_services().audit)
    Granian(
        "pds.app:create_app_from_env",
        address=host,
        port=port,
        workers=workers,
        interface=Interfaces.ASGI,
        factory=True,
        log_access=False,
    ).serve()


@main.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    settings = _settings()
    db = Database(settings.resolved_database_url)
    try:
        upgrade(db)
    finally:
        db.dispose()
    click.echo("database is at the newest schema revision")


@main.command()
def demo() -> None:
    """Seed a demo person and a demo organisation (idempotent); print their credentials."""
    services = _services()
    try:
        click.echo(json.dumps(seed_demo(services), indent=2))
    finally:
        services.db.dispose()


@main.group()
def keys() -> None:
    """Key-encryption and signing keys."""


@keys.command("init")
@click.option("--dev", is_flag=True, help="mark the keys as development keys")
@click.option("--if-missing", is_flag=True, help="do nothing if the key file exists")
def keys_init(dev: bool, if_missing: bool) -> None:
    """Generate a new key file (KEK, signing key, lookup key)."""
    settings = _settings()
    provider = FileKeyProvider(settings.resolved_keyring_file)
    if provider.exists():
        if if_missing:
            return
        raise click.ClickException(f"{provider.path} exists; refusing to overwrite keys")
    provider.save(generate_key_material(development=dev))
    if dev:
        click.echo(DEV_KEY_WARNING.format(path=provider.path), err=True)
    else:
        click.echo(f"wrote {provider.path} (mode 600); back it up separately from the database")


@keys.command("rotate")
@click.option("--remove-old", is_flag=True, help="destroy the previous KEKs afterwards")
def keys_rotate(remove_old: bool) -> None:
    """Add a new key-encryption key and re-wrap every data key under it."""
    services = _services()
    new_id, count = rotate_kek(services.db, services.keys, remove_old=remove_old)
    # The rotation spans the key file and the database, so its entry follows it.
    services.audit.trail.operator_action("admin.keys.rotate")
    click.echo(f"active KEK is now {new_id}; re-wrapped {count} data keys")


@keys.command("remove-kek")
@click.argument("kek_id")
def keys_remove_kek(kek_id: str) -> None:
    """Destroy a retired key-encryption key (refused while any data key still uses it)."""
    services = _services()
    try:
        remove_unused_keks(services.db, services.keys, candidates={kek_id})
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    services.audit.trail.operator_action("admin.keys.remove")
    click.echo(f"removed {kek_id}")


@keys.command("status")
def keys_status() -> None:
    """Key ids in use (never the keys themselves)."""
    services = _services()
    with services.db.read() as conn:
        usage = count_by_kek(conn)
    material = services.keys.material
    click.echo(
        json.dumps(
            {
                "development": material.development,
                "active_kek": material.keyring.active_id,
                "keks": {kid: usage.get(kid, 0) for kid in sorted(material.keyring.ids)},
                "signing_keys": sorted(material.signing.kids),
                "active_signing_key": material.signing.active.kid,
            },
            indent=2,
        )
    )


@main.command("backup")
@click.argument("target", type=click.Path(path_type=Path))
def backup_command(target: Path) -> None:
    """Write a consistent backup of the database (not of the keys) and its manifest."""
    services = _services()
    try:
        manifest = backup(services.db, target, services.backup_facts)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(manifest, indent=2))


@main.command("restore")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="confirm: the database's contents are replaced")
def restore_command(source: Path, yes: bool) -> None:
    """Replace the database's contents with a backup (stop the service first)."""
    if not yes:
        raise click.ClickException("restore replaces every row: stop the service, then add --yes")
    services = _services()
    try:
        manifest = restore(services.db, source, services.restore_checks)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"restored the backup taken at {manifest['taken_at']}; checks passed")


@main.command()
def doctor() -> None:
    """Check configuration, keys, database, migrations and audit; print what to fix."""
    findings = run_doctor()
    for finding in findings:
        mark = "ok  " if finding.ok else "FAIL"
        click.echo(f"[{mark}] {finding.check}: {finding.message}")
        if finding.fix:
            click.echo(f"       fix: {finding.fix}")
    if not all(finding.ok for finding in findings):
        raise SystemExit(1)


@main.group()
def user() -> None:
    """Accounts."""


@user.command("create")
@click.option("--email", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), default="person")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
def user_create(email: str, role: str, password_stdin: bool) -> None:
    """Create an account (e.g. an auditor or admin)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    services = _services()
    try:
        person_id = services.people.sign_up(email, password, Role(role))
    except EmailAlreadyRegistered:
        raise click.ClickException("an account with this email exists") from None
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    # Its sign-up entry is the account's own; this one says an operator made it, and with which
    # role (an auditor or admin account is a grant of power an auditor will look for).
    services.audit.trail.operator_action(f"admin.user.create.{role}", person_id=person_id)
    click.echo(json.dumps({"id": person_id, "role": role}))


@main.command()
@click.option("--output", type=click.Path(path_type=Path), default=Path("openapi/openapi.json"))
def openapi(output: Path) -> None:
    """Write the OpenAPI document of the whole service (the same on every machine)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render(openapi_document()), encoding="utf-8")
    click.echo(f"wrote {output}")
    click.echo(f"wrote {write_receipt_schema(output.parent)}")


main.add_command(org)
main.add_command(audit_cli)
org.add_command(org_webhook)
keys.add_command(rotate_signing)
main.add_command(receipt)
main.add_command(outbox)
main.add_command(grants_group)
