"""A bench database ready to serve: keys, schema, loaded people, an NGO with grants."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from bench.dataset import Loaded
from bench.grants import Client, GrantRef, approve_grants, register_ngo
from bench.server import BENCH_ENV
from pds.app import Services, build_services
from pds.db import Database
from pds.keystore import FileKeyProvider, KeyMaterial, generate_key_material
from pds.migrate import upgrade
from pds.settings import load_settings


def prepare_keys(data_dir: Path) -> KeyMaterial:
    """Production-style keys in DATA_DIR/keys (what `pds keys init` writes), fresh each run."""
    if data_dir.exists():
        shutil.rmtree(data_dir)
    provider = FileKeyProvider(data_dir / "keys" / "keyring.json")
    material = generate_key_material(development=False)
    provider.save(material)
    return material


@dataclass
class Workspace:
    """One database the service will run on, with what the load needs to know about it."""

    name: str
    data_dir: Path
    url: str
    db: Database = field(init=False)
    services: Services | None = None
    loaded: Loaded | None = None
    client: Client | None = None
    fetch_grants: list[GrantRef] = field(default_factory=list)
    refresh_grants: list[GrantRef] = field(default_factory=list)
    revoke_grant: GrantRef | None = None

    def __post_init__(self) -> None:
        self.db = Database(self.url)
        upgrade(self.db)

    @property
    def env(self) -> dict[str, str]:
        return {"PDS_DATA_DIR": str(self.data_dir), "PDS_DATABASE_URL": self.url}

    def start_services(self) -> Services:
        """The service's own objects over this database (grants go through them)."""
        if self.services is None:
            settings = load_settings({**BENCH_ENV, **self.env})
            self.services = build_services(settings)
        return self.services

    def close(self) -> None:
        if self.services is not None:
            self.services.db.dispose()
        self.db.dispose()


def consent(ws: Workspace, loaded: Loaded, *, fetch_people: int, refresh_grants: int) -> None:
    """An NGO, and grants approved through the service for the sampled people."""
    ws.loaded = loaded
    ws.client = register_ngo(ws.db)
    persons = [person.person_id for person in loaded.sample][: fetch_people + refresh_grants + 1]
    grants = approve_grants(ws.start_services(), ws.client, persons)
    ws.fetch_grants = grants[:fetch_people]
    ws.refresh_grants = grants[fetch_people : fetch_people + refresh_grants]
    ws.revoke_grant = grants[-1]
