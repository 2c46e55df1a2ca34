"""RFC 9457 problem+json: the one shape of every API error, and the domain-error table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import DBAPIError, OperationalError

from consent.access import (
    InsufficientScope,
    InvalidAccessToken,
    MalformedBearerRequest,
    MissingAccessToken,
)
from consent.audit.log import AuditUnavailable
from consent.audit.queries import InvalidCursor as InvalidAuditCursor
from consent.client_credentials import InvalidClientCredentials
from consent.grant_service import InvalidDuration
from consent.grants import GrantNotActive, GrantNotFound, WideningRefused
from consent.notice_delivery import InvalidWebhookUrl
from consent.receipts import InvalidCursor, ReceiptIntegrityError, ReceiptNotFound
from consent.scopes import InvalidScope
from crypto.keys import UnknownKeyError
from crypto.passwords import PasswordPolicyError
from pds.audit.service import NotAnAuditor, OutOfRange, Pruned, UnknownPerson
from pds.people.auth import NotAPerson
from pds.people.datakeys import DataKeyMissing
from pds.people.recovery import RecoveryFailed
from pds.people.service import EmailAlreadyRegistered, InvalidCredentials
from pds.people.sign_in_failures import TooManySignInFailures
from pds.records.catalogue import UnknownRecordType
from pds.records.idempotency import IdempotencyKeyReused
from pds.records.service import (
    InvalidRecordValue,
    RecordIntegrityError,
    RecordNotFound,
    TooManyRecords,
    VersionConflict,
)

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "/problems/"
log = structlog.get_logger("pds.problems")


@dataclass(frozen=True)
class ProblemKind:
    status: int
    slug: str
    title: str


# Domain exceptions know nothing of HTTP; this table is where they become responses.
DOMAIN_PROBLEMS: Mapping[type[Exception], ProblemKind] = {
    InvalidCredentials: ProblemKind(401, "invalid-credentials", "Email or password is wrong"),
    EmailAlreadyRegistered: ProblemKind(
        409, "account-exists", "An account with this email already exists"
    ),
    RecoveryFailed: ProblemKind(
        401, "recovery-failed", "Email or recovery code is wrong, or the code was already used"
    ),
    PasswordPolicyError: ProblemKind(422, "validation", "The password is not acceptable"),
    UnknownRecordType: ProblemKind(422, "unknown-record-type", "Unknown record type"),
    InvalidRecordValue: ProblemKind(422, "validation", "The record value is not valid"),
    RecordNotFound: ProblemKind(404, "not-found", "No such record"),
    VersionConflict: ProblemKind(
        409, "version-conflict", "The record was changed since you last read it"
    ),
    RecordIntegrityError: ProblemKind(
        409,
        "record-integrity",
        "A stored record failed its integrity check and was not returned",
    ),
    TooManyRecords: ProblemKind(422, "too-many-records", "Too many records"),
    IdempotencyKeyReused: ProblemKind(
        422, "idempotency-key-reused", "This Idempotency-Key was used for a different request"
    ),
    DataKeyMissing: ProblemKind(410, "account-erased", "This account has been erased"),
    # A data key wrapped by a destroyed KEK: an erasure shredded it (e.g. restored from a backup).
    UnknownKeyError: ProblemKind(410, "account-erased", "This data was erased and cannot be read"),
    MissingAccessToken: ProblemKind(401, "unauthenticated", "A bearer token is required"),
    MalformedBearerRequest: ProblemKind(
        400, "invalid-request", "Send the access token once, as an Authorization: Bearer header"
    ),
    InvalidAccessToken: ProblemKind(
        401, "invalid-token", "The access token is invalid, expired or revoked"
    ),
    InsufficientScope: ProblemKind(
        403, "insufficient-scope", "The access token does not allow this"
    ),
    GrantNotFound: ProblemKind(404, "not-found", "No such connection"),
    GrantNotActive: ProblemKind(409, "connection-ended", "This connection has already ended"),
    WideningRefused: ProblemKind(422, "widening-refused", "A connection can only be narrowed here"),
    InvalidDuration: ProblemKind(422, "validation", "The end date is not acceptable"),
    InvalidScope: ProblemKind(422, "invalid-scope", "Unknown or malformed scope"),
    NotAnAuditor: ProblemKind(403, "forbidden", "Only auditors may use the audit API"),
    TooManySignInFailures: ProblemKind(
        429, "too-many-failures", "Too many wrong passwords for this account: wait, then retry"
    ),
    NotAPerson: ProblemKind(
        403, "forbidden", "Only a person's own account keeps records, connections and receipts"
    ),
    UnknownPerson: ProblemKind(404, "person-not-found", "No such person (or they were erased)"),
    OutOfRange: ProblemKind(422, "out-of-range", "Outside the audit log"),
    Pruned: ProblemKind(410, "pruned", "Removed from the audit log by the retention policy"),
    InvalidAuditCursor: ProblemKind(400, "invalid-cursor", "The cursor was not handed out here"),
    AuditUnavailable: ProblemKind(
        503, "audit-unavailable", "The action could not be audited, so it was not carried out"
    ),
    InvalidClientCredentials: ProblemKind(
        401, "invalid-client", "Client authentication failed (HTTP Basic: client_id and secret)"
    ),
    ReceiptNotFound: ProblemKind(404, "not-found", "No such receipt"),
    InvalidCursor: ProblemKind(400, "invalid-cursor", "The cursor was not handed out here"),
    ReceiptIntegrityError: ProblemKind(
        409, "receipt-integrity", "A stored receipt failed verification and was not returned"
    ),
    InvalidWebhookUrl: ProblemKind(422, "invalid-webhook", "The webhook URL is not acceptable"),
}

# RFC 6750 §3: the resource API's 401/403 say how to authenticate and what went wrong.
_BEARER_REALM = 'Bearer realm="pds"'


def bearer_challenge(exc: Exception) -> dict[str, str] | None:
    if isinstance(exc, InvalidClientCredentials):  # RFC 7617: the organisation API is Basic
        return {"WWW-Authenticate": 'Basic realm="pds", charset="UTF-8"'}
    if isinstance(exc, MissingAccessToken):
        return {"WWW-Authenticate": _BEARER_REALM}
    if isinstance(exc, MalformedBearerRequest):  # §3.1: a malformed request is 400
        return {"WWW-Authenticate": f'{_BEARER_REALM}, error="invalid_request"'}
    if isinstance(exc, InvalidAccessToken):
        return {"WWW-Authenticate": f'{_BEARER_REALM}, error="invalid_token"'}
    if isinstance(exc, InsufficientScope):
        scope = exc.scope
        return {"WWW-Authenticate": f'{_BEARER_REALM}, error="insufficient_scope", scope="{scope}"'}
    return None


def problem(
    status: int,
    slug: str,
    title: str,
    detail: str | None = None,
    *,
    errors: Sequence[Mapping[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {"type": PROBLEM_BASE + slug, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = list(errors)
    if extra:
        body.update(extra)
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=dict(headers or {}))


def _pointer(loc: Sequence[Any]) -> str:
    """A JSON Pointer (RFC 6901) to the failing field, as RFC 9457 suggests."""
    return "/" + "/".join(str(part).replace("~", "~0").replace("/", "~1") for part in loc)


def _field_errors(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    return [
        {
            "field": ".".join(str(p) for p in err["loc"]),
            "pointer": _pointer(err["loc"]),
            "message": str(err["msg"]),
        }
        for err in errors
    ]


def domain_problem(exc: Exception) -> Response[dict[str, Any]]:
    kind = next(k for cls, k in DOMAIN_PROBLEMS.items() if isinstance(exc, cls))
    errors: list[dict[str, str]] | None = None
    detail: str | None = None
    extra: dict[str, Any] = {}
    if isinstance(exc, InvalidRecordValue):
        errors = _field_errors(exc.errors)
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    elif isinstance(exc, PasswordPolicyError):
        errors = [{"field": "password", "pointer": "/password", "message": str(exc)}]
        detail = str(exc)
    elif isinstance(exc, UnknownRecordType):
        errors = [{"field": "type", "pointer": "/type", "message": "unknown record type"}]
        detail = "See GET /api/v1/record-types for the catalogue."
    elif isinstance(exc, VersionConflict):
        extra["current_version"] = exc.current
    elif isinstance(exc, RecordIntegrityError):
        extra["record_id"] = exc.record_id
        log.error("record_integrity_failure", record_id=exc.record_id)
    elif isinstance(exc, (WideningRefused, InvalidDuration, InvalidScope, InvalidWebhookUrl)):
        detail = str(exc)
    elif isinstance(exc, ReceiptIntegrityError):
        extra["receipt_id"] = exc.receipt_id
        log.error("receipt_integrity_failure", receipt_id=exc.receipt_id)
    if isinstance(exc, (OutOfRange, Pruned)):
        detail = str(exc)
    if isinstance(exc, AuditUnavailable):
        log.error("audit_unavailable", action=str(exc), cause=type(exc.__cause__).__name__)
    return problem(
        kind.status,
        kind.slug,
        kind.title,
        detail,
        errors=errors,
        extra=extra,
        headers=bearer_challenge(exc) or _retry_later(exc),
    )


def _retry_later(exc: Exception) -> dict[str, str] | None:
    if isinstance(exc, TooManySignInFailures):
        return {"Retry-After": str(exc.retry_after)}
    return {"Retry-After": "5"} if isinstance(exc, AuditUnavailable) else None


# What a parameter's pattern asks for, in words: msgspec's own message quotes the regex.
_PATTERN_WORDS: dict[str, str] = {}
_REGEX_MESSAGE = "Expected `str` matching regex "


def describe_pattern(pattern: str, words: str) -> str:
    """Register how a refusal of `pattern` is said; returns the pattern, for the parameter."""
    _PATTERN_WORDS[pattern] = words
    return pattern


def _plain(message: str) -> str:
    if message == "Expected `str` of length >= 1":  # a parameter given empty
        return "empty"
    if not message.startswith(_REGEX_MESSAGE):
        return message
    quoted = message.removeprefix(_REGEX_MESSAGE)
    for pattern, words in _PATTERN_WORDS.items():
        if quoted == repr(pattern):
            return words
    return "not in the expected format (see the API description)"


def validation_problem(exc: ValidationException) -> Response[dict[str, Any]]:
    """Litestar's 400 for a malformed body becomes 422 naming each failing field."""
    errors: list[dict[str, str]] = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        key = str(item.get("key") or "")
        loc = [part for part in key.split(".") if part] if key else []
        errors.append(
            {
                "field": key or "(body)",
                "pointer": _pointer(loc),
                "message": _plain(str(item.get("message", "invalid"))),
            }
        )
    if not errors:  # e.g. the body is not JSON at all
        return problem(
            400, "malformed-request", "The request could not be parsed", exc.detail or None
        )
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problem(422, "validation", "The request is not valid", detail, errors=errors)


# RFC 6749 §5.2 codes for refusals made before the OAuth endpoints' own handling (a method the
# endpoint does not take, a body too large, a rate limit): a stock OAuth client reads `error`.
_OAUTH_ERRORS = {429: "temporarily_unavailable"}


def http_problem(exc: HTTPException, *, oauth: bool = False) -> Response[dict[str, Any]]:
    slug = {
        400: "malformed-request",  # e.g. a body that is not JSON
        401: "unauthenticated",
        403: "forbidden",
        404: "not-found",
        405: "method-not-allowed",
        413: "payload-too-large",
        415: "unsupported-media-type",
        429: "rate-limited",
    }.get(exc.status_code, "http-error")
    detail = exc.detail if exc.detail and exc.status_code < 500 else None
    headers = dict(exc.headers or {})
    if exc.status_code == 429 and "Retry-After" not in headers:
        # Litestar sends the draft RateLimit-Reset header; clients also expect Retry-After.
        headers["Retry-After"] = headers.get("RateLimit-Reset", "60")
    extra = None
    if oauth and 400 <= exc.status_code < 500:
        extra = {"error": _OAUTH_ERRORS.get(exc.status_code, "invalid_request")}
    return problem(
        exc.status_code,
        slug,
        _reason(exc.status_code),
        detail,
        headers=headers or None,
        extra=extra,
    )


def _reason(status: int) -> str:
    return HTTPStatus(status).phrase


def database_unavailable(exc: Exception) -> Response[dict[str, Any]]:
    log.error("database_unavailable", error=type(exc).__name__)
    return unavailable()


def unavailable() -> Response[dict[str, Any]]:
    """503 while the database is unreachable: nothing was changed, retry shortly."""
    return problem(
        503,
        "unavailable",
        "The service is temporarily unavailable",
        "Please retry shortly.",
        headers={"Retry-After": "5"},
    )


def internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    if isinstance(exc, (OperationalError, DBAPIError)) and _is_connectivity(exc):
        return database_unavailable(exc)
    log.exception("unhandled_error", path=request.url.path, error=type(exc).__name__)
    return problem(
        HTTP_500_INTERNAL_SERVER_ERROR, "internal", "Internal error", "The error was logged."
    )


def _is_connectivity(exc: DBAPIError) -> bool:
    return bool(exc.connection_invalidated) or isinstance(exc, OperationalError)
