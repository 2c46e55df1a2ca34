"""Tests for crypto.recovery_codes: shape, alphabet, randomness and forgiving comparison."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from crypto.recovery_codes import ALPHABET, canonical_recovery_code, new_recovery_code

SHAPE = re.compile(rf"[{ALPHABET}]{{4}}(-[{ALPHABET}]{{4}}){{4}}")


def test_codes_have_five_groups_of_unambiguous_characters_and_differ() -> None:
    codes = {new_recovery_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(SHAPE.fullmatch(code) for code in codes)
    assert not set("01OIL") & set(ALPHABET)


@given(st.lists(st.sampled_from([" ", "-", ""]), min_size=20, max_size=20), st.booleans())
def test_spaces_dashes_and_case_do_not_matter(separators: list[str], lower: bool) -> None:
    code = new_recovery_code()
    letters = code.replace("-", "")
    typed = "".join(c + s for c, s in zip(letters, separators, strict=True))
    typed = typed.lower() if lower else typed
    assert canonical_recovery_code(typed) == canonical_recovery_code(code) == letters
