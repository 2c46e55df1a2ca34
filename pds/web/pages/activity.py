"""Activity: who looked at or changed which of my records, when, under which connection and why —
refused attempts included — from the audit log, filterable by outcome and by organisation."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Template
from sqlalchemy import Connection

from consent.audit.queries import (
    MAX_PAGE_SIZE,
    AuditEntry,
    EntryFilter,
    Page,
    encode_cursor,
    list_entries,
)
from consent.grant_service import GrantService
from pds.audit.service import AuditorService
from pds.people.service import Principal
from pds.records.catalogue import CATALOGUE
from pds.web.i18n import N_, Translator, translator
from pds.web.pages.common import page, purpose_words

Person = NamedDependency[Principal]
PAGE_SIZE = 30
SCAN_BATCHES = 5
OUTCOMES = ("allowed", "denied")
ANY_ORGANISATION = "any"  # the "Who" filter's choice for every organisation, not the person
WITH_OWN_LOOKING = "all"  # the "Who" filter's choice for everything, the person's looking too
# What the person does most and needs to read least: looking at their own records. Left out at
# first, so what others did is not buried under a page of "You looked at a record" (found in
# review); sign-ins stay, because one the person did not make is what they must notice.
OWN_LOOKING = frozenset({"record.read", "record.list", "record.versions"})

ACTION_WORDS: Mapping[str, str] = {
    "record.list": N_("looked at your records"),
    "record.read": N_("looked at a record"),
    "record.create": N_("added a record"),
    "record.update": N_("changed a record"),
    "record.delete": N_("deleted a record"),
    "record.versions": N_("looked at earlier versions of a record"),
    "session.signin": N_("signed in"),
    "session.signout": N_("signed out"),
    "account.signup": N_("created the account"),
    "account.password": N_("changed the password"),
    "account.recovery": N_("set a new password with the recovery code"),
    "account.recovery_code": N_("made a new recovery code"),
    "account.export": N_("downloaded all the data"),
    "account.erase": N_("erased the account"),
    "grant.created": N_("gave %(organisation)s access to"),
    "grant.amended": N_("changed what %(organisation)s may use"),
    "grant.narrowed": N_("reduced the access of %(organisation)s to"),
    "grant.revoked": N_("took back the access of %(organisation)s"),
    "grant.expired": N_("ended the access of %(organisation)s: the time ran out"),
    "grant.erased": N_("ended the access of %(organisation)s: the account was erased"),
    "token.issued": N_("received a key to use"),
    "token.refreshed": N_("renewed its key to use"),
    "token.revoked": N_("gave back its key to use"),
}
REASON_WORDS: Mapping[str, str] = {
    "insufficient_scope": N_("you did not allow this"),
    "not_found": N_("no such record"),
    "invalid_credentials": N_("wrong password"),
    "too_many_failures": N_("too many wrong passwords lately, so the password was not checked"),
    "invalid_recovery_code": N_("wrong or already used recovery code"),
    "version_conflict": N_("the record had changed meanwhile"),
    "quota": N_("too many records"),
    "invalid_token": N_("access had ended or was not valid"),
    "grant_revoked": N_("you had taken the access back"),
    "grant_expired": N_("the access had ended: the time ran out"),
    "grant_erased": N_("the account was erased"),
    "token_revoked": N_("the key had been given back"),
    "token_expired": N_("the key had expired"),
    "token_invalid": N_("the key was not valid"),
    "code_reused": N_("a one-time code was used twice"),
    "pkce_failed": N_("the app could not prove it was the one that asked, so its code was spent"),
    "reused": N_("an old key was tried again, so the access was ended to be safe"),
    "replayed": N_("an old key was tried again, so the access was ended to be safe"),
}
ACTOR_WORDS: Mapping[str, str] = {
    "person": N_("You"),
    "auditor": N_("An auditor"),
    "admin": N_("An administrator"),
    "system": N_("This service"),
}


def describe(entry: AuditEntry, _: Translator) -> dict[str, Any]:
    """An audit entry as a sentence for the person it is about."""
    if entry.actor_type == "organisation":
        who = entry.organisation_name or _("An organisation")
    else:
        who = _(ACTOR_WORDS.get(entry.actor_type, entry.actor_type))
    known = CATALOGUE
    reason = entry.reason or ""
    organisation = entry.organisation_name or _("an organisation")
    return {
        "entry": entry,
        "who": who,
        "what": _(ACTION_WORDS[entry.action], organisation=organisation)
        if entry.action in ACTION_WORDS
        else entry.action,
        "types": [_(known[t].label) if t in known else t for t in entry.record_types],
        "purpose": purpose_words(entry.purpose, _) if entry.purpose else None,
        "reason": _(REASON_WORDS[reason]) if reason in REASON_WORDS else entry.reason,
        "denied": entry.outcome == "denied",
    }


def _organisations_only(entry: AuditEntry) -> bool:
    return entry.actor_type == "organisation"


def _without_own_looking(entry: AuditEntry) -> bool:
    return not (
        entry.actor_type == "person" and entry.action in OWN_LOOKING and entry.outcome == "allowed"
    )


def _page(
    conn: Connection,
    where: EntryFilter,
    cursor: str | None,
    *,
    shown: Callable[[AuditEntry], bool] | None,
) -> Page:
    """A page of entries; with `shown`, only those it keeps.

    The log has no actor filter, so entries are skipped here, reading at most SCAN_BATCHES
    batches: a page may then come back short, with a cursor to read on.
    """
    if shown is None:
        return list_entries(conn, where, cursor=cursor, limit=PAGE_SIZE)
    kept: list[AuditEntry] = []
    for _batch in range(SCAN_BATCHES):
        batch = list_entries(conn, where, cursor=cursor, limit=MAX_PAGE_SIZE)
        for entry in batch.items:
            if shown(entry):
                kept.append(entry)
            if len(kept) == PAGE_SIZE:
                more = entry is not batch.items[-1] or batch.next_cursor is not None
                return Page(kept, encode_cursor(entry.seq) if more else None)
        cursor = batch.next_cursor
        if cursor is None:
            break
    return Page(kept, cursor)


@get("/activity", sync_to_thread=True)
def activity_page(
    request: Request[Any, Any, Any],
    person: Person,
    auditor: NamedDependency[AuditorService],
    grants: NamedDependency[GrantService],
    # A form's "any" choice sends an empty value: anything but the two outcomes means any.
    outcome: Annotated[str | None, QueryParameter(max_length=10)] = None,
    organisation: Annotated[str | None, QueryParameter(max_length=64)] = None,
    cursor: Annotated[str | None, QueryParameter(max_length=200)] = None,
) -> Template:
    _ = translator(request)
    outcome = outcome if outcome in OUTCOMES else None
    organisations = sorted(
        {
            (g.organisation_id, g.organisation_name)
            for g in grants.list_for_person(person.person_id)
        },
        key=lambda item: item[1],
    )
    known = {o for o, _name in organisations}
    choices = {ANY_ORGANISATION, WITH_OWN_LOOKING}
    chosen = organisation if organisation in known or organisation in choices else None
    # The person's own entries only: the subject is their pseudonym, derived from their key.
    with auditor.db.read() as conn:
        subject = auditor.trail.pseudonym(conn, person.person_id)
        if subject is None:  # no key, no pseudonym: nothing is theirs (never an unfiltered list)
            found = Page([], None)
        else:
            one = chosen if chosen in known else None
            where = EntryFilter(subject=subject, outcome=outcome, organisation_id=one)
            shown = {ANY_ORGANISATION: _organisations_only, None: _without_own_looking}
            found = _page(conn, where, cursor, shown=shown.get(chosen))
    return page(
        "activity.html",
        section="activity",
        items=[describe(entry, _) for entry in found.items],
        next_cursor=found.next_cursor,
        outcome=outcome,
        organisation=chosen,
        organisations=organisations,
        filtered=bool(outcome or chosen),
    )


ACTIVITY_HANDLERS = [activity_page]
