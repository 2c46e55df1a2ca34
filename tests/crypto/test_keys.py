"""Tests for crypto.keys: wrapping, owner binding, rotation, and keyring invariants."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crypto import aead
from crypto.aead import DecryptionError
from crypto.keys import Keyring, UnknownKeyError, WrappedKey, generate_kek_id

KEK_A = bytes([0xA1]) * 32
KEK_B = bytes([0xB2]) * 32
owners = st.text(max_size=40)


def keyring() -> Keyring:
    return Keyring({"kek-a": KEK_A}, "kek-a")


@given(owner=owners)
def test_new_data_key_round_trip(owner: str) -> None:
    ring = keyring()
    data_key, wrapped = ring.new_data_key(owner)
    assert len(data_key) == 32
    assert wrapped.kek_id == "kek-a"
    assert data_key not in wrapped.blob
    assert ring.unwrap(wrapped, owner) == data_key


def test_wrap_existing_key_and_fresh_keys_differ() -> None:
    ring = keyring()
    data_key = aead.generate_key()
    assert ring.unwrap(ring.wrap(data_key, "p1"), "p1") == data_key
    assert ring.new_data_key("p1")[0] != ring.new_data_key("p1")[0]


@given(owner=owners, other=owners)
def test_wrapped_key_moved_to_another_owner_fails(owner: str, other: str) -> None:
    if other == owner:
        other += "x"
    ring = keyring()
    _, wrapped = ring.new_data_key(owner)
    with pytest.raises(DecryptionError):
        ring.unwrap(wrapped, other)


@given(position=st.integers(min_value=0), mask=st.integers(min_value=1, max_value=255))
def test_tampered_blob_fails(position: int, mask: int) -> None:
    ring = keyring()
    _, wrapped = ring.new_data_key("p1")
    blob = bytearray(wrapped.blob)
    blob[position % len(blob)] ^= mask
    with pytest.raises(DecryptionError):
        ring.unwrap(replace(wrapped, blob=bytes(blob)), "p1")


def test_wrong_kek_and_relabelled_kek_id_fail() -> None:
    _, wrapped = keyring().new_data_key("p1")
    # Same id, different key material.
    with pytest.raises(DecryptionError):
        Keyring({"kek-a": KEK_B}, "kek-a").unwrap(wrapped, "p1")
    # The blob relabelled as wrapped by another KEK, even one holding the same key: the AAD differs.
    twin = Keyring({"kek-a": KEK_A, "kek-twin": KEK_A}, "kek-a")
    with pytest.raises(DecryptionError):
        twin.unwrap(WrappedKey(kek_id="kek-twin", blob=wrapped.blob), "p1")


def test_unknown_kek_id() -> None:
    with pytest.raises(UnknownKeyError):
        keyring().unwrap(WrappedKey(kek_id="kek-gone", blob=b"\x00" * 72), "p1")
    assert issubclass(UnknownKeyError, LookupError)


def test_rotation_then_retirement_still_unwraps() -> None:
    old = keyring()
    data_key, wrapped = old.new_data_key("p1")
    rotated = old.with_kek("kek-b", KEK_B)
    assert rotated.active_id == "kek-b"
    assert rotated.ids == frozenset({"kek-a", "kek-b"})
    # Before rewrapping, the old wrapping is still readable through the new keyring.
    assert rotated.unwrap(wrapped, "p1") == data_key
    rewrapped = rotated.rewrap(wrapped, "p1")
    assert rewrapped.kek_id == "kek-b"
    retired = rotated.without_kek("kek-a")
    assert retired.ids == frozenset({"kek-b"})
    assert retired.unwrap(rewrapped, "p1") == data_key
    with pytest.raises(UnknownKeyError):
        retired.unwrap(wrapped, "p1")
    # Immutable style: the originals are unchanged.
    assert old.ids == frozenset({"kek-a"}) and old.active_id == "kek-a"
    assert rotated.ids == frozenset({"kek-a", "kek-b"})


def test_with_kek_without_activation() -> None:
    ring = keyring().with_kek("kek-b", KEK_B, activate=False)
    assert ring.active_id == "kek-a"
    assert ring.new_data_key("p1")[1].kek_id == "kek-a"


def test_rewrap_with_wrong_owner_fails() -> None:
    ring = keyring()
    _, wrapped = ring.new_data_key("p1")
    with pytest.raises(DecryptionError):
        ring.with_kek("kek-b", KEK_B).rewrap(wrapped, "p2")


@pytest.mark.parametrize(
    ("keks", "active"),
    [
        ({}, "kek-a"),
        ({"kek-a": KEK_A}, "kek-b"),
        ({"kek-a": b"short"}, "kek-a"),
        ({"kek-a": KEK_A, "kek-b": bytes(33)}, "kek-a"),
        ({"": KEK_A}, ""),
        # "|" separates kek id from owner in the AAD, so ids must not contain it.
        ({"kek|a": KEK_A}, "kek|a"),
    ],
)
def test_invalid_keyrings(keks: dict[str, bytes], active: str) -> None:
    with pytest.raises(ValueError):
        Keyring(keks, active)


def test_with_kek_and_without_kek_errors() -> None:
    ring = keyring()
    with pytest.raises(ValueError):
        ring.with_kek("kek-a", KEK_B)
    with pytest.raises(ValueError):
        ring.with_kek("kek-b", b"short")
    with pytest.raises(ValueError):
        ring.without_kek("kek-a")  # active
    with pytest.raises(ValueError):
        ring.without_kek("kek-unknown")


def test_wrap_rejects_bad_data_key() -> None:
    with pytest.raises(ValueError):
        keyring().wrap(b"short", "p1")


def test_repr_and_str_never_show_key_material() -> None:
    ring = Keyring({"kek-a": KEK_A, "kek-b": KEK_B}, "kek-b")
    for text in (repr(ring), str(ring), f"{ring}"):
        assert "kek-a" in text and "kek-b" in text
        for kek in (KEK_A, KEK_B):
            assert kek.hex() not in text
            assert repr(kek) not in text
            assert "\\xa1" not in text and "\\xb2" not in text


def test_keyring_copies_its_input() -> None:
    keks = {"kek-a": KEK_A}
    ring = Keyring(keks, "kek-a")
    keks["kek-b"] = KEK_B
    assert ring.ids == frozenset({"kek-a"})


def test_generate_kek_id() -> None:
    ids = {generate_kek_id() for _ in range(50)}
    assert len(ids) == 50
    assert all(re.fullmatch(r"kek-[0-9a-f]{8}", kek_id) for kek_id in ids)


def test_export_kek_is_explicit() -> None:
    ring = Keyring({"kek-a": KEK_A, "kek-b": KEK_B}, "kek-b")
    assert ring.export_kek("kek-a") == KEK_A
    # Round trip through export, as a key store does when it saves and reloads the keyring.
    reloaded = Keyring({kek_id: ring.export_kek(kek_id) for kek_id in ring.ids}, ring.active_id)
    data_key, wrapped = ring.new_data_key("p1")
    assert reloaded.unwrap(wrapped, "p1") == data_key
    with pytest.raises(UnknownKeyError):
        ring.export_kek("kek-gone")
