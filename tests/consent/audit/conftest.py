"""A bare audit log on each engine: no accounts, just entries (fast to fill)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from consent.audit.checkpoints import CheckpointSigner
from consent.audit.log import ActorType, AuditEvent, AuditLog
from consent.storage import utcnow
from crypto.signing import SigningKey
from pds.db import Database

ORIGIN = "pds.test/audit"


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class BareLog:
    db: Database
    log: AuditLog
    key: SigningKey
    clock: Clock

    def fill(self, count: int, action: str = "record.read") -> None:
        """Append `count` entries, a few hundred per transaction."""
        done = 0
        while done < count:
            with self.db.write() as conn:
                for _ in range(min(500, count - done)):
                    done += 1
                    self.log.append(conn, event(action, str(done)))


def event(action: str = "record.read", record_id: str = "r1") -> AuditEvent:
    return AuditEvent(
        action,
        ActorType.ORGANISATION,
        actor_id="pds_client",
        subject="ps_" + "0" * 32,
        organisation_id="org-1",
        client_id="pds_client",
        record_types=("contact.phone",),
        record_ids=(record_id,),
        grant_id="grant-1",
        purpose="service-provision",
    )


@pytest.fixture
def bare_log(database_url: str) -> Iterator[BareLog]:
    db = Database(database_url)
    key = SigningKey.generate("sig-test")
    clock = Clock(utcnow())
    log = AuditLog(
        CheckpointSigner(ORIGIN, lambda: key),
        request_id=lambda: "req-0001",
        checkpoint_every=100,
        clock=clock,
    )
    yield BareLog(db, log, key, clock)
    db.dispose()


Filler = Callable[[int], None]
