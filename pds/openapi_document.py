"""The committed OpenAPI document (`openapi/openapi.json`, `pds openapi`): the running app's own
document, built with fixed settings so it is the same on every machine and in every environment.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from pds.app import build_services, create_app
from pds.keystore import FileKeyProvider, generate_key_material
from pds.settings import load_settings

# What the document depends on: the public URL decides the session cookie's name (`__Host-` on
# https); nothing else of the settings appears in it.
CANONICAL = {"public_url": "https://pds.example.org", "background_worker": False}


def openapi_document() -> dict[str, Any]:
    """The document of an app built in a throwaway directory (keys, empty SQLite database)."""
    with tempfile.TemporaryDirectory(prefix="pds-openapi-") as scratch:
        data_dir = Path(scratch)
        FileKeyProvider(data_dir / "keys" / "keyring.json").save(
            generate_key_material(development=True)
        )
        settings = load_settings({}, data_dir=data_dir, **CANONICAL)
        services = build_services(settings)
        try:
            document: dict[str, Any] = create_app(settings, services).openapi_schema.to_schema()
        finally:
            services.db.dispose()
    return document


def render(document: dict[str, Any]) -> str:
    """Stable text: sorted keys, two-space indents, a final newline."""
    return json.dumps(document, indent=2, sort_keys=True) + "\n"
