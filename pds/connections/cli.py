"""`pds org`: onboard an organisation's OAuth client, or issue a registration token for one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import click

from consent.organisations import (
    InvalidClientMetadata,
    create_organisation,
    find_organisation_by_name,
    organisation_exists,
    register_client,
    set_organisation_pages,
)
from consent.purposes import validate_purpose
from consent.registration import issue_registration_token
from consent.scopes import InvalidScope
from pds.app import Services, build_services
from pds.connections.wiring import record_vocabulary
from pds.keystore import KeyConfigurationError
from pds.settings import load_settings


@contextmanager
def _services() -> Iterator[Services]:
    try:
        services = build_services(load_settings())
    except KeyConfigurationError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        yield services
    finally:
        services.db.dispose()


@click.group()
def org() -> None:
    """Organisations and their OAuth clients."""


@org.command("create")
@click.option("--name", required=True, help="the organisation's name, as people will see it")
@click.option(
    "--redirect-uri",
    "redirect_uris",
    multiple=True,
    required=True,
    help="an exact redirect URI (repeat for several)",
)
@click.option("--public", is_flag=True, help="a public client (no secret; PKCE only)")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    help="a scope the client may ask for (repeat); default: every scope",
)
@click.option("--website", default=None, help="the organisation's website (https)")
@click.option(
    "--policy-url",
    default=None,
    help="its privacy policy (https), linked from the consent screen and connections page",
)
@click.option(
    "--purpose",
    default=None,
    help="the DPV purpose (e.g. dpv:ServiceProvision) of requests that state none",
)
def org_create(
    name: str,
    redirect_uris: tuple[str, ...],
    public: bool,
    scopes: tuple[str, ...],
    website: str | None,
    policy_url: str | None,
    purpose: str | None,
) -> None:
    """Register a client (creating the organisation if needed, else updating the website and
    policy given); print its credentials as JSON."""
    vocabulary = record_vocabulary()
    try:
        allowed = vocabulary.parse(" ".join(scopes)) if scopes else vocabulary.all_scopes
    except InvalidScope as exc:
        raise click.ClickException(str(exc)) from None
    with _services() as services, services.db.write() as conn:
        try:
            organisation_id = find_organisation_by_name(conn, name.strip())
            if organisation_id is None:
                organisation_id = create_organisation(
                    conn, name=name, website=website, policy_url=policy_url
                )
            elif website is not None or policy_url is not None:
                set_organisation_pages(
                    conn, organisation_id, website=website, policy_url=policy_url
                )
                services.audit.trail.operator_action(
                    "admin.organisation.update", conn, organisation_id=organisation_id
                )
            issued = register_client(
                conn,
                organisation_id=organisation_id,
                client_name=name,
                redirect_uris=redirect_uris,
                allowed_scopes=[str(s) for s in allowed],
                public=public,
                default_purpose=purpose,
            )
        except InvalidClientMetadata as exc:
            raise click.ClickException(str(exc)) from None
        services.audit.trail.operator_action(
            "admin.client.register",
            conn,
            organisation_id=organisation_id,
            client_id=issued.client_id,
        )
        issuer = services.settings.public_url
    click.echo(
        json.dumps(
            {
                "organisation": name.strip(),
                "organisation_id": organisation_id,
                "client_id": issued.client_id,
                "client_secret": issued.client_secret,
                "token_endpoint_auth_method": "none" if public else "client_secret_basic",
                "redirect_uris": list(issued.redirect_uris),
                "scopes": [str(s) for s in allowed],
                "default_purpose": purpose and validate_purpose(purpose),
                "issuer": issuer,
                "metadata": f"{issuer}/.well-known/oauth-authorization-server",
            },
            indent=2,
        )
    )


@org.command("registration-token")
@click.option(
    "--organisation-id",
    default=None,
    help="clients registered with the token join this organisation",
)
@click.option("--ttl-days", default=7, show_default=True, type=click.IntRange(1, 90))
def org_registration_token(organisation_id: str | None, ttl_days: int) -> None:
    """Print a single-use initial access token for RFC 7591 dynamic registration."""
    with _services() as services, services.db.write() as conn:
        if organisation_id is not None and not organisation_exists(conn, organisation_id):
            raise click.ClickException(f"no organisation with id {organisation_id}")
        token, expires_at = issue_registration_token(
            conn, organisation_id=organisation_id, ttl=timedelta(days=ttl_days)
        )
        issuer = services.settings.public_url
    click.echo(
        json.dumps(
            {
                "initial_access_token": token,
                "expires_at": expires_at.isoformat(),
                "registration_endpoint": f"{issuer}/oauth/register",
            },
            indent=2,
        )
    )
