"""Response bodies of the audit API and the activity view. Hashes are standard base64."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from consent.audit.checkpoints import StoredCheckpoint
from consent.audit.queries import AuditEntry, Summary

Outcome = Literal["allowed", "denied"]


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


class EntryOut(BaseModel):
    seq: int
    time: datetime
    actor_type: str
    actor_id: str | None
    organisation_id: str | None
    organisation_name: str | None
    client_id: str | None
    action: str
    subject: str | None
    record_types: list[str]
    record_ids: list[str]
    grant_id: str | None
    purpose: str | None
    outcome: Outcome
    reason: str | None
    request_id: str | None
    leaf_hash: str

    @classmethod
    def of(cls, entry: AuditEntry) -> EntryOut:
        fields = {name: getattr(entry, name) for name in cls.model_fields}
        fields.update(
            record_types=list(entry.record_types),
            record_ids=list(entry.record_ids),
            leaf_hash=b64(entry.leaf_hash),
        )
        return cls.model_validate(fields)


class EntryPage(BaseModel):
    items: list[EntryOut]
    next_cursor: str | None


class CheckpointOut(BaseModel):
    tree_size: int
    root: str
    time: datetime
    note: str
    key_name: str
    verifier_key: str

    @classmethod
    def of(cls, checkpoint: StoredCheckpoint) -> CheckpointOut:
        return cls(
            tree_size=checkpoint.tree_size,
            root=b64(checkpoint.root),
            time=checkpoint.created_at,
            note=checkpoint.note,
            key_name=checkpoint.key_name,
            verifier_key=checkpoint.verifier_key,
        )


class InclusionOut(BaseModel):
    seq: int
    leaf_index: int
    tree_size: int
    leaf_hash: str
    proof: list[str]
    root: str
    checkpoint: CheckpointOut | None


class ConsistencyOut(BaseModel):
    first: int
    second: int
    proof: list[str]
    first_root: str
    second_root: str
    first_checkpoint: CheckpointOut | None
    second_checkpoint: CheckpointOut | None


class OrganisationCount(BaseModel):
    organisation_id: str | None
    name: str | None
    count: int


class PurposeCount(BaseModel):
    purpose: str | None
    count: int


class SummaryOut(BaseModel):
    total: int
    by_organisation: list[OrganisationCount]
    by_purpose: list[PurposeCount]
    by_outcome: dict[str, int]

    @classmethod
    def of(cls, summary: Summary) -> SummaryOut:
        return cls(
            total=summary.total,
            by_organisation=[
                OrganisationCount(organisation_id=org, name=name, count=n)
                for org, name, n in summary.by_organisation
            ],
            by_purpose=[PurposeCount(purpose=p, count=n) for p, n in summary.by_purpose],
            by_outcome={"allowed": 0, "denied": 0, **summary.by_outcome},
        )


class ActivityActor(BaseModel):
    type: str
    label: str
    organisation_id: str | None
    client_id: str | None


class ActivityItem(BaseModel):
    seq: int
    time: datetime
    action: str
    actor: ActivityActor
    record_types: list[str]
    record_ids: list[str]
    grant_id: str | None
    purpose: str | None
    outcome: Outcome
    reason: str | None


class ActivityPage(BaseModel):
    items: list[ActivityItem]
    next_cursor: str | None


_LABELS = {"auditor": "An auditor", "admin": "An administrator", "system": "PDS"}


def activity_item(entry: AuditEntry) -> ActivityItem:
    """An entry as its subject sees it: who (names, not pseudonyms), what, which records, why."""
    if entry.actor_type == "organisation":
        label = entry.organisation_name or "An organisation"
    elif entry.actor_type == "person":
        label = "You" if entry.actor_id == entry.subject else "Someone"
    else:
        label = _LABELS.get(entry.actor_type, entry.actor_type)
    return ActivityItem(
        seq=entry.seq,
        time=entry.time,
        action=entry.action,
        actor=ActivityActor(
            type=entry.actor_type,
            label=label,
            organisation_id=entry.organisation_id,
            client_id=entry.client_id,
        ),
        record_types=list(entry.record_types),
        record_ids=list(entry.record_ids),
        grant_id=entry.grant_id,
        purpose=entry.purpose,
        outcome=entry.outcome,
        reason=entry.reason,
    )
