"""Receipts and webhooks as the person's and the organisation's APIs show them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from consent.notices import Webhook
from consent.receipts import Receipt


class ReceiptSummary(BaseModel):
    id: str
    grant_id: str
    organisation_id: str
    organisation_name: str
    sequence: int = Field(description="position in the chain of receipts of its grant (from 1)")
    event_type: str = Field(
        description="given, changed, narrowed, renewed, withdrawn, revoked, expired or invalidated"
    )
    issued_at: datetime
    kid: str = Field(description="the id of the signing key, in /.well-known/jwks.json")


class ReceiptList(BaseModel):
    items: list[ReceiptSummary]
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next page; null at the end"
    )


class ReceiptDetail(ReceiptSummary):
    jws: str = Field(description="the receipt as issued: a compact JWS (EdDSA)")
    header: dict[str, Any]
    payload: dict[str, Any] = Field(
        description="the verified payload; schema: openapi/consent-receipt.schema.json"
    )


class OrganisationReceipt(BaseModel):
    id: str
    grant_id: str
    sequence: int
    event_type: str
    issued_at: datetime
    kid: str
    jws: str = Field(description="verify with /.well-known/jwks.json; the person is its `sub`")


class OrganisationReceiptList(BaseModel):
    items: list[OrganisationReceipt]
    next_cursor: str | None


class WebhookIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"url": "https://ngo.example/pds/notices"}]},
    )

    url: str = Field(min_length=8, max_length=2000, description="an https URL")


class WebhookOut(BaseModel):
    url: str
    created_at: datetime
    updated_at: datetime


def summary(receipt: Receipt) -> ReceiptSummary:
    return ReceiptSummary(
        id=receipt.id,
        grant_id=receipt.grant_id,
        organisation_id=receipt.organisation_id,
        organisation_name=receipt.organisation_name,
        sequence=receipt.sequence,
        event_type=receipt.event_type,
        issued_at=receipt.issued_at,
        kid=receipt.kid,
    )


def for_organisation(receipt: Receipt) -> OrganisationReceipt:
    """What the organisation sees: never the person's internal id, only the signed receipt."""
    return OrganisationReceipt(
        id=receipt.id,
        grant_id=receipt.grant_id,
        sequence=receipt.sequence,
        event_type=receipt.event_type,
        issued_at=receipt.issued_at,
        kid=receipt.kid,
        jws=receipt.jws,
    )


def webhook_out(webhook: Webhook) -> WebhookOut:
    return WebhookOut(url=webhook.url, created_at=webhook.created_at, updated_at=webhook.updated_at)
