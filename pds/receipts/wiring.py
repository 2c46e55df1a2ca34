"""Hands `consent` what receipts and notices need from `pds` (keys, settings, the catalogue) and
hands `pds` the receipt services, routes, metrics and the background worker back."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

import structlog
from litestar.di import Provide
from litestar.types import ControllerRouterHandler
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import Connection, func, select

from consent.client_credentials import ClientAuthenticator
from consent.grant_service import GrantService
from consent.notice_delivery import Sender, http_sender
from consent.notices import NoticePolicy, NoticeService, outbox_stats
from consent.receipt_content import ReceiptContext
from consent.receipt_tables import consent_receipts
from consent.receipts import ReceiptService, export_receipts
from crypto.signing import SigningKeyring
from pds.account.service import AccountService
from pds.db import Database
from pds.dependencies import constant
from pds.keystore import FileKeyProvider, KeyConfigurationError, KeyStore
from pds.receipts.personal_data import personal_data_categories
from pds.receipts.routes import (
    MyReceiptsController,
    OrganisationReceiptsController,
    WebhookController,
    jwks,
)
from pds.receipts.worker import BackgroundWorker
from pds.settings import Settings

RECEIPT_LANGUAGE = "en"
log = structlog.get_logger("pds.receipts")


@dataclass(frozen=True)
class ReceiptServices:
    receipts: ReceiptService
    notices: NoticeService
    clients: ClientAuthenticator
    worker: BackgroundWorker


class CurrentSigningKeys:
    """The signing keyring, re-read when another process (`pds keys rotate-signing`) changed the
    key file: a server must publish a new key as soon as any process may sign with it."""

    def __init__(self, keys: KeyStore) -> None:
        self.keys = keys
        self._seen = self._stamp()

    def _stamp(self) -> int | None:
        provider = self.keys.provider
        if not isinstance(provider, FileKeyProvider):
            return None  # keys from a setting cannot change under a running process
        try:
            return provider.path.stat().st_mtime_ns
        except OSError:
            return None

    def __call__(self) -> SigningKeyring:
        stamp = self._stamp()
        if stamp != self._seen:
            try:
                self.keys.reload()
                self._seen = stamp
            except KeyConfigurationError as exc:
                log.error("key_reload_failed", error=str(exc))
        return self.keys.signing


def notice_policy(settings: Settings) -> NoticePolicy:
    return NoticePolicy(
        retry_base=timedelta(seconds=settings.notice_retry_base_seconds),
        retry_max=timedelta(seconds=settings.notice_retry_max_seconds),
        give_up_after=timedelta(hours=settings.notice_give_up_hours),
        timeout_seconds=settings.notice_timeout_seconds,
    )


def build_receipts(
    settings: Settings,
    db: Database,
    keys: KeyStore,
    grants: GrantService,
    account: AccountService,
    *,
    sender: Sender | None = None,
) -> ReceiptServices:
    """Receipts for every grant change (a grant hook), notices for those that take access away."""
    context = ReceiptContext(
        issuer=settings.public_url,
        jurisdiction=settings.receipt_jurisdiction,
        language=RECEIPT_LANGUAGE,
        withdrawal_url=f"{settings.public_url}/connections",
        personal_data=personal_data_categories(),
    )
    receipts = ReceiptService(db, context, CurrentSigningKeys(keys), keys.index_key)
    # Loopback and private webhook addresses only outside production (tests, local development).
    allow_private = not settings.is_production
    notices = NoticeService(
        db,
        sender or http_sender(allow_private=allow_private),
        notice_policy(settings),
        allow_private=allow_private,
    )
    receipts.listeners.append(notices.enqueue)
    grants.hooks.append(receipts)
    account.export_sections.append(
        lambda person_id: ("receipts", export_receipts(receipts, person_id))
    )
    worker = BackgroundWorker(
        notices,
        grants,
        interval=settings.worker_interval_seconds,
        sweep_every=settings.expiry_sweep_seconds,
        shutdown_grace=2 * settings.notice_timeout_seconds + 5,
    )
    return ReceiptServices(receipts, notices, ClientAuthenticator(db), worker)


def receipt_metrics(conn: Connection) -> Iterable[GaugeMetricFamily]:
    """Receipts issued, and the outbox: its depth and its delivery failures."""
    stats = outbox_stats(conn)
    issued = conn.execute(select(func.count()).select_from(consent_receipts)).scalar_one()
    yield GaugeMetricFamily("pds_consent_receipts", "Consent receipts issued", value=issued)
    yield GaugeMetricFamily(
        "pds_notice_outbox_depth", "Notices to organisations awaiting delivery", value=stats.pending
    )
    yield GaugeMetricFamily(
        "pds_notice_outbox_failing",
        "Notices awaiting delivery whose last attempt failed",
        value=stats.failing,
    )
    yield GaugeMetricFamily(
        "pds_notice_delivery_failures",
        "Failed delivery attempts over all notices",
        value=stats.failed_attempts,
    )
    yield GaugeMetricFamily(
        "pds_notices_abandoned", "Notices given up after retrying", value=stats.abandoned
    )


def receipt_dependencies(services: ReceiptServices) -> dict[str, Provide]:

    return {
        "receipts": constant(services.receipts),
        "notices": constant(services.notices),
        "client_authenticator": constant(services.clients),
    }


def receipt_route_handlers() -> list[ControllerRouterHandler]:
    return [MyReceiptsController, OrganisationReceiptsController, WebhookController, jwks]
