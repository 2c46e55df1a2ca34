"""`pds audit …`: verify an export offline, publish a checkpoint, print the verifier key, prune."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from consent.audit.note import NoteError, parse_verifier_key, verifier_key
from consent.audit.verify import Report, verify_export
from pds.app import Services, build_services
from pds.keystore import KeyConfigurationError
from pds.settings import load_settings


@contextmanager
def _services() -> Iterator[Services]:
    try:
        services = build_services(load_settings())
    except KeyConfigurationError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        yield services
    finally:
        services.db.dispose()


@click.group("audit")
def audit_cli() -> None:
    """The tamper-evident audit log."""


def _read_keys(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _print_report(report: Report) -> None:
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    if report.ok:
        click.echo(
            f"OK: {report.entries} entries verified; tree size {report.tree_size}; "
            f"{report.checkpoints_verified} signed checkpoints match; "
            f"saved checkpoint: {report.saved_checkpoint}"
        )
        return
    if report.first_bad_seq is not None:
        click.echo(f"FAILED: first bad entry is seq {report.first_bad_seq}", err=True)
    for problem in report.problems:
        click.echo(f"FAILED: {problem}", err=True)


@audit_cli.command("verify")
@click.argument("export", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="a signed checkpoint saved earlier: the log must still contain it",
)
@click.option(
    "--key",
    "key_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="the service's verifier key(s), one per line (from `pds audit key`)",
)
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
def verify(
    export: Path, checkpoint_file: Path | None, key_file: Path | None, as_json: bool
) -> None:
    """Rebuild the Merkle tree from EXPORT and check it against its signed checkpoints."""
    try:
        keys = [parse_verifier_key(k) for k in _read_keys(key_file)] if key_file else None
    except NoteError as exc:
        raise click.ClickException(f"bad key file: {exc}") from None
    saved = checkpoint_file.read_text(encoding="utf-8") if checkpoint_file else None
    with export.open("rb") as lines:
        report = verify_export(lines, keys=keys, saved_checkpoint=saved)
    if as_json:
        body = {
            "ok": report.ok,
            "entries": report.entries,
            "tree_size": report.tree_size,
            "first_bad_seq": report.first_bad_seq,
            "problems": report.problems,
            "warnings": report.warnings,
            "saved_checkpoint": report.saved_checkpoint,
        }
        click.echo(json.dumps(body, indent=2))
    else:
        _print_report(report)
    if not report.ok:
        sys.exit(1)


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
