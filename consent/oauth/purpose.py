"""The purpose an authorization request states: a `purpose` parameter or RFC 9396 details.

Either `purpose=dpv:ServiceProvision`, or
`authorization_details=[{"type": "pds_consent", "purpose": "dpv:ServiceProvision"}]`
(both may be sent if they agree). The purpose must be one of the DPV terms we ship.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc6749 import InvalidRequestError, OAuth2Error

from consent.purposes import UnknownPurpose, validate_purpose

AUTHORIZATION_DETAILS_TYPE = "pds_consent"
MAX_DETAILS_LENGTH = 2000


class InvalidAuthorizationDetailsError(OAuth2Error):  # type: ignore[misc]
    """RFC 9396 §5: the authorization_details are malformed or of an unknown type."""

    error = "invalid_authorization_details"


@dataclass(frozen=True)
class RequestedPurpose:
    purpose: str
    # The normalised authorization_details, when the purpose came that way (echoed in tokens).
    authorization_details: str | None = None


def requested_purpose(
    params: Mapping[str, Sequence[Any]], default: str | None = None
) -> RequestedPurpose:
    """The request's purpose, else the client's registered `default`; raises an OAuth2Error the
    authorization endpoint can redirect."""
    plain = _single(params, "purpose")
    details_text = _single(params, "authorization_details")
    from_details = None if details_text is None else _purpose_from_details(details_text)
    if plain is not None and from_details is not None and plain != from_details:
        raise InvalidRequestError("'purpose' and authorization_details disagree.")
    purpose = plain if plain is not None else from_details
    if purpose is None and default is not None:
        return RequestedPurpose(default)
    if purpose is None:
        raise InvalidRequestError(
            "State a purpose: 'purpose' (a DPV term such as dpv:ServiceProvision) or "
            "authorization_details, or register the client with a default purpose."
        )
    try:
        compact = validate_purpose(purpose)
    except UnknownPurpose:
        raise InvalidRequestError("Unknown purpose: use a DPV purpose this server lists.") from None
    details = None
    if from_details is not None:
        details = json.dumps([{"type": AUTHORIZATION_DETAILS_TYPE, "purpose": compact}])
    return RequestedPurpose(compact, details)


def _single(params: Mapping[str, Sequence[Any]], name: str) -> str | None:
    values = params.get(name) or []
    if len(values) > 1:
        raise InvalidRequestError(f"Multiple '{name}' in request.")
    return str(values[0]) if values else None


def _purpose_from_details(text: str) -> str:
    if len(text) > MAX_DETAILS_LENGTH:
        raise InvalidAuthorizationDetailsError("authorization_details is too long.")
    try:
        details = json.loads(text)
    except ValueError:
        raise InvalidAuthorizationDetailsError("authorization_details is not JSON.") from None
    if not isinstance(details, list) or len(details) != 1 or not isinstance(details[0], dict):
        raise InvalidAuthorizationDetailsError("Send exactly one authorization_details object.")
    detail = details[0]
    if detail.get("type") != AUTHORIZATION_DETAILS_TYPE:
        raise InvalidAuthorizationDetailsError(
            f"The supported type is '{AUTHORIZATION_DETAILS_TYPE}'."
        )
    purpose = detail.get("purpose")
    if not isinstance(purpose, str):
        raise InvalidAuthorizationDetailsError("authorization_details needs a 'purpose' string.")
    return purpose
