"""The OAuth authorization endpoint as a page: sign in, see what is asked and why, decide.

A request with an unknown client or a redirect URI that is not registered exactly is shown as an
error page and never redirected (RFC 9700 §4.1). Everything else — denial included — goes back
to the client as Authlib builds it, with `state` and `iss` (RFC 9207).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlsplit

from authlib.oauth2.rfc6749 import OAuth2Error
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import URLEncodedBody
from litestar.response import Redirect, Template

from consent.grant_service import ConsentRequest, GrantService
from consent.grants import Grant
from consent.oauth.adapter import LitestarAuthorizationServer, query_call
from consent.oauth.flows import AuthorizationCodeFlow, ConsentDecision
from consent.scopes import ScopeSet, ScopeVocabulary
from pds.people.auth import check_same_origin
from pds.people.service import PeopleService, Principal, Role
from pds.settings import Settings
from pds.web.guard import current_principal, not_for_your_account
from pds.web.i18n import N_, translator
from pds.web.pages.common import purpose_words, scope_label

DURATIONS = {"30": N_("30 days"), "90": N_("90 days"), "180": N_("6 months"), "365": N_("1 year")}
NOTHING_CHOSEN = N_("Choose at least one item to share, or choose \u201cDon\u2019t allow\u201d.")
DEFAULT_DURATION = "90"
# With a connection already there, its end date is kept unless the person chooses another: a
# longer time chosen in advance would be sharing the person did not choose, like a ticked box.
KEEP_END_DATE = "keep"
NO_DURATION = N_("Choose for how long they may use your records.")
OAuthServer = NamedDependency[LitestarAuthorizationServer]


def _not_a_person(principal: Principal) -> bool:
    """Only a person consents to sharing their records: an auditor's or an administrator's
    account has none, and its grant could not be seen or revoked anywhere."""
    return principal.role is not Role.PERSON


def _validated(oauth: LitestarAuthorizationServer, request: Request[Any, Any, Any]) -> Any:
    """The validated authorization request, or the response that ends it here."""
    try:
        return oauth.get_consent_grant(query_call(request, oauth.issuer))
    except OAuth2Error as error:
        return oauth.authorization_error_response(error) or _error_page(
            error.get_error_description()
        )
    except ValueError:  # input Authlib cannot even describe
        return _error_page(None)


def _error_page(description: str | None) -> Template:
    return Template("oauth_error.html", context={"description": description}, status_code=400)


def _sign_in_first(request: Request[Any, Any, Any]) -> Redirect:
    query = request.scope.get("query_string", b"").decode("latin-1")
    return Redirect("/signin?next=" + quote(f"{request.url.path}?{query}", safe=""))


def _consent_request(flow: AuthorizationCodeFlow, principal: Principal) -> ConsentRequest:
    client = flow.request.client.client
    return ConsentRequest(
        person_id=principal.person_id,
        organisation_id=client.organisation_id,
        client_id=client.client_id,
        scopes=ScopeSet.parse(flow.request.scope),
        purpose=flow.purpose.purpose,
    )


def _consent_page(
    request: Request[Any, Any, Any],
    flow: AuthorizationCodeFlow,
    consent: ConsentRequest,
    grants: GrantService,
    vocabulary: ScopeVocabulary,
    people: PeopleService,
    error: str | None = None,
    answered: dict[str, str] | None = None,
) -> Template:
    """The consent page. At first only what the person already shares is ticked: a box ticked in
    advance is not consent to share something new (the CJEU's Planet49 ruling, GDPR art. 4(11)),
    so each new item needs the person's own tick. After an error, exactly what they chose (never
    back to sharing more, for longer)."""
    difference = grants.difference(consent)
    client = flow.request.client.client
    _ = translator(request)  # the words are the person's language; the scopes are the same
    items = [
        {
            "field": f"item:{scope}",
            "label": scope_label(scope, _),
            "new": scope in difference.newly_requested and difference.existing is not None,
            "ticked": (
                # A new reason is a new consent: then nothing is ticked in advance either.
                scope in difference.already_shared and not difference.purpose_changes
                if answered is None
                else answered.get(f"item:{scope}") == "yes"
            ),
        }
        for scope in consent.scopes
    ]
    query = request.scope.get("query_string", b"").decode("latin-1")
    context = {
        "organisation": client.organisation_name,
        "client_name": client.client_name,
        "privacy_url": grants.privacy_notices([client.organisation_id]).get(client.organisation_id),
        "items": items,
        "kept": [scope_label(scope, _) for scope in difference.kept],
        "existing": difference.existing,
        "purpose": purpose_words(consent.purpose, _),
        "previous_purpose": (
            purpose_words(difference.existing.purpose, _)
            if difference.purpose_changes and difference.existing
            else None
        ),
        "durations": DURATIONS,
        "chosen_duration": _duration(answered or {}, difference.existing) or KEEP_END_DATE,
        "has_new_items": any(item["new"] for item in items),
        "action": f"{request.url.path}?{query}",
        # On a shared phone, whose consent this is; "Not you?" signs out and back in to here.
        "account": people.profile(consent.person_id)["email"],
        "error": error,
    }
    return Template(
        "consent.html",
        context=context,
        status_code=422 if error else 200,
        headers={"Content-Security-Policy": _csp_allowing(request, flow.redirect_uri)},
    )


def _duration(answered: dict[str, str], existing: Grant | None) -> str | None:
    """The duration the person chose: days (one of DURATIONS), or KEEP_END_DATE of an existing
    connection; the default when none was sent; None when what was sent is not a choice."""
    default = KEEP_END_DATE if existing is not None else DEFAULT_DURATION
    chosen = answered.get("duration", default)
    if chosen in DURATIONS or (chosen == KEEP_END_DATE and existing is not None):
        return chosen
    return None


def _as_time(chosen: str) -> timedelta | None:
    """The time to share for, from now; None keeps the existing connection's end date."""
    return None if chosen == KEEP_END_DATE else timedelta(days=int(chosen))


def _csp_allowing(request: Request[Any, Any, Any], redirect_uri: str) -> str:
    """The page's CSP with the client's origin added to form-action.

    Browsers apply form-action to the redirect that answers the form too; without this the
    approval's redirect back to the organisation would be blocked.
    """
    parts = urlsplit(redirect_uri)
    origin = f"{parts.scheme}://{parts.netloc}"
    headers = request.app.response_headers or []
    policy = next(str(h.value) for h in headers if h.name == "Content-Security-Policy")
    return policy.replace("form-action 'self'", f"form-action 'self' {origin}")


class AuthorizationController(Controller):
    """GET shows the consent page, POST records the decision.

    One controller, because Litestar re-registers every handler of a path when another handler
    for that path is registered, and wraps a `sync_to_thread` handler twice if they come apart.
    """

    path = "/oauth/authorize"
    include_in_schema = False

    @get(include_in_schema=False, sync_to_thread=True)
    def authorization_page(
        self,
        request: Request[Any, Any, Any],
        oauth: OAuthServer,
        grants: NamedDependency[GrantService],
        vocabulary: NamedDependency[ScopeVocabulary],
        people: NamedDependency[PeopleService],
        settings: NamedDependency[Settings],
    ) -> Response[Any]:
        flow = _validated(oauth, request)
        if isinstance(flow, Response):
            return flow
        principal = current_principal(request, people, settings)
        if principal is None:
            return _sign_in_first(request)
        if _not_a_person(principal):
            return not_for_your_account()
        consent = _consent_request(flow, principal)
        return _consent_page(request, flow, consent, grants, vocabulary, people)

    @post(include_in_schema=False, sync_to_thread=True, status_code=302)
    def authorization_decision(
        self,
        request: Request[Any, Any, Any],
        data: URLEncodedBody[dict[str, str]],
        oauth: OAuthServer,
        grants: NamedDependency[GrantService],
        vocabulary: NamedDependency[ScopeVocabulary],
        people: NamedDependency[PeopleService],
        settings: NamedDependency[Settings],
    ) -> Response[Any]:
        flow = _validated(oauth, request)
        if isinstance(flow, Response):
            return flow
        principal = current_principal(request, people, settings)
        if principal is None:
            return _sign_in_first(request)
        if _not_a_person(principal):
            return not_for_your_account()
        # The CSRF token already ties the form to this site; the Origin check is the same
        # defence in depth every other cookie write gets.
        check_same_origin(request, settings.public_url)
        if data.get("decision") != "approve":
            return oauth.create_authorization_response(flow.request, grant_user=None, grant=flow)  # type: ignore[no-any-return]
        consent = _consent_request(flow, principal)
        approved = ScopeSet(scope for scope in consent.scopes if data.get(f"item:{scope}") == "yes")
        chosen = _duration(data, grants.difference(consent).existing)
        if not approved or chosen is None:
            problem = NOTHING_CHOSEN if not approved else NO_DURATION
            return _consent_page(request, flow, consent, grants, vocabulary, people, problem, data)
        grant = grants.approve(consent, approved, _as_time(chosen))
        decision = ConsentDecision(
            principal.person_id, grant.id, approved & grant.scopes, flow.purpose
        )
        return oauth.create_authorization_response(flow.request, grant_user=decision, grant=flow)  # type: ignore[no-any-return]
