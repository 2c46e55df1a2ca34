"""Keyed hashes for equality lookups and pseudonyms, random tokens and their stored hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata

# Keys shorter than this would make the keyed hash guessable; a short key is a bug, not input.
MIN_KEY_SIZE = 32
MIN_TOKEN_BYTES = 16

_INDEX_PREFIX = b"pds.index.v1|"
_PSEUDONYM_PREFIX = b"pds.pseudonym.v1|"


def _check_key(key: bytes) -> None:
    if not isinstance(key, bytes) or len(key) < MIN_KEY_SIZE:
        raise ValueError(f"key must be at least {MIN_KEY_SIZE} bytes")


def normalise_lookup_value(value: str) -> str:
    """Return the canonical form used by blind_index: NFKC, casefolded, stripped."""
    return unicodedata.normalize("NFKC", value).casefold().strip()


def blind_index(key: bytes, value: str) -> bytes:
    """Return a 32-byte HMAC-SHA256 of the normalised value, for lookups without plaintext.

    "Alice@Example.org " and "alice@example.org" index the same.
    """
    _check_key(key)
    message = _INDEX_PREFIX + normalise_lookup_value(value).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).digest()


def pseudonym(key: bytes, subject: str, context: str) -> str:
    """Return a stable per-context pseudonym for a subject: "ps_" + 32 hex characters.

    Different contexts give unlinkable pseudonyms for the same subject.
    """
    _check_key(key)
    # Without this, ("a|b", "c") and ("a", "b|c") would hash the same message.
    if "|" in context:
        raise ValueError("context must not contain '|'")
    message = _PSEUDONYM_PREFIX + f"{context}|{subject}".encode()
    return "ps_" + hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def random_token(nbytes: int = 32) -> str:
    """Return a URL-safe random token carrying nbytes of entropy."""
    if nbytes < MIN_TOKEN_BYTES:
        raise ValueError(f"a token needs at least {MIN_TOKEN_BYTES} random bytes")
    return secrets.token_urlsafe(nbytes)


def token_hash(token: str) -> bytes:
    """Return SHA-256 of the token, the form in which session and bearer tokens are stored.

    Tokens are high-entropy, so a plain (unsalted, fast) hash suffices and allows an indexed lookup.
    """
    return hashlib.sha256(token.encode("utf-8")).digest()
