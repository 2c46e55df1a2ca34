"""The audit log's part in `pds backup` / `pds restore`: sign a checkpoint into the manifest,
and after a restore prove the restored log has exactly that root."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from consent.audit.tree import NodeStore
from pds.audit.service import AuditorService
from pds.backup import BackupError
from pds.db import Database


def checkpoint_fact(auditor: AuditorService) -> Callable[[Database], tuple[str, Any]]:
    def fact(_db: Database) -> tuple[str, Any]:
        checkpoint = auditor.publish_checkpoint()  # signed now, so the backup holds it too
        return "audit_checkpoint", {
            "tree_size": checkpoint.tree_size,
            "root": base64.b64encode(checkpoint.root).decode(),
            "note": checkpoint.note,
        }

    return fact


def check_restored_root(db: Database, manifest: dict[str, Any]) -> None:
    """The restored log rebuilds to the root signed at backup time, or the restore fails."""
    saved = manifest.get("audit_checkpoint")
    if saved is None:
        return
    with db.read() as conn:
        root = NodeStore(conn).root(int(saved["tree_size"]))
    if base64.b64encode(root).decode() != saved["root"]:
        raise BackupError("the restored audit log does not match the checkpoint taken at backup")
