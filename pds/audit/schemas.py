"""Response bodies of the audit API and the activity view. Hashes are standard base64."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from consent.audit.checkpoints import StoredCheckpoint
from consent.audit.queries import AuditEntry, Summary
from consent.examples import example_config

Outcome = Literal["allowed", "denied"]

_ENTRY = {
    "seq": 16,
    "time": "2026-11-23T19:54:02.876864Z",
    "actor_type": "organisation",
    "actor_id": None,
    "organisation_id": "df547580-a34f-4326-997c-5c476a9e0a2b",
    "organisation_name": "Asha Community Health",
    "client_id": "pds_I5tmT7W4FRcLU3q7NqUwwg",
    "action": "record.read",
    "subject": "ps_63ea410099225f293bd6b24cd79e8080",
    "record_types": ["contact.phone"],
    "record_ids": ["862984c9-1aee-4675-bd75-11c0767d164b"],
    "grant_id": "633d13bc-3cc4-4d4b-b358-11ff0eab39fe",
    "purpose": "dpv:ServiceProvision",
    "outcome": "allowed",
    "reason": None,
    "request_id": "88f5389c7698d99afd0e9ac5",
    "leaf_hash": "CxnoDonttseBOYOieVt0kik5yji/VIvj3C0w6ZgpR9M=",
}
_ROOT = "PmUPURaQyg8ieULRFGc+Ntr64UiunzUyUI/nl9CBfhA="
_CHECKPOINT = {
    "tree_size": 10,
    "root": _ROOT,
    "time": "2026-11-23T19:54:02.455767Z",
    "note": "pds.example.org/audit\n10\nPmUPURaQyg8ieULRFGc+Ntr64UiunzUyUI/nl9CBfhA=\n"
    "time 2026-11-23T19:54:02.455767Z\n\n\u2014 pds.example.org/audit GCQP6fZhKf+6Omww"
    "kLhKoSl3o5iDDc/X0ncvnlfiDzZ0LUB5MbgOzx8wH38Nf4GEUMd7BQsB5kmsBay4mD0j6w839gU=\n",
    "key_name": "pds.example.org/audit",
    "verifier_key": "pds.example.org/audit+18240fe9+ASTCe4FbZFx5Hmgj9rmbm8Lf1g42TLQ2ns3tt6xk3Fwu",
}
_PROOF = [
    "Wo4fmO/WQ2xHCU4AU5Fsvvm8mfcGwoHc+Qu8tlUSzM4=",
    "nZ3ivkLknt1MzrJ4vo0HigFEBlhoTEAH/Bok6TFwFBI=",
]


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
    model_config = example_config({"items": [_ENTRY], "next_cursor": "c2VxOjE2"})

    items: list[EntryOut]
    next_cursor: str | None


class CheckpointOut(BaseModel):
    model_config = example_config(_CHECKPOINT)

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
    model_config = example_config(
        {
            "seq": 3,
            "leaf_index": 2,
            "tree_size": 10,
            "leaf_hash": "BMX/Jmboy52DcUxgjugAk/3YnfvibyJKPnwupV4waGI=",
            "proof": _PROOF,
            "root": _ROOT,
            "checkpoint": _CHECKPOINT,
        }
    )

    seq: int
    leaf_index: int
    tree_size: int
    leaf_hash: str
    proof: list[str]
    root: str
    checkpoint: CheckpointOut | None


class ConsistencyOut(BaseModel):
    model_config = example_config(
        {
            "first": 3,
            "second": 10,
            "proof": _PROOF,
            "first_root": "HhcZDtmBXTtIvARSJ8bi4ew6oXusfsdL8UMVUtH7DS4=",
            "second_root": _ROOT,
            "first_checkpoint": None,
            "second_checkpoint": _CHECKPOINT,
        }
    )

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
    model_config = example_config(
        {
            "total": 18,
            "by_organisation": [
                {"organisation_id": None, "name": None, "count": 14},
                {
                    "organisation_id": "df547580-a34f-4326-997c-5c476a9e0a2b",
                    "name": "Asha Community Health",
                    "count": 4,
                },
            ],
            "by_purpose": [
                {"purpose": None, "count": 14},
                {"purpose": "dpv:ServiceProvision", "count": 4},
            ],
            "by_outcome": {"allowed": 17, "denied": 1},
        }
    )

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
    model_config = example_config(
        {
            "items": [
                {
                    "seq": 16,
                    "time": "2026-11-23T19:54:02.876864Z",
                    "action": "record.read",
                    "actor": {
                        "type": "organisation",
                        "label": "Asha Community Health",
                        "organisation_id": "df547580-a34f-4326-997c-5c476a9e0a2b",
                        "client_id": "pds_I5tmT7W4FRcLU3q7NqUwwg",
                    },
                    "record_types": ["contact.phone"],
                    "record_ids": ["862984c9-1aee-4675-bd75-11c0767d164b"],
                    "grant_id": "633d13bc-3cc4-4d4b-b358-11ff0eab39fe",
                    "purpose": "dpv:ServiceProvision",
                    "outcome": "allowed",
                    "reason": None,
                }
            ],
            "next_cursor": None,
        }
    )

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
