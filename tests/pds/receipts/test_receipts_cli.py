"""`pds receipt verify`, `pds keys rotate-signing`, `pds outbox`, `pds grants expire`,
`pds org webhook`: the operator's and the outsider's tools, on both engines."""

from __future__ import annotations

import functools
import json
import re
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from consent.scopes import ScopeSet
from consent.storage import utcnow
from pds.app import Services
from pds.cli import main
from pds.settings import Settings
from tests.receipt_support import connect
from tests.webhook_receiver import Receiver

PHONE, SHOTS = "contact.phone:read", "health.immunisations:read"


def _env(settings: Settings) -> dict[str, str]:
    return {
        "PDS_ENVIRONMENT": "test",
        "PDS_DATA_DIR": str(settings.data_dir),
        "PDS_DATABASE_URL": settings.resolved_database_url,
        "PDS_PUBLIC_URL": settings.public_url,
        "PDS_PASSWORD_TIME_COST": "1",
        "PDS_PASSWORD_MEMORY_KIB": "1024",
    }


def _pds(settings: Settings, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=_env(settings), input=stdin)


def _write(path: Path, text: str) -> str:
    path.write_text(text, encoding="ascii")
    return str(path)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A directory served on loopback, as a JWKS URL would be."""
    directory = tmp_path / "www"
    directory.mkdir()

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *_: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield directory, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_verify_a_receipt_offline_with_a_jwks_file_or_url(
    settings: Settings, services: Services, tmp_path: Path, served: tuple[Path, str]
) -> None:
    connected = connect(services, (PHONE, SHOTS))
    services.consent.grants.narrow(
        connected.person_id, connected.grant.id, scopes=ScopeSet.of(PHONE)
    )
    chain = services.receipts.receipts.chain(connected.grant.id)
    first = _write(tmp_path / "first.jws", chain[0].jws + "\n")
    jwks_file = _write(tmp_path / "jwks.json", json.dumps(services.receipts.receipts.jwks()))
    directory, base = served
    _write(directory / "jwks.json", json.dumps(services.receipts.receipts.jwks()))
    for options in ([], ["--jwks", jwks_file], ["--jwks", f"{base}/jwks.json"]):
        result = _pds(settings, "receipt", "verify", first, *options)
        assert result.exit_code == 0, result.output
        verdict = json.loads(result.output)
        assert verdict["valid"] and verdict["receipt_id"] == chain[0].id
        assert verdict["event"] == "given" and verdict["kid"] == chain[0].kid
    both = [first, _write(tmp_path / "second.jws", chain[1].jws)]
    result = _pds(settings, "receipt", "verify", *both, "--jwks", jwks_file)
    assert result.exit_code == 0 and json.loads(result.output)["scopes"] == [PHONE]
    # As the receipts write times (RFC 3339), not Python's "2027-02-22 17:35:05+00:00".
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", json.loads(result.output)["expires_at"]
    )
    piped = _pds(settings, "receipt", "verify", "-", "--jwks", jwks_file, stdin=chain[1].jws)
    assert piped.exit_code == 0, piped.output


def test_verify_rejects_tampering_and_unusable_jwks(
    settings: Settings, services: Services, tmp_path: Path, served: tuple[Path, str]
) -> None:
    jws = services.receipts.receipts.chain(connect(services).grant.id)[0].jws
    jwks_file = _write(tmp_path / "jwks.json", json.dumps(services.receipts.receipts.jwks()))
    header, payload, signature = jws.split(".")
    tampered = ".".join(
        [header, payload[:-3] + ("A" if payload[-3] != "A" else "B") + payload[-2:], signature]
    )
    result = _pds(settings, "receipt", "verify", _write(tmp_path / "t.jws", tampered))
    assert result.exit_code == 1 and "INVALID" in result.output
    good = _write(tmp_path / "good.jws", jws)
    _, base = served
    for jwks in (
        _write(tmp_path / "empty.json", '{"keys": []}'),
        _write(tmp_path / "junk.json", "not json"),
        str(tmp_path / "missing.json"),
        f"{base}/missing.json",
    ):
        result = _pds(settings, "receipt", "verify", good, "--jwks", jwks)
        assert result.exit_code == 1, (jwks, result.output)
        assert "Traceback" not in result.output
    binary = tmp_path / "binary.jws"
    binary.write_bytes(b"\xff\xfe\x00")
    result = _pds(settings, "receipt", "verify", str(binary), "--jwks", jwks_file)
    assert result.exit_code == 1 and "INVALID" in result.output


def test_rotate_signing_keeps_old_receipts_verifiable(
    settings: Settings, services: Services, tmp_path: Path
) -> None:
    old = services.receipts.receipts.chain(connect(services).grant.id)[0]
    result = _pds(settings, "keys", "rotate-signing")
    assert result.exit_code == 0, result.output
    rotated = json.loads(result.output)
    assert old.kid in rotated["published_keys"] and rotated["active_signing_key"] != old.kid
    new = services.receipts.receipts.chain(connect(services).grant.id)[0]
    assert new.kid == rotated["active_signing_key"]  # the running service picked it up
    for receipt in (old, new):
        result = _pds(settings, "receipt", "verify", _write(tmp_path / "r.jws", receipt.jws))
        assert result.exit_code == 0, result.output


def test_outbox_deliver_and_status_for_cron(settings: Settings, services: Services) -> None:
    receiver = Receiver().start()
    try:
        connected = connect(services)
        result = _pds(
            settings,
            "org",
            "webhook",
            "--org",
            connected.ngo.organisation_id,
            "--url",
            receiver.url,
        )
        assert result.exit_code == 0 and json.loads(result.output)["url"] == receiver.url
        services.consent.grants.revoke(connected.person_id, connected.grant.id)
        assert json.loads(_pds(settings, "outbox", "status").output)["pending"] == 1
        result = _pds(settings, "outbox", "deliver")
        assert json.loads(result.output) == {"delivered": 1, "failed": 0, "abandoned": 0}
        assert list(receiver.stored) == [services.receipts.receipts.chain(connected.grant.id)[1].id]
        assert json.loads(_pds(settings, "outbox", "status").output)["delivered"] == 1
    finally:
        receiver.stop()


def test_org_webhook_by_name_refuses_bad_urls_and_unknown_organisations(
    settings: Settings, services: Services
) -> None:
    connected = connect(services)
    name = services.consent.grants.get_for_person(
        connected.person_id, connected.grant.id
    ).organisation_name
    result = _pds(settings, "org", "webhook", "--org", name, "--url", "ftp://x.example/")
    assert result.exit_code == 1 and "https" in result.output
    assert _pds(settings, "org", "webhook", "--org", "No such NGO").exit_code == 1
    result = _pds(settings, "org", "webhook", "--org", name, "--url", "https://n.example/h")
    assert json.loads(result.output)["url"] == "https://n.example/h"
    result = _pds(settings, "org", "webhook", "--org", name, "--remove")
    assert json.loads(result.output)["url"] is None


def test_grants_expire_sweeps_with_receipts(settings: Settings, services: Services) -> None:
    connected = connect(services)
    soon = utcnow() + timedelta(seconds=0.3)
    services.consent.grants.narrow(connected.person_id, connected.grant.id, expires_at=soon)
    time.sleep(0.35)
    result = _pds(settings, "grants", "expire")
    assert json.loads(result.output) == {"expired": 1}
    events = [r.event_type for r in services.receipts.receipts.chain(connected.grant.id)]
    assert events == ["given", "narrowed", "expired"]
    assert json.loads(_pds(settings, "grants", "expire").output) == {"expired": 0}
