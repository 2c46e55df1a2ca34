"""Shared fixtures: every storage and API test runs on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import settings as hypothesis_settings
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from consent.storage import metadata
from pds.app import Services, build_services, create_app
from pds.db import Database
from pds.keystore import FileKeyProvider, generate_key_material
from pds.migrate import upgrade
from pds.settings import Settings, load_settings

# CI machines are shared and noisy: a per-example deadline would fail on load, not on bugs.
hypothesis_settings.register_profile("pds", deadline=None)
# CI (`.ci/run`) must give the same verdict for the same code, as the contract fuzzing does with
# its fixed seed: there every property draws the same examples each run. A developer's
# `make test` draws new ones each time and keeps exploring; what it finds becomes a test.
hypothesis_settings.register_profile("ci", deadline=None, derandomize=True)
hypothesis_settings.load_profile(os.environ.get("PDS_HYPOTHESIS_PROFILE", "pds"))

T = TypeVar("T")


def run_coroutine(coroutine: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run` on a thread of its own. Once a worker's session has opened the browser,
    Playwright's sync API keeps an event loop running on the worker's main thread for good, and
    `asyncio.run` refuses to start another there: which tests fail then depends on how xdist
    happened to share them out."""
    with ThreadPoolExecutor(max_workers=1) as own_thread:
        return own_thread.submit(asyncio.run, coroutine).result()


POSTGRES_URL = os.environ.get("PDS_TEST_POSTGRES_URL", "")
REQUIRE_POSTGRES = os.environ.get("PDS_TEST_REQUIRE_POSTGRES") == "1"
TEST_ORIGIN = "http://testserver.local"
ENGINES = ["sqlite", "postgresql"]


def _worker_database_url() -> str:
    """One PostgreSQL database per xdist worker, so parallel tests never share tables."""
    # Unique per test session too (xdist workers share their controller's pid), so two test
    # runs against the same server never truncate each other's tables.
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    session = f"{os.getppid()}_{worker}" if worker else str(os.getpid())
    url = make_url(POSTGRES_URL)
    name = f"{url.database}_{session}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).first()
        if exists is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "pds.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    db.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> str:
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("PDS_TEST_POSTGRES_URL is required (PDS_TEST_REQUIRE_POSTGRES=1)")
        pytest.skip("PostgreSQL not configured: set PDS_TEST_POSTGRES_URL (see .ci/run)")
    url = _worker_database_url()
    db = Database(url)
    with db.engine.begin() as conn:  # start from an empty schema every session
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    upgrade(db)
    db.dispose()
    return url


@pytest.fixture(params=ENGINES)
def engine_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(engine_name: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database of the parametrised engine."""
    if engine_name == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        shutil.copyfile(template, tmp_path / "pds.db")
        return f"sqlite:///{tmp_path / 'pds.db'}"
    url: str = request.getfixturevalue("postgres_url")
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


def make_settings(tmp_path: Path, database_url: str, **overrides: Any) -> Settings:
    keyring = tmp_path / "keys" / "keyring.json"
    if not keyring.exists():
        FileKeyProvider(keyring).save(generate_key_material(development=True))
    env = {
        "PDS_ENVIRONMENT": "test",
        "PDS_DATA_DIR": str(tmp_path),
        "PDS_DATABASE_URL": database_url,
        "PDS_PUBLIC_URL": TEST_ORIGIN,
        "PDS_PASSWORD_TIME_COST": "1",
        "PDS_PASSWORD_MEMORY_KIB": "1024",
        # No audit clock thread in tests: they publish checkpoints when they want them.
        "PDS_AUDIT_CHECKPOINT_EVERY_SECONDS": "0",
    }
    return load_settings(env, **overrides)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url)


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    built = build_services(settings)
    yield built
    built.db.dispose()


@pytest.fixture
def app(settings: Settings, services: Services) -> Litestar:
    return create_app(settings, services)


@pytest.fixture
def client(app: Litestar) -> Iterator[TestClient[Litestar]]:
    with TestClient(app=app, base_url=TEST_ORIGIN) as test_client:
        yield test_client


@pytest.fixture
def new_client(app: Litestar) -> Iterator[Any]:
    """A factory of extra clients (other browsers, with their own cookies) on the same app.

    They do not run the app's lifespan: the main `client` owns start-up and shut-down.
    """

    def factory() -> TestClient[Litestar]:
        return TestClient(app=app, base_url=TEST_ORIGIN)

    yield factory


def cli_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a `pds` command a test runs on the test's own service: its database,
    data and public URL (the audit log's origin: a command naming another refuses to sign)."""
    return {
        "PDS_DATA_DIR": str(settings.data_dir),
        "PDS_DATABASE_URL": settings.resolved_database_url,
        "PDS_ENVIRONMENT": "test",
        "PDS_PUBLIC_URL": settings.public_url,
        **extra,
    }


PASSWORD = "correct horse battery staple"


def sign_up(client: TestClient[Litestar], email: str = "asha@example.org") -> str:
    response = client.post("/api/v1/signup", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text
    return str(response.json()["person_id"])
