"""What every page shares: the page dependencies, short notices after an action, plain-language
words for scopes and purposes, and who a record type is shared with."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar import Request
from litestar.datastructures import CacheControlHeader, Cookie
from litestar.di import NamedDependency, Provide
from litestar.response import Template

from consent.grants import Grant, GrantState
from consent.purposes import purpose_label
from consent.scopes import Action, Scope
from pds.audit.service import AuditorService, NotAnAuditor
from pds.people.service import Principal
from pds.records.catalogue import CATALOGUE
from pds.web.guard import WrongRole, provide_viewer, require_person
from pds.web.i18n import N_, Translator

# Nothing a page shows is for a shared phone's cache or a proxy: personal data, one-time tokens.
NO_STORE = CacheControlHeader(no_store=True)

# After an action the page it redirects to says what happened; only these keys, no free text.
NOTICES: Mapping[str, str] = {
    "signed-out": N_("You are signed out."),
    "record-added": N_("The record was added."),
    "record-saved": N_("Your changes were saved."),
    "record-deleted": N_("The record was deleted."),
    "revoked": N_(
        "Done. The organisation can no longer see or change anything of yours. "
        "Your receipt is under Receipts."
    ),
    "narrowed": N_("Done. The organisation now has less access."),
    "password-changed": N_("Your password was changed. Other devices were signed out."),
    "password-reset": N_(
        "Your password was changed and every device was signed out. Sign in with the new password."
    ),
    "erased": N_("Your account and everything in it were erased."),
}

# The menus: (section, path, label). Sections appear here as their pages exist.
PERSON_NAV: list[tuple[str, str, str]] = [
    ("records", "/", N_("My records")),
    ("connections", "/connections", N_("Connections")),
    ("activity", "/activity", N_("Activity")),
    ("receipts", "/receipts", N_("Receipts")),
    ("settings", "/settings", N_("Settings")),
]
AUDITOR_NAV: list[tuple[str, str, str]] = [
    ("audit", "/audit", N_("Audit log")),
    ("audit-checkpoint", "/audit/checkpoint", N_("Checkpoint")),
]

ACTION_WORDS: Mapping[Action, str] = {
    Action.READ: N_("See %(what)s"),
    Action.WRITE: N_("Add to and change %(what)s"),
}


def provide_person(viewer: NamedDependency[Principal]) -> Principal:
    return require_person(viewer)


# What each auditor page does, as the API names the same call in the audit log.
_AUDITOR_PAGE_ACTIONS = (
    ("/audit/checkpoint", "audit.checkpoint"),
    ("/audit/export", "audit.export"),
    ("/audit", "audit.entries"),
)


def provide_auditor(
    request: Request[Any, Any, Any],
    viewer: NamedDependency[Principal],
    auditor: NamedDependency[AuditorService],
) -> Principal:
    """The auditor viewing an auditor's page. Anyone else is refused, and the refusal is an
    entry in the log, as on the API."""
    path = request.url.path
    action = next(name for prefix, name in _AUDITOR_PAGE_ACTIONS if path.startswith(prefix))
    try:
        auditor.admit(viewer, action)
    except NotAnAuditor:
        raise WrongRole from None
    return viewer


def page_dependencies() -> dict[str, Provide]:
    return {
        "viewer": Provide(provide_viewer, sync_to_thread=True),
        "person": Provide(provide_person, sync_to_thread=False),
        # Not "auditor": that name is the app's AuditorService.
        "auditor_account": Provide(provide_auditor, sync_to_thread=True),  # a refusal is a write
    }


def page(
    name: str,
    *,
    status_code: int = 200,
    cookies: Sequence[Cookie] = (),
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> Template:
    """A page template; `section` marks the current item of the navigation."""
    return Template(
        name,
        context=context,
        status_code=status_code,
        cookies=list(cookies),
        headers=dict(headers or {}),
    )


def notice(key: str | None) -> str | None:
    return NOTICES.get(key or "")


def record_type_words(record_type: str) -> str:
    """A record type's plain description ("your phone numbers"), as a msgid."""
    known = CATALOGUE.get(record_type)
    return known.description if known is not None else record_type


def scope_label(scope: Scope, _: Translator) -> str:
    return _(ACTION_WORDS[scope.action], what=_(record_type_words(scope.record_type)))


def purpose_words(purpose: str, _: Translator) -> str:
    return _(purpose_label(purpose))


@dataclass(frozen=True)
class Sharing:
    """One organisation's current access to one record type."""

    grant_id: str
    organisation: str
    can_read: bool
    can_write: bool
    expires_at: datetime


def sharing_by_type(grants: Iterable[Grant]) -> dict[str, list[Sharing]]:
    """Who may read or change each record type now, from the person's active grants."""
    shared: dict[str, list[Sharing]] = {}
    for grant in grants:
        if grant.state is not GrantState.ACTIVE:
            continue
        types = grant.scopes.record_types(Action.READ) | grant.scopes.record_types(Action.WRITE)
        for record_type in sorted(types):
            shared.setdefault(record_type, []).append(
                Sharing(
                    grant.id,
                    grant.organisation_name,
                    grant.scopes.allows(record_type, Action.READ),
                    grant.scopes.allows(record_type, Action.WRITE),
                    grant.expires_at,
                )
            )
    return shared
