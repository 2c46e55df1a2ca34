"""The account export as the API documents it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from consent.examples import example_config
from pds.people.schemas import Profile


class AccountExport(BaseModel):
    """Everything the person has here (format pds-export/1). Sections other parts of the service
    contribute, such as `connections` and `receipts`, appear as further members."""

    model_config = example_config(
        {
            "format": "pds-export/1",
            "exported_at": "2026-11-23T19:54:02.872526+00:00",
            "account": {
                "id": "70b8c6a1-4169-4a64-8d6f-0f389a48b1ce",
                "email": "asha@example.org",
                "role": "person",
                "created_at": "2026-11-23T19:54:02.119271Z",
            },
            "records": [
                {
                    "id": "862984c9-1aee-4675-bd75-11c0767d164b",
                    "type": "contact.phone",
                    "version": 1,
                    "value": {"kind": "mobile", "number": "+919876543210"},
                    "created_at": "2026-11-23T19:54:02.150333Z",
                    "updated_at": "2026-11-23T19:54:02.150333Z",
                    "versions": [
                        {
                            "version": 1,
                            "value": {"kind": "mobile", "number": "+919876543210"},
                            "created_at": "2026-11-23T19:54:02.150333Z",
                        }
                    ],
                }
            ],
            "connections": [],
            "receipts": [],
        },
        extra="allow",
    )

    format: str
    exported_at: datetime
    account: Profile
    records: list[dict[str, Any]] = Field(description="every record with all its versions")
