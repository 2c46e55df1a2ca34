"""Consent receipts on both engines: one per change, signed, chained, checkable by outsiders."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import pytest
from jwcrypto import jwk
from jwcrypto.common import JWException
from sqlalchemy import func, select

from consent.grants import expire_due
from consent.receipt_chain import InvalidReceipt, verify_receipt
from consent.receipt_schema import receipt_json_schema
from consent.receipt_tables import consent_receipts
from consent.receipts import Receipt
from consent.scopes import ScopeSet
from consent.storage import utcnow
from crypto.signing import SigningKey, generate_kid
from pds.app import Services
from tests.conftest import PASSWORD
from tests.receipt_support import (
    SCHEMA_PATH,
    approve_again,
    connect,
    jwcrypto_verify,
    new_person,
    schema_validator,
)

PHONE, SHOTS, NAME = "contact.phone:read", "health.immunisations:read", "identity.name:read"

KANTARA_FIELDS = {
    "version": str,
    "jurisdiction": str,
    "consentTimestamp": int,
    "collectionMethod": str,
    "consentReceiptID": str,
    "piiPrincipalId": str,
    "piiControllers": list,
    "policyUrl": str,
    "services": list,
    "sensitive": bool,
    "spiCat": list,
}
KANTARA_PURPOSE_FIELDS = {
    "purpose": str,
    "purposeCategory": list,
    "consentType": str,
    "piiCategory": list,
    "termination": str,
    "thirdPartyDisclosure": bool,
}
RECORD_FIELDS = {
    "recordId": str,
    "receiptId": str,
    "schemaVersion": str,
    "piiPrincipalId": str,
    "purposes": list,
    "controllers": list,
    "jurisdiction": str,
    "event": dict,
}
RECORD_PURPOSE_FIELDS = {
    "purposeId": str,
    "personalDataTypes": list,
    "retention": dict,
    "withdrawalMethod": str,
}
EVENT_FIELDS = {
    "eventTime": str,
    "validityDuration": str,
    "eventType": str,
    "eventState": str,
}


def _payload(receipt: Receipt) -> dict[str, Any]:
    body = receipt.jws.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return decoded


def _history(services: Services) -> list[Receipt]:
    """One grant through every kind of change a person makes, then three that end otherwise."""
    grants = services.consent.grants
    first = connect(services, (PHONE, SHOTS))
    approve_again(services, first, (PHONE, SHOTS))  # renewed
    approve_again(services, first, (PHONE, SHOTS, NAME))  # changed: one more item
    grants.narrow(first.person_id, first.grant.id, scopes=ScopeSet.of(PHONE, NAME))
    grants.revoke(first.person_id, first.grant.id)  # withdrawn by the person
    by_service = connect(services, (PHONE,))
    with services.db.write() as conn:
        grants.revoke_as_service(conn, by_service.grant.id)  # revoked (token reuse)
    expiring = connect(services, (PHONE,), days=1)
    later = utcnow() + timedelta(days=2)  # the sweep, two days later
    with services.db.write() as conn:
        assert [g.id for g in expire_due(conn, later, grants.hooks)] == [expiring.grant.id]
    erased = connect(services, (SHOTS,))
    services.account.erase(erased.person_id, PASSWORD)
    chains = [first, by_service, expiring, erased]
    return [r for c in chains for r in services.receipts.receipts.chain(c.grant.id)]


def test_every_change_of_a_grant_has_a_receipt_in_dpv_terms(services: Services) -> None:
    receipts = _history(services)
    events = [(r.event_type, _payload(r)["consentRecord"]["event"]["eventState"]) for r in receipts]
    assert events == [
        ("given", "dpv:ConsentGiven"),
        ("renewed", "dpv:RenewedConsentGiven"),
        ("changed", "dpv:ConsentGiven"),
        ("narrowed", "dpv:ConsentGiven"),
        ("withdrawn", "dpv:ConsentWithdrawn"),
        ("given", "dpv:ConsentGiven"),
        ("revoked", "dpv:ConsentRevoked"),
        ("given", "dpv:ConsentGiven"),
        ("expired", "dpv:ConsentExpired"),
        ("given", "dpv:ConsentGiven"),
        ("invalidated", "dpv:ConsentInvalidated"),
    ]
    with services.db.read() as conn:
        stored = conn.execute(select(func.count()).select_from(consent_receipts)).scalar_one()
    assert stored == len(receipts)


def test_receipts_verify_with_jwcrypto_from_the_published_jwks_and_match_the_schema(
    client: Any, services: Services
) -> None:
    published = client.get("/.well-known/jwks.json").json()
    assert all("d" not in key for key in published["keys"])  # public keys only
    validator = schema_validator()
    for receipt in _history(services):
        payload = jwcrypto_verify(receipt.jws, published)
        errors = [e.message for e in validator.iter_errors(payload)]
        assert not errors, errors
        for fields, part in (
            (KANTARA_FIELDS, payload),
            (KANTARA_PURPOSE_FIELDS, payload["services"][0]["purposes"][0]),
            (RECORD_FIELDS, payload["consentRecord"]),
            (RECORD_PURPOSE_FIELDS, payload["consentRecord"]["purposes"][0]),
            (EVENT_FIELDS, payload["consentRecord"]["event"]),
        ):
            for name, kind in fields.items():
                assert isinstance(part[name], kind), name
        assert payload["version"] == "KI-CR-v1.1.0"
        assert payload["consentRecord"]["schemaVersion"] == "ISO/IEC TS 27560:2023"
        assert payload["consentReceiptID"] == receipt.id == payload["consentRecord"]["receiptId"]
        assert payload["consentRecord"]["recordId"] == receipt.grant_id


def test_health_data_is_marked_sensitive(services: Services) -> None:
    connected = connect(services, (PHONE, SHOTS))
    payload = _payload(services.receipts.receipts.chain(connected.grant.id)[0])
    assert payload["sensitive"] is True and payload["spiCat"] == ["pd:HealthRecord"]
    assert payload["services"][0]["purposes"][0]["piiCategory"] == [
        "pd:HealthRecord",
        "pd:TelephoneNumber",
    ]
    phone_only = connect(services, (PHONE,))
    payload = _payload(services.receipts.receipts.chain(phone_only.grant.id)[0])
    assert payload["sensitive"] is False and payload["spiCat"] == []


def test_the_committed_schema_is_the_generated_one() -> None:
    committed = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert committed == receipt_json_schema(), "run `pds openapi` and commit the schema"


def test_the_principal_is_a_pairwise_pseudonym(services: Services) -> None:
    person = new_person(services)
    one = connect(services, (PHONE,), person=person)
    other = connect(services, (PHONE,), person=person)
    subjects = []
    for connected in (one, other):
        payload = _payload(services.receipts.receipts.chain(connected.grant.id)[0])
        sub = payload["piiPrincipalId"]
        assert sub == payload["sub"] == payload["consentRecord"]["piiPrincipalId"]
        oauth_sub = services.consent.oauth.subject_for(
            connected.person_id, connected.ngo.organisation_id
        )
        assert sub == oauth_sub  # what the NGO already knows the person as
        assert connected.person_id not in receipt_text(services, connected.grant.id)
        assert connected.email not in receipt_text(services, connected.grant.id)
        subjects.append(sub)
    assert subjects[0] != subjects[1]  # two NGOs cannot link the person through receipts


def receipt_text(services: Services, grant_id: str) -> str:
    return json.dumps([_payload(r) for r in services.receipts.receipts.chain(grant_id)])


def _altered(token: str, position: int) -> str:
    original = token[position]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
    replacement = alphabet[(alphabet.index(original) + 1) % len(alphabet)]
    return token[:position] + replacement + token[position + 1 :]


def _flip_decoded_byte(token: str, part: int, index: int) -> str:
    segments = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(segments[part] + "=" * (-len(segments[part]) % 4)))
    raw[index % len(raw)] ^= 0x01
    segments[part] = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    return ".".join(segments)


def test_any_altered_byte_fails_verification(services: Services, engine_name: str) -> None:
    if engine_name != "sqlite":
        pytest.skip("signatures do not depend on the database; once is enough")
    connected = connect(services, (PHONE, SHOTS))
    token = services.receipts.receipts.chain(connected.grant.id)[0].jws
    published = services.receipts.receipts.jwks()
    verify_receipt(token, published)
    for position in range(len(token)):  # every character of the compact serialisation
        with pytest.raises(InvalidReceipt):
            verify_receipt(_altered(token, position), published)
    keyset = jwk.JWKSet.from_json(json.dumps(published))
    lengths = [len(base64.urlsafe_b64decode(s + "==")) for s in token.split(".")]
    for part, length in enumerate(lengths):  # every byte of header, payload and signature
        for index in range(length):
            with pytest.raises((JWException, ValueError)):
                jwcrypto_verify(_flip_decoded_byte(token, part, index), keyset)


def test_old_and_new_receipts_verify_after_a_signing_key_rotation(
    client: Any, services: Services
) -> None:
    before = connect(services, (PHONE,))
    old_kid = services.keys.signing.active.kid
    services.keys.replace_signing(
        services.keys.signing.with_key(SigningKey.generate(generate_kid()))
    )
    after = connect(services, (PHONE,))
    published = client.get("/.well-known/jwks.json").json()
    assert {old_kid, services.keys.signing.active.kid} <= {k["kid"] for k in published["keys"]}
    kids = []
    for connected in (before, after):
        receipt = services.receipts.receipts.chain(connected.grant.id)[0]
        jwcrypto_verify(receipt.jws, published)
        verify_receipt(receipt.jws, published)
        kids.append(receipt.kid)
    assert kids == [old_kid, services.keys.signing.active.kid]


def test_a_running_service_publishes_a_key_rotated_by_another_process(
    client: Any, services: Services
) -> None:
    from pds.keystore import KeyStore  # the CLI's view of the same key file

    other_process = KeyStore(services.keys.provider)
    new_key = SigningKey.generate(generate_kid())
    other_process.replace_signing(other_process.signing.with_key(new_key))
    published = client.get("/.well-known/jwks.json").json()
    assert new_key.kid in {k["kid"] for k in published["keys"]}
    connected = connect(services, (PHONE,))
    assert services.receipts.receipts.chain(connected.grant.id)[0].kid == new_key.kid
