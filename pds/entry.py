"""The `pds` console script: the offline audit verifier starts without loading the service."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:3] == ["audit", "verify"]:
        from pds.audit.verify_cli import verify

        verify.main(args=sys.argv[3:], prog_name="pds audit verify")
        return
    from pds.cli import main as full

    full()
