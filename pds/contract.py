"""The published contract's shared parts: who may call (security requirements and schemes), the
problem+json model, and the error responses operations declare — each defined once here and
named by the routes, so every operation documents its errors the same way.

Error examples are built by the same code that answers (`pds.problems`), so they cannot drift.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
    TooManyRequestsException,
)
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import (
    Components,
    Link,
    OAuthFlow,
    OAuthFlows,
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    Reference,
    Schema,
    SecurityScheme,
    Tag,
)
from litestar.plugins.pydantic import PydanticSchemaPlugin
from pydantic import BaseModel, Field

from consent.access import (
    InsufficientScope,
    InvalidAccessToken,
    MalformedBearerRequest,
    MissingAccessToken,
)
from consent.audit.log import AuditUnavailable
from consent.client_credentials import InvalidClientCredentials
from consent.examples import NamedExample, example_config
from consent.oauth.routes import CLIENT_SCHEME, REGISTRATION_SCHEME
from crypto.keys import UnknownKeyError
from pds import problems
from pds.json_bodies import unsupported_media_type
from pds.people.auth import NotAPerson
from pds.people.datakeys import DataKeyMissing
from pds.rate_limits import is_limited
from pds.records.catalogue import UnknownRecordType
from pds.records.views import (
    InvalidRecordValue,
    RecordIntegrityError,
    RecordNotFound,
    TooManyRecords,
    VersionConflict,
)

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator
    from litestar.typing import FieldDefinition

# --- who may call -------------------------------------------------------------------------------
SecurityRequirement = dict[str, list[str]]
PUBLIC: list[SecurityRequirement] = [{}]
SESSION: list[SecurityRequirement] = [{"session": []}]
# OpenAPI 3.1 lets a requirement of a non-OAuth scheme name the roles it needs.
AUDITOR: list[SecurityRequirement] = [{"session": ["auditor"]}]
SESSION_OR_NONE: list[SecurityRequirement] = [{"session": []}, {}]
BEARER: list[SecurityRequirement] = [{"bearer": []}]
CLIENT: list[SecurityRequirement] = [{CLIENT_SCHEME: []}]


def security_schemes(
    cookie: str, scopes: Mapping[str, str]
) -> dict[str, SecurityScheme | Reference]:
    """The schemes of the document; `scopes` are the OAuth scopes with their descriptions."""
    return {
        "session": SecurityScheme(
            type="apiKey",
            name=cookie,
            security_scheme_in="cookie",
            description="The session cookie from POST /api/v1/signup or /api/v1/signin. Writes "
            "from a browser must be same-origin.",
        ),
        "bearer": SecurityScheme(
            type="http",
            scheme="bearer",
            description="An organisation's OAuth 2.0 access token (see `oauth2`): valid only "
            "while the person's grant is active, and only for the record types it names.",
        ),
        "oauth2": SecurityScheme(
            type="oauth2",
            description="How an organisation obtains the `bearer` token: authorization code "
            "with PKCE (S256), the person approving on the consent screen; refresh tokens rotate.",
            flows=OAuthFlows(
                authorization_code=OAuthFlow(
                    authorization_url="/oauth/authorize",
                    token_url="/oauth/token",  # noqa: S106 - a path, not a secret
                    refresh_url="/oauth/token",
                    scopes=dict(sorted(scopes.items())),
                )
            ),
        ),
        CLIENT_SCHEME: SecurityScheme(
            type="http",
            scheme="basic",
            description="An OAuth client's id and secret (RFC 6749 §2.3.1: each form-urlencoded,"
            " then `id:secret` base64-encoded).",
        ),
        REGISTRATION_SCHEME: SecurityScheme(
            type="http",
            scheme="bearer",
            description="A single-use initial access token (RFC 7591) from the operator: "
            "`pds org registration-token`.",
        ),
    }


DESCRIPTION = """Personal data store and consent service.

People keep typed, encrypted records (`/api/v1/me/...`, session cookie). Organisations read and
write them only through a person's grant: an OAuth 2.0 access token (`/api/v1/records`, bearer)
obtained with the authorization code flow and PKCE (`/oauth/*`). Every access is in a
tamper-evident audit log (`/api/v1/audit/...`, auditors only) and every grant change yields a
signed consent receipt.

Errors are RFC 9457 problem details (`application/problem+json`); the `/oauth/*` endpoints answer
RFC 6749 errors. `429` and `503` carry `Retry-After`; `401` carries `WWW-Authenticate`.
"""


def openapi_config(cookie: str, scopes: Mapping[str, str]) -> OpenAPIConfig:
    """The document's settings; an operation that declares no security needs a session."""
    return OpenAPIConfig(
        title="PDS",
        version="1.0.0",
        description=DESCRIPTION,
        path="/schema",
        render_plugins=[JsonRenderPlugin()],
        security=SESSION,
        components=Components(security_schemes=security_schemes(cookie, scopes)),
        tags=[Tag(name=name, description=text) for name, text in TAGS.items()],
    )


TAGS = {
    "account": "Sign-up, sign-in, the person's account, export, erasure and activity",
    "records": "The person's own records, and the record-type catalogue",
    "connections": "The person's grants to organisations: see, narrow, revoke",
    "receipts": "Signed consent receipts, and the keys that verify them",
    "organisation API": "For organisations: records through a grant, receipts, notices",
    "oauth": "The authorization server (RFC 6749, 7009, 7591, 7662, 8414)",
    "audit": "The tamper-evident audit log, for auditors",
    "operations": "Health checks",
}


# --- what an error looks like -------------------------------------------------------------------
class FieldError(BaseModel):
    field: str = Field(description="dotted path of the failing field, e.g. value.number")
    pointer: str = Field(description="the same as a JSON Pointer (RFC 6901)")
    message: str


class ProblemDetails(BaseModel):
    """RFC 9457 problem details: every error of the API (not of /oauth/*, which use RFC 6749)."""

    model_config = example_config(
        {
            "type": "/problems/not-found",
            "title": "No such record",
            "status": 404,
        }
    )

    type: str = Field(description="a relative URI naming the kind of problem: /problems/<slug>")
    title: str = Field(description="the kind, in words")
    status: int = Field(ge=400, le=599)
    detail: str | None = Field(None, description="this occurrence, in words")
    errors: list[FieldError] | None = Field(None, description="for 422: each failing field")
    current_version: int | None = Field(None, description="version-conflict: the record's")
    record_id: str | None = Field(None, description="record-integrity: the record")
    receipt_id: str | None = Field(None, description="receipt-integrity: the receipt")


@dataclass(frozen=True)
class ErrorCase:
    """One way an operation can fail: its status and an example body."""

    status: int
    name: str
    when: str
    body: Mapping[str, Any]


def _body(response: Any) -> dict[str, Any]:
    return dict(response.content)


def _http(exc: HTTPException) -> dict[str, Any]:
    return _body(problems.http_problem(exc))


def domain(*exceptions: type[Exception], when: str | None = None) -> tuple[ErrorCase, ...]:
    """The cases of domain errors, as `pds.problems.DOMAIN_PROBLEMS` maps them."""
    cases = []
    for exc in exceptions:
        kind = problems.DOMAIN_PROBLEMS[exc]
        body = {
            "type": problems.PROBLEM_BASE + kind.slug,
            "title": kind.title,
            "status": kind.status,
        }
        cases.append(ErrorCase(kind.status, exc.__name__, when or kind.title, body))
    return tuple(cases)


def http_case(exc: HTTPException, name: str, when: str) -> ErrorCase:
    """The case of an HTTP exception a handler raises itself."""
    return ErrorCase(exc.status_code, name, when, _http(exc))


UNAUTHENTICATED = ErrorCase(
    401,
    "unauthenticated",
    "No session cookie, or the session ended",
    _http(NotAuthorizedException("sign in first")),
)
CROSS_ORIGIN = ErrorCase(
    403,
    "cross-origin",
    "A browser write from another site (CSRF defence)",
    _http(PermissionDeniedException("cross-origin request refused")),
)
MALFORMED = ErrorCase(
    400,
    "malformed-request",
    "The request could not be parsed (e.g. the body is not JSON, or an object names a key twice)",
    problems.problem(400, "malformed-request", "The request could not be parsed").content,
)
INVALID = ErrorCase(
    422,
    "validation",
    "A field or parameter is not valid",
    {
        "type": "/problems/validation",
        "title": "The request is not valid",
        "status": 422,
        "detail": "email: value is not a valid email address",
        "errors": [
            {"field": "email", "pointer": "/email", "message": "value is not a valid email address"}
        ],
    },
)
TOO_LARGE = ErrorCase(
    413,
    "payload-too-large",
    "The body exceeds the size limit",
    _http(RequestEntityTooLarge()),
)
UNSUPPORTED_MEDIA_TYPE = ErrorCase(
    415,
    "unsupported-media-type",
    "The body is not labelled `Content-Type: application/json`",
    _http(unsupported_media_type("PUT")),
)
RATE_LIMITED = ErrorCase(
    429,
    "rate-limited",
    "Too many requests; retry after `Retry-After` seconds",
    _http(TooManyRequestsException()),
)
UNAVAILABLE = ErrorCase(
    503,
    "unavailable",
    "The database is unreachable; retry after `Retry-After` seconds (nothing was changed)",
    _body(problems.unavailable()),
)

# Bundles: what every operation of a kind may answer.
SESSION_ERRORS = (UNAUTHENTICATED, UNAVAILABLE)
# Writes with the session cookie: also the same-origin check.
SESSION_WRITE_ERRORS = (*SESSION_ERRORS, CROSS_ORIGIN)
# A person's own records, connections and receipts: another role's session is refused.
PERSON_ERRORS = (*SESSION_ERRORS, *domain(NotAPerson))
PERSON_WRITE_ERRORS = (*SESSION_WRITE_ERRORS, *domain(NotAPerson))
INVALID_REQUEST = (MALFORMED, INVALID)
JSON_BODY_ERRORS = (*INVALID_REQUEST, TOO_LARGE, UNSUPPORTED_MEDIA_TYPE)
# Audited actions: the audit entry commits with the action, or neither happens.
AUDITED = domain(AuditUnavailable)


Cases = ErrorCase | Iterable["Cases"]


def _flatten(cases: Iterable[Cases]) -> Iterable[ErrorCase]:
    for item in cases:
        if isinstance(item, ErrorCase):
            yield item
        else:
            yield from _flatten(item)


def errors(*cases: Cases) -> dict[int, ResponseSpec]:
    """problem+json responses for these cases, one per status with every case as an example."""
    flat = list(_flatten(cases))
    by_status: dict[int, list[ErrorCase]] = {}
    for case in flat:
        same = by_status.setdefault(case.status, [])
        if all(c.name != case.name for c in same):
            same.append(case)
    return {
        status: ResponseSpec(
            ProblemDetails,
            description="; ".join(dict.fromkeys(c.when for c in items)),
            media_type=problems.PROBLEM_JSON,
            generate_examples=False,
            examples=[NamedExample(id=c.name, summary=c.when, value=dict(c.body)) for c in items],
        )
        for status, items in sorted(by_status.items())
    }


def around_oauth(path: str) -> dict[int, ResponseSpec]:
    """What the service answers around an OAuth endpoint (all POST): size limit, rate limits,
    outages, the audit log."""
    if path.startswith("/.well-known/"):
        return {}
    cases = [TOO_LARGE, UNAVAILABLE, *AUDITED]
    if is_limited("POST", path):
        cases.append(RATE_LIMITED)
    return errors(cases)


def documented(
    *,
    links: Mapping[str, Link] | None = None,
    status: str = "200",
    no_content: bool = False,
    also: Mapping[str, OpenAPIMediaType] | None = None,
) -> type[Operation]:
    """An Operation class for what Litestar cannot infer about the `status` answer: links to
    other operations, no body on a 204 a handler returns as `Response[None]` (to set a cookie),
    or `also` another media type the client may ask for with `Accept`."""

    @dataclass
    class DocumentedOperation(Operation):
        def __post_init__(self) -> None:
            answer = (self.responses or {}).get(status)
            if not isinstance(answer, OpenAPIResponse):
                return
            if no_content:
                answer.content = None
            if links:
                answer.links = dict(links)
            if also:
                answer.content = {**(answer.content or {}), **also}

    return DocumentedOperation


def link_to(operation_id: str, description: str, **parameters: str) -> Link:
    return Link(operation_id=operation_id, description=description, parameters=dict(parameters))


# Records, through either API.
RECORD_TYPE_ERRORS = domain(UnknownRecordType)
ERASED = domain(DataKeyMissing, UnknownKeyError, when="The person's data was erased")
STORED_DATA_ERRORS = (*domain(RecordIntegrityError), *ERASED)
RECORD_READ_ERRORS = (*domain(RecordNotFound), *STORED_DATA_ERRORS)
RECORD_WRITE_ERRORS = (
    *domain(UnknownRecordType, InvalidRecordValue, VersionConflict, TooManyRecords),
    RATE_LIMITED,
)

# The organisation API.
BEARER_ERRORS = (
    *domain(MissingAccessToken, MalformedBearerRequest, InvalidAccessToken, InsufficientScope),
    UNAVAILABLE,
)
CLIENT_ERRORS = (*domain(InvalidClientCredentials), UNAVAILABLE)


class StrictModelSchemas(PydanticSchemaPlugin):
    """Pydantic's schemas, plus `additionalProperties: false` for models that refuse unknown
    members (`extra="forbid"`), so the document says what the service does with them."""

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        config = getattr(field_definition.annotation, "model_config", {})
        if config.get("extra") == "forbid":
            schema.additional_properties = False
        return schema
