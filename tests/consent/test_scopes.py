"""The scope grammar and its algebra: parse/normalise round-trips and set laws (Hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consent.scopes import (
    Action,
    InvalidScope,
    Scope,
    ScopeSet,
    ScopeVocabulary,
    normalise,
    parse_scope,
)

TYPES = ["identity.name", "contact.phone", "health.immunisations", "household.members"]
VOCABULARY = ScopeVocabulary({name: f"your {name}" for name in TYPES})

scopes = st.builds(Scope, st.sampled_from(TYPES), st.sampled_from(list(Action)))
scope_sets = st.frozensets(scopes, max_size=8).map(ScopeSet)


@given(scope_sets)
def test_normal_form_round_trips(value: ScopeSet) -> None:
    assert ScopeSet.parse(str(value)) == value
    assert normalise(str(value)) == str(value)


@given(st.lists(scopes, max_size=8))
def test_order_whitespace_and_duplicates_do_not_matter(items: list[Scope]) -> None:
    words = [str(s) for s in items] * 2
    spaced = "  \t".join(reversed(words))
    assert ScopeSet.parse(spaced) == ScopeSet(items)


@given(scope_sets, scope_sets)
def test_intersection_is_the_largest_common_subset(a: ScopeSet, b: ScopeSet) -> None:
    both = a & b
    assert both.issubset(a) and both.issubset(b)
    assert both == b & a
    assert all((s in both) == (s in a and s in b) for s in a | b)


@given(scope_sets, scope_sets, scope_sets)
def test_subset_is_a_partial_order(a: ScopeSet, b: ScopeSet, c: ScopeSet) -> None:
    assert a.issubset(a)
    if a.issubset(b) and b.issubset(a):
        assert a == b
    if a.issubset(b) and b.issubset(c):
        assert a.issubset(c)
    assert (a - b).issubset(a)
    assert not (a - b) & b


@given(scope_sets)
def test_read_does_not_imply_write(value: ScopeSet) -> None:
    for scope in value:
        other = Action.WRITE if scope.action is Action.READ else Action.READ
        assert value.allows(scope.record_type, other) == (Scope(scope.record_type, other) in value)


@pytest.mark.parametrize(
    "text",
    [
        "health.immunisations",
        "health.immunisations:delete",
        "Health.immunisations:read",
        "immunisations:read",
        "health.immunisations:read:read",
        "health.*:read",
        " health.immunisations:read",
        "health.immunisations:READ",
        "x" * 200 + ".y:read",
    ],
)
def test_malformed_scopes_are_refused(text: str) -> None:
    with pytest.raises(InvalidScope):
        parse_scope(text)


def test_vocabulary_refuses_unknown_record_types_and_labels_in_plain_language() -> None:
    with pytest.raises(InvalidScope):
        VOCABULARY.parse("health.teeth:read")
    assert VOCABULARY.parse("contact.phone:read") == ScopeSet.of("contact.phone:read")
    assert VOCABULARY.label(parse_scope("contact.phone:read")) == "See your contact.phone"
    assert VOCABULARY.label(parse_scope("contact.phone:write")).startswith("Add to and change")
    assert len(VOCABULARY.all_scopes) == 2 * len(TYPES)


def test_too_many_scopes_are_refused() -> None:
    with pytest.raises(InvalidScope):
        ScopeSet.parse(" ".join(["contact.phone:read"] * 500))
