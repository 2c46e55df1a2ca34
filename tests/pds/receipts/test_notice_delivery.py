"""Notices survive a receiver that is down and a restart of the service, and arrive exactly once.

The service runs as it does in production: the background worker started by the app's lifespan
delivers the outbox and sweeps expiry; only the delays are shortened.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from litestar.testing import TestClient
from sqlalchemy import select

from consent.receipt_tables import notice_outbox
from consent.scopes import ScopeSet
from consent.storage import utcnow
from pds.app import Services, build_services, create_app
from pds.settings import Settings
from tests.conftest import TEST_ORIGIN, make_settings
from tests.receipt_support import connect, jwcrypto_verify
from tests.webhook_receiver import Receiver

PHONE, SHOTS = "contact.phone:read", "health.immunisations:read"


def _fast(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(
        tmp_path,
        database_url,
        worker_interval_seconds=0.05,
        expiry_sweep_seconds=0.1,
        notice_retry_base_seconds=0.05,
        notice_retry_max_seconds=0.2,
        notice_timeout_seconds=2,
    )


def _wait(condition: Callable[[], bool], seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _outbox(services: Services) -> list[tuple[str, str, int]]:
    with services.db.read() as conn:
        rows = conn.execute(
            select(notice_outbox.c.receipt_id, notice_outbox.c.status, notice_outbox.c.failures)
        )
        return [(r.receipt_id, r.status, r.failures) for r in rows]


def _changes_while_the_receiver_is_down(settings: Settings, receiver: Receiver) -> set[str]:
    """Narrow, withdraw and (by the sweep) expire; returns the ids of the notices owed."""
    first = build_services(settings)
    with TestClient(create_app(settings, first), base_url=TEST_ORIGIN):
        grants = first.consent.grants
        shared = connect(first, (PHONE, SHOTS))
        first.receipts.notices.set_webhook(shared.ngo.organisation_id, receiver.url)
        grants.narrow(shared.person_id, shared.grant.id, scopes=ScopeSet.of(PHONE))
        grants.revoke(shared.person_id, shared.grant.id)
        ending = connect(first, (PHONE,), ngo=shared.ngo)
        soon = utcnow() + timedelta(seconds=0.3)
        grants.narrow(ending.person_id, ending.grant.id, expires_at=soon)
        # The sweep expires the second grant by itself; the receiver is tried again and again.
        _wait(lambda: len(_outbox(first)) == 4)
        _wait(lambda: sum(failures for _, _, failures in _outbox(first)) >= 3)
        assert all(status == "pending" for _, status, _ in _outbox(first))
    first.db.dispose()  # the service stops with its notices undelivered
    chains = [first.receipts.receipts.chain(g.grant.id) for g in (shared, ending)]
    return {receipt.id for chain in chains for receipt in chain[1:]}


def test_a_receiver_that_was_down_gets_every_notice_once_even_across_a_restart(
    tmp_path: Path, database_url: str
) -> None:
    settings = _fast(tmp_path, database_url)
    receiver = Receiver()  # not listening yet: the NGO's server is down
    expected = _changes_while_the_receiver_is_down(settings, receiver)
    # The NGO's server comes back, and will once store a notice but fail to answer for it.
    receiver.lose_answer_once = True
    receiver.start()
    second = build_services(settings)  # a restarted service: same database, fresh process state
    try:
        with TestClient(create_app(settings, second), base_url=TEST_ORIGIN) as http:
            _wait(lambda: all(status == "delivered" for _, status, _ in _outbox(second)))
            published = http.get("/.well-known/jwks.json").json()
    finally:
        second.db.dispose()
        receiver.stop()
    assert set(receiver.stored) == expected and len(expected) == 4
    assert receiver.duplicates == 1  # the lost answer: sent again, recognised by its key
    events = []
    for key, body in receiver.stored.items():
        payload = jwcrypto_verify(body, published)
        assert payload["consentReceiptID"] == key
        events.append(payload["consentRecord"]["event"]["eventType"])
    assert sorted(events) == ["expired", "narrowed", "narrowed", "withdrawn"]
