"""NGOs and their OAuth clients: exact redirect URIs, public or confidential, allowed scopes."""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    ForeignKey,
    LargeBinary,
    String,
    Table,
    bindparam,
    insert,
    select,
    update,
)

from consent.purposes import UnknownPurpose, validate_purpose
from consent.storage import Timestamp, id_column_type, metadata, new_id, utcnow
from consent.uris import is_uri_text
from crypto.lookup import random_token, token_hash

organisations = Table(
    "organisations",
    metadata,
    Column("id", id_column_type(), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("website", String(500), nullable=True),
    Column("policy_url", String(500), nullable=True),
    Column("created_at", Timestamp, nullable=False),
)

oauth_clients = Table(
    "oauth_clients",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column(
        "organisation_id",
        id_column_type(),
        ForeignKey("organisations.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("client_name", String(200), nullable=False),
    # SHA-256 of a 256-bit random secret: high entropy makes a slow hash unnecessary.
    Column("secret_hash", LargeBinary(32), nullable=True),
    Column("public", Boolean, nullable=False),
    Column("redirect_uris", JSON, nullable=False),
    Column("allowed_scopes", JSON, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    # For authorization requests that state no purpose (a DPV term; None: every request must).
    Column("default_purpose", String(64), nullable=True),
)


class InvalidClientMetadata(ValueError):
    """A redirect URI or scope that may not be registered."""


@dataclass(frozen=True)
class Client:
    client_id: str
    organisation_id: str
    organisation_name: str
    client_name: str
    public: bool
    redirect_uris: tuple[str, ...]
    allowed_scopes: tuple[str, ...]
    secret_hash: bytes | None
    created_at: datetime
    default_purpose: str | None = None

    def check_secret(self, secret: str) -> bool:
        """Constant-time comparison of the presented secret's hash."""
        if self.secret_hash is None:
            return False
        return hmac.compare_digest(self.secret_hash, token_hash(secret))


@dataclass(frozen=True)
class IssuedCredentials:
    organisation_id: str
    client_id: str
    client_secret: str | None
    redirect_uris: tuple[str, ...]
    allowed_scopes: tuple[str, ...]


def validate_redirect_uri(uri: str) -> str:
    """RFC 9700: exact, absolute URIs without fragments; HTTPS except on loopback."""
    if len(uri) > MAX_URI_LENGTH or not is_uri_text(uri):
        raise InvalidClientMetadata(
            f"redirect URI must be at most {MAX_URI_LENGTH} RFC 3986 characters: {uri!r}"
        )
    parts = urlsplit(uri)
    if parts.scheme not in ("https", "http") or not parts.netloc or "#" in uri:
        raise InvalidClientMetadata(f"redirect URI must be absolute, without fragment: {uri!r}")
    host = parts.hostname or ""
    if parts.scheme == "http" and host not in _LOOPBACK:
        raise InvalidClientMetadata(f"redirect URI must use https (loopback excepted): {uri!r}")
    if parts.username is not None or parts.password is not None:
        raise InvalidClientMetadata(f"redirect URI must not carry credentials: {uri!r}")
    if "*" in uri:
        raise InvalidClientMetadata("wildcards are not allowed in redirect URIs")
    return uri


MAX_REDIRECT_URIS = 10
MAX_URI_LENGTH = 2000
_LOOPBACK = ("127.0.0.1", "localhost", "[::1]", "::1")


def validate_public_page(url: str, what: str) -> str:
    """An organisation's website or privacy policy, which people's pages link to: an absolute
    https URL (http on loopback, for development), without credentials, that fits its column.
    Anything else (a `javascript:` URL, a relative path) never becomes a link."""
    parts = urlsplit(url)
    secure = parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK)
    if len(url) > 500 or not is_uri_text(url) or not parts.netloc or not secure:
        raise InvalidClientMetadata(f"{what} must be an https URL of at most 500 characters")
    if parts.username is not None or parts.password is not None:
        raise InvalidClientMetadata(f"{what} must not carry credentials")
    return url


def new_client_id() -> str:
    return "pds_" + random_token(16)


def new_client_secret() -> str:
    return random_token(32)


def create_organisation(
    conn: Connection,
    *,
    name: str,
    website: str | None = None,
    policy_url: str | None = None,
) -> str:
    """A new organisation; its website and privacy policy, if given, must be public https pages
    (`validate_public_page`)."""
    organisation_id = new_id()
    conn.execute(
        insert(organisations).values(
            id=organisation_id,
            name=name.strip(),
            created_at=utcnow(),
            **_pages(website, policy_url),
        )
    )
    return organisation_id


def set_organisation_pages(
    conn: Connection, organisation_id: str, *, website: str | None, policy_url: str | None
) -> None:
    """Replace what is given of the organisation's website and privacy policy."""
    values = _pages(website, policy_url)
    conn.execute(update(organisations).where(organisations.c.id == organisation_id).values(values))


def _pages(website: str | None, policy_url: str | None) -> dict[str, str]:
    values = {}
    if website is not None:
        values["website"] = validate_public_page(website, "the website")
    if policy_url is not None:
        values["policy_url"] = validate_public_page(policy_url, "the privacy policy")
    return values


def privacy_notices(conn: Connection, organisation_ids: Iterable[str]) -> dict[str, str]:
    """Each organisation's privacy policy, or its website when it gave no policy, for the pages
    where a person decides what to share; organisations with neither are left out. A stored
    value that is not a public https page (set before they were checked) is never a link."""
    ids = set(organisation_ids)
    if not ids:
        return {}
    rows = conn.execute(
        select(organisations.c.id, organisations.c.policy_url, organisations.c.website).where(
            organisations.c.id.in_(ids)
        )
    )
    notices = {}
    for row in rows:
        for url in (row.policy_url, row.website):
            if url and is_public_page(url):
                notices[row.id] = url
                break
    return notices


def is_public_page(url: str) -> bool:
    """Would `validate_public_page` accept it?"""
    try:
        validate_public_page(url, "")
    except InvalidClientMetadata:
        return False
    return True


def _registered_purpose(purpose: str | None) -> str | None:
    if purpose is None:
        return None
    try:
        return validate_purpose(purpose)
    except UnknownPurpose:
        raise InvalidClientMetadata("purpose must be a DPV purpose this server lists") from None


def register_client(
    conn: Connection,
    *,
    organisation_id: str,
    client_name: str,
    redirect_uris: Sequence[str],
    allowed_scopes: Sequence[str],
    public: bool,
    client_id: str | None = None,
    client_secret: str | None = None,
    default_purpose: str | None = None,
) -> IssuedCredentials:
    """Create an OAuth client; the secret is returned once and stored only as a hash.

    `client_id` and `client_secret` are generated unless given (dynamic registration generates
    them first, the way Authlib's registration endpoint expects).
    """
    if not 0 < len(redirect_uris) <= MAX_REDIRECT_URIS:
        raise InvalidClientMetadata(f"give 1 to {MAX_REDIRECT_URIS} redirect URIs")
    uris = tuple(validate_redirect_uri(uri) for uri in redirect_uris)
    client_id = client_id or new_client_id()
    secret = None if public else (client_secret or new_client_secret())
    conn.execute(
        insert(oauth_clients).values(
            client_id=client_id,
            organisation_id=organisation_id,
            client_name=client_name.strip(),
            secret_hash=None if secret is None else token_hash(secret),
            public=public,
            redirect_uris=list(uris),
            allowed_scopes=sorted(set(allowed_scopes)),
            created_at=utcnow(),
            default_purpose=_registered_purpose(default_purpose),
        )
    )
    return IssuedCredentials(organisation_id, client_id, secret, uris, tuple(allowed_scopes))


def find_organisation_by_name(conn: Connection, name: str) -> str | None:
    return conn.execute(
        select(organisations.c.id).where(organisations.c.name == name)
    ).scalar_one_or_none()


def organisation_exists(conn: Connection, organisation_id: str) -> bool:
    query = select(organisations.c.id).where(organisations.c.id == organisation_id)
    return conn.execute(query).first() is not None


# Built once: every token request authenticates its client with it.
_CLIENT = (
    select(oauth_clients, organisations.c.name.label("organisation_name"))
    .join(organisations, organisations.c.id == oauth_clients.c.organisation_id)
    .where(oauth_clients.c.client_id == bindparam("client_id"))
)


def get_client(conn: Connection, client_id: str) -> Client | None:
    row = conn.execute(_CLIENT, {"client_id": client_id}).first()
    if row is None:
        return None
    return Client(
        client_id=row.client_id,
        organisation_id=row.organisation_id,
        organisation_name=row.organisation_name,
        client_name=row.client_name,
        public=row.public,
        redirect_uris=tuple(row.redirect_uris),
        allowed_scopes=tuple(row.allowed_scopes),
        secret_hash=None if row.secret_hash is None else bytes(row.secret_hash),
        created_at=row.created_at,
        default_purpose=row.default_purpose,
    )


def web_origin(uri: str) -> str:
    """The origin of a URI as a browser sends it in `Origin` (RFC 6454): scheme and host in lower
    case, the port only when it is not the scheme's default."""
    parts = urlsplit(uri)
    default = {"https": 443, "http": 80}.get(parts.scheme.lower())
    port = "" if parts.port in (None, default) else f":{parts.port}"
    return f"{parts.scheme.lower()}://{(parts.hostname or '').lower()}{port}"


_PUBLIC_REDIRECT_URIS = select(oauth_clients.c.redirect_uris).where(oauth_clients.c.public)


def is_browser_app_origin(conn: Connection, origin: str) -> bool:
    """Whether `origin` is where a public client's redirect URI lives: a browser-based app.

    Confidential clients keep their secret on a server, so they never call from a browser.
    One query over the public clients; only a browser's cross-origin calls ask it.
    """
    return any(
        web_origin(uri) == origin for (uris,) in conn.execute(_PUBLIC_REDIRECT_URIS) for uri in uris
    )
