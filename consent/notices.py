"""Notices to organisations: when a grant loses scope, ends sooner or ends, its NGO is told.

An organisation registers one webhook URL. Each receipt of a change that takes access away
(narrowed, revoked, withdrawn, expired, invalidated by erasure, or a re-approval with items
unticked) is enqueued in the outbox inside the transaction that issues it — so a committed change
always has its notice, and a notice survives restarts. Delivery POSTs the signed receipt itself
(the NGO verifies it with the published JWKS) with the receipt id as `Idempotency-Key`, and retries
with exponential backoff until the receiver answers 2xx or the notice is too old.

Delivery is at least once: a receiver that took a notice but whose answer was lost gets it again,
with the same Idempotency-Key, so it must de-duplicate by it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, case, delete, func, insert, select, update

from consent.grants import GrantEvent, GrantState
from consent.notice_delivery import DeliveryFailed, Sender, validate_webhook_url
from consent.receipt_tables import consent_receipts, notice_outbox, organisation_webhooks
from consent.receipts import Receipt
from consent.storage import Transactions, utcnow

PENDING, DELIVERED, ABANDONED = "pending", "delivered", "abandoned"
# The outbox is a queue, not the record: receipts are. Finished notices are kept this long for
# operators (why was one abandoned?), then removed.
FINISHED_RETENTION = timedelta(days=30)


@dataclass(frozen=True)
class NoticePolicy:
    retry_base: timedelta = timedelta(seconds=30)
    retry_max: timedelta = timedelta(hours=1)
    give_up_after: timedelta = timedelta(days=3)
    timeout_seconds: float = 10.0

    @property
    def lease(self) -> timedelta:
        """How long a claimed notice is left alone: longer than any one delivery can take."""
        return timedelta(seconds=2 * self.timeout_seconds + 5)

    def backoff(self, failures: int) -> timedelta:
        """Exponential, capped, with jitter so that many failed notices do not retry in step."""
        base = self.retry_base.total_seconds() * 2 ** min(failures - 1, 30)
        delay = min(base, self.retry_max.total_seconds())
        return timedelta(seconds=delay * (0.5 + secrets.randbelow(501) / 1000))


@dataclass(frozen=True)
class Webhook:
    organisation_id: str
    url: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class DeliveryReport:
    delivered: int = 0
    failed: int = 0
    abandoned: int = 0


@dataclass(frozen=True)
class OutboxStats:
    pending: int
    failing: int  # pending, and the last attempt failed
    delivered: int
    abandoned: int
    failed_attempts: int


def takes_access_away(event: GrantEvent) -> bool:
    """Whether the organisation must act on this change (drop data, stop using a scope)."""
    before, after = event.previous, event.grant
    if before is None:
        return False
    return (
        after.state is not GrantState.ACTIVE
        or not before.scopes.issubset(after.scopes)
        or after.expires_at < before.expires_at
    )


class NoticeService:
    def __init__(
        self,
        db: Transactions,
        sender: Sender,
        policy: NoticePolicy,
        *,
        allow_private: bool,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.sender = sender
        self.policy = policy
        self.allow_private = allow_private
        self.clock = clock

    def set_webhook(self, organisation_id: str, url: str) -> Webhook:
        """Register or replace the organisation's webhook; pending notices go to the new URL."""
        url = validate_webhook_url(url.strip(), allow_private=self.allow_private)
        now = self.clock()
        with self.db.write() as conn:
            found = conn.execute(
                update(organisation_webhooks)
                .where(organisation_webhooks.c.organisation_id == organisation_id)
                .values(url=url, updated_at=now)
            ).rowcount
            if not found:
                conn.execute(
                    insert(organisation_webhooks).values(
                        organisation_id=organisation_id, url=url, created_at=now, updated_at=now
                    )
                )
        return self.get_webhook(organisation_id) or Webhook(organisation_id, url, now, now)

    def get_webhook(self, organisation_id: str) -> Webhook | None:
        with self.db.read() as conn:
            row = conn.execute(
                select(organisation_webhooks).where(
                    organisation_webhooks.c.organisation_id == organisation_id
                )
            ).first()
        return None if row is None else Webhook(row.organisation_id, row.url, *row[2:4])

    def remove_webhook(self, organisation_id: str) -> bool:
        """Stop notices; those still pending are abandoned when they come due."""
        with self.db.write() as conn:
            return bool(
                conn.execute(
                    delete(organisation_webhooks).where(
                        organisation_webhooks.c.organisation_id == organisation_id
                    )
                ).rowcount
            )

    def enqueue(self, conn: Connection, receipt: Receipt, event: GrantEvent) -> None:
        """The receipt listener: queue a notice if the change takes access away and the NGO
        has a webhook (without one, it reads `GET /api/v1/receipts` instead)."""
        if not takes_access_away(event):
            return
        has_webhook = conn.execute(
            select(organisation_webhooks.c.organisation_id).where(
                organisation_webhooks.c.organisation_id == receipt.organisation_id
            )
        ).first()
        if has_webhook is None:
            return
        conn.execute(
            insert(notice_outbox).values(
                receipt_id=receipt.id,
                organisation_id=receipt.organisation_id,
                status=PENDING,
                created_at=event.at,
                next_attempt_at=event.at,
                attempts=0,
                failures=0,
            )
        )

    def prune(self, older_than: timedelta = FINISHED_RETENTION) -> int:
        """Forget delivered and abandoned notices finished long ago (their receipts stay)."""
        with self.db.write() as conn:
            return int(
                conn.execute(
                    delete(notice_outbox).where(
                        notice_outbox.c.status != PENDING,
                        notice_outbox.c.finished_at < self.clock() - older_than,
                    )
                ).rowcount
            )

    def deliver_due(self, limit: int = 100) -> DeliveryReport:
        """Try every notice that is due (up to `limit`); safe to run in several processes."""
        report = DeliveryReport()
        failing: set[str] = set()
        for row in self._due(limit):
            # A receiver that just failed is not tried again for its other notices this round.
            if row.organisation_id in failing or not self._claim(row):
                continue
            error = self._send(row)
            if error is not None:
                failing.add(row.organisation_id)
            report = self._record(row, error, report)
        return report

    def _due(self, limit: int) -> list[Any]:
        query = (
            select(
                notice_outbox.c.receipt_id,
                notice_outbox.c.organisation_id,
                notice_outbox.c.next_attempt_at,
                notice_outbox.c.created_at,
                notice_outbox.c.failures,
                consent_receipts.c.jws,
                organisation_webhooks.c.url,
            )
            .join(consent_receipts, consent_receipts.c.id == notice_outbox.c.receipt_id)
            .outerjoin(
                organisation_webhooks,
                organisation_webhooks.c.organisation_id == notice_outbox.c.organisation_id,
            )
            .where(
                notice_outbox.c.status == PENDING, notice_outbox.c.next_attempt_at <= self.clock()
            )
            .order_by(notice_outbox.c.next_attempt_at, notice_outbox.c.receipt_id)
            .limit(limit)
        )
        with self.db.read() as conn:
            return list(conn.execute(query).all())

    def _claim(self, row: Any) -> bool:
        """Move the notice's next attempt past a lease, unless another worker got there first."""
        with self.db.write() as conn:
            claimed = conn.execute(
                update(notice_outbox)
                .where(
                    notice_outbox.c.receipt_id == row.receipt_id,
                    notice_outbox.c.status == PENDING,
                    notice_outbox.c.next_attempt_at == row.next_attempt_at,
                )
                .values(next_attempt_at=self.clock() + self.policy.lease)
            ).rowcount
        return claimed == 1

    def _send(self, row: Any) -> str | None:
        if row.url is None:
            return "no webhook registered"
        try:
            self.sender(row.url, row.jws, row.receipt_id, self.policy.timeout_seconds)
        except DeliveryFailed as exc:
            return exc.reason
        return None

    def _record(self, row: Any, error: str | None, report: DeliveryReport) -> DeliveryReport:
        now = self.clock()
        values: dict[str, Any] = {"attempts": notice_outbox.c.attempts + 1, "last_error": error}
        retry_at = None
        if error is None:
            values.update(status=DELIVERED, finished_at=now)
            report = DeliveryReport(report.delivered + 1, report.failed, report.abandoned)
        elif row.url is None or now - row.created_at >= self.policy.give_up_after:
            values.update(status=ABANDONED, finished_at=now, failures=row.failures + 1)
            report = DeliveryReport(report.delivered, report.failed, report.abandoned + 1)
        else:
            failures = row.failures + 1
            retry_at = now + self.policy.backoff(failures)
            values.update(failures=failures, next_attempt_at=retry_at)
            report = DeliveryReport(report.delivered, report.failed + 1, report.abandoned)
        with self.db.write() as conn:
            conn.execute(
                update(notice_outbox)
                .where(notice_outbox.c.receipt_id == row.receipt_id)
                .values(**values)
            )
            if retry_at is not None:
                _defer_organisation(conn, row.organisation_id, retry_at)
        return report


def _defer_organisation(conn: Connection, organisation_id: str, until: datetime) -> None:
    """A receiver that failed waits with all its notices: they would fail too, and retrying
    them one by one would keep other organisations' notices behind them in the queue."""
    conn.execute(
        update(notice_outbox)
        .where(
            notice_outbox.c.organisation_id == organisation_id,
            notice_outbox.c.status == PENDING,
            notice_outbox.c.next_attempt_at < until,
        )
        .values(next_attempt_at=until)
    )


def outbox_stats(conn: Connection) -> OutboxStats:
    """Counts for the metrics endpoint, read in the scrape's transaction."""
    failing = func.sum(case((notice_outbox.c.failures > 0, 1), else_=0))
    rows = conn.execute(
        select(
            notice_outbox.c.status,
            func.count(),
            func.coalesce(func.sum(notice_outbox.c.failures), 0),
            func.coalesce(failing, 0),
        ).group_by(notice_outbox.c.status)
    ).all()
    by_status = {
        status: (int(count), int(failures), int(fails)) for status, count, failures, fails in rows
    }
    pending = by_status.get(PENDING, (0, 0, 0))
    return OutboxStats(
        pending=pending[0],
        failing=pending[2],
        delivered=by_status.get(DELIVERED, (0, 0, 0))[0],
        abandoned=by_status.get(ABANDONED, (0, 0, 0))[0],
        failed_attempts=sum(failures for _, failures, _ in by_status.values()),
    )
