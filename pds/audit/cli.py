"""`pds audit …`: verify an export offline, publish a checkpoint, print the verifier key, prune."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from consent.audit.note import verifier_key
from pds.app import Services, build_services
from pds.audit.verify_cli import verify
from pds.audit.wiring import check_log_origin
from pds.keystore import KeyConfigurationError
from pds.settings import load_settings


@contextmanager
def _services() -> Iterator[Services]:
    """The services, for a configuration that names the stored log (else a clean refusal)."""
    try:
        services = build_services(load_settings())
    except KeyConfigurationError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        # A shell without the server's PDS_PUBLIC_URL would sign (and print keys) for another log.
        check_log_origin(services.audit)
        yield services
    finally:
        services.db.dispose()


@click.group("audit")
def audit_cli() -> None:
    """The tamper-evident audit log."""


audit_cli.add_command(verify)


@audit_cli.command("key")
def key() -> None:
    """Print the verifier keys of every signing key, active first (for `verify --key`)."""
    with _services() as services:
        origin = services.audit.trail.log.signer.origin
        signing = services.keys.signing
        others = [k for k in signing.keys if k.kid != signing.active.kid]
        for signing_key in (signing.active, *others):
            click.echo(str(verifier_key(origin, signing_key.public_key_bytes())))


@audit_cli.command("checkpoint")
def checkpoint() -> None:
    """Sign a checkpoint of the log as it stands now and print it (save it for `--checkpoint`)."""
    with _services() as services:
        click.echo(services.audit.auditor.publish_checkpoint().note, nl=False)


@audit_cli.command("prune")
def prune() -> None:
    """Delete entries older than PDS_AUDIT_RETENTION_DAYS (keeping what verification needs)."""
    with _services() as services:
        if services.audit.auditor.retention is None:
            raise click.ClickException("PDS_AUDIT_RETENTION_DAYS is not set: entries are kept")
        click.echo(f"pruned {services.audit.auditor.prune()} entries")


@audit_cli.command("export")
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--consistency-from",
    type=click.IntRange(min=0),
    default=None,
    help="include a consistency proof from this tree size (a checkpoint saved earlier)",
)
def export(output: Path, consistency_from: int | None) -> None:
    """Write the whole log as NDJSON (as GET /api/v1/audit/export does), for `verify`."""
    with _services() as services:
        prepared = services.audit.auditor.export_as_operator(consistency_from=consistency_from)
        with output.open("w", encoding="utf-8") as handle:
            handle.writelines(prepared.lines())
        click.echo(f"wrote {output}: tree size {prepared.checkpoint.tree_size}")
