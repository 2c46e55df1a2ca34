"""Tests for crypto.lookup: blind indexes, pseudonyms, tokens and token hashes."""

from __future__ import annotations

import hashlib
import hmac
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crypto.lookup import (
    blind_index,
    normalise_lookup_value,
    pseudonym,
    random_token,
    token_hash,
)

KEY = bytes(range(32))
OTHER_KEY = bytes(range(32, 64))


def test_blind_index_known_answer() -> None:
    expected = hmac.new(KEY, b"pds.index.v1|alice@example.org", hashlib.sha256).digest()
    assert blind_index(KEY, "alice@example.org") == expected
    assert len(expected) == 32


@pytest.mark.parametrize(
    "variant",
    ["Alice@Example.org", "  alice@example.org\n", "ALICE@EXAMPLE.ORG", "\uff41lice@example.org"],
)
def test_blind_index_normalises(variant: str) -> None:
    assert blind_index(KEY, variant) == blind_index(KEY, "alice@example.org")


def test_blind_index_casefolds_beyond_lower() -> None:
    assert blind_index(KEY, "STRASSE") == blind_index(KEY, "stra\u00dfe")


@given(a=st.text(max_size=30), b=st.text(max_size=30))
def test_blind_index_equal_iff_normalised_values_equal(a: str, b: str) -> None:
    same = normalise_lookup_value(a) == normalise_lookup_value(b)
    assert (blind_index(KEY, a) == blind_index(KEY, b)) == same
    assert blind_index(KEY, a) != blind_index(OTHER_KEY, a)


def test_short_keys_are_rejected() -> None:
    with pytest.raises(ValueError):
        blind_index(b"short", "x")
    with pytest.raises(ValueError):
        pseudonym(b"short", "subject", "ctx")


def test_pseudonym_known_answer_and_format() -> None:
    digest = hmac.new(KEY, b"pds.pseudonym.v1|org-42|person-1", hashlib.sha256).hexdigest()
    assert pseudonym(KEY, "person-1", "org-42") == "ps_" + digest[:32]
    assert re.fullmatch(r"ps_[0-9a-f]{32}", pseudonym(KEY, "person-1", "org-42"))


@given(subject=st.text(max_size=20), context=st.text(max_size=20).filter(lambda c: "|" not in c))
def test_pseudonym_is_stable_and_context_separated(subject: str, context: str) -> None:
    assert pseudonym(KEY, subject, context) == pseudonym(KEY, subject, context)
    assert pseudonym(KEY, subject, context) != pseudonym(KEY, subject, context + "x")
    assert pseudonym(KEY, subject, context) != pseudonym(KEY, subject + "x", context)
    assert pseudonym(KEY, subject, context) != pseudonym(OTHER_KEY, subject, context)


def test_pseudonym_context_cannot_contain_separator() -> None:
    # Otherwise ("a|b", "c") and ("a", "b|c") would collide.
    with pytest.raises(ValueError):
        pseudonym(KEY, "c", "a|b")


def test_random_token() -> None:
    tokens = {random_token() for _ in range(100)}
    assert len(tokens) == 100
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", t) for t in tokens)
    assert len(random_token(16)) == 22
    with pytest.raises(ValueError):
        random_token(8)


def test_token_hash() -> None:
    assert token_hash("abc") == bytes.fromhex(
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
    token = random_token()
    assert token_hash(token) == token_hash(token)
    assert token_hash(token) != token_hash(token + "x")
