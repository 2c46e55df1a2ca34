"""The person's own records API and the public record-type catalogue."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from litestar import Controller, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter, QueryParameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from pds.people.service import Principal
from pds.records.catalogue import CATALOGUE, CATEGORIES, get_record_type
from pds.records.idempotency import IdempotencyKey, IdempotentRequest
from pds.records.schemas import (
    RecordCreate,
    RecordList,
    RecordOut,
    RecordTypeList,
    RecordTypeOut,
    RecordUpdate,
    VersionList,
    VersionOut,
)
from pds.records.service import RecordService, RecordView

RecordId = Annotated[str, FromPath, Parameter(max_length=64, description="record id")]


def _out(view: RecordView) -> RecordOut:
    return RecordOut.model_validate(asdict(view))


class MyRecordsController(Controller):
    path = "/api/v1/me/records"
    tags = ["records"]

    @get("/", summary="List my records", sync_to_thread=True)
    def list_records(
        self,
        principal: NamedDependency[Principal],
        records: NamedDependency[RecordService],
        type: Annotated[str | None, QueryParameter(name="type", max_length=64)] = None,
    ) -> RecordList:
        if type is not None:
            get_record_type(type)
        return RecordList(
            items=[_out(v) for v in records.list_records(principal.person_id, type_name=type)]
        )

    @post("/", status_code=HTTP_201_CREATED, summary="Add a record", sync_to_thread=True)
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

    @get("/{record_id:str}", summary="Read one record (its current version)", sync_to_thread=True)
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
