"""`create_app(settings)`: the one place where storage, keys, services and HTTP are wired."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from litestar import Litestar, Request, Response
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import ResponseHeader, State
from litestar.di import Provide
from litestar.exceptions import HTTPException, ValidationException
from litestar.static_files import create_static_files_router
from sqlalchemy.exc import DBAPIError

from crypto.passwords import PasswordHasher
from pds import problems
from pds.account.routes import MyAccountController
from pds.account.service import AccountService
from pds.allow import allow_header_middleware
from pds.audit.backup import check_restored_root, checkpoint_fact
from pds.audit.health import checkpoint_freshness_check
from pds.audit.metrics import audit_metrics
from pds.audit.routes import AuditController, MyActivityController
from pds.audit.wiring import AuditServices, audit_lifespan, build_audit
from pds.backup import ManifestFact, RestoreCheck
from pds.baseline import bench_baseline
from pds.connections.metrics import consent_metrics
from pds.connections.wiring import (
    ConsentServices,
    build_consent,
    consent_dependencies,
    consent_route_handlers,
    scope_labels,
)
from pds.contract import StrictModelSchemas, openapi_config
from pds.cors import browser_app_origins, cors_headers, cors_middleware
from pds.db import Database
from pds.dependencies import constant
from pds.forwarded import forwarded_for_middleware
from pds.gc_pauses import freeze_startup_objects
from pds.health import ReadinessCheck, core_readiness_checks, health_routes
from pds.json_bodies import JsonBodyRequest
from pds.keystore import KeyConfigurationError, KeyStore, key_provider_for
from pds.logs import configure_logging
from pds.metrics import (
    MetricSource,
    core_source,
    metrics_route,
    prometheus_middleware_config,
)
from pds.people.auth import principal_from_request, session_cookie_name
from pds.people.recovery import AccountRecovery
from pds.people.renewal import renewed_session_hook
from pds.people.routes import AccountController
from pds.people.service import PeopleService, Principal
from pds.people.sign_in_failures import SignInFailures
from pds.rate_limits import limit_groups, rate_limit_middleware
from pds.receipts.wiring import (
    ReceiptServices,
    build_receipts,
    receipt_dependencies,
    receipt_metrics,
    receipt_route_handlers,
)
from pds.records.organisation_routes import RecordFetch
from pds.records.routes import MyRecordsController, list_record_types
from pds.records.service import RecordService
from pds.request_id import request_id_middleware, with_request_id
from pds.settings import Settings, load_settings
from pds.web.guard import failure_page, http_page, wants_a_page
from pds.web.routes import template_config, web_routes

WEB_DIR = Path(__file__).parent / "web"

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; connect-src 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


@dataclass(frozen=True)
class Services:
    """Everything a request handler may be handed."""

    settings: Settings
    db: Database
    keys: KeyStore
    people: PeopleService
    records: RecordService
    account: AccountService
    consent: ConsentServices
    audit: AuditServices
    receipts: ReceiptServices
    # Parts of the service add what operators should see: scrape-time metrics and readiness.
    metric_sources: list[MetricSource] = field(default_factory=lambda: [core_source])
    readiness_checks: list[ReadinessCheck] = field(default_factory=list)
    backup_facts: list[ManifestFact] = field(default_factory=list)
    restore_checks: list[RestoreCheck] = field(default_factory=list)


def build_services(settings: Settings) -> Services:
    keys = KeyStore(key_provider_for(settings.keyring_json, settings.resolved_keyring_file))
    if settings.is_production and keys.material.development:
        raise KeyConfigurationError(
            "refusing to start in production with development keys: generate production keys "
            "with `pds keys init` and keep them out of the data directory's backups"
        )
    db = Database(settings.resolved_database_url)
    hasher = PasswordHasher(
        time_cost=settings.password_time_cost, memory_cost=settings.password_memory_kib
    )
    audit = build_audit(settings, db, keys)
    ttl = timedelta(seconds=settings.session_ttl_seconds)
    failures = SignInFailures(
        settings.signin_failures_per_account, settings.signin_failure_window_minutes * 60
    )
    people = PeopleService(db, keys, hasher, ttl, audit.trail, failures)
    records = RecordService(db, keys, audit.trail)
    account = AccountService(
        db, keys, people, records, audit=audit.trail, shred_on_erasure=settings.shred_on_erasure
    )
    consent = build_consent(settings, db, keys, account)
    audit.attach(consent.grants, consent.oauth)
    receipts = build_receipts(settings, db, keys, consent.grants, account)
    services = Services(settings, db, keys, people, records, account, consent, audit, receipts)
    services.metric_sources.append(receipt_metrics)
    services.metric_sources.append(audit_metrics)
    services.metric_sources.append(consent_metrics)
    services.readiness_checks.extend(core_readiness_checks(db, keys))
    services.backup_facts.append(checkpoint_fact(audit.auditor))
    services.restore_checks.append(check_restored_root)
    services.readiness_checks.append(
        checkpoint_freshness_check(db, settings.audit_checkpoint_every_seconds)
    )
    return services


def _csrf_secret(services: Services) -> str:
    # Derived from a server key so it survives restarts and is never stored anywhere else.
    return hmac.new(services.keys.index_key, b"pds.csrf.v1", hashlib.sha256).hexdigest()


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """Outside a route (an unknown address, a method a path does not take, a refusal by a
    middleware): a page for a browser, RFC 9457 problem+json for everyone else."""
    if wants_a_page(request):
        return http_page(request, exc)  # which adds the request id itself
    answer = problems.http_problem(exc, oauth=request.url.path.startswith("/oauth/"))
    answer.headers.update(
        with_request_id(request.scope, cors_headers(request.scope), exc.status_code)
    )
    return answer


def _internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    answer = problems.internal_error(request, exc)  # logged there, with the request id
    return failure_page(answer.status_code or 500) if wants_a_page(request) else answer


def create_app(settings: Settings, services: Services | None = None) -> Litestar:
    """Build the web application for these settings."""
    configure_logging(settings)
    services = services or build_services(settings)
    cookie = session_cookie_name(settings.secure_cookies)

    def provide_principal(request: Request[Any, Any, Any]) -> Principal:
        return principal_from_request(request, services.people, cookie, settings.public_url)

    exception_handlers: dict[Any, Any] = {
        ValidationException: lambda _r, e: problems.validation_problem(e),
        HTTPException: _http_error,
        DBAPIError: _internal_error,
        Exception: _internal_error,
    }
    for domain_error in problems.DOMAIN_PROBLEMS:
        exception_handlers[domain_error] = lambda _r, e: problems.domain_problem(e)

    return Litestar(
        route_handlers=[
            AccountController,
            MyRecordsController,
            MyAccountController,
            MyActivityController,
            AuditController,
            list_record_types,
            *health_routes(services.readiness_checks),
            metrics_route(settings, services.db, services.metric_sources),
            *web_routes(),
            *consent_route_handlers(),
            *receipt_route_handlers(),
            *([bench_baseline] if settings.bench_baseline else []),
            create_static_files_router(
                path="/static", directories=[WEB_DIR / "static"], include_in_schema=False
            ),
        ],
        dependencies={
            "settings": constant(settings),
            "people": constant(services.people),
            "recovery": constant(AccountRecovery(services.people)),
            "records": constant(services.records),
            "record_fetch": constant(RecordFetch(services.consent.access, services.records)),
            "account": constant(services.account),
            "auditor": constant(services.audit.auditor),
            "principal": Provide(provide_principal, sync_to_thread=True),
            **consent_dependencies(services.consent),
            **receipt_dependencies(services.receipts),
        },
        exception_handlers=exception_handlers,
        before_send=[renewed_session_hook(settings)],
        request_class=JsonBodyRequest,
        middleware=[
            # Behind trusted proxies the client's address comes from X-Forwarded-For.
            *forwarded_for_middleware(settings.trusted_proxies),
            request_id_middleware,
            # Only for what a browser-based OAuth app calls, and the public documents.
            cors_middleware(browser_app_origins(services.db)),
            allow_header_middleware,
            prometheus_middleware_config().middleware,
            *rate_limit_middleware(limit_groups(settings)),
        ],
        response_headers=[ResponseHeader(name=k, value=v) for k, v in SECURITY_HEADERS.items()],
        request_max_body_size=settings.max_body_bytes,
        csrf_config=CSRFConfig(
            secret=_csrf_secret(services),
            cookie_name="pds_csrf",
            cookie_secure=settings.secure_cookies,
            cookie_samesite="strict",
            header_name="x-csrf-token",
            exclude=["/api/", "/health/", "/schema"],
        ),
        template_config=template_config(),
        openapi_config=openapi_config(cookie, scope_labels()),
        plugins=[StrictModelSchemas()],
        # The worker delivers notices and sweeps expired grants while the app runs.
        on_startup=[
            services.db.start_background,
            *([services.receipts.worker.start] if settings.background_worker else []),
        ],
        on_shutdown=[
            services.receipts.worker.stop,
            services.db.stop_background,
            services.db.dispose,
        ],
        # The audit clock: a signed checkpoint at least every T seconds, and retention.
        lifespan=[audit_lifespan(services.audit)],
        state=State({"services": services}),
        debug=False,
        logging_config=None,  # pds.logs configures logging
    )


def create_app_from_env() -> Litestar:
    """Factory for the ASGI server: settings from the process environment."""
    app = create_app(load_settings())
    app.on_startup.append(freeze_startup_objects)  # last: after everything start-up makes
    return app
