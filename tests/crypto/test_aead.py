"""Tests for crypto.aead: round trips, every kind of tamper, and a known-answer vector."""

from __future__ import annotations

import nacl.bindings
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crypto import aead
from crypto.aead import DecryptionError

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
OVERHEAD = 24 + 16  # nonce + Poly1305 tag


def assert_decryption_error(key: bytes, ciphertext: bytes, aad: bytes) -> None:
    with pytest.raises(DecryptionError) as info:
        aead.decrypt(key, ciphertext, aad)
    assert type(info.value) is DecryptionError


@given(plaintext=st.binary(max_size=512), aad=st.binary(max_size=64))
def test_round_trip(plaintext: bytes, aad: bytes) -> None:
    ciphertext = aead.encrypt(KEY, plaintext, aad)
    assert len(ciphertext) == len(plaintext) + OVERHEAD
    assert aead.decrypt(KEY, ciphertext, aad) == plaintext


def test_generated_key_round_trip_and_fresh_nonces() -> None:
    key = aead.generate_key()
    assert len(key) == aead.KEY_SIZE == 32
    assert aead.generate_key() != key
    first, second = aead.encrypt(key, b"same", b"ctx"), aead.encrypt(key, b"same", b"ctx")
    assert first[:24] != second[:24]
    assert aead.decrypt(key, first, b"ctx") == aead.decrypt(key, second, b"ctx") == b"same"


@given(
    plaintext=st.binary(max_size=128),
    aad=st.binary(max_size=32),
    position=st.integers(min_value=0),
    mask=st.integers(min_value=1, max_value=255),
)
def test_any_flipped_byte_fails(plaintext: bytes, aad: bytes, position: int, mask: int) -> None:
    ciphertext = bytearray(aead.encrypt(KEY, plaintext, aad))
    ciphertext[position % len(ciphertext)] ^= mask
    assert_decryption_error(KEY, bytes(ciphertext), aad)


def test_every_single_byte_flip_fails() -> None:
    ciphertext = aead.encrypt(KEY, b"a short record", b"owner-1|record-7")
    for position in range(len(ciphertext)):
        damaged = bytearray(ciphertext)
        damaged[position] ^= 0x01
        assert_decryption_error(KEY, bytes(damaged), b"owner-1|record-7")


@given(plaintext=st.binary(max_size=64), aad=st.binary(max_size=16), data=st.data())
def test_truncated_or_extended_input_fails(
    plaintext: bytes, aad: bytes, data: st.DataObject
) -> None:
    ciphertext = aead.encrypt(KEY, plaintext, aad)
    cut = data.draw(st.integers(min_value=0, max_value=len(ciphertext) - 1))
    assert_decryption_error(KEY, ciphertext[:cut], aad)
    assert_decryption_error(KEY, ciphertext + b"\x00", aad)


@given(plaintext=st.binary(max_size=64), aad=st.binary(max_size=16), other=st.binary(max_size=16))
def test_wrong_associated_data_fails(plaintext: bytes, aad: bytes, other: bytes) -> None:
    if other == aad:
        other += b"!"
    assert_decryption_error(KEY, aead.encrypt(KEY, plaintext, aad), other)


@given(plaintext=st.binary(max_size=64), aad=st.binary(max_size=16))
def test_wrong_key_fails(plaintext: bytes, aad: bytes) -> None:
    assert_decryption_error(OTHER_KEY, aead.encrypt(KEY, plaintext, aad), aad)


@given(garbage=st.binary(max_size=200), aad=st.binary(max_size=16))
def test_garbage_fails(garbage: bytes, aad: bytes) -> None:
    assert_decryption_error(KEY, garbage, aad)


@pytest.mark.parametrize("bad_key", [b"", b"short", bytes(31), bytes(33), bytes(64)])
def test_wrong_key_length_is_a_value_error(bad_key: bytes) -> None:
    with pytest.raises(ValueError):
        aead.encrypt(bad_key, b"x", b"")
    with pytest.raises(ValueError):
        aead.decrypt(bad_key, aead.encrypt(KEY, b"x", b""), b"")


def test_decryption_error_is_not_a_value_error() -> None:
    # Callers catch DecryptionError for bad data; it must not be confused with misuse errors.
    assert not issubclass(DecryptionError, ValueError)


# draft-irtf-cfrg-xchacha-03, appendix A.3.1: pins the primitive behind nacl.secret.Aead.
XCHACHA_KEY = bytes.fromhex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f")
XCHACHA_NONCE = bytes.fromhex("404142434445464748494a4b4c4d4e4f5051525354555657")
XCHACHA_AAD = bytes.fromhex("50515253c0c1c2c3c4c5c6c7")
XCHACHA_PLAINTEXT = (
    b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future,"
    b" sunscreen would be it."
)
XCHACHA_CIPHERTEXT = bytes.fromhex(
    "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
    "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452"
    "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"
    "21f9664c97637da9768812f615c68b13b52e"
)
XCHACHA_TAG = bytes.fromhex("c0875924c1c7987947deafd8780acf49")


def test_xchacha20poly1305_known_answer() -> None:
    sealed = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(
        XCHACHA_PLAINTEXT, XCHACHA_AAD, XCHACHA_NONCE, XCHACHA_KEY
    )
    assert sealed == XCHACHA_CIPHERTEXT + XCHACHA_TAG
    # Our wire format is nonce || ciphertext || tag, so the vector decrypts through our API too.
    wire = XCHACHA_NONCE + XCHACHA_CIPHERTEXT + XCHACHA_TAG
    assert aead.decrypt(XCHACHA_KEY, wire, XCHACHA_AAD) == XCHACHA_PLAINTEXT
    assert_decryption_error(XCHACHA_KEY, wire, b"")
