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

    def settle(self) -> None:
        """Finish what loading left for later, so it does not run during the measurements.

        PostgreSQL: autovacuum would vacuum and analyse every freshly loaded table a minute
        later (throttled, so for minutes, on both of this box's cores and its disk), and its
        checkpointer would write out gigabytes; `VACUUM (ANALYZE)` and `CHECKPOINT` do both now,
        which is the state a long-running installation is in. SQLite: the WAL is copied into
        the database file and emptied. No plan changes: SQLite gets no statistics, as in use.
        """
        if self.db.is_sqlite:
            raw = self.db.engine.raw_connection()
            try:
                raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]
            finally:
                raw.close()
            return
        with self.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE)")
            conn.exec_driver_sql("CHECKPOINT")

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
