"""What the records service hands out and the failures it raises (no I/O here)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any


class RecordNotFound(LookupError):
    """No such record for this person (or it belongs to someone else)."""


class RecordIntegrityError(Exception):
    """A stored ciphertext failed authentication: altered or moved in the database."""

    def __init__(self, record_id: str) -> None:
        super().__init__(record_id)
        self.record_id = record_id


class VersionConflict(Exception):
    """The record changed since the version the client last saw."""

    def __init__(self, current: int) -> None:
        super().__init__(current)
        self.current = current


class InvalidRecordValue(Exception):
    """The value does not match its record type; `errors` name the failing fields."""

    def __init__(self, errors: Sequence[Mapping[str, Any]]) -> None:
        super().__init__(errors)
        self.errors = list(errors)


class TooManyRecords(Exception):
    """A person may hold at most MAX_RECORDS_PER_PERSON records."""


class HiddenRecord(RecordNotFound):
    """A record of a type the organisation may not read: answered exactly like a missing one."""


@dataclass(frozen=True)
class RecordView:
    id: str
    type: str
    version: int
    value: dict[str, Any]
    created_at: datetime
    updated_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "created_at": self.created_at.isoformat(),
                "updated_at": self.updated_at.isoformat()}  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RecordView:
        return cls(
            data["id"], data["type"], data["version"], data["value"],
            datetime.fromisoformat(data["created_at"]), datetime.fromisoformat(data["updated_at"]),
        )  # fmt: skip


@dataclass(frozen=True)
class VersionView:
    version: int
    value: dict[str, Any]
    created_at: datetime
