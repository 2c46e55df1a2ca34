"""Hands `consent` what only `pds` knows — the database, keys, the record catalogue, the issuer —
and hands `pds` the consent services, routes and dependencies back.

`consent` never imports `pds`; this module is where the two meet (dependency inversion).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.di import Provide
from litestar.handlers import HTTPRouteHandler
from litestar.types import ControllerRouterHandler
from sqlalchemy import Connection

from consent.access import AccessChecker
from consent.grant_service import GrantService
from consent.oauth.adapter import LitestarAuthorizationServer
from consent.oauth.routes import oauth_routes
from consent.scopes import ScopeVocabulary
from pds.account.service import AccountService
from pds.connections.routes import MyConnectionsController
from pds.connections.schemas import grant_summary
from pds.contract import around_oauth
from pds.db import Database
from pds.dependencies import constant
from pds.keystore import KeyStore
from pds.records.catalogue import CATALOGUE
from pds.records.organisation_routes import OrganisationRecordsController
from pds.settings import Settings
from pds.web.authorize import AuthorizationController


@dataclass(frozen=True)
class ConsentServices:
    vocabulary: ScopeVocabulary
    grants: GrantService
    access: AccessChecker
    oauth: LitestarAuthorizationServer


def record_vocabulary() -> ScopeVocabulary:
    """The scopes that exist: read and write of every record type in the catalogue."""
    return ScopeVocabulary({name: rt.description for name, rt in CATALOGUE.items()})


def scope_labels() -> dict[str, str]:
    """Every scope with what it lets an organisation do, in plain language."""
    vocabulary = record_vocabulary()
    return {str(scope): vocabulary.label(scope) for scope in vocabulary.all_scopes}


def build_consent(
    settings: Settings, db: Database, keys: KeyStore, account: AccountService
) -> ConsentServices:
    vocabulary = record_vocabulary()
    grants = GrantService(db)
    oauth = LitestarAuthorizationServer(
        db,
        grants,
        vocabulary,
        issuer=settings.public_url,
        pseudonym_key=keys.index_key,
    )
    consent = ConsentServices(vocabulary, grants, AccessChecker(db), oauth)
    account.export_sections.append(lambda person_id: export_connections(consent, person_id))
    account.erasure_steps.append(lambda conn, person_id: end_connections(consent, conn, person_id))
    return consent


def export_connections(consent: ConsentServices, person_id: str) -> tuple[str, Any]:
    """The person's grants, ended ones included, for their data export."""
    return "connections", [
        grant_summary(consent.vocabulary, grant)
        for grant in consent.grants.list_for_person(person_id)
    ]


def end_connections(consent: ConsentServices, conn: Connection, person_id: str) -> None:
    """Erasure: every grant and token of the person ends, in the erasure's transaction."""
    consent.grants.revoke_all_for_person(conn, person_id)


def consent_dependencies(consent: ConsentServices) -> dict[str, Provide]:

    return {
        "oauth": constant(consent.oauth),
        "grants": constant(consent.grants),
        "access_checker": constant(consent.access),
        "vocabulary": constant(consent.vocabulary),
    }


def consent_route_handlers() -> list[ControllerRouterHandler]:
    handlers: list[HTTPRouteHandler] = oauth_routes(scope_labels(), around_oauth)
    return [
        *handlers,
        AuthorizationController,
        MyConnectionsController,
        OrganisationRecordsController,
    ]
