"""Key rotation with `pds keys`, export, and erasure that shreds even old copies of the database."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from litestar.testing import TestClient
from sqlalchemy import create_engine, select

from crypto.aead import DecryptionError
from crypto.keys import UnknownKeyError, WrappedKey
from pds.app import Services, build_services, create_app
from pds.cli import main
from pds.keystore import FileKeyProvider
from pds.people.models import data_keys
from pds.records.models import record_versions
from pds.settings import Settings
from tests.conftest import PASSWORD, TEST_ORIGIN, cli_env, sign_up

PHONE = {"type": "contact.phone", "value": {"number": "+919876543210"}}


def _cli(settings: Settings, *args: str) -> str:
    env = cli_env(settings)
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _ciphertexts(database_url: str) -> dict[tuple[str, int], bytes]:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(select(record_versions)).all()
    engine.dispose()
    return {(r.record_id, r.version): bytes(r.ciphertext) for r in rows}


def _people_with_records(new_client: Any, count: int) -> list[Any]:
    clients = []
    for index in range(count):
        person = new_client()
        sign_up(person, f"p{index}@example.org")
        assert person.post("/api/v1/me/records", json=PHONE).status_code == 201
        clients.append(person)
    return clients


def test_rotate_rewraps_without_touching_records_and_old_kek_can_go(
    settings: Settings, services: Services, new_client: Any
) -> None:
    people = _people_with_records(new_client, 3)
    before = _ciphertexts(settings.resolved_database_url)
    old_kek = services.keys.keyring.active_id

    _cli(settings, "keys", "rotate")
    status = json.loads(_cli(settings, "keys", "status"))
    assert status["active_kek"] != old_kek
    assert status["keks"][old_kek] == 0
    _cli(settings, "keys", "remove-kek", old_kek)

    assert _ciphertexts(settings.resolved_database_url) == before  # records untouched
    material = FileKeyProvider(settings.resolved_keyring_file).load()
    assert old_kek not in material.keyring.ids
    for person in people:  # the running service reloads the rotated keys by itself
        items = person.get("/api/v1/me/records").json()["items"]
        assert items[0]["value"]["number"] == "+919876543210"
    fresh = build_services(settings)  # and so does a freshly started one
    app = create_app(settings, fresh)
    with TestClient(app=app, base_url=TEST_ORIGIN) as client:
        client.post("/api/v1/signin", json={"email": "p0@example.org", "password": PASSWORD})
        assert client.get("/api/v1/me/records").status_code == 200
    fresh.db.dispose()


def test_removing_a_kek_still_in_use_is_refused(settings: Settings, services: Services) -> None:
    services.people.sign_up("x@example.org", PASSWORD)
    active = services.keys.keyring.active_id
    result = CliRunner().invoke(
        main,
        ["keys", "remove-kek", active],
        env={
            "PDS_DATA_DIR": str(settings.data_dir),
            "PDS_DATABASE_URL": settings.resolved_database_url,
        },
    )
    assert result.exit_code != 0


def test_export_holds_everything(client: Any) -> None:
    sign_up(client)
    record = client.post("/api/v1/me/records", json=PHONE).json()
    client.put(f"/api/v1/me/records/{record['id']}", json={"value": {"number": "+919812345678"}})
    response = client.get("/api/v1/me/export")
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    document = response.json()
    assert document["format"] == "pds-export/1"
    assert document["account"]["email"] == "asha@example.org"
    [exported] = document["records"]
    assert exported["value"]["number"] == "+919812345678"
    assert [v["version"] for v in exported["versions"]] == [2, 1]


def test_erasure_needs_the_password_and_changes_nothing_without_it(client: Any) -> None:
    sign_up(client)
    client.post("/api/v1/me/records", json=PHONE)
    wrong = client.request("DELETE", "/api/v1/me", json={"password": "not my password"})
    assert wrong.status_code == 401
    assert len(client.get("/api/v1/me/records").json()["items"]) == 1


def _backup(settings: Settings, engine_name: str, tmp_path: Path) -> dict[str, Any]:
    """A copy of the database as a thief or a backup would have it."""
    if engine_name == "sqlite":
        copy = tmp_path / "backup.db"
        shutil.copyfile(tmp_path / "pds.db", copy)
        for suffix in ("-wal", "-shm"):
            if (tmp_path / f"pds.db{suffix}").exists():
                shutil.copyfile(tmp_path / f"pds.db{suffix}", tmp_path / f"backup.db{suffix}")
        url = f"sqlite:///{copy}"
    else:
        url = settings.resolved_database_url
    engine = create_engine(url)
    with engine.connect() as conn:
        keys = {
            r.person_id: WrappedKey(r.kek_id, bytes(r.wrapped))
            for r in conn.execute(select(data_keys))
        }
        versions = {
            (r.record_id, r.version): bytes(r.ciphertext)
            for r in conn.execute(select(record_versions))
        }
    engine.dispose()
    return {"keys": keys, "versions": versions}


def test_erasure_shreds_even_a_copy_taken_before_it(
    client: Any,
    new_client: Any,
    settings: Settings,
    services: Services,
    engine_name: str,
    tmp_path: Path,
) -> None:
    person_id = sign_up(client)
    client.post("/api/v1/me/records", json=PHONE)
    bystander = new_client()
    sign_up(bystander, "bystander@example.org")
    bystander.post("/api/v1/me/records", json=PHONE)

    backup = _backup(settings, engine_name, tmp_path)
    keyring_before = FileKeyProvider(settings.resolved_keyring_file).load().keyring
    assert keyring_before.unwrap(backup["keys"][person_id], person_id)  # readable before

    response = client.request("DELETE", "/api/v1/me", json={"password": PASSWORD})
    assert response.status_code == 204
    assert client.get("/api/v1/me").status_code == 401
    assert (
        new_client()
        .post("/api/v1/signin", json={"email": "asha@example.org", "password": PASSWORD})
        .status_code
        == 401
    )

    current = FileKeyProvider(settings.resolved_keyring_file).load().keyring
    with pytest.raises((UnknownKeyError, DecryptionError)):
        current.unwrap(backup["keys"][person_id], person_id)
    with services.db.read() as conn:
        assert (
            conn.execute(select(data_keys).where(data_keys.c.person_id == person_id)).first()
            is None
        )
    # Everyone else is unaffected by the shredding rotation.
    assert bystander.get("/api/v1/me/records").json()["items"][0]["value"]["number"]
