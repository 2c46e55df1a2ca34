"""`pds backup` and `pds restore`: a consistent copy of the database, never of the keys.

SQLite uses the online backup API (consistent while the service runs); PostgreSQL uses
`pg_dump --format=custom` / `pg_restore`. A JSON manifest beside the backup records when it was
taken and at which schema revision, plus what other parts of the service add (e.g. the audit
checkpoint), so a restore can be checked against it. Keys are backed up separately, on purpose:
see docs/operations.md.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from consent.storage import utcnow
from pds.db import Database
from pds.migrate import current_revision

# Parts of the service add facts to the manifest at backup time and check them after a restore.
ManifestFact = Callable[[Database], tuple[str, Any]]
RestoreCheck = Callable[[Database, dict[str, Any]], None]


class BackupError(RuntimeError):
    """The backup or restore could not be made; the message says why."""


def manifest_path(backup: Path) -> Path:
    return backup.with_name(backup.name + ".manifest.json")


def _libpq_url(db: Database) -> str:
    return make_url(db.url).set(drivername="postgresql").render_as_string(hide_password=False)


def _run(command: list[str]) -> None:
    tool = shutil.which(command[0])
    if tool is None:
        raise BackupError(f"{command[0]} not found: install the PostgreSQL client tools")
    # The arguments are ours (fixed flags, our own database URL and paths), never user input.
    result = subprocess.run(  # noqa: S603
        [tool, *command[1:]], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[:500]}")


def backup(db: Database, target: Path, facts: list[ManifestFact]) -> dict[str, Any]:
    """Write a consistent backup to `target` and its manifest beside it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {
        "taken_at": utcnow().isoformat(),
        "engine": db.engine.dialect.name,
        "schema_revision": current_revision(db),
    }
    for fact in facts:
        name, value = fact(db)
        manifest[name] = value
    if db.is_sqlite:
        source = sqlite3.connect(make_url(db.url).database or "")
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)
        finally:
            destination.close()
            source.close()
    else:
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={target}", _libpq_url(db)])
    manifest_path(target).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def restore(db: Database, source: Path, checks: list[RestoreCheck]) -> dict[str, Any]:
    """Replace the database's contents with the backup; stop the service first."""
    if not source.exists():
        raise BackupError(f"no backup at {source}")
    manifest: dict[str, Any] = json.loads(manifest_path(source).read_text(encoding="utf-8"))
    if manifest["engine"] != db.engine.dialect.name:
        raise BackupError(
            f"backup is of {manifest['engine']}, database is {db.engine.dialect.name}"
        )
    db.dispose()
    if db.is_sqlite:
        origin = sqlite3.connect(source)
        live = sqlite3.connect(make_url(db.url).database or "")
        try:
            origin.backup(live)
        finally:
            live.close()
            origin.close()
    else:
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", f"--dbname={_libpq_url(db)}",
              str(source)])  # fmt: skip
    if current_revision(db) != manifest["schema_revision"]:
        raise BackupError("restored schema revision differs from the manifest")
    for check in checks:
        check(db, manifest)
    return manifest
