"""The `none` client authentication method, as stock clients use it for a public client.

A public client has no secret. RFC 6749 §2.3.1 lets a client omit an empty secret, and says no
more; requests-oauthlib's default is then HTTP Basic with the client id and an empty password,
which Authlib's `none` method (the id as a form parameter only) refused as invalid_client. Read
that too as the id it stands for. A confidential client sending it is still refused: Authlib
admits the `none` method only for clients registered with it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from authlib.oauth2.rfc6749.authenticate_client import authenticate_none
from authlib.oauth2.rfc6749.errors import InvalidClientError
from authlib.oauth2.rfc6749.util import extract_basic_authorization

# Authlib's own descriptions of a failed client authentication: one Python list of methods, one
# that tells a caller which client ids exist. Both are answered in these words instead.
CLIENT_AUTHENTICATION_FAILED = "Client authentication failed."
_AUTHLIB_WORDS = ("The client cannot authenticate", "The client does not exist", "Missing 'client")


def authenticate_public(query_client: Callable[[str], Any], request: Any) -> Any:
    client_id, secret = extract_basic_authorization(request.headers)
    payload = request.payload
    if (
        client_id
        and secret == ""
        and payload.client_id in (None, client_id)
        and not payload.data.get("client_secret")
    ):
        client = query_client(client_id)
        if client is None:  # it authenticated with the Authorization header: 401 (§5.2)
            raise InvalidClientError(status_code=401, description=CLIENT_AUTHENTICATION_FAILED)
        return client
    return authenticate_none(query_client, request)


def in_our_words(error: Exception) -> None:
    """Say a failed client authentication alike, whatever failed."""
    if isinstance(error, InvalidClientError) and str(error.description or "").startswith(
        _AUTHLIB_WORDS
    ):
        error.description = CLIENT_AUTHENTICATION_FAILED
