"""Builds the audit log from settings and keys, and hands `pds` its services, routes, hooks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from litestar import Litestar
from sqlalchemy.exc import DBAPIError

from consent.audit.checkpoints import CheckpointSigner, OriginMismatch
from consent.audit.log import AuditLog
from consent.grant_service import GrantService
from consent.oauth.server import ConsentAuthorizationServer
from pds.audit.consent_hooks import ConsentAudit
from pds.audit.scheduler import AuditScheduler
from pds.audit.service import AuditorService
from pds.audit.trail import AuditTrail
from pds.db import Database
from pds.keystore import KeyStore
from pds.request_id import current_request_id
from pds.settings import Settings


@dataclass(frozen=True)
class AuditServices:
    trail: AuditTrail
    auditor: AuditorService
    scheduler: AuditScheduler
    consent: ConsentAudit

    def attach(self, grants: GrantService, oauth: ConsentAuthorizationServer) -> None:
        """Audit every grant change and token event, in the transaction that makes it."""
        grants.hooks.append(self.consent.grant_changed)
        oauth.token_hooks.append(self.consent.token_changed)


def log_origin(public_url: str) -> str:
    """The checkpoint origin (and key name): the service's host and path, then `/audit`."""
    parts = urlsplit(public_url)
    return f"{parts.netloc}{parts.path.rstrip('/')}/audit"


class AuditOriginMisconfigured(Exception):
    """PDS_PUBLIC_URL names another audit log than the stored one: nothing may sign."""

    def __init__(self, mismatch: OriginMismatch) -> None:
        super().__init__(
            f"{mismatch}; set PDS_PUBLIC_URL to the server's public URL (the one that gives "
            f"{mismatch.stored})"
        )


def check_log_origin(audit: AuditServices) -> None:
    """Refuse to run a process that would sign the stored log under another origin.

    A database not reachable or not migrated yet is left to the readiness checks: signing
    (`publish`) refuses another origin by itself whenever it comes to that.
    """
    try:
        audit.auditor.check_origin()
    except OriginMismatch as exc:
        raise AuditOriginMisconfigured(exc) from None
    except DBAPIError:
        return


def build_audit(settings: Settings, db: Database, keys: KeyStore) -> AuditServices:
    signer = CheckpointSigner(log_origin(settings.public_url), lambda: keys.signing.active)
    log = AuditLog(
        signer,
        request_id=current_request_id,
        checkpoint_every=settings.audit_checkpoint_every_entries,
    )
    # On PostgreSQL, a group commit's entries are written at its end (the lock held briefly).
    db.defer_in_groups(log)
    trail = AuditTrail(log, db, keys)
    retention = (
        None
        if settings.audit_retention_days is None
        else timedelta(days=settings.audit_retention_days)
    )
    auditor = AuditorService(
        trail,
        checkpoint_every_seconds=settings.audit_checkpoint_every_seconds,
        retention=retention,
    )
    every = settings.audit_checkpoint_every_seconds
    # Tick often enough to honour T; with no timer, only pruning (if any) needs the thread.
    interval = min(every, 5.0) if every > 0 else (60.0 if retention is not None else 0.0)
    scheduler = AuditScheduler(
        auditor.checkpoint_if_due,
        auditor.prune if retention is not None else None,
        interval=interval,
    )
    return AuditServices(trail, auditor, scheduler, ConsentAudit(trail))


def audit_lifespan(audit: AuditServices) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """Runs the audit scheduler while the application runs; refuses to start on another origin."""

    @asynccontextmanager
    async def lifespan(_app: Litestar) -> AsyncIterator[None]:
        # Before serving or signing anything: a server with another origin would fork the log.
        check_log_origin(audit)
        audit.scheduler.start()
        try:
            yield
        finally:
            audit.scheduler.stop()

    return lifespan
