"""What a stolen database, backup or log reveals: nothing. Raw byte searches on both engines."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text, update

from consent.storage import metadata
from pds.app import Services
from pds.records.models import record_versions
from tests.conftest import PASSWORD


def _canary() -> str:
    return "CANARY" + secrets.token_hex(8).upper()


def _table_bytes(database_url: str) -> bytes:
    """Every value of every table, as raw bytes (bytea/BLOB kept binary)."""
    engine = create_engine(database_url)
    chunks: list[bytes] = []
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(select(table)):
                for value in row:
                    if isinstance(value, bytes | bytearray | memoryview):
                        chunks.append(bytes(value))
                    else:
                        chunks.append(str(value).encode())
    engine.dispose()
    return b"\x00".join(chunks)


def _postgres_files(database_url: str) -> bytes:
    """The table files of PostgreSQL itself, after a checkpoint flushed them to disk."""
    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("CHECKPOINT"))
        data_dir = Path(conn.execute(text("SHOW data_directory")).scalar_one())
        paths = [
            data_dir
            / conn.execute(text("SELECT pg_relation_filepath(:t)"), {"t": t.name}).scalar_one()
            for t in metadata.sorted_tables
        ]
    engine.dispose()
    blobs = []
    for path in paths:
        for segment in sorted(path.parent.glob(path.name + "*")):
            blobs.append(segment.read_bytes())
    return b"".join(blobs)


def _write_through_every_api(client: Any, canary: str, email: str) -> None:
    assert (
        client.post("/api/v1/signup", json={"email": email, "password": PASSWORD}).status_code
        == 201
    )
    created = client.post(
        "/api/v1/me/records",
        json={"type": "health.conditions", "value": {"name": canary, "status": "active"}},
    )
    assert created.status_code == 201, created.text
    record_id = created.json()["id"]
    assert (
        client.put(
            f"/api/v1/me/records/{record_id}",
            json={"value": {"name": canary + " updated", "status": "managed"}},
        ).status_code
        == 200
    )
    assert (
        client.post(
            "/api/v1/me/records",
            json={"type": "identity.name", "value": {"given_name": canary}},
        ).status_code
        == 201
    )
    assert canary in client.get("/api/v1/me/records").text
    assert canary in client.get("/api/v1/me/export").text
    assert client.post("/api/v1/signout").status_code == 204
    assert (
        client.post(
            "/api/v1/signin", json={"email": email, "password": "wrong " + canary}
        ).status_code
        == 401
    )


def test_canary_is_nowhere_at_rest_or_in_logs(
    client: Any,
    engine_name: str,
    database_url: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    canary = _canary()
    email = f"{canary.lower()}@example.org"
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)  # log every SQL parameter
        try:
            _write_through_every_api(client, canary, email)
        finally:
            logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    needles = [canary.encode(), canary.lower().encode(), email.encode()]

    logs = caplog.text.encode() + "".join(capfd.readouterr()).encode()
    assert len(caplog.records) > 10  # the SQL log did capture the traffic
    for needle in needles:
        assert needle not in logs

    stored = _table_bytes(database_url)
    assert len(stored) > 100
    if engine_name == "sqlite":
        files = [tmp_path / "pds.db", tmp_path / "pds.db-wal"]
        stored += b"".join(path.read_bytes() for path in files if path.exists())
    else:
        stored += _postgres_files(database_url)
    for needle in needles:
        assert needle not in stored


def _ids(client: Any) -> tuple[str, str]:
    client.post("/api/v1/signup", json={"email": "t@example.org", "password": PASSWORD})
    first = client.post(
        "/api/v1/me/records",
        json={"type": "health.conditions", "value": {"name": "asthma", "status": "active"}},
    ).json()["id"]
    second = client.post(
        "/api/v1/me/records",
        json={"type": "health.conditions", "value": {"name": "anaemia", "status": "active"}},
    ).json()["id"]
    return first, second


def _ciphertext(services: Services, record_id: str) -> bytes:
    with services.db.read() as conn:
        return bytes(
            conn.execute(
                select(record_versions.c.ciphertext).where(record_versions.c.record_id == record_id)
            ).scalar_one()
        )


def _set_ciphertext(services: Services, record_id: str, blob: bytes) -> None:
    with services.db.write() as conn:
        conn.execute(
            update(record_versions)
            .where(record_versions.c.record_id == record_id)
            .values(ciphertext=blob)
        )


def _assert_integrity_error(client: Any, record_id: str) -> None:
    response = client.get(f"/api/v1/me/records/{record_id}")
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"].endswith("/record-integrity")
    assert response.json()["record_id"] == record_id
    assert "asthma" not in response.text and "anaemia" not in response.text


def test_altered_ciphertext_is_a_clear_error_never_wrong_data(
    client: Any, services: Services
) -> None:
    first, _ = _ids(client)
    blob = bytearray(_ciphertext(services, first))
    blob[-5] ^= 0x01
    _set_ciphertext(services, first, bytes(blob))
    _assert_integrity_error(client, first)
    listing = client.get("/api/v1/me/records")
    assert listing.status_code == 409


def test_ciphertext_swapped_between_rows_is_refused(client: Any, services: Services) -> None:
    first, second = _ids(client)
    a, b = _ciphertext(services, first), _ciphertext(services, second)
    _set_ciphertext(services, first, b)
    _set_ciphertext(services, second, a)
    _assert_integrity_error(client, first)
    _assert_integrity_error(client, second)


def test_ciphertext_moved_to_another_person_is_refused(
    client: Any, new_client: Any, services: Services
) -> None:
    first, _ = _ids(client)
    other = new_client()
    other.post("/api/v1/signup", json={"email": "o@example.org", "password": PASSWORD})
    theirs = other.post(
        "/api/v1/me/records",
        json={"type": "health.conditions", "value": {"name": "none", "status": "resolved"}},
    ).json()["id"]
    _set_ciphertext(services, theirs, _ciphertext(services, first))
    response = other.get(f"/api/v1/me/records/{theirs}")
    assert response.status_code == 409
    assert "asthma" not in response.text
