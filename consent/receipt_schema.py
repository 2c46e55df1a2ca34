"""The consent receipt's payload: Kantara Consent Receipt v1.1 with an ISO/IEC TS 27560 record.

These models are the single source of the receipt's shape: receipts are built through them, and
the JSON Schema published at `openapi/consent-receipt.schema.json` is generated from them (`pds
openapi` writes it; a test keeps the committed file equal to the generated one).

Top level: the JWT claims (`iss`, `sub`, `iat`, `jti`) and the Kantara v1.1 fields. Then
`consentRecord` (the ISO/IEC TS 27560 consent record, in W3C DPV terms), `grant` (the grant as it
stands after this event, so a chain of receipts replays to the grant's state) and `chain` (the
previous receipt of the same grant, by id and by hash).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

KANTARA_VERSION = "KI-CR-v1.1.0"
RECORD_SCHEMA_VERSION = "ISO/IEC TS 27560:2023"
SCHEMA_ID = "urn:pds:schema:consent-receipt:1"

Uuid = Annotated[
    str, Field(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
]
Pseudonym = Annotated[
    str, Field(pattern=r"^ps_[0-9a-f]{32}$", description="pairwise pseudonym of the person")
]
DpvTerm = Annotated[str, Field(pattern=r"^dpv:[A-Za-z]+$", description="a W3C DPV term")]
PdTerm = Annotated[
    str, Field(pattern=r"^pd:[A-Za-z]+$", description="a W3C DPV personal-data (dpv-pd) term")
]
IsoDuration = Annotated[
    str,
    Field(pattern=r"^P(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+S)?)?$", description="ISO 8601"),
]
Base64Url = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+$")]

EventType = Literal[
    "given", "changed", "narrowed", "renewed", "withdrawn", "revoked", "expired", "invalidated"
]
EventState = Literal[
    "dpv:ConsentGiven",
    "dpv:RenewedConsentGiven",
    "dpv:ConsentWithdrawn",
    "dpv:ConsentRevoked",
    "dpv:ConsentExpired",
    "dpv:ConsentInvalidated",
]
GrantStateName = Literal["active", "expired", "revoked"]
ActorName = Literal["person", "organisation", "service"]


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


class PiiController(_Model):
    """Kantara's controller. Its postal address, email and phone are in its policy (policyUrl)."""

    pii_controller: str
    contact: str
    pii_controller_url: str | None = Field(None, exclude_if=lambda value: value is None)


class KantaraPurpose(_Model):
    purpose: str
    purpose_category: list[DpvTerm]
    consent_type: Literal["EXPLICIT"]
    pii_category: list[PdTerm]
    primary_purpose: bool
    termination: str
    third_party_disclosure: bool


class KantaraService(_Model):
    service: str
    purposes: list[KantaraPurpose] = Field(min_length=1)


class PersonalDataType(_Model):
    """One record type the consent covers, what the organisation may do with it."""

    record_type: str
    category: PdTerm
    sensitive: bool
    actions: list[Literal["read", "write"]] = Field(min_length=1)
    processing: list[DpvTerm] = Field(min_length=1)


class Retention(_Model):
    access_until: datetime = Field(description="when the organisation's access ends at the latest")
    description: str


class RecordPurpose(_Model):
    purpose_id: DpvTerm
    purpose: str
    lawful_basis: Literal["dpv:Consent"]
    personal_data_types: list[PersonalDataType]
    retention: Retention
    withdrawal_method: str


class RecordController(_Model):
    name: str
    url: str | None = Field(None, exclude_if=lambda value: value is None)
    policy_url: str


class ConsentEvent(_Model):
    event_time: datetime
    event_type: EventType
    event_state: EventState
    validity_duration: IsoDuration = Field(description="from eventTime until the consent ends")
    actor: ActorName


class ConsentRecord(_Model):
    """The ISO/IEC TS 27560 consent record, in W3C DPV terms."""

    schema_version: Literal["ISO/IEC TS 27560:2023"]
    record_id: Uuid = Field(description="the consent (grant) this record is about")
    receipt_id: Uuid
    pii_principal_id: Pseudonym
    consent_type: Literal["dpv:ExplicitlyExpressedConsent"]
    jurisdiction: str
    controllers: list[RecordController] = Field(min_length=1)
    purposes: list[RecordPurpose] = Field(min_length=1)
    event: ConsentEvent


class GrantSnapshot(_Model):
    """The grant as it stands after this event: replaying a chain ends at the grant's state."""

    id: Uuid
    organisation_id: Uuid
    client_id: str
    scopes: list[str]
    purpose: DpvTerm
    state: GrantStateName
    expires_at: datetime
    updated_at: datetime


class Chain(_Model):
    sequence: int = Field(ge=1, description="1 for the grant's first receipt, then 2, 3, …")
    previous_receipt_id: Uuid | None = Field(alias="previousReceiptID")
    previous_receipt_hash: Base64Url | None = Field(
        description="base64url SHA-256 of the previous receipt's compact JWS"
    )


class ConsentReceipt(_Model):
    """A signed consent receipt's payload."""

    iss: str = Field(description="the PDS that issued and signed the receipt")
    sub: Pseudonym
    iat: int
    jti: Uuid
    version: Literal["KI-CR-v1.1.0"]
    jurisdiction: str
    consent_timestamp: int = Field(description="seconds since the epoch (UTC)")
    collection_method: str
    consent_receipt_id: Uuid = Field(alias="consentReceiptID")
    language: str
    pii_principal_id: Pseudonym
    pii_controllers: list[PiiController] = Field(min_length=1)
    policy_url: str
    services: list[KantaraService] = Field(min_length=1)
    sensitive: bool
    spi_cat: list[PdTerm]
    consent_record: ConsentRecord
    grant: GrantSnapshot
    chain: Chain

    def to_claims(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


def receipt_json_schema() -> dict[str, Any]:
    """The JSON Schema (2020-12) of a receipt's payload, as published under `openapi/`."""
    schema = ConsentReceipt.model_json_schema(by_alias=True, mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
        "title": "PDS consent receipt (Kantara CR v1.1 + ISO/IEC TS 27560, W3C DPV terms)",
    }
