"""Connections: every organisation with access — what it may see or change, why, since and until
when, when it last used it — and taking access back in two clicks.

Each change is one click to a page that says exactly what will happen and one click to confirm
(a POST with the CSRF token). Narrowing never widens: the grant service refuses anything else.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, Parameter, QueryParameter, URLEncodedBody
from litestar.response import Redirect, Template

from consent.grant_service import GrantService
from consent.grants import Grant, GrantState
from consent.scopes import ScopeSet, parse_scope
from consent.storage import utcnow
from pds.people.service import Principal
from pds.web.i18n import N_, Translator, translator
from pds.web.pages.common import notice, page, purpose_words, scope_label

GrantId = Annotated[str, FromPath, Parameter(max_length=64)]
Form = URLEncodedBody[dict[str, str]]
Grants = NamedDependency[GrantService]
Person = NamedDependency[Principal]

# Earlier ends a person can pick for a connection (only those before its current end are shown).
SHORTER: dict[str, tuple[str, timedelta]] = {
    "1": (N_("Tomorrow"), timedelta(days=1)),
    "7": (N_("In a week"), timedelta(days=7)),
    "30": (N_("In 30 days"), timedelta(days=30)),
}
STATE_WORDS = {
    GrantState.ACTIVE: N_("Active"),
    GrantState.EXPIRED: N_("Ended (time ran out)"),
    GrantState.REVOKED: N_("Ended (access taken back)"),
}


def _items(grant: Grant, _: Translator) -> list[dict[str, str]]:
    return [{"scope": str(scope), "label": scope_label(scope, _)} for scope in grant.scopes]


def _connection(grant: Grant, _: Translator) -> dict[str, Any]:
    return {
        "grant": grant,
        "things": _items(grant, _),
        "purpose": purpose_words(grant.purpose, _),
        "state": STATE_WORDS[grant.state],
    }


@get("/connections", sync_to_thread=True)
def connections_page(
    request: Request[Any, Any, Any],
    person: Person,
    grants: Grants,
    done: FromQuery[str | None] = None,
) -> Template:
    _ = translator(request)
    every = [_connection(grant, _) for grant in grants.list_for_person(person.person_id)]
    active = [c for c in every if c["grant"].state is GrantState.ACTIVE]
    return page(
        "connections.html",
        section="connections",
        privacy=grants.privacy_notices(c["grant"].organisation_id for c in active),
        active=active,
        ended=[c for c in every if c["grant"].state is not GrantState.ACTIVE],
        notice=notice(done),
    )


def _active_grant(grants: GrantService, person: Principal, grant_id: str) -> Grant | None:
    grant = grants.get_for_person(person.person_id, grant_id)
    return grant if grant.state is GrantState.ACTIVE else None


@get("/connections/{grant_id:str}/revoke", sync_to_thread=True)
def revoke_page(
    request: Request[Any, Any, Any], grant_id: GrantId, person: Person, grants: Grants
) -> Template | Redirect:
    grant = _active_grant(grants, person, grant_id)
    if grant is None:
        return Redirect("/connections")
    return page(
        "connection_revoke.html",
        section="connections",
        connection=_connection(grant, translator(request)),
    )


@post("/connections/{grant_id:str}/revoke", sync_to_thread=True)
def revoke_submit(grant_id: GrantId, person: Person, grants: Grants) -> Redirect:
    grants.revoke(person.person_id, grant_id)
    return Redirect("/connections?done=revoked")


@get("/connections/{grant_id:str}/remove", sync_to_thread=True)
def remove_item_page(
    request: Request[Any, Any, Any],
    grant_id: GrantId,
    person: Person,
    grants: Grants,
    item: Annotated[str, QueryParameter(name="scope", max_length=100)],
) -> Template | Redirect:
    grant = _active_grant(grants, person, grant_id)
    if grant is None:
        return Redirect("/connections")
    removed = parse_scope(item)
    if removed not in grant.scopes:
        return Redirect("/connections")
    if len(grant.scopes) == 1:  # removing the last item is stopping the connection
        return Redirect(f"/connections/{grant_id}/revoke")
    _ = translator(request)
    return page(
        "connection_remove.html",
        section="connections",
        connection=_connection(grant, _),
        scope=str(removed),
        removed_label=scope_label(removed, _),
        kept=[scope_label(s, _) for s in grant.scopes if s != removed],
    )


@post("/connections/{grant_id:str}/remove", sync_to_thread=True)
def remove_item_submit(grant_id: GrantId, data: Form, person: Person, grants: Grants) -> Redirect:
    grant = grants.get_for_person(person.person_id, grant_id)
    removed = parse_scope(data.get("scope", ""))
    keep = ScopeSet(s for s in grant.scopes if s != removed)
    if not keep:
        return Redirect(f"/connections/{grant_id}/revoke")
    grants.narrow(person.person_id, grant_id, scopes=keep)
    return Redirect("/connections?done=narrowed")


def _shorter_choices(grant: Grant) -> list[tuple[str, str, Any]]:
    now = utcnow()
    return [
        (key, label, now + delta)
        for key, (label, delta) in SHORTER.items()
        if now + delta < grant.expires_at
    ]


@get("/connections/{grant_id:str}/shorten", sync_to_thread=True)
def shorten_page(
    request: Request[Any, Any, Any], grant_id: GrantId, person: Person, grants: Grants
) -> Template | Redirect:
    grant = _active_grant(grants, person, grant_id)
    if grant is None:
        return Redirect("/connections")
    return page(
        "connection_shorten.html",
        section="connections",
        connection=_connection(grant, translator(request)),
        choices=_shorter_choices(grant),
    )


@post("/connections/{grant_id:str}/shorten", sync_to_thread=True)
def shorten_submit(grant_id: GrantId, data: Form, person: Person, grants: Grants) -> Redirect:
    choice = SHORTER.get(data.get("until", ""))
    if choice is None:
        return Redirect(f"/connections/{grant_id}/shorten")
    grants.narrow(person.person_id, grant_id, expires_at=utcnow() + choice[1])
    return Redirect("/connections?done=narrowed")


CONNECTION_HANDLERS = [
    connections_page,
    revoke_page,
    revoke_submit,
    remove_item_page,
    remove_item_submit,
    shorten_page,
    shorten_submit,
]
