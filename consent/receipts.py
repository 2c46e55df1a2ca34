"""Consent receipts: a signed receipt for every change of a grant, chained per grant.

`ReceiptService.issue` is a grant hook: it runs inside the transaction that changes the grant, so
a change and its receipt commit together or not at all. A receipt is a compact JWS (EdDSA, with
the `kid` of the key that signed it) whose payload is `consent.receipt_schema.ConsentReceipt`; it
is stored exactly as issued, so what a person or an organisation downloads is byte for byte what
was signed. The person appears only as a pairwise pseudonym — the same `sub` the organisation
sees in OAuth — never as an email or the internal id.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, and_, insert, or_, select

from consent.grants import GrantEvent
from consent.organisations import oauth_clients, organisations
from consent.receipt_content import ChainLink, Controller, ReceiptContext, build_receipt
from consent.receipt_tables import consent_receipts
from consent.storage import Transactions, from_micros, new_id, to_micros
from crypto.lookup import pseudonym
from crypto.signing import SignatureError, SigningKeyring, verify_jws

RECEIPT_TYPE = "consent-receipt+jwt"
MAX_PAGE = 200


class ReceiptNotFound(LookupError):
    """No such receipt for this person."""


class InvalidCursor(ValueError):
    """A pagination cursor that this service did not hand out."""


class ReceiptIntegrityError(Exception):
    """A stored receipt no longer verifies against the service's own keys."""

    def __init__(self, receipt_id: str) -> None:
        super().__init__(f"receipt {receipt_id} failed verification")
        self.receipt_id = receipt_id


@dataclass(frozen=True)
class Receipt:
    id: str
    grant_id: str
    sequence: int
    person_id: str
    organisation_id: str
    organisation_name: str
    event_type: str
    issued_at: datetime
    kid: str
    jws: str


@dataclass(frozen=True)
class ReceiptPage:
    items: list[Receipt]
    next_cursor: str | None


# Called in the issuing transaction with each new receipt and the event it records.
ReceiptListener = Callable[[Connection, Receipt, GrantEvent], None]


def principal_pseudonym(key: bytes, person_id: str, organisation_id: str) -> str:
    """The person's pseudonym for one organisation: equal to the `sub` of its OAuth tokens."""
    return pseudonym(key, person_id, f"org:{organisation_id}")


def receipt_hash(jws: str) -> str:
    """base64url SHA-256 of a compact JWS: how a receipt names the one before it."""
    digest = hashlib.sha256(jws.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _receipt(row: Any) -> Receipt:
    return Receipt(
        id=row.id,
        grant_id=row.grant_id,
        sequence=row.sequence,
        person_id=row.person_id,
        organisation_id=row.organisation_id,
        organisation_name=row.organisation_name,
        event_type=row.event_type,
        issued_at=row.issued_at,
        kid=row.kid,
        jws=row.jws,
    )


def _receipts_query() -> Select[Any]:
    return select(consent_receipts, organisations.c.name.label("organisation_name")).join(
        organisations, organisations.c.id == consent_receipts.c.organisation_id
    )


def _next_link(conn: Connection, grant_id: str) -> ChainLink:
    """Where the grant's next receipt goes in its chain, and what it must name as previous."""
    last = conn.execute(
        select(consent_receipts.c.id, consent_receipts.c.sequence, consent_receipts.c.jws)
        .where(consent_receipts.c.grant_id == grant_id)
        .order_by(consent_receipts.c.sequence.desc())
        .limit(1)
    ).first()
    if last is None:
        return ChainLink(1, None, None)
    return ChainLink(last.sequence + 1, last.id, receipt_hash(last.jws))


def _encode_cursor(receipt: Receipt) -> str:
    text = f"{to_micros(receipt.issued_at)}.{receipt.id}"
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode("ascii")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        micros, _, receipt_id = base64.urlsafe_b64decode(padded).decode("ascii").partition(".")
        if len(receipt_id) != 36:
            raise ValueError("bad id")
        return from_micros(int(micros)), receipt_id
    except (ValueError, UnicodeError, OverflowError, OSError):
        raise InvalidCursor(cursor[:50]) from None


class ReceiptService:
    """Issues receipts (as a grant hook) and hands them to the person and the organisation."""

    def __init__(
        self,
        db: Transactions,
        context: ReceiptContext,
        signing: Callable[[], SigningKeyring],
        pseudonym_key: bytes,
    ) -> None:
        self.db = db
        self.context = context
        # A callable, not a keyring: `pds keys rotate-signing` may replace the keyring.
        self.signing = signing
        self.pseudonym_key = pseudonym_key
        self.listeners: list[ReceiptListener] = []

    def issue(self, conn: Connection, event: GrantEvent) -> Receipt:
        """Sign and store the receipt of one grant event, in the event's transaction."""
        grant = event.grant
        link = _next_link(conn, grant.id)
        controller = self._controller(conn, event)
        receipt_id = new_id()
        principal = principal_pseudonym(self.pseudonym_key, grant.person_id, grant.organisation_id)
        payload = build_receipt(receipt_id, event, principal, controller, link, self.context)
        keyring = self.signing()
        receipt = Receipt(
            id=receipt_id,
            grant_id=grant.id,
            sequence=link.sequence,
            person_id=grant.person_id,
            organisation_id=grant.organisation_id,
            organisation_name=controller.name,
            event_type=payload.consent_record.event.event_type,
            issued_at=event.at,
            kid=keyring.active.kid,
            jws=keyring.sign_jws(payload.to_claims(), typ=RECEIPT_TYPE),
        )
        row = {c.name: getattr(receipt, c.name) for c in consent_receipts.columns}
        conn.execute(insert(consent_receipts).values(**row))
        for listener in self.listeners:
            listener(conn, receipt, event)
        return receipt

    def __call__(self, conn: Connection, event: GrantEvent) -> None:
        """The grant hook."""
        self.issue(conn, event)

    @staticmethod
    def _controller(conn: Connection, event: GrantEvent) -> Controller:
        row = conn.execute(
            select(organisations.c.name, organisations.c.website, organisations.c.policy_url).where(
                organisations.c.id == event.grant.organisation_id
            )
        ).one()
        client_name = conn.execute(
            select(oauth_clients.c.client_name).where(
                oauth_clients.c.client_id == event.grant.client_id
            )
        ).scalar_one_or_none()
        return Controller(row.name, row.website, row.policy_url, client_name or row.name)

    def list_for_person(
        self,
        person_id: str,
        *,
        grant_id: str | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> ReceiptPage:
        """The person's receipts, newest first."""
        query = _receipts_query().where(consent_receipts.c.person_id == person_id)
        if grant_id is not None:
            query = query.where(consent_receipts.c.grant_id == grant_id)
        return self._page(query, cursor, limit, newest_first=True)

    def list_for_organisation(
        self, organisation_id: str, *, cursor: str | None = None, limit: int = 50
    ) -> ReceiptPage:
        """Receipts of the organisation's grants, oldest first, so a client can follow along."""
        query = _receipts_query().where(consent_receipts.c.organisation_id == organisation_id)
        return self._page(query, cursor, limit, newest_first=False)

    def get_for_person(self, person_id: str, receipt_id: str) -> Receipt:
        with self.db.read() as conn:
            row = conn.execute(
                _receipts_query().where(
                    consent_receipts.c.id == receipt_id, consent_receipts.c.person_id == person_id
                )
            ).first()
        if row is None:
            raise ReceiptNotFound(receipt_id)
        return _receipt(row)

    def chain(self, grant_id: str) -> list[Receipt]:
        """Every receipt of one grant, in order."""
        with self.db.read() as conn:
            rows = conn.execute(
                _receipts_query()
                .where(consent_receipts.c.grant_id == grant_id)
                .order_by(consent_receipts.c.sequence)
            ).all()
        return [_receipt(row) for row in rows]

    def jwks(self) -> dict[str, Any]:
        """The public keys that verify receipts: the active one and every retired one."""
        return dict(self.signing().jwks())

    def decode(self, receipt: Receipt) -> tuple[dict[str, object], dict[str, object]]:
        """(header, payload) of a stored receipt, verified against the service's own keys."""
        try:
            return verify_jws(receipt.jws, self.signing().jwks())
        except SignatureError:
            raise ReceiptIntegrityError(receipt.id) from None

    def _page(
        self, query: Select[Any], cursor: str | None, limit: int, *, newest_first: bool
    ) -> ReceiptPage:
        limit = max(1, min(limit, MAX_PAGE))
        issued, rid = consent_receipts.c.issued_at, consent_receipts.c.id
        if cursor is not None:
            at, after_id = _decode_cursor(cursor)
            if newest_first:
                query = query.where(or_(issued < at, and_(issued == at, rid < after_id)))
            else:
                query = query.where(or_(issued > at, and_(issued == at, rid > after_id)))
        order = (issued.desc(), rid.desc()) if newest_first else (issued.asc(), rid.asc())
        with self.db.read() as conn:
            rows = conn.execute(query.order_by(*order).limit(limit + 1)).all()
        items = [_receipt(row) for row in rows[:limit]]
        more = len(rows) > limit
        return ReceiptPage(items, _encode_cursor(items[-1]) if more else None)


def export_receipts(service: ReceiptService, person_id: str) -> list[dict[str, Any]]:
    """Every receipt of the person, as issued, for their data export."""
    receipts: list[Receipt] = []
    cursor: str | None = None
    while True:
        page = service.list_for_person(person_id, cursor=cursor, limit=MAX_PAGE)
        receipts.extend(page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    return [_exported(receipt) for receipt in reversed(receipts)]


def _exported(receipt: Receipt) -> dict[str, Any]:
    return {
        "id": receipt.id,
        "grant_id": receipt.grant_id,
        "sequence": receipt.sequence,
        "event_type": receipt.event_type,
        "issued_at": receipt.issued_at.isoformat(),
        "kid": receipt.kid,
        "jws": receipt.jws,
    }
