"""HTTP for receipts: the person's receipts, the organisation's receipts and webhook, the JWKS.

The organisation's API authenticates with its OAuth client credentials in HTTP Basic
(RFC 6749 §2.3.1: client_id and secret form-urlencoded, then base64).
"""

from __future__ import annotations

import base64
from typing import Annotated, Any
from urllib.parse import unquote_plus

from litestar import Controller, Request, Response, delete, get, put
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Schema
from litestar.params import FromPath, JSONBody, Parameter, QueryParameter
from litestar.status_codes import HTTP_204_NO_CONTENT

from consent.client_credentials import ClientAuthenticator, InvalidClientCredentials
from consent.notice_delivery import InvalidWebhookUrl
from consent.notices import NoticeService
from consent.organisations import Client
from consent.receipts import InvalidCursor, ReceiptIntegrityError, ReceiptNotFound, ReceiptService
from pds.contract import (
    AUDITED,
    CLIENT,
    CLIENT_ERRORS,
    INVALID_REQUEST,
    JSON_BODY_ERRORS,
    PERSON_ERRORS,
    PUBLIC,
    SESSION,
    Cases,
    documented,
    domain,
    errors,
    http_case,
    link_to,
)
from pds.people.auth import PERSON_ONLY
from pds.people.service import Principal
from pds.query_params import refuse_unexpected
from pds.receipts.schemas import (
    JsonWebKeySet,
    OrganisationReceiptList,
    ReceiptDetail,
    ReceiptList,
    WebhookIn,
    WebhookOut,
    for_organisation,
    summary,
    webhook_out,
)

JOSE = "application/jose"
ReceiptId = Annotated[str, FromPath, Parameter(max_length=64, description="receipt id")]
Cursor = Annotated[
    str | None, QueryParameter(min_length=1, max_length=200, description="from next_cursor")
]
Limit = Annotated[int, QueryParameter(ge=1, le=200, description="items per page")]
GrantFilter = Annotated[
    str | None, QueryParameter(min_length=1, max_length=64, description="one grant only")
]
_PAGE_ERRORS: Cases = (INVALID_REQUEST, domain(InvalidCursor))
_NO_WEBHOOK = http_case(
    NotFoundException("no webhook is registered"), "no-webhook", "No webhook is registered"
)
_AS_JWS = documented(
    also={
        JOSE: OpenAPIMediaType(
            schema=Schema(type=OpenAPIType.STRING, description="the compact JWS, as a download"),
            example="eyJhbGciOiJFZERTQSIsImtpZCI6InNpZy00Njk4MzA5YiJ9.eyJ9.c2ln",
        )
    }
)


def basic_credentials(request: Request[Any, Any, Any]) -> tuple[str, str]:
    """(client_id, secret) from `Authorization: Basic …`; raises InvalidClientCredentials."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic" or not value.strip() or len(value) > 1024:
        raise InvalidClientCredentials
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeError):
        raise InvalidClientCredentials from None
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise InvalidClientCredentials
    return unquote_plus(client_id), unquote_plus(secret)


def provide_client(
    request: Request[Any, Any, Any], client_authenticator: NamedDependency[ClientAuthenticator]
) -> Client:
    return client_authenticator.check(*basic_credentials(request))


class MyReceiptsController(Controller):
    path = "/api/v1/me/receipts"
    tags = ["receipts"]
    security = SESSION
    dependencies = PERSON_ONLY
    cache_control = CacheControlHeader(no_store=True)

    @get(
        "/",
        summary="My consent receipts, newest first",
        responses=errors(PERSON_ERRORS, _PAGE_ERRORS),
        operation_class=documented(
            links={
                "ReadReceipt": link_to(
                    "ApiV1MeReceiptsReceiptIdGetReceipt",
                    "The newest one",
                    receipt_id="$response.body#/items/0/id",
                )
            }
        ),
        sync_to_thread=True,
    )
    def list_receipts(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        receipts: NamedDependency[ReceiptService],
        cursor: Cursor = None,
        limit: Limit = 50,
        grant_id: GrantFilter = None,
    ) -> ReceiptList:
        refuse_unexpected(request, frozenset({"cursor", "limit", "grant_id"}))
        page = receipts.list_for_person(
            principal.person_id, grant_id=grant_id, cursor=cursor, limit=limit
        )
        return ReceiptList(items=[summary(r) for r in page.items], next_cursor=page.next_cursor)

    @get(
        "/{receipt_id:str}",
        summary="One receipt: the signed JWS and its decoded content",
        description="With `Accept: application/jose` the answer is the compact JWS itself, as a "
        "download that `pds receipt verify` or any JOSE library checks against the JWKS.",
        responses={
            200: ResponseSpec(ReceiptDetail, description="The receipt", generate_examples=False),
            **errors(
                PERSON_ERRORS, INVALID_REQUEST, domain(ReceiptNotFound, ReceiptIntegrityError)
            ),
        },
        operation_class=_AS_JWS,
        sync_to_thread=True,
    )
    def get_receipt(
        self,
        request: Request[Any, Any, Any],
        receipt_id: ReceiptId,
        principal: NamedDependency[Principal],
        receipts: NamedDependency[ReceiptService],
    ) -> Response[Any]:
        receipt = receipts.get_for_person(principal.person_id, receipt_id)
        if request.accept.best_match(["application/json", JOSE], "application/json") == JOSE:
            return Response(
                receipt.jws,
                media_type=JOSE,
                headers={"Content-Disposition": f'attachment; filename="receipt-{receipt.id}.jws"'},
            )
        header, payload = receipts.decode(receipt)
        detail = ReceiptDetail(
            **summary(receipt).model_dump(), jws=receipt.jws, header=header, payload=payload
        )
        return Response(detail)


class OrganisationReceiptsController(Controller):
    path = "/api/v1/receipts"
    tags = ["organisation API"]
    security = CLIENT
    cache_control = CacheControlHeader(no_store=True)
    dependencies = {"organisation_client": Provide(provide_client, sync_to_thread=True)}

    @get(
        "/",
        summary="Receipts of every grant to this organisation, oldest first",
        responses=errors(CLIENT_ERRORS, _PAGE_ERRORS, domain(ReceiptIntegrityError)),
        description="Authenticate with the OAuth client's id and secret (HTTP Basic). Page with "
        "`cursor`; keep the last `next_cursor` to fetch only what is new later.",
        sync_to_thread=True,
    )
    def list_receipts(
        self,
        request: Request[Any, Any, Any],
        organisation_client: NamedDependency[Client],
        receipts: NamedDependency[ReceiptService],
        cursor: Cursor = None,
        limit: Limit = 50,
    ) -> OrganisationReceiptList:
        refuse_unexpected(request, frozenset({"cursor", "limit"}))
        page = receipts.list_for_organisation(
            organisation_client.organisation_id, cursor=cursor, limit=limit
        )
        return OrganisationReceiptList(
            items=[for_organisation(r) for r in page.items], next_cursor=page.next_cursor
        )


class WebhookController(Controller):
    path = "/api/v1/webhook"
    tags = ["organisation API"]
    security = CLIENT
    cache_control = CacheControlHeader(no_store=True)
    dependencies = {"organisation_client": Provide(provide_client, sync_to_thread=True)}

    @get(
        "/",
        summary="Where notices of narrowed, revoked and expired grants go",
        responses=errors(CLIENT_ERRORS, _NO_WEBHOOK),
        sync_to_thread=True,
    )
    def get_webhook(
        self, organisation_client: NamedDependency[Client], notices: NamedDependency[NoticeService]
    ) -> WebhookOut:
        webhook = notices.get_webhook(organisation_client.organisation_id)
        if webhook is None:
            raise NotFoundException("no webhook is registered")
        return webhook_out(webhook)

    @put(
        "/",
        summary="Register or replace the webhook",
        description="Each notice is a POST of the signed receipt (`Content-Type: application/jose`)"
        " with `Idempotency-Key: <receipt id>`; answer 2xx once stored. Undelivered notices are "
        "retried with exponential backoff; the same receipt may arrive more than once.",
        responses=errors(CLIENT_ERRORS, JSON_BODY_ERRORS, domain(InvalidWebhookUrl), AUDITED),
        sync_to_thread=True,
    )
    def set_webhook(
        self,
        data: JSONBody[WebhookIn],
        organisation_client: NamedDependency[Client],
        notices: NamedDependency[NoticeService],
    ) -> WebhookOut:
        return webhook_out(notices.set_webhook(organisation_client.organisation_id, data.url))

    @delete(
        "/",
        status_code=HTTP_204_NO_CONTENT,
        summary="Stop notices",
        responses=errors(CLIENT_ERRORS, AUDITED),
        sync_to_thread=True,
    )
    def remove_webhook(
        self, organisation_client: NamedDependency[Client], notices: NamedDependency[NoticeService]
    ) -> None:
        notices.remove_webhook(organisation_client.organisation_id)


@get(
    "/.well-known/jwks.json",
    summary="The public keys that sign receipts (retired ones included)",
    tags=["receipts"],
    security=PUBLIC,
    responses={200: ResponseSpec(JsonWebKeySet, description="The keys", generate_examples=False)},
    cache_control=CacheControlHeader(public=True, max_age=300),
    sync_to_thread=True,
)
def jwks(receipts: NamedDependency[ReceiptService]) -> dict[str, Any]:
    return receipts.jwks()
