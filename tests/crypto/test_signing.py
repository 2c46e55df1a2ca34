"""Tests for crypto.signing: Ed25519 vectors, JWS round trips and tampering, key rotation."""

from __future__ import annotations

import base64
import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crypto.signing import (
    SignatureError,
    SigningKey,
    SigningKeyring,
    generate_kid,
    verify_jws,
    verify_signature,
)

# RFC 8032 section 7.1, TEST 1 (also the key of RFC 8037 appendix A).
RFC8032_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC8032_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
RFC8032_SIGNATURE = bytes.fromhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
    "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)
# RFC 8037 appendix A.4: JWS of "Example of Ed25519 signing" with header {"alg":"EdDSA"}.
RFC8037_JWS = (
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=10,
)
payloads = st.dictionaries(st.text(max_size=12), json_values, max_size=6)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def handmade_jws(key: SigningKey, header: dict[str, object], payload: bytes) -> str:
    """Build a compact JWS by hand, independent of joserfc, to craft hostile tokens."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(payload)}"
    return f"{signing_input}.{b64(key.sign(signing_input.encode('ascii')))}"


@pytest.fixture(scope="module")
def ring() -> SigningKeyring:
    return SigningKeyring([SigningKey.generate("k1")], "k1")


def test_rfc8032_test_vector_1() -> None:
    key = SigningKey.from_seed("rfc8032", RFC8032_SEED)
    assert key.seed == RFC8032_SEED
    assert key.public_key_bytes() == RFC8032_PUBLIC
    assert key.sign(b"") == RFC8032_SIGNATURE
    assert verify_signature(RFC8032_PUBLIC, b"", RFC8032_SIGNATURE)


def test_rfc8037_jwk_and_jws_vector() -> None:
    key = SigningKey.from_seed("rfc8037", RFC8032_SEED)
    jwk = key.public_jwk()
    assert jwk == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
        "kid": "rfc8037",
        "alg": "EdDSA",
        "use": "sig",
    }
    header, payload, signature = RFC8037_JWS.split(".")
    assert b64(key.sign(f"{header}.{payload}".encode())) == signature


def test_rfc8037_jws_without_kid_is_rejected() -> None:
    key = SigningKey.from_seed("rfc8037", RFC8032_SEED)
    jwks = SigningKeyring([key], "rfc8037").jwks()
    with pytest.raises(SignatureError):
        verify_jws(RFC8037_JWS, jwks)


@given(message=st.binary(max_size=256))
def test_raw_signature_round_trip(message: bytes) -> None:
    key = SigningKey.from_seed("k", RFC8032_SEED)
    signature = key.sign(message)
    assert len(signature) == 64
    assert verify_signature(key.public_key_bytes(), message, signature)
    assert not verify_signature(key.public_key_bytes(), message + b"x", signature)
    flipped = bytes([signature[0] ^ 1]) + signature[1:]
    assert not verify_signature(key.public_key_bytes(), message, flipped)
    assert not verify_signature(key.public_key_bytes(), message, signature[:-1])
    assert not verify_signature(RFC8032_PUBLIC[:-1] + b"\x00", message, signature)


def test_verify_signature_rejects_bad_public_key_length() -> None:
    with pytest.raises(ValueError):
        verify_signature(b"short", b"m", bytes(64))


def test_from_seed_and_generate() -> None:
    with pytest.raises(ValueError):
        SigningKey.from_seed("k", bytes(31))
    key = SigningKey.generate("k")
    assert SigningKey.from_seed("k", key.seed).public_key_bytes() == key.public_key_bytes()
    assert SigningKey.generate("k").seed != key.seed
    with pytest.raises(ValueError):
        SigningKey.generate("")


def test_repr_hides_the_seed() -> None:
    key = SigningKey.from_seed("k1", RFC8032_SEED)
    ring = SigningKeyring([key], "k1")
    for text in (repr(key), str(key), repr(ring)):
        assert "k1" in text
        assert RFC8032_SEED.hex() not in text and "\\x9d" not in text


@given(payload=payloads)
def test_jws_round_trip(ring: SigningKeyring, payload: dict[str, object]) -> None:
    token = ring.sign_jws(payload)
    header, verified = verify_jws(token, ring.jwks())
    assert verified == payload
    assert header == {"alg": "EdDSA", "kid": "k1", "typ": "JWT"}


def test_jws_header_typ_and_deterministic_payload(ring: SigningKeyring) -> None:
    token = ring.sign_jws({"b": 1, "a": [1, 2]}, typ="receipt+jwt")
    assert verify_jws(token, ring.jwks())[0]["typ"] == "receipt+jwt"
    assert unb64(token.split(".")[1]) == b'{"a":[1,2],"b":1}'
    # Ed25519 is deterministic and the payload encoding is canonical: key order does not matter.
    assert ring.sign_jws({"a": [1, 2], "b": 1}) == ring.sign_jws({"b": 1, "a": [1, 2]})


def test_jws_payload_must_be_json_serialisable(ring: SigningKeyring) -> None:
    with pytest.raises(ValueError):
        ring.sign_jws({"x": float("nan")})


@pytest.mark.parametrize("segment", [0, 1, 2])
@given(position=st.integers(min_value=0), mask=st.integers(min_value=1, max_value=255))
def test_tampered_segment_fails(
    ring: SigningKeyring, segment: int, position: int, mask: int
) -> None:
    parts = ring.sign_jws({"sub": "person-1", "scope": "health:read"}).split(".")
    raw = bytearray(unb64(parts[segment]))
    raw[position % len(raw)] ^= mask
    parts[segment] = b64(bytes(raw))
    with pytest.raises(SignatureError):
        verify_jws(".".join(parts), ring.jwks())


def test_tampered_payload_with_valid_json_fails(ring: SigningKeyring) -> None:
    header, _, signature = ring.sign_jws({"scope": "health:read"}).split(".")
    forged = b64(b'{"scope":"health:write"}')
    with pytest.raises(SignatureError):
        verify_jws(f"{header}.{forged}.{signature}", ring.jwks())


def test_tampered_header_with_valid_json_fails(ring: SigningKeyring) -> None:
    _, payload, signature = ring.sign_jws({"a": 1}).split(".")
    forged = b64(b'{"alg":"EdDSA","kid":"k1","typ":"other"}')
    with pytest.raises(SignatureError):
        verify_jws(f"{forged}.{payload}.{signature}", ring.jwks())


def test_retired_key_still_verifies_and_new_key_signs(ring: SigningKeyring) -> None:
    old_token = ring.sign_jws({"n": 1})
    rotated = ring.with_key(SigningKey.generate("k2"))
    assert rotated.active.kid == "k2"
    assert rotated.kids == frozenset({"k1", "k2"})
    assert [jwk["kid"] for jwk in rotated.jwks()["keys"]] == ["k1", "k2"]
    assert verify_jws(old_token, rotated.jwks())[1] == {"n": 1}
    new_header, _ = verify_jws(rotated.sign_jws({"n": 2}), rotated.jwks())
    assert new_header["kid"] == "k2"
    assert ring.active.kid == "k1"  # immutable style


def test_with_key_without_activation_and_duplicates(ring: SigningKeyring) -> None:
    grown = ring.with_key(SigningKey.generate("k3"), activate=False)
    assert grown.active.kid == "k1"
    with pytest.raises(ValueError):
        ring.with_key(SigningKey.generate("k1"))
    with pytest.raises(ValueError):
        SigningKeyring([SigningKey.generate("a")], "b")
    with pytest.raises(ValueError):
        SigningKeyring([SigningKey.generate("a"), SigningKey.generate("a")], "a")


def test_unknown_kid_fails(ring: SigningKeyring) -> None:
    stranger = SigningKeyring([SigningKey.generate("k1")], "k1")
    with pytest.raises(SignatureError):  # same kid, different key
        verify_jws(stranger.sign_jws({"a": 1}), ring.jwks())
    other = SigningKeyring([SigningKey.generate("k9")], "k9")
    with pytest.raises(SignatureError):
        verify_jws(other.sign_jws({"a": 1}), ring.jwks())


def test_jwks_holds_only_public_keys(ring: SigningKeyring) -> None:
    (jwk,) = ring.jwks()["keys"]
    assert set(jwk) == {"kty", "crv", "x", "kid", "alg", "use"}
    assert unb64(jwk["x"]) == ring.active.public_key_bytes()


def test_handmade_jws_verifies(ring: SigningKeyring) -> None:
    token = handmade_jws(ring.active, {"alg": "EdDSA", "kid": "k1"}, b'{"a":1}')
    assert verify_jws(token, ring.jwks()) == ({"alg": "EdDSA", "kid": "k1"}, {"a": 1})


@pytest.mark.parametrize(
    ("header", "payload"),
    [
        ({"alg": "none", "kid": "k1"}, b'{"a":1}'),
        ({"alg": "HS256", "kid": "k1"}, b'{"a":1}'),
        ({"alg": "Ed25519", "kid": "k1"}, b'{"a":1}'),
        ({"alg": "EdDSA"}, b'{"a":1}'),
        ({"alg": "EdDSA", "kid": 1}, b'{"a":1}'),
        ({"alg": "EdDSA", "kid": "k1", "b64": False, "crit": ["b64"]}, b'{"a":1}'),
        ({"alg": "EdDSA", "kid": "k1"}, b"[1,2]"),
        ({"alg": "EdDSA", "kid": "k1"}, b'"text"'),
        ({"alg": "EdDSA", "kid": "k1"}, b"not json"),
        ({"alg": "EdDSA", "kid": "k1"}, b"\xff\xfe"),
    ],
)
def test_hostile_but_correctly_signed_tokens_fail(
    ring: SigningKeyring, header: dict[str, object], payload: bytes
) -> None:
    with pytest.raises(SignatureError):
        verify_jws(handmade_jws(ring.active, header, payload), ring.jwks())


def test_alg_none_without_signature_fails(ring: SigningKeyring) -> None:
    header = b64(b'{"alg":"none","kid":"k1"}')
    token = f"{header}.{b64(b'{}')}."
    with pytest.raises(SignatureError):
        verify_jws(token, ring.jwks())


@pytest.mark.parametrize(
    "token", ["", ".", "..", "a.b.c", "a.b.c.d", "é.é.é", "eyJ9.e30.AA", "x" * 200_000]
)
def test_malformed_tokens_fail(ring: SigningKeyring, token: str) -> None:
    with pytest.raises(SignatureError):
        verify_jws(token, ring.jwks())


@given(token=st.text(max_size=300))
def test_arbitrary_text_fails(ring: SigningKeyring, token: str) -> None:
    with pytest.raises(SignatureError):
        verify_jws(token, ring.jwks())


@pytest.mark.parametrize(
    "jwks",
    [
        {},
        {"keys": "nope"},
        {"keys": [None, 3]},
        {"keys": [{"kid": "k1", "kty": "OKP", "crv": "Ed25519"}]},
        {"keys": [{"kid": "k1", "kty": "OKP", "crv": "Ed25519", "x": "!!"}]},
        {"keys": [{"kid": "k1", "kty": "OKP", "crv": "X25519", "x": b64(bytes(32))}]},
        {"keys": [{"kid": "k1", "kty": "oct", "k": b64(b"secret")}]},
    ],
)
def test_malformed_jwks_fails(ring: SigningKeyring, jwks: dict[str, object]) -> None:
    with pytest.raises(SignatureError):
        verify_jws(ring.sign_jws({"a": 1}), jwks)


def test_jwk_marked_for_other_use_is_refused(ring: SigningKeyring) -> None:
    jwk = {**ring.active.public_jwk(), "use": "enc"}
    with pytest.raises(SignatureError):
        verify_jws(ring.sign_jws({"a": 1}), {"keys": [jwk]})


def test_non_string_token_fails(ring: SigningKeyring) -> None:
    with pytest.raises(SignatureError):
        verify_jws(b"a.b.c", ring.jwks())  # type: ignore[arg-type]


def test_generate_kid() -> None:
    kids = {generate_kid() for _ in range(50)}
    assert len(kids) == 50
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{4,32}", kid) for kid in kids)


def test_keys_are_listed_oldest_first_for_persistence(ring: SigningKeyring) -> None:
    rotated = ring.with_key(SigningKey.generate("k2"))
    assert [key.kid for key in rotated.keys] == ["k1", "k2"]
    reloaded = SigningKeyring(
        [SigningKey.from_seed(key.kid, key.seed) for key in rotated.keys], rotated.active.kid
    )
    assert reloaded.jwks() == rotated.jwks()
