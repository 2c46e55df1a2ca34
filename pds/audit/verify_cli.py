"""`pds audit verify`: the auditor's offline check, kept apart from the service.

It imports only click, the standard library and the offline verifier (which imports only
`crypto`), never the application: an auditor runs it on a copy of an export, and it starts in a
fraction of a second instead of the seconds the whole service takes to import (`pds.entry`
routes the command here before anything else is loaded).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from consent.audit.note import NoteError, parse_verifier_key
from consent.audit.verify import Report, verify_export


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


@click.command("verify")
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
    if keys == []:
        raise click.ClickException(f"bad key file: {key_file} names no verifier key")
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
