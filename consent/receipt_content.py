"""What a consent receipt says about one change of a grant, in Kantara, ISO 27560 and DPV terms."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from consent.grants import Actor, Grant, GrantEvent, GrantEventKind, GrantState
from consent.purposes import purpose_label
from consent.receipt_schema import (
    KANTARA_VERSION,
    RECORD_SCHEMA_VERSION,
    Chain,
    ConsentEvent,
    ConsentReceipt,
    ConsentRecord,
    EventState,
    EventType,
    GrantSnapshot,
    KantaraPurpose,
    KantaraService,
    PersonalDataType,
    PiiController,
    RecordController,
    RecordPurpose,
    Retention,
)
from consent.scopes import Action

# What an organisation does with a record type it may read or write, as DPV processing terms.
_PROCESSING = {Action.READ: ("dpv:Collect", "dpv:Use"), Action.WRITE: ("dpv:Modify", "dpv:Store")}


@dataclass(frozen=True)
class PersonalDataCategory:
    """A record type in receipts: a dpv-pd term; `sensitive` marks special-category data."""

    term: str
    sensitive: bool


@dataclass(frozen=True)
class ReceiptContext:
    """What only the product knows, handed in at wiring time."""

    issuer: str
    jurisdiction: str
    language: str
    withdrawal_url: str  # where the person ends or narrows a connection
    personal_data: Mapping[str, PersonalDataCategory]  # record type -> category


@dataclass(frozen=True)
class Controller:
    """The organisation the consent is given to, as the receipt names it."""

    name: str
    website: str | None
    policy_url: str | None
    client_name: str


@dataclass(frozen=True)
class ChainLink:
    sequence: int
    previous_id: str | None
    previous_hash: str | None


def classify(event: GrantEvent) -> tuple[EventType, EventState]:
    """The receipt's event type and the DPV consent state it leaves the consent in."""
    kind, grant, previous = event.kind, event.grant, event.previous
    if kind is GrantEventKind.CREATED:
        return "given", "dpv:ConsentGiven"
    if kind is GrantEventKind.AMENDED:
        assert previous is not None
        if previous.scopes == grant.scopes and previous.purpose == grant.purpose:
            return "renewed", "dpv:RenewedConsentGiven"
        return "changed", "dpv:ConsentGiven"
    if kind is GrantEventKind.NARROWED:
        return "narrowed", "dpv:ConsentGiven"
    if kind is GrantEventKind.EXPIRED:
        return "expired", "dpv:ConsentExpired"
    if kind is GrantEventKind.ERASED:
        return "invalidated", "dpv:ConsentInvalidated"
    # DPV: "withdrawn" is by the person; "revoked" is by someone else (the service, the NGO).
    if event.actor is Actor.PERSON:
        return "withdrawn", "dpv:ConsentWithdrawn"
    return "revoked", "dpv:ConsentRevoked"


_COLLECTION_METHODS: Mapping[str, str] = {
    "given": "the person approved it on the PDS consent screen (OAuth 2.0 request from {client})",
    "changed": "the person approved a changed request on the PDS consent screen (from {client})",
    "renewed": "the person approved the same request again on the PDS consent screen ({client})",
    "narrowed": "the person narrowed it in PDS: fewer items or an earlier end",
    "withdrawn": "the person withdrew it in PDS",
    "revoked": "ended by the {actor}",
    "expired": "it reached the end of the period the person chose",
    "invalidated": "the person erased their PDS account",
}


def iso_duration(span: timedelta) -> str:
    """An ISO 8601 duration such as P90D or P1DT2H3M4S (whole seconds; negative spans are 0)."""
    seconds = max(0, int(span.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    time = "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (seconds, "S")) if n)
    if not days and not time:
        return "PT0S"
    return "P" + (f"{days}D" if days else "") + (f"T{time}" if time else "")


def _personal_data(grant: Grant, ctx: ReceiptContext) -> list[PersonalDataType]:
    types = []
    for record_type in sorted({scope.record_type for scope in grant.scopes}):
        actions = [a for a in Action if grant.scopes.allows(record_type, a)]
        category = ctx.personal_data[record_type]
        types.append(
            PersonalDataType(
                record_type=record_type,
                category=category.term,
                sensitive=category.sensitive,
                actions=[a.value for a in actions],
                processing=sorted({term for a in actions for term in _PROCESSING[a]}),
            )
        )
    return types


def _termination(grant: Grant, at: datetime, event_type: str, ctx: ReceiptContext) -> str:
    if grant.state is GrantState.ACTIVE:
        return (
            f"Ends at {grant.expires_at:%Y-%m-%d %H:%M} UTC at the latest; the person may narrow "
            f"or withdraw it at any time at {ctx.withdrawal_url}"
        )
    return f"Ended at {at:%Y-%m-%d %H:%M:%S} UTC ({event_type})"


@dataclass(frozen=True)
class _Facts:
    """What the parts of one receipt share."""

    receipt_id: str
    event: GrantEvent
    event_type: EventType
    event_state: EventState
    principal: str
    controller: Controller
    policy_url: str
    data_types: list[PersonalDataType]
    ctx: ReceiptContext

    @property
    def active(self) -> bool:
        return self.event.grant.state is GrantState.ACTIVE


def _gather(
    receipt_id: str,
    event: GrantEvent,
    principal: str,
    controller: Controller,
    ctx: ReceiptContext,
) -> _Facts:
    event_type, event_state = classify(event)
    return _Facts(
        receipt_id=receipt_id,
        event=event,
        event_type=event_type,
        event_state=event_state,
        principal=principal,
        controller=controller,
        policy_url=controller.policy_url or controller.website or ctx.issuer,
        data_types=_personal_data(event.grant, ctx),
        ctx=ctx,
    )


def build_receipt(
    receipt_id: str,
    event: GrantEvent,
    principal: str,
    controller: Controller,
    link: ChainLink,
    ctx: ReceiptContext,
) -> ConsentReceipt:
    """The receipt of one grant event; `principal` is the person's pseudonym for this NGO."""
    facts = _gather(receipt_id, event, principal, controller, ctx)
    event_type = facts.event_type
    sensitive = sorted({t.category for t in facts.data_types if t.sensitive})
    timestamp = int(event.at.timestamp())
    return ConsentReceipt(
        iss=ctx.issuer,
        sub=principal,
        iat=timestamp,
        jti=receipt_id,
        version=KANTARA_VERSION,
        jurisdiction=ctx.jurisdiction,
        consent_timestamp=timestamp,
        collection_method=_COLLECTION_METHODS[event_type].format(
            client=controller.client_name, actor=event.actor.value
        ),
        consent_receipt_id=receipt_id,
        language=ctx.language,
        pii_principal_id=principal,
        pii_controllers=[_pii_controller(facts)],
        policy_url=facts.policy_url,
        services=[_kantara_service(facts)],
        sensitive=bool(sensitive),
        spi_cat=sensitive,
        consent_record=_consent_record(facts),
        grant=_snapshot(event.grant),
        chain=Chain(
            sequence=link.sequence,
            previous_receipt_id=link.previous_id,
            previous_receipt_hash=link.previous_hash,
        ),
    )


def _pii_controller(facts: _Facts) -> PiiController:
    return PiiController(
        pii_controller=facts.controller.name,
        contact=f"see {facts.policy_url}",
        pii_controller_url=facts.controller.website,
    )


def _kantara_service(facts: _Facts) -> KantaraService:
    grant = facts.event.grant
    purpose = KantaraPurpose(
        purpose=purpose_label(grant.purpose),
        purpose_category=[grant.purpose],
        consent_type="EXPLICIT",
        pii_category=sorted({t.category for t in facts.data_types}),
        primary_purpose=True,
        termination=_termination(grant, facts.event.at, facts.event_type, facts.ctx),
        third_party_disclosure=False,
    )
    return KantaraService(
        service=f"{facts.controller.client_name}: access to records held in PDS",
        purposes=[purpose],
    )


def _consent_record(facts: _Facts) -> ConsentRecord:
    grant, at, ctx = facts.event.grant, facts.event.at, facts.ctx
    purpose = RecordPurpose(
        purpose_id=grant.purpose,
        purpose=purpose_label(grant.purpose),
        lawful_basis="dpv:Consent",
        personal_data_types=facts.data_types,
        retention=Retention(
            access_until=grant.expires_at if facts.active else at,
            description=(
                "PDS gives the organisation access only while this consent is active; how "
                f"long the organisation keeps what it obtained is set out in {facts.policy_url}"
            ),
        ),
        withdrawal_method=(
            f"Withdraw or narrow it at {ctx.withdrawal_url} (or DELETE "
            f"{ctx.issuer}/api/v1/me/grants/{grant.id}); it takes effect at once"
        ),
    )
    controller = RecordController(
        name=facts.controller.name, url=facts.controller.website, policy_url=facts.policy_url
    )
    return ConsentRecord(
        schema_version=RECORD_SCHEMA_VERSION,
        record_id=grant.id,
        receipt_id=facts.receipt_id,
        pii_principal_id=facts.principal,
        consent_type="dpv:ExplicitlyExpressedConsent",
        jurisdiction=ctx.jurisdiction,
        controllers=[controller],
        purposes=[purpose],
        event=ConsentEvent(
            event_time=at,
            event_type=facts.event_type,
            event_state=facts.event_state,
            validity_duration=iso_duration(grant.expires_at - at) if facts.active else "PT0S",
            actor=facts.event.actor.value,
        ),
    )


def _snapshot(grant: Grant) -> GrantSnapshot:
    return GrantSnapshot(
        id=grant.id,
        organisation_id=grant.organisation_id,
        client_id=grant.client_id,
        scopes=[str(scope) for scope in grant.scopes],
        purpose=grant.purpose,
        state=grant.state.value,
        expires_at=grant.expires_at,
        updated_at=grant.updated_at,
    )
