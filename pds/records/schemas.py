"""Request and response bodies for records and the record-type catalogue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, JsonValue

from consent.examples import example_config
from pds.records.catalogue import CATALOGUE

# Documented as an enum; the service still answers 422 unknown-record-type for anything else.
RECORD_TYPE_NAMES = sorted(CATALOGUE)

_PHONE = {"number": "+919876543210", "kind": "mobile"}
_RECORD = {
    "id": "862984c9-1aee-4675-bd75-11c0767d164b",
    "type": "contact.phone",
    "version": 1,
    "value": _PHONE,
    "created_at": "2026-11-23T19:54:02.150333Z",
    "updated_at": "2026-11-23T19:54:02.150333Z",
}


class RecordCreate(BaseModel):
    model_config = example_config({"type": "contact.phone", "value": _PHONE}, extra="forbid")

    type: str = Field(
        max_length=64,
        description="a record type name from /api/v1/record-types",
        json_schema_extra={"enum": list[JsonValue](RECORD_TYPE_NAMES)},
    )
    value: dict[str, Any] = Field(description="the value, valid against the type's JSON Schema")


class RecordUpdate(BaseModel):
    model_config = example_config(
        {"value": {"number": "+919876543211", "kind": "mobile"}, "expected_version": 1},
        extra="forbid",
    )

    value: dict[str, Any]
    expected_version: int | None = Field(
        None, ge=1, description="if given, the update fails with 409 unless this is current"
    )


class RecordOut(BaseModel):
    model_config = example_config(_RECORD)

    id: str
    type: str
    version: int
    value: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class RecordList(BaseModel):
    model_config = example_config({"items": [_RECORD]})

    items: list[RecordOut]


class VersionOut(BaseModel):
    version: int
    value: dict[str, Any]
    created_at: datetime


class VersionList(BaseModel):
    model_config = example_config(
        {
            "record_id": _RECORD["id"],
            "items": [
                {"version": 2, "value": {**_PHONE, "number": "+919876543211"},
                 "created_at": "2026-11-24T08:00:00Z"},
                {"version": 1, "value": _PHONE, "created_at": _RECORD["created_at"]},
            ],
        }
    )  # fmt: skip

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
    model_config = example_config(
        {
            "items": [
                {
                    "name": "contact.phone",
                    "category": "contact",
                    "category_label": "Contact details",
                    "label": "Phone number",
                    "description": "your phone numbers",
                    "sensitive": False,
                    "multiple": True,
                    "json_schema": {
                        "type": "object",
                        "required": ["number"],
                        "properties": {"number": {"type": "string"}},
                    },
                }
            ]
        }
    )

    items: list[RecordTypeOut]
