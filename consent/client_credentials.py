"""An organisation authenticating with its OAuth client credentials (client_id + secret).

Used by the organisation's own API (its receipts, its webhook), outside OAuth's token endpoint.
Only confidential clients have a secret; public clients cannot use this API.
"""

from __future__ import annotations

import hmac

from consent.organisations import Client, get_client
from consent.storage import Transactions
from crypto.lookup import token_hash

MAX_CLIENT_ID_LENGTH = 64
MAX_SECRET_LENGTH = 256
# Compared against when the client is unknown or public, so the answer takes as long either way.
_NO_SECRET = token_hash("no client has this secret")


class InvalidClientCredentials(Exception):
    """Unknown client, public client, or wrong secret: deliberately indistinguishable."""


class ClientAuthenticator:
    def __init__(self, db: Transactions) -> None:
        self.db = db

    def check(self, client_id: str, secret: str) -> Client:
        """The confidential client these credentials belong to; raises InvalidClientCredentials."""
        if not 0 < len(client_id) <= MAX_CLIENT_ID_LENGTH or len(secret) > MAX_SECRET_LENGTH:
            raise InvalidClientCredentials
        with self.db.read() as conn:
            client = get_client(conn, client_id)
        known = client is not None and client.secret_hash is not None
        expected = client.secret_hash if client is not None and client.secret_hash else _NO_SECRET
        if not hmac.compare_digest(expected, token_hash(secret)) or not known:
            raise InvalidClientCredentials
        assert client is not None
        return client
