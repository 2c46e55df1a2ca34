"""The records API for organisations, guarded by consent: a bearer token, checked on every call
against its live grant.

Only record types the grant allows ever appear. A record of another type or another person is
404, exactly like a record that does not exist, so a response never tells an organisation what
else a person keeps. Every response is `Cache-Control: no-store`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Annotated, Any

from litestar import Controller, Request, get, post, put
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, Parameter
from litestar.status_codes import HTTP_201_CREATED
from sqlalchemy import Connection

from consent.access import (
    AccessChecker,
    AccessContext,
    InvalidAccessToken,
    MalformedBearerRequest,
    bearer_credentials,
)
from pds.audit.consent_hooks import organisation, token_refused
from pds.audit.trail import Accessor
from pds.contract import (
    AUDITED,
    BEARER,
    BEARER_ERRORS,
    INVALID_REQUEST,
    JSON_BODY_ERRORS,
    RECORD_READ_ERRORS,
    RECORD_TYPE_ERRORS,
    RECORD_WRITE_ERRORS,
    STORED_DATA_ERRORS,
    documented,
    domain,
    errors,
    link_to,
)
from pds.query_params import refuse_unexpected
from pds.records.catalogue import get_record_type
from pds.records.idempotency import IdempotencyKey, IdempotencyKeyReused, IdempotentRequest
from pds.records.routes import LIST_PARAMETERS, RecordType
from pds.records.schemas import RecordCreate, RecordList, RecordOut, RecordUpdate
from pds.records.service import RecordService, RecordView

RecordId = Annotated[str, FromPath, Parameter(max_length=64, description="record id")]
_ID = "$response.body#/id"
_CREATED = documented(
    status="201",
    links={
        "ReadRecord": link_to("ApiV1RecordsRecordIdGetRecord", "Read it", record_id=_ID),
        "ChangeRecord": link_to("ApiV1RecordsRecordIdUpdateRecord", "Change it", record_id=_ID),
    },
)


# The only body that may carry a token (RFC 6750 §2.2); this API reads JSON, never this.
_FORM_BODY = "application/x-www-form-urlencoded"


def bearer_token(request: Request[Any, Any, Any]) -> str | None:
    """The RFC 6750 §2.1 bearer token of the Authorization header (None when there is none).

    A header that is there but not one well-formed bearer credential, or a token sent a second
    way as well (RFC 6750 §2: "MUST NOT use more than one method"), is `MalformedBearerRequest`.
    """
    headers = request.headers
    header = headers.get("authorization")
    if header is None:
        return None
    token = bearer_credentials(header)
    if len(headers.getall("authorization")) > 1:
        raise MalformedBearerRequest
    if request.scope["query_string"] and "access_token" in request.query_params:
        raise MalformedBearerRequest
    return token


def refuse_a_token_in_the_body(request: Request[Any, Any, Any]) -> None:
    """A form body next to an Authorization header may carry the token a second way (RFC 6750
    §2.2); this API reads only JSON bodies, so such a request is malformed either way.

    A `before_request` hook of the handlers that take a body: it must run before the body is
    parsed, which would refuse the form as not JSON first.
    """
    headers = request.headers
    if "authorization" in headers and headers.get("content-type", "").startswith(_FORM_BODY):
        raise MalformedBearerRequest


_ACTIONS = {"GET": "record.list", "POST": "record.create", "PUT": "record.update"}


def provide_access(
    request: Request[Any, Any, Any],
    access_checker: NamedDependency[AccessChecker],
    records: NamedDependency[RecordService],
) -> AccessContext:
    token = bearer_token(request)
    try:
        return access_checker.authenticate(token)
    except InvalidAccessToken:
        # A refused token the service issued concerns a person: that refusal is an entry.
        record_id = request.path_params.get("record_id")
        action = "record.read" if record_id and request.method == "GET" else None
        token_refused(records.audit, token, action or _ACTIONS[request.method], record_id)
        raise


def _out(view: RecordView) -> RecordOut:
    return RecordOut.model_validate(asdict(view))


async def read_record(
    checker: AccessChecker, records: RecordService, token: str | None, record_id: str
) -> RecordOut:
    """The NGO fetch: token, live grant, record, audit entry — one transaction.

    Its blocking work runs where `Database.run_hot` puts it: on the event loop for SQLite; on
    PostgreSQL in its group commit's leader thread (`Database.write_grouped_async`).
    """

    def authorise(conn: Connection) -> tuple[str, Accessor]:
        access = checker.authenticate_in(conn, token)
        return access.person_id, organisation(access)

    try:
        view = await records.get_authorised_async(authorise, record_id)
    except InvalidAccessToken:
        await records.db.run_hot(token_refused, records.audit, token, "record.read", record_id)
        raise
    # Built from stored, validated data: no second validation (nor asdict's deep copy) here.
    return RecordOut.model_construct(
        id=view.id,
        type=view.type,
        version=view.version,
        value=view.value,
        created_at=view.created_at,
        updated_at=view.updated_at,
    )


@dataclass(frozen=True)
class RecordFetch:
    """The NGO fetch's collaborators as a single dependency.

    Litestar resolves two or more dependencies of a handler concurrently, in an anyio task group
    with a task each: on the hottest route that was a fifth of the handler's time here.
    """

    checker: AccessChecker
    records: RecordService

    async def __call__(self, token: str | None, record_id: str) -> RecordOut:
        return await read_record(self.checker, self.records, token, record_id)


class OrganisationRecordsController(Controller):
    path = "/api/v1/records"
    tags = ["organisation API"]
    security = BEARER
    cache_control = CacheControlHeader(no_store=True)
    # A network database must not block the event loop, so the check runs in a worker thread.
    dependencies = {"access": Provide(provide_access, sync_to_thread=True)}

    @get(
        "/",
        summary="The person's records this token may read",
        responses=errors(
            BEARER_ERRORS, INVALID_REQUEST, RECORD_TYPE_ERRORS, STORED_DATA_ERRORS, AUDITED
        ),
        sync_to_thread=True,
    )
    def list_records(
        self,
        request: Request[Any, Any, Any],
        access: NamedDependency[AccessContext],
        records: NamedDependency[RecordService],
        type: RecordType = None,
    ) -> RecordList:
        refuse_unexpected(request, LIST_PARAMETERS)
        if type is not None:
            get_record_type(type)
        views = records.list_records(access.person_id, type_name=type, by=organisation(access))
        return RecordList(items=[_out(view) for view in views])

    @get(
        "/{record_id:str}",
        summary="One record, if this token may read its type",
        description="A record of a type the token may not read is answered like a missing one.",
        responses=errors(BEARER_ERRORS, INVALID_REQUEST, RECORD_READ_ERRORS, AUDITED),
        # `read_record` builds the model from stored, validated data (model_construct): its
        # fields go to the JSON encoder as they are, without pydantic's serializer (~25 µs of
        # the hottest route's time here), and the JSON is the same (tests/consent/test_oauth_flow).
        type_encoders={RecordOut: vars},
    )
    async def get_record(
        self,
        request: Request[Any, Any, Any],
        record_id: RecordId,
        record_fetch: NamedDependency[RecordFetch],
    ) -> RecordOut:
        return await record_fetch(bearer_token(request), record_id)

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        summary="Add a record of a type this token may write",
        response_description="The new record (version 1)",
        description="With an `Idempotency-Key`, a repeated request returns the first answer.",
        responses=errors(
            BEARER_ERRORS,
            JSON_BODY_ERRORS,
            RECORD_WRITE_ERRORS,
            domain(IdempotencyKeyReused),
            AUDITED,
        ),
        operation_class=_CREATED,
        before_request=refuse_a_token_in_the_body,
        sync_to_thread=True,
    )
    def create_record(
        self,
        data: JSONBody[RecordCreate],
        access: NamedDependency[AccessContext],
        records: NamedDependency[RecordService],
        idempotency_key: IdempotencyKey = None,
    ) -> RecordOut:
        get_record_type(data.type)
        by = organisation(access)
        idempotency = None
        if idempotency_key is not None:
            scope = f"client:{access.client_id}:{access.person_id}"
            idempotency = IdempotentRequest.for_create(
                scope, idempotency_key, data.type, data.value
            )
        return _out(
            records.create(access.person_id, data.type, data.value, by=by, idempotency=idempotency)
        )

    @put(
        "/{record_id:str}",
        summary="Change a record of a type this token may write",
        responses=errors(
            BEARER_ERRORS, JSON_BODY_ERRORS, RECORD_WRITE_ERRORS, RECORD_READ_ERRORS, AUDITED
        ),
        before_request=refuse_a_token_in_the_body,
        sync_to_thread=True,
    )
    def update_record(
        self,
        record_id: RecordId,
        data: JSONBody[RecordUpdate],
        access: NamedDependency[AccessContext],
        records: NamedDependency[RecordService],
    ) -> RecordOut:
        # A type it may not touch at all is as absent as a missing record; a readable one it
        # may not write is insufficient_scope (both decided, and audited, by the service).
        view = records.update(
            access.person_id,
            record_id,
            data.value,
            expected_version=data.expected_version,
            by=organisation(access),
        )
        return _out(view)
