"""Request and response bodies for records and the record-type catalogue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class RecordCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"type": "contact.phone", "value": {"number": "+919876543210"}}]
        },
    )

    type: str = Field(max_length=64, description="a record type name from /api/v1/record-types")
    value: dict[str, Any] = Field(description="the value, valid against the type's JSON Schema")


class RecordUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: dict[str, Any]
    expected_version: int | None = Field(
        None, ge=1, description="if given, the update fails with 409 unless this is current"
    )


class RecordOut(BaseModel):
    id: str
    type: str
    version: int
    value: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class RecordList(BaseModel):
    items: list[RecordOut]


class VersionOut(BaseModel):
    version: int
    value: dict[str, Any]
    created_at: datetime


class VersionList(BaseModel):
    record_id: str
    items: list[VersionOut]


class RecordTypeOut(BaseModel):
    name: str
    category: str
    category_label: str
    label: str
    description: str
    sensitive: bool
    multiple: bool
    json_schema: dict[str, Any]


class RecordTypeList(BaseModel):
    items: list[RecordTypeOut]
