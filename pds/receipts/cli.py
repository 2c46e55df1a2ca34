"""Command-line side of receipts and notices.

`pds receipt verify`, `pds outbox deliver|status`, `pds grants expire`, `pds keys rotate-signing`
and `pds org webhook`; `pds.cli` attaches them to its groups.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import click

from consent.notice_delivery import InvalidWebhookUrl
from consent.notices import DeliveryReport, outbox_stats
from consent.organisations import find_organisation_by_name, organisation_exists
from consent.receipt_chain import InvalidReceipt, replay_chain, verify_receipt
from consent.receipt_schema import receipt_json_schema
from crypto.signing import SigningKey, generate_kid
from pds.app import Services, build_services
from pds.keystore import KeyConfigurationError, KeyStore, key_provider_for
from pds.settings import load_settings

MAX_JWKS_BYTES = 1024 * 1024
DELIVERY_BATCH = 100


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


def _key_store() -> KeyStore:
    settings = load_settings()
    try:
        return KeyStore(key_provider_for(settings.keyring_json, settings.resolved_keyring_file))
    except KeyConfigurationError as exc:
        raise click.ClickException(str(exc)) from None


def load_jwks(source: str | None) -> dict[str, Any]:
    """A JWK Set from a file or an http(s) URL; without a source, this installation's own keys."""
    if source is None:
        return dict(_key_store().signing.jwks())
    try:
        if source.startswith(("https://", "http://")):
            # Only a URL the operator typed is fetched; nothing else goes to the network.
            with urllib.request.urlopen(source, timeout=10) as response:  # noqa: S310
                text = response.read(MAX_JWKS_BYTES + 1)
        else:
            text = Path(source).read_bytes()
        if len(text) > MAX_JWKS_BYTES:
            raise ValueError("the JWKS is too large")
        document = json.loads(text)
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"cannot read the JWKS from {source}: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise click.ClickException(f'{source} is not a JWK Set (no "keys" list)')
    return document


@click.group()
def receipt() -> None:
    """Consent receipts."""


@receipt.command("verify")
@click.argument("files", nargs=-1, required=True, type=click.File("r", encoding="ascii"))
@click.option(
    "--jwks",
    "jwks_source",
    default=None,
    help="a JWKS file or URL (e.g. https://pds.example/.well-known/jwks.json); "
    "default: this installation's own public keys",
)
def receipt_verify(files: tuple[IO[str], ...], jwks_source: str | None) -> None:
    """Verify receipts (compact JWS files, `-` for stdin); several files of one grant are
    verified as a chain and replayed to the grant's state. Exits 1 if anything is wrong."""
    try:
        tokens = [handle.read().strip() for handle in files]
    except UnicodeDecodeError:
        raise click.ClickException("INVALID: a receipt is a compact JWS (ASCII)") from None
    jwks = load_jwks(jwks_source)
    try:
        if len(tokens) == 1:
            verified = verify_receipt(tokens[0], jwks)
            result: dict[str, Any] = {
                "valid": True,
                "issuer": verified.receipt.iss,
                "kid": verified.header.get("kid"),
                "receipt_id": verified.receipt.jti,
                "grant_id": verified.receipt.grant.id,
                "sequence": verified.receipt.chain.sequence,
                "event": verified.receipt.consent_record.event.event_type,
                "state": verified.receipt.grant.state,
                "principal": verified.receipt.sub,
            }
        else:
            replayed = replay_chain(tokens, jwks)
            result = {"valid": True, "chain": True, **asdict(replayed)}
    except InvalidReceipt as exc:
        raise click.ClickException(f"INVALID: {exc}") from None
    click.echo(json.dumps(result, indent=2, default=_json_value))


def _json_value(value: object) -> str:
    """Times as the receipts write them (RFC 3339, UTC, `Z`); anything else as text."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return str(value)


@click.group()
def outbox() -> None:
    """Notices to organisations waiting for delivery."""


@outbox.command("deliver")
@click.option("--max", "maximum", default=10_000, show_default=True, help="stop after this many")
def outbox_deliver(maximum: int) -> None:
    """Deliver every notice that is due now (for cron, or with the background worker off)."""
    total = DeliveryReport()
    with _services() as services:
        while total.delivered + total.failed + total.abandoned < maximum:
            report = services.receipts.notices.deliver_due(limit=DELIVERY_BATCH)
            total = DeliveryReport(
                total.delivered + report.delivered,
                total.failed + report.failed,
                total.abandoned + report.abandoned,
            )
            if report.delivered + report.failed + report.abandoned < DELIVERY_BATCH:
                break
    click.echo(json.dumps(asdict(total)))


@outbox.command("status")
def outbox_status() -> None:
    """How many notices are waiting, failing, delivered and abandoned."""
    with _services() as services, services.db.read() as conn:
        click.echo(json.dumps(asdict(outbox_stats(conn))))


@click.group("grants")
def grants_group() -> None:
    """Grants (consents)."""


@grants_group.command("expire")
def grants_expire() -> None:
    """Mark every grant past its end as expired, with its receipt and notice (for cron)."""
    with _services() as services:
        expired = services.consent.grants.expire_due()
    click.echo(json.dumps({"expired": len(expired)}))


@click.command("rotate-signing")
def rotate_signing() -> None:
    """Add a new receipt-signing key and make it active; retired keys stay published."""
    keys = _key_store()
    if not keys.provider.writable:
        raise click.ClickException("the keys come from PDS_KEYRING_JSON: rotate them there")
    new_key = SigningKey.generate(generate_kid())
    keys.replace_signing(keys.signing.with_key(new_key))
    click.echo(
        json.dumps({"active_signing_key": new_key.kid, "published_keys": sorted(keys.signing.kids)})
    )


@click.command("webhook")
@click.option("--org", "organisation", required=True, help="the organisation's id or exact name")
@click.option("--url", default=None, help="the https URL notices are POSTed to")
@click.option("--remove", is_flag=True, help="stop notices to this organisation")
def org_webhook(organisation: str, url: str | None, remove: bool) -> None:
    """Show, set or remove the webhook that receives an organisation's notices."""
    if url is not None and remove:
        raise click.UsageError("give --url or --remove, not both")
    with _services() as services:
        with services.db.read() as conn:
            found = organisation_exists(conn, organisation) and organisation
            organisation_id = found or find_organisation_by_name(conn, organisation.strip())
        if not organisation_id:
            raise click.ClickException(f"no organisation {organisation!r}")
        notices = services.receipts.notices
        if remove:
            notices.remove_webhook(organisation_id)
        elif url is not None:
            try:
                notices.set_webhook(organisation_id, url)
            except InvalidWebhookUrl as exc:
                raise click.ClickException(str(exc)) from None
        webhook = notices.get_webhook(organisation_id)
    click.echo(
        json.dumps(
            {"organisation_id": organisation_id, "url": None if webhook is None else webhook.url}
        )
    )


RECEIPT_SCHEMA_FILE = "consent-receipt.schema.json"


def write_receipt_schema(directory: Path) -> Path:
    """Write the receipt's JSON Schema next to the OpenAPI document."""
    path = directory / RECEIPT_SCHEMA_FILE
    text = json.dumps(receipt_json_schema(), indent=2, sort_keys=True) + "\n"
    path.write_text(text, encoding="utf-8")
    return path
