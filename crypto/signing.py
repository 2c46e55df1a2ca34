"""Ed25519 signing keys with key ids, compact JWS (alg EdDSA, via joserfc) and a JWKS view."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Mapping, Sequence

import nacl.exceptions
import nacl.signing
from joserfc import jws
from joserfc.errors import JoseError, UnsupportedAlgorithmError
from joserfc.jwa import EdDSAAlgorithm, JWSAlgModel
from joserfc.jwk import OKPKey
from joserfc.jws import JWSRegistry

ALGORITHM = "EdDSA"
SEED_SIZE = 32
PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64


class SignatureError(Exception):
    """A JWS or signature is invalid: bad signature, unknown kid, wrong algorithm, or malformed."""


class _EdDSARegistry(JWSRegistry):
    """A JWS registry that knows exactly one algorithm, EdDSA.

    Pinning the algorithm closes alg-confusion attacks (none, HS256 with a public key). We keep
    RFC 8037's "EdDSA" name, which every JOSE library verifies; joserfc warns that RFC 9864
    deprecates it in favour of "Ed25519", the same signature under a new name, so we skip the
    warning rather than emit one on every token.
    """

    def get_alg(self, name: str) -> JWSAlgModel:
        if name != ALGORITHM:
            raise UnsupportedAlgorithmError(f"algorithm {name!r} is not allowed")
        return _EDDSA


_EDDSA = EdDSAAlgorithm()
_REGISTRY = _EdDSARegistry()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def generate_kid() -> str:
    """Return a short random key id such as "sig-1a2b3c4d"."""
    return "sig-" + secrets.token_hex(4)


class SigningKey:
    """An Ed25519 private key with its key id."""

    __slots__ = ("_jose_key", "_key", "kid")

    def __init__(self, kid: str, signing_key: nacl.signing.SigningKey) -> None:
        if not isinstance(kid, str) or not kid:
            raise ValueError("kid must be a non-empty string")
        self.kid = kid
        self._key = signing_key
        self._jose_key = OKPKey.import_key(
            {
                "kty": "OKP",
                "crv": "Ed25519",
                "x": _b64url(self.public_key_bytes()),
                "d": _b64url(self.seed),
            }
        )

    def __repr__(self) -> str:
        return f"SigningKey(kid={self.kid!r})"

    @classmethod
    def generate(cls, kid: str) -> SigningKey:
        """Return a new random key."""
        return cls(kid, nacl.signing.SigningKey.generate())

    @classmethod
    def from_seed(cls, kid: str, seed: bytes) -> SigningKey:
        """Return the key for a 32-byte Ed25519 seed (RFC 8032 private key)."""
        if not isinstance(seed, bytes) or len(seed) != SEED_SIZE:
            raise ValueError(f"seed must be {SEED_SIZE} bytes")
        return cls(kid, nacl.signing.SigningKey(seed))

    @property
    def seed(self) -> bytes:
        """The 32-byte seed, for storage; treat it as a secret."""
        return bytes(self._key)

    def sign(self, message: bytes) -> bytes:
        """Return the raw 64-byte Ed25519 signature of the message."""
        return self._key.sign(message).signature

    def public_key_bytes(self) -> bytes:
        """Return the 32-byte public key."""
        return bytes(self._key.verify_key)

    def public_jwk(self) -> dict[str, str]:
        """Return the public key as a JWK (RFC 8037)."""
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": _b64url(self.public_key_bytes()),
            "kid": self.kid,
            "alg": ALGORITHM,
            "use": "sig",
        }

    def _sign_compact(self, header: dict[str, str], payload: bytes) -> str:
        return jws.serialize_compact(header, payload, self._jose_key, registry=_REGISTRY)


class SigningKeyring:
    """Signing keys by kid: one active for signing, retired ones kept so old tokens still verify."""

    __slots__ = ("_active_kid", "_keys")

    def __init__(self, keys: Sequence[SigningKey], active_kid: str) -> None:
        by_kid: dict[str, SigningKey] = {}
        for key in keys:
            if key.kid in by_kid:
                raise ValueError(f"duplicate kid {key.kid!r}")
            by_kid[key.kid] = key
        if active_kid not in by_kid:
            raise ValueError(f"active kid {active_kid!r} is not in the keyring")
        self._keys = by_kid
        self._active_kid = active_kid

    def __repr__(self) -> str:
        return f"SigningKeyring(kids={list(self._keys)!r}, active_kid={self._active_kid!r})"

    @property
    def active(self) -> SigningKey:
        """The key that signs new tokens."""
        return self._keys[self._active_kid]

    @property
    def kids(self) -> frozenset[str]:
        """All key ids, active and retired."""
        return frozenset(self._keys)

    @property
    def keys(self) -> tuple[SigningKey, ...]:
        """Every key, active and retired, for a key provider to persist."""
        return tuple(self._keys.values())

    def sign_jws(self, payload: Mapping[str, object], *, typ: str = "JWT") -> str:
        """Return a compact JWS of the payload, signed by the active key (header: alg, kid, typ)."""
        # Deterministic encoding, so the same payload always yields the same signed bytes.
        text = json.dumps(
            dict(payload),
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
            allow_nan=False,
        )
        key = self.active
        header = {"alg": ALGORITHM, "kid": key.kid, "typ": typ}
        return key._sign_compact(header, text.encode("utf-8"))

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """Return every public key, retired included, as a JWK Set."""
        return {"keys": [key.public_jwk() for key in self._keys.values()]}

    def with_key(self, key: SigningKey, *, activate: bool = True) -> SigningKeyring:
        """Return a new keyring with one more key, by default made active."""
        active_kid = key.kid if activate else self._active_kid
        return SigningKeyring([*self._keys.values(), key], active_kid)


def _find_public_key(jwks: Mapping[str, object], kid: str) -> OKPKey:
    keys = jwks.get("keys")
    if not isinstance(keys, list):
        raise SignatureError("JWKS has no key list")
    for jwk in keys:
        if isinstance(jwk, Mapping) and jwk.get("kid") == kid:
            if jwk.get("alg", ALGORITHM) != ALGORITHM or jwk.get("use", "sig") != "sig":
                raise SignatureError(f"key {kid!r} is not an {ALGORITHM} signing key")
            if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
                raise SignatureError(f"key {kid!r} is not an Ed25519 key")
            x = jwk.get("x")
            if not isinstance(x, str):
                raise SignatureError(f"key {kid!r} has no public key")
            # Import only the public part: a JWKS carrying "d" must not turn into a signing key.
            return OKPKey.import_key({"kty": "OKP", "crv": "Ed25519", "x": x})
    raise SignatureError(f"unknown kid {kid!r}")


JWSContents = tuple[dict[str, object], dict[str, object]]


def _verify(token: str, jwks: Mapping[str, object]) -> JWSContents:
    obj = jws.extract_compact(token.encode("ascii"), registry=_REGISTRY)
    header: dict[str, object] = dict(obj.headers())
    kid = header.get("kid")
    if header.get("alg") != ALGORITHM or not isinstance(kid, str):
        raise SignatureError("header must name alg EdDSA and a kid")
    if "crit" in header or "b64" in header:
        raise SignatureError("unsupported header parameters")
    if not jws.validate_compact(obj, _find_public_key(jwks, kid), registry=_REGISTRY):
        raise SignatureError("bad signature")
    payload = json.loads(obj.payload)
    if not isinstance(payload, dict):
        raise SignatureError("payload is not a JSON object")
    return header, payload


def verify_jws(token: str, jwks: Mapping[str, object]) -> JWSContents:
    """Verify a compact JWS against a JWK Set, choosing the key by kid; return (header, payload).

    Raises SignatureError for anything wrong, never a library-specific error.
    """
    if not isinstance(token, str):
        raise SignatureError("token must be a string")
    try:
        return _verify(token, jwks)
    except SignatureError:
        raise
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        # ValueError covers bad base64, bad JSON and non-ASCII tokens (UnicodeError).
        raise SignatureError("invalid token") from exc


def verify_signature(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Return True iff signature is a valid raw Ed25519 signature of message under public_key."""
    if not isinstance(public_key, bytes) or len(public_key) != PUBLIC_KEY_SIZE:
        raise ValueError(f"public key must be {PUBLIC_KEY_SIZE} bytes")
    if not isinstance(signature, bytes) or len(signature) != SIGNATURE_SIZE:
        return False
    try:
        nacl.signing.VerifyKey(public_key).verify(message, signature)
    except nacl.exceptions.BadSignatureError:
        return False
    return True
