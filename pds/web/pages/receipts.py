"""Receipts: proof of every consent given, changed or ended — listed, read as plain sentences,
and downloaded as the signed JWS that anyone can check against /.well-known/jwks.json."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, Parameter, QueryParameter
from litestar.response import Template

from consent.receipts import Receipt, ReceiptService
from consent.scopes import InvalidScope, parse_scope
from pds.people.service import Principal
from pds.web.i18n import N_, Translator, translator
from pds.web.pages.common import page, purpose_words, scope_label

ReceiptId = Annotated[str, FromPath, Parameter(max_length=64)]
Receipts = NamedDependency[ReceiptService]
Person = NamedDependency[Principal]
PAGE_SIZE = 20

EVENT_WORDS: Mapping[str, str] = {
    "given": N_("You agreed to share with %(organisation)s"),
    "changed": N_("You changed what you share with %(organisation)s"),
    "renewed": N_("You agreed again to share with %(organisation)s"),
    "narrowed": N_("You shared less with %(organisation)s"),
    "withdrawn": N_("You stopped sharing with %(organisation)s"),
    "revoked": N_("Sharing with %(organisation)s was stopped by the service"),
    "expired": N_("Sharing with %(organisation)s ended: the time ran out"),
    "invalidated": N_("Sharing with %(organisation)s ended: the account was erased"),
}
STATE_WORDS: Mapping[str, str] = {
    "active": N_("Active"),
    "expired": N_("Ended (time ran out)"),
    "revoked": N_("Ended (access taken back)"),
}


def headline(receipt: Receipt, _: Translator) -> str:
    words = EVENT_WORDS.get(receipt.event_type, N_("A change of your consent to %(organisation)s"))
    return _(words, organisation=receipt.organisation_name)


@get("/receipts", sync_to_thread=True)
def receipts_page(
    request: Request[Any, Any, Any],
    person: Person,
    receipts: Receipts,
    cursor: Annotated[str | None, QueryParameter(max_length=200)] = None,
    grant: Annotated[str | None, QueryParameter(max_length=64)] = None,
) -> Template:
    _ = translator(request)
    found = receipts.list_for_person(
        person.person_id, grant_id=grant, cursor=cursor, limit=PAGE_SIZE
    )
    items = [{"receipt": r, "headline": headline(r, _)} for r in found.items]
    return page(
        "receipts.html",
        section="receipts",
        items=items,
        next_cursor=found.next_cursor,
        grant=grant,
        first_page=cursor is None,
    )


def _shared_after(payload: Mapping[str, Any], _: Translator) -> list[str]:
    labels = []
    for text in payload.get("grant", {}).get("scopes", []):
        try:
            labels.append(scope_label(parse_scope(str(text)), _))
        except InvalidScope:
            labels.append(str(text))
    return labels


def _time(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


@get("/receipts/{receipt_id:str}", sync_to_thread=True)
def receipt_page(
    request: Request[Any, Any, Any], receipt_id: ReceiptId, person: Person, receipts: Receipts
) -> Template:
    receipt = receipts.get_for_person(person.person_id, receipt_id)
    header, payload = receipts.decode(receipt)  # raises if the signature does not verify
    _ = translator(request)
    grant = payload.get("grant", {})
    assert isinstance(grant, dict)
    chain = payload.get("chain", {})
    assert isinstance(chain, dict)
    return page(
        "receipt.html",
        section="receipts",
        receipt=receipt,
        headline=headline(receipt, _),
        shared=_shared_after(payload, _),
        purpose=purpose_words(str(grant.get("purpose", "")), _),
        state=STATE_WORDS.get(str(grant.get("state")), str(grant.get("state"))),
        expires_at=_time(grant.get("expiresAt")),
        active=grant.get("state") == "active",
        previous=chain.get("previousReceiptID"),
        header=header,
    )


@get("/receipts/{receipt_id:str}/download", sync_to_thread=True)
def receipt_download(receipt_id: ReceiptId, person: Person, receipts: Receipts) -> Response[str]:
    receipt = receipts.get_for_person(person.person_id, receipt_id)
    return Response(
        receipt.jws,
        media_type="application/jose",
        headers={"Content-Disposition": f'attachment; filename="receipt-{receipt.id}.jws"'},
    )


RECEIPT_HANDLERS = [receipts_page, receipt_page, receipt_download]
