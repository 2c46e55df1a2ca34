"""Notices to organisations: what is enqueued, how delivery retries, claims and gives up."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from consent.notice_delivery import (
    DeliveryFailed,
    InvalidWebhookUrl,
    http_sender,
    validate_webhook_url,
)
from consent.notices import NoticePolicy, NoticeService, outbox_stats
from consent.receipt_tables import notice_outbox
from consent.scopes import ScopeSet
from consent.storage import utcnow
from pds.app import Services
from tests.conftest import PASSWORD
from tests.receipt_support import approve_again, connect
from tests.webhook_receiver import Receiver, free_port

PHONE, SHOTS = "contact.phone:read", "health.immunisations:read"
FAST = NoticePolicy(
    retry_base=timedelta(seconds=10),
    retry_max=timedelta(seconds=60),
    give_up_after=timedelta(hours=1),
    timeout_seconds=2,
)


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def catch_up(self) -> None:
        """To the real time, after grant changes that stamped notices with it."""
        self.now = utcnow()


class FlakySender:
    """Fails the first `failures` deliveries, then accepts; records what it was given."""

    def __init__(self, failures: int = 0, delay: float = 0.0) -> None:
        self.failures = failures
        self.delay = delay
        self.sent: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, url: str, jws: str, receipt_id: str, timeout: float) -> None:
        time.sleep(self.delay)
        with self.lock:
            if self.failures > 0:
                self.failures -= 1
                raise DeliveryFailed("HTTP 503")
            self.sent.append(receipt_id)


def _notices(services: Services, sender: Any, clock: Clock) -> NoticeService:
    return NoticeService(services.db, sender, FAST, allow_private=True, clock=clock)


def _outbox(services: Services) -> list[Any]:
    with services.db.read() as conn:
        return list(conn.execute(select(notice_outbox).order_by(notice_outbox.c.created_at)))


def test_only_changes_that_take_access_away_are_queued_and_only_with_a_webhook(
    services: Services,
) -> None:
    grants = services.consent.grants
    quiet = connect(services, (PHONE, SHOTS))  # no webhook: nothing is ever queued
    grants.revoke(quiet.person_id, quiet.grant.id)
    assert _outbox(services) == []
    connected = connect(services, (PHONE, SHOTS))
    services.receipts.notices.set_webhook(connected.ngo.organisation_id, "https://ngo.example/n")
    approve_again(services, connected, (PHONE, SHOTS))  # renewed: nothing to drop
    approve_again(services, connected, (PHONE, SHOTS, "identity.name:read"))  # wider
    grants.narrow(connected.person_id, connected.grant.id, scopes=ScopeSet.of(PHONE))
    soon = utcnow() + timedelta(days=3)
    grants.narrow(connected.person_id, connected.grant.id, expires_at=soon)
    grants.revoke(connected.person_id, connected.grant.id)
    erased = connect(services, (PHONE,), ngo=connected.ngo)
    services.account.erase(erased.person_id, PASSWORD)
    chain = services.receipts.receipts.chain(connected.grant.id)
    queued = {row.receipt_id for row in _outbox(services)}
    expected = {r.id for r in chain if r.event_type in ("narrowed", "withdrawn")}
    expected |= {r.id for r in services.receipts.receipts.chain(erased.grant.id)[1:]}
    assert queued == expected and len(queued) == 4
    assert all(row.status == "pending" for row in _outbox(services))


def test_a_failing_receiver_is_retried_with_growing_delays_until_it_answers(
    services: Services,
) -> None:
    clock, sender = Clock(), FlakySender(failures=3)
    notices = _notices(services, sender, clock)
    connected = connect(services, (PHONE,))
    notices.set_webhook(connected.ngo.organisation_id, "https://ngo.example/n")
    services.consent.grants.revoke(connected.person_id, connected.grant.id)
    clock.catch_up()
    delays = []
    for _ in range(3):
        assert notices.deliver_due().failed == 1
        row = _outbox(services)[0]
        delays.append((row.next_attempt_at - clock.now).total_seconds())
        assert notices.deliver_due().failed == 0  # not due yet
        clock.advance(delays[-1] + 0.001)
    assert 5 <= delays[0] <= 10 and 10 <= delays[1] <= 20 and 20 <= delays[2] <= 40
    assert notices.deliver_due().delivered == 1
    row = _outbox(services)[0]
    assert (row.status, row.attempts, row.failures) == ("delivered", 4, 3)
    assert sender.sent == [row.receipt_id]
    assert notices.deliver_due().delivered == 0  # delivered means never again


def test_a_failing_receiver_does_not_hold_up_other_organisations(services: Services) -> None:
    clock, delivered = Clock(), []

    def sender(url: str, jws: str, receipt_id: str, timeout: float) -> None:
        if "down" in url:
            raise DeliveryFailed("HTTP 503")
        delivered.append(receipt_id)

    notices = _notices(services, sender, clock)
    down = connect(services, (PHONE,))
    notices.set_webhook(down.ngo.organisation_id, "https://down.example/n")
    for _ in range(3):
        more = connect(services, (PHONE,), ngo=down.ngo)
        services.consent.grants.revoke(more.person_id, more.grant.id)
    services.consent.grants.revoke(down.person_id, down.grant.id)
    up = connect(services, (PHONE,))
    notices.set_webhook(up.ngo.organisation_id, "https://up.example/n")
    services.consent.grants.revoke(up.person_id, up.grant.id)
    clock.catch_up()
    first = notices.deliver_due(limit=2)  # the down receiver's notices come first in the queue
    assert (first.failed, first.delivered) == (1, 0)
    assert notices.deliver_due(limit=2).delivered == 1  # its other notices wait with it
    assert len(delivered) == 1


def test_a_notice_is_abandoned_after_the_give_up_period(services: Services) -> None:
    clock, sender = Clock(), FlakySender(failures=10_000)
    policy = NoticePolicy(retry_max=timedelta(seconds=60), give_up_after=timedelta(minutes=5))
    notices = NoticeService(services.db, sender, policy, allow_private=True, clock=clock)
    connected = connect(services, (PHONE,))
    notices.set_webhook(connected.ngo.organisation_id, "https://ngo.example/n")
    services.consent.grants.revoke(connected.person_id, connected.grant.id)
    clock.catch_up()
    for _ in range(20):
        notices.deliver_due()
        clock.advance(policy.retry_max.total_seconds())
        if _outbox(services)[0].status == "abandoned":
            break
    row = _outbox(services)[0]
    assert row.status == "abandoned" and row.last_error == "HTTP 503"
    with services.db.read() as conn:
        stats = outbox_stats(conn)
    assert (stats.pending, stats.abandoned, stats.failed_attempts) == (0, 1, row.failures)


def test_a_removed_webhook_abandons_what_was_pending(services: Services) -> None:
    clock, sender = Clock(), FlakySender()
    notices = _notices(services, sender, clock)
    connected = connect(services, (PHONE,))
    notices.set_webhook(connected.ngo.organisation_id, "https://ngo.example/n")
    services.consent.grants.revoke(connected.person_id, connected.grant.id)
    assert notices.remove_webhook(connected.ngo.organisation_id)
    clock.catch_up()
    assert notices.deliver_due().abandoned == 1 and sender.sent == []


def test_two_workers_never_send_the_same_notice_concurrently(services: Services) -> None:
    clock, sender = Clock(), FlakySender(delay=0.05)
    workers = [_notices(services, sender, clock) for _ in range(2)]
    ngo = None
    for _ in range(6):
        connected = connect(services, (PHONE,), ngo=ngo)
        ngo = connected.ngo
        workers[0].set_webhook(ngo.organisation_id, "https://ngo.example/n")
        services.consent.grants.revoke(connected.person_id, connected.grant.id)
    clock.catch_up()
    threads = [threading.Thread(target=w.deliver_due) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for worker in workers:  # whatever one worker skipped because the other held it
        worker.deliver_due()
    assert sorted(sender.sent) == sorted({row.receipt_id for row in _outbox(services)})
    assert len(sender.sent) == 6


@pytest.mark.parametrize(
    ("url", "allow_private"),
    [
        ("http://ngo.example/n", True),  # plain http off loopback
        ("ftp://ngo.example/n", True),
        ("https://user:pw@ngo.example/n", True),
        ("https://ngo.example/n#frag", True),
        ("https://" + "a" * 2000 + ".example/", True),
        ("https://ngo.example:99999/", True),
        ("http://127.0.0.1:8080/n", False),  # loopback only outside production
        ("https://10.1.2.3/n", False),
        ("https://169.254.169.254/latest", False),
        ("https://[::1]/n", False),
        ("notaurl", True),
    ],
)
def test_unacceptable_webhook_urls(url: str, allow_private: bool) -> None:
    with pytest.raises(InvalidWebhookUrl):
        validate_webhook_url(url, allow_private=allow_private)


def test_acceptable_webhook_urls() -> None:
    validate_webhook_url("https://ngo.example/pds?x=1", allow_private=False)
    validate_webhook_url("http://127.0.0.1:9/n", allow_private=True)


def test_the_http_sender_posts_the_jws_with_its_idempotency_key() -> None:
    receiver = Receiver().start()
    try:
        send = http_sender(allow_private=True)
        send(receiver.url, "a.b.c", "receipt-1", 2)
        key, body, headers = receiver.posts[0]
        assert (key, body) == ("receipt-1", "a.b.c")
        assert headers["Content-Type"] == "application/jose"
        receiver.fail_next = 1
        with pytest.raises(DeliveryFailed, match="HTTP 503"):
            send(receiver.url, "a.b.c", "receipt-2", 2)
    finally:
        receiver.stop()
    with pytest.raises(DeliveryFailed, match="no answer"):
        send(receiver.url, "a.b.c", "receipt-3", 2)  # nobody listening


def test_the_http_sender_refuses_private_addresses_in_production() -> None:
    with pytest.raises(DeliveryFailed, match="non-public"):
        http_sender(allow_private=False)(f"https://localhost:{free_port()}/n", "a.b.c", "r", 2)


def test_finished_notices_are_pruned_after_a_while_pending_ones_never(services: Services) -> None:
    clock, sender = Clock(), FlakySender()
    notices = _notices(services, sender, clock)
    connected = connect(services, (PHONE,))
    notices.set_webhook(connected.ngo.organisation_id, "https://ngo.example/n")
    services.consent.grants.revoke(connected.person_id, connected.grant.id)
    clock.catch_up()
    assert notices.deliver_due().delivered == 1
    waiting = connect(services, (PHONE,), ngo=connected.ngo)
    services.consent.grants.revoke(waiting.person_id, waiting.grant.id)
    assert notices.prune() == 0
    clock.advance(timedelta(days=31).total_seconds())
    assert notices.prune() == 1
    assert [row.status for row in _outbox(services)] == ["pending"]
    assert len(services.receipts.receipts.chain(connected.grant.id)) == 2  # receipts stay
