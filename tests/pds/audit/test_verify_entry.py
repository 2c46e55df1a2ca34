"""`pds audit verify` through the console script's entry point: the auditor's offline tool answers
without loading the service (no web framework, no database layer), and other commands still
reach the full CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PROBE = """
import sys
from pathlib import Path
sys.argv = ["pds", *sys.argv[1:]]
from pds.entry import main
try:
    main()
except SystemExit:
    pass
print("LOADED", *sorted(m for m in ("litestar", "sqlalchemy", "pds.app") if m in sys.modules))
"""


def _run(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True
    )
    return done.stdout


def test_verify_loads_nothing_of_the_service() -> None:
    out = _run("audit", "verify", "--help")
    assert "Rebuild the Merkle tree" in out
    assert out.strip().splitlines()[-1] == "LOADED"


def test_a_bad_export_is_reported_the_same_way(tmp_path: Path) -> None:
    export = tmp_path / "bad.ndjson"
    export.write_text(json.dumps({"format": "something else"}) + "\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", PROBE, "audit", "verify", "--json", str(export)],
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(done.stdout[: done.stdout.rindex("LOADED")])
    assert report["ok"] is False and "not a pds-audit-export/1 export" in report["problems"][0]


def test_other_commands_reach_the_full_cli() -> None:
    out = _run("keys", "--help")
    assert "Key-encryption and signing keys" in out
    assert "pds.app" in out.strip().splitlines()[-1]
