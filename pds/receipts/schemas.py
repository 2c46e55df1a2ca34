"""Receipts and webhooks as the person's and the organisation's APIs show them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from consent.examples import example_config
from consent.notices import Webhook
from consent.receipts import Receipt

_SUMMARY = {
    "id": "98bf3c70-a019-4e2c-9c80-25000a965abc",
    "grant_id": "633d13bc-3cc4-4d4b-b358-11ff0eab39fe",
    "organisation_id": "df547580-a34f-4326-997c-5c476a9e0a2b",
    "organisation_name": "Asha Community Health",
    "sequence": 1,
    "event_type": "given",
    "issued_at": "2026-11-23T19:54:02.320031Z",
    "kid": "sig-4698309b",
}
_JWS = "eyJhbGciOiJFZERTQSIsImtpZCI6InNpZy00Njk4MzA5YiJ9.eyJyZWNlaXB0SWQiOiI5OGJmIn0.c2lnbmF0dXJl"
_WEBHOOK = {
    "url": "https://ngo.example/pds/notices",
    "created_at": "2026-11-23T19:54:02.320031Z",
    "updated_at": "2026-11-23T19:54:02.320031Z",
}


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
    model_config = example_config({"items": [_SUMMARY], "next_cursor": None})

    items: list[ReceiptSummary]
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next page; null at the end"
    )


class ReceiptDetail(ReceiptSummary):
    model_config = example_config(
        {
            **_SUMMARY,
            "jws": _JWS,
            "header": {"alg": "EdDSA", "kid": "sig-4698309b", "typ": "consent-receipt+jwt"},
            "payload": {"consentReceiptID": _SUMMARY["id"], "jurisdiction": "IN"},
        }
    )

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
    model_config = example_config(
        {
            "items": [
                {k: v for k, v in _SUMMARY.items() if not k.startswith("organisation")}
                | {"jws": _JWS}
            ],
            "next_cursor": "c2VxOjE0",
        }
    )

    items: list[OrganisationReceipt]
    next_cursor: str | None


class WebhookIn(BaseModel):
    model_config = example_config({"url": _WEBHOOK["url"]}, extra="forbid")

    url: str = Field(min_length=8, max_length=2000, description="an https URL")


class WebhookOut(BaseModel):
    model_config = example_config(_WEBHOOK)

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


class JsonWebKey(BaseModel):
    kty: str = Field(description="OKP")
    crv: str = Field(description="Ed25519")
    x: str
    kid: str
    alg: str = Field(description="EdDSA")
    use: str = Field(description="sig")


class JsonWebKeySet(BaseModel):
    """RFC 7517: the keys that sign receipts, retired ones included (old receipts stay valid)."""

    model_config = example_config(
        {
            "keys": [
                {
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "x": "H2lHBZDa4LW-vDMMmnToOJ-xUqAdzv4tGkgHVNZJff4",
                    "kid": "sig-4698309b",
                    "alg": "EdDSA",
                    "use": "sig",
                }
            ]
        }
    )

    keys: list[JsonWebKey]
