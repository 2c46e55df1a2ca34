"""The served app freezes what start-up made, so a full collection never walks it mid-request."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from pds.settings import Settings

# In a process of its own: freezing is for the life of the process, and this one runs many apps.
PROBE = """
import gc, json
from litestar.testing import TestClient
from pds.app import create_app_from_env

app = create_app_from_env()
before = gc.get_freeze_count()
with TestClient(app) as client:
    ready = client.get("/health/ready").status_code
    frozen = gc.get_freeze_count()

    class Cycle:
        pass

    garbage = Cycle()
    garbage.self = garbage
    del garbage
    collected = gc.collect()
print(json.dumps({"before": before, "frozen": frozen, "collected": collected, "ready": ready}))
"""


def test_start_up_objects_are_frozen_and_later_garbage_is_still_collected(
    settings: Settings, services: Any
) -> None:
    env = {
        "PDS_DATA_DIR": str(settings.data_dir),
        "PDS_DATABASE_URL": settings.resolved_database_url,
        "PDS_ENVIRONMENT": "test",
        "PDS_BACKGROUND_WORKER": "false",
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["ready"] == 200
    assert found["before"] == 0  # building the app freezes nothing: only serving it does
    assert found["frozen"] > 10_000  # the modules, routes and schemas start-up made
    assert found["collected"] >= 1  # a cycle made while serving is still collected
