"""Checking receipts without trusting the server: one receipt against a JWKS, or a whole chain.

A chain is the receipts of one grant. Replaying it checks that each receipt names the one before
it (by id and by SHA-256 of its JWS), that the sequence has no gap, and that every step is a change
a grant can make (nothing after it ended; narrowing never widens); the last step is the grant's
current state.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from consent.receipt_schema import ConsentReceipt
from consent.receipts import RECEIPT_TYPE, receipt_hash
from crypto.signing import SignatureError, verify_jws


class InvalidReceipt(Exception):
    """A receipt whose signature, type or content does not check out."""


class BrokenChain(InvalidReceipt):
    """Receipts that do not form one unbroken, consistent history of one grant."""


@dataclass(frozen=True)
class VerifiedReceipt:
    header: dict[str, object]
    receipt: ConsentReceipt
    jws: str


@dataclass(frozen=True)
class ReplayedGrant:
    """The grant as the last receipt of a verified chain leaves it."""

    grant_id: str
    organisation_id: str
    client_id: str
    scopes: tuple[str, ...]
    purpose: str
    state: str
    expires_at: datetime
    receipts: int


def _is_canonical(segment: str) -> bool:
    """Whether a base64url segment is the only encoding of its bytes.

    The last character of a segment can carry unused bits, so two different texts can decode to
    the same bytes; insisting on the canonical one means altering any character of a receipt
    makes it fail, not just altering its content.
    """
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except ValueError:
        return False
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") == segment


def verify_receipt(token: str, jwks: Mapping[str, object]) -> VerifiedReceipt:
    """Verify a compact-JWS receipt against a JWK Set; raises InvalidReceipt, saying why."""
    token = token.strip()
    segments = token.split(".")
    if len(segments) != 3 or not all(_is_canonical(s) for s in segments):
        raise InvalidReceipt("not a compact JWS (three canonical base64url parts)")
    try:
        header, payload = verify_jws(token, jwks)
    except SignatureError as exc:
        raise InvalidReceipt(f"signature does not verify: {exc}") from None
    if header.get("typ") != RECEIPT_TYPE:
        raise InvalidReceipt(f"not a consent receipt (typ {header.get('typ')!r})")
    try:
        receipt = ConsentReceipt.model_validate(payload)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors()[:5])
        raise InvalidReceipt(f"receipt content does not match the schema: {fields}") from None
    if receipt.jti != receipt.consent_receipt_id or receipt.sub != receipt.pii_principal_id:
        raise InvalidReceipt("receipt identifiers disagree")
    return VerifiedReceipt(header, receipt, token)


def replay_chain(tokens: Sequence[str], jwks: Mapping[str, object]) -> ReplayedGrant:
    """Verify every receipt of one grant and replay them in order; raises InvalidReceipt."""
    if not tokens:
        raise BrokenChain("no receipts")
    chain = sorted(
        (verify_receipt(token, jwks) for token in tokens),
        key=lambda v: v.receipt.chain.sequence,
    )
    previous: VerifiedReceipt | None = None
    for position, current in enumerate(chain, start=1):
        _check_link(previous, current, position)
        previous = current
    last = chain[-1].receipt.grant
    return ReplayedGrant(
        grant_id=last.id,
        organisation_id=last.organisation_id,
        client_id=last.client_id,
        scopes=tuple(last.scopes),
        purpose=last.purpose,
        state=last.state,
        expires_at=last.expires_at,
        receipts=len(chain),
    )


def _check_link(previous: VerifiedReceipt | None, current: VerifiedReceipt, position: int) -> None:
    receipt = current.receipt
    link = receipt.chain
    if link.sequence != position:
        raise BrokenChain(f"receipt {position} of the chain is missing")
    if previous is None:
        if link.previous_receipt_id is not None or receipt.consent_record.event.event_type != (
            "given"
        ):
            raise BrokenChain("the chain does not start with the consent being given")
        return
    before = previous.receipt
    if receipt.grant.id != before.grant.id or receipt.sub != before.sub:
        raise BrokenChain("receipts of different grants")
    if link.previous_receipt_id != before.jti or link.previous_receipt_hash != receipt_hash(
        previous.jws
    ):
        raise BrokenChain(f"receipt {position} does not name receipt {position - 1}")
    if before.grant.state != "active":
        raise BrokenChain(f"receipt {position} follows the end of the consent")
    if receipt.consent_record.event.event_type == "narrowed" and (
        not set(receipt.grant.scopes) <= set(before.grant.scopes)
        or receipt.grant.expires_at > before.grant.expires_at
    ):
        raise BrokenChain(f"receipt {position} widens the consent it claims to narrow")
