"""The person's own records API and the public record-type catalogue."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from litestar import Controller, Request, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter, QueryParameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from pds.contract import (
    AUDITED,
    INVALID_REQUEST,
    JSON_BODY_ERRORS,
    PERSON_ERRORS,
    PERSON_WRITE_ERRORS,
    PUBLIC,
    RATE_LIMITED,
    RECORD_READ_ERRORS,
    RECORD_TYPE_ERRORS,
    RECORD_WRITE_ERRORS,
    SESSION,
    STORED_DATA_ERRORS,
    documented,
    domain,
    errors,
    link_to,
)
from pds.people.auth import PERSON_ONLY
from pds.people.service import Principal
from pds.query_params import refuse_unexpected
from pds.records.catalogue import CATALOGUE, CATEGORIES, get_record_type
from pds.records.idempotency import IdempotencyKey, IdempotencyKeyReused, IdempotentRequest
from pds.records.schemas import (
    RECORD_TYPE_NAMES,
    RecordCreate,
    RecordList,
    RecordOut,
    RecordTypeList,
    RecordTypeOut,
    RecordUpdate,
    VersionList,
    VersionOut,
)
from pds.records.service import RecordNotFound, RecordService, RecordView

RecordId = Annotated[str, FromPath, Parameter(max_length=64, description="record id")]
RecordType = Annotated[
    str | None,
    QueryParameter(
        name="type",
        max_length=64,
        description="only this type",
        schema_extra={"enum": RECORD_TYPE_NAMES},
    ),
]
LIST_PARAMETERS = frozenset({"type"})
_ID = "$response.body#/id"
_CREATED = documented(
    status="201",
    links={
        "ReadRecord": link_to("ApiV1MeRecordsRecordIdGetRecord", "Read it", record_id=_ID),
        "ChangeRecord": link_to("ApiV1MeRecordsRecordIdUpdateRecord", "Change it", record_id=_ID),
        "RecordVersions": link_to(
            "ApiV1MeRecordsRecordIdVersionsRecordVersions", "Its versions", record_id=_ID
        ),
        "DeleteRecord": link_to("ApiV1MeRecordsRecordIdDeleteRecord", "Delete it", record_id=_ID),
    },
)


def _out(view: RecordView) -> RecordOut:
    return RecordOut.model_validate(asdict(view))


class MyRecordsController(Controller):
    path = "/api/v1/me/records"
    tags = ["records"]
    security = SESSION
    dependencies = PERSON_ONLY

    @get(
        "/",
        summary="List my records",
        responses=errors(
            PERSON_ERRORS, INVALID_REQUEST, RECORD_TYPE_ERRORS, STORED_DATA_ERRORS, AUDITED
        ),
        sync_to_thread=True,
    )
    def list_records(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        records: NamedDependency[RecordService],
        type: RecordType = None,
    ) -> RecordList:
        refuse_unexpected(request, LIST_PARAMETERS)
        if type is not None:
            get_record_type(type)
        return RecordList(
            items=[_out(v) for v in records.list_records(principal.person_id, type_name=type)]
        )

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        summary="Add a record",
        response_description="The new record (version 1)",
        description="With an `Idempotency-Key`, a repeated request returns the first answer.",
        responses=errors(
            PERSON_WRITE_ERRORS,
            JSON_BODY_ERRORS,
            RECORD_WRITE_ERRORS,
            domain(IdempotencyKeyReused),
            AUDITED,
        ),
        operation_class=_CREATED,
        sync_to_thread=True,
    )
    def create_record(
        self,
        data: JSONBody[RecordCreate],
        principal: NamedDependency[Principal],
        records: NamedDependency[RecordService],
        idempotency_key: IdempotencyKey = None,
    ) -> RecordOut:
        idempotency = None
        if idempotency_key is not None:
            scope = f"person:{principal.person_id}"
            idempotency = IdempotentRequest.for_create(
                scope, idempotency_key, data.type, data.value
            )
        return _out(
            records.create(principal.person_id, data.type, data.value, idempotency=idempotency)
        )

    @get(
        "/{record_id:str}",
        summary="Read one record (its current version)",
        responses=errors(PERSON_ERRORS, INVALID_REQUEST, RECORD_READ_ERRORS, AUDITED),
        sync_to_thread=True,
    )
    def get_record(
        self,
        record_id: RecordId,
        principal: NamedDependency[Principal],
        records: NamedDependency[RecordService],
    ) -> RecordOut:
        return _out(records.get(principal.person_id, record_id))

    @put(
        "/{record_id:str}",
        summary="Change a record (keeps the earlier version)",
        description="Give `expected_version` to change it only if nobody else did meanwhile.",
        responses=errors(
            PERSON_WRITE_ERRORS,
            JSON_BODY_ERRORS,
            RECORD_WRITE_ERRORS,
            RECORD_READ_ERRORS,
            AUDITED,
        ),
        sync_to_thread=True,
    )
    def update_record(
        self,
        record_id: RecordId,
        data: JSONBody[RecordUpdate],
        principal: NamedDependency[Principal],
        records: NamedDependency[RecordService],
    ) -> RecordOut:
        return _out(
            records.update(
                principal.person_id, record_id, data.value, expected_version=data.expected_version
            )
        )

    @delete(
        "/{record_id:str}",
        status_code=HTTP_204_NO_CONTENT,
        summary="Delete a record",
        responses=errors(
            PERSON_WRITE_ERRORS, INVALID_REQUEST, domain(RecordNotFound), RATE_LIMITED, AUDITED
        ),
        sync_to_thread=True,
    )
    def delete_record(
        self,
        record_id: RecordId,
        principal: NamedDependency[Principal],
        records: NamedDependency[RecordService],
    ) -> None:
        records.delete(principal.person_id, record_id)

    @get(
        "/{record_id:str}/versions",
        summary="Every version of a record, newest first",
        responses=errors(PERSON_ERRORS, INVALID_REQUEST, RECORD_READ_ERRORS, AUDITED),
        sync_to_thread=True,
    )
    def record_versions(
        self,
        record_id: RecordId,
        principal: NamedDependency[Principal],
        records: NamedDependency[RecordService],
    ) -> VersionList:
        versions = records.versions(principal.person_id, record_id)
        return VersionList(
            record_id=record_id,
            items=[VersionOut.model_validate(asdict(v)) for v in versions],
        )


@get(
    "/api/v1/record-types",
    tags=["records"],
    summary="The record-type catalogue",
    description="Each type with the JSON Schema its values must match.",
    security=PUBLIC,
    sync_to_thread=True,
)
def list_record_types() -> RecordTypeList:
    return RecordTypeList(
        items=[
            RecordTypeOut(
                name=rt.name,
                category=rt.category,
                category_label=CATEGORIES[rt.category],
                label=rt.label,
                description=rt.description,
                sensitive=rt.sensitive,
                multiple=rt.multiple,
                json_schema=rt.json_schema(),
            )
            for rt in CATALOGUE.values()
        ]
    )
