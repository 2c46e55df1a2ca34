"""Audit entries for consent: grants given, changed and ended; tokens issued, refreshed, revoked;
organisations refused at the records API. Each runs in the transaction of what it records."""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, select

from consent.access import AccessContext
from consent.audit.log import ActorType, AuditEvent
from consent.audit.refusals import explain_refusal
from consent.grants import Actor, GrantEvent, grants
from consent.oauth.events import TokenEvent
from consent.organisations import oauth_clients
from consent.prepared import DriverStatement
from consent.scopes import ScopeSet
from consent.storage import utcnow
from pds.audit.trail import Accessor, AuditTrail, loggable_record_ids

_ACTORS = {
    Actor.PERSON: ActorType.PERSON,
    Actor.ORGANISATION: ActorType.ORGANISATION,
    Actor.SERVICE: ActorType.SYSTEM,
}


def _types(scope: str | ScopeSet) -> tuple[str, ...]:
    scopes = ScopeSet.parse(scope) if isinstance(scope, str) else scope
    return tuple(sorted({s.record_type for s in scopes}))


# Every token issued or refreshed names its organisation in the audit entry: compiled once.
# The organisation and purpose a token event is under: its grant's (the client's organisation
# is the same), so an auditor filtering by purpose sees the tokens with the reads.
_GRANT_CONTEXT = DriverStatement(
    select(oauth_clients.c.organisation_id, grants.c.purpose)
    .select_from(oauth_clients)
    .outerjoin(grants, grants.c.id == bindparam("grant_id"))
    .where(oauth_clients.c.client_id == bindparam("client_id"))
)


class ConsentAudit:
    """The hooks `pds` hands to consent's grant service, OAuth server and records API."""

    def __init__(self, trail: AuditTrail) -> None:
        self.trail = trail

    def grant_changed(self, conn: Connection, event: GrantEvent) -> None:
        grant = event.grant
        subject = self.trail.pseudonym(conn, grant.person_id)
        actor = _ACTORS[event.actor]
        actor_id = {
            ActorType.PERSON: subject,
            ActorType.ORGANISATION: grant.client_id,
        }.get(actor, "pds")
        self.trail.append(
            conn,
            AuditEvent(
                f"grant.{event.kind.value}",
                actor,
                actor_id=actor_id,
                subject=subject,
                organisation_id=grant.organisation_id,
                client_id=grant.client_id,
                record_types=_types(grant.scopes),
                grant_id=grant.id,
                purpose=grant.purpose,
            ),
        )

    def token_changed(self, conn: Connection, event: TokenEvent) -> None:
        row = _GRANT_CONTEXT.first(conn, client_id=event.client_id, grant_id=event.grant_id)
        organisation_id, purpose = (None, None) if row is None else row
        entry = AuditEvent(
            f"token.{event.kind.value}",
            ActorType.ORGANISATION,
            actor_id=event.client_id,
            subject=self.trail.pseudonym(conn, event.person_id),
            organisation_id=organisation_id,
            client_id=event.client_id,
            record_types=_types(event.scope),
            grant_id=event.grant_id,
            purpose=purpose,
        )
        self.trail.append(conn, entry if event.refused is None else entry.denied(event.refused))


def organisation(access: AccessContext) -> Accessor:
    """The organisation behind a valid token, as the records service sees it."""
    return Accessor(
        ActorType.ORGANISATION,
        organisation_id=access.organisation_id,
        client_id=access.client_id,
        grant_id=access.grant_id,
        purpose=access.purpose,
        may=access.allows,
    )


def token_refused(trail: AuditTrail, token: str | None, action: str, record_id: str | None) -> None:
    """A bearer token refused at the records API: audited when it names a person.

    An unknown token names nobody (and writing one entry per junk request would let anyone
    fill the log), so only tokens the service issued — revoked, expired, of an ended grant —
    leave an entry the person can see. Runs on the refusal path only, in its own transaction.
    """
    if not token:
        return
    with trail.db.write() as conn:
        refusal = explain_refusal(conn, token, utcnow())
        if refusal is None:
            return
        event = trail.event(
            conn,
            action,
            refusal.person_id,
            by=Accessor(
                ActorType.ORGANISATION,
                organisation_id=refusal.organisation_id,
                client_id=refusal.client_id,
                grant_id=refusal.grant_id,
                purpose=refusal.purpose,
            ),
            record_ids=() if record_id is None else loggable_record_ids((record_id,)),
        )
        trail.append(conn, event.denied(refusal.reason))
