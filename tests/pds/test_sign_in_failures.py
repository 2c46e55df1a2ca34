"""Password guesses per account: a property against a plain model of "attempts in the window
that did not succeed", over any interleaving of attempts, successes and time passing; and a burst
of parallel guesses, which must not all get past the count."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pds.people.sign_in_failures import SignInFailures, TooManySignInFailures

ACCOUNTS = ["account:asha@example.org", "device:AbC", "device:abc"]
WINDOW = 60.0
LIMIT = 3

steps = st.lists(
    st.one_of(
        st.tuples(st.just("attempt"), st.sampled_from(ACCOUNTS)),
        st.tuples(st.just("succeed"), st.sampled_from(ACCOUNTS)),
        st.tuples(st.just("wait"), st.floats(min_value=0.5, max_value=90)),
    ),
    max_size=40,
)


@given(steps)
def test_a_key_is_paused_exactly_while_it_has_limit_unsucceeded_attempts_in_the_window(
    plan: list[tuple[str, object]],
) -> None:
    now = 0.0
    failures = SignInFailures(LIMIT, WINDOW, clock=lambda: now)
    model: dict[str, list[float]] = {account: [] for account in ACCOUNTS}
    for action, argument in plan:
        if action == "wait":
            assert isinstance(argument, float)
            now += argument
            continue
        key = str(argument)
        recent = [t for t in model[key] if t > now - WINDOW]
        if action == "succeed":
            failures.succeeded(key)
            model[key] = []
            continue
        try:
            failures.attempt(key)
        except TooManySignInFailures as paused:
            assert len(recent) >= LIMIT
            # Never told to come back before it works, nor later than the window.
            assert recent[0] + WINDOW <= now + paused.retry_after <= recent[0] + WINDOW + 1
            model[key] = recent  # a refused attempt is not counted
        else:
            assert len(recent) < LIMIT
            model[key] = [*recent, now]


def test_parallel_guesses_cannot_all_pass_before_the_first_is_counted() -> None:
    """Found in review: 40 guesses at once with a limit of 3 were all checked."""
    failures = SignInFailures(LIMIT, WINDOW)
    start = threading.Barrier(40)

    def guess(_: int) -> bool:
        start.wait()
        try:
            failures.attempt("account:asha@example.org")
        except TooManySignInFailures:
            return False
        return True

    with ThreadPoolExecutor(40) as pool:
        admitted = sum(pool.map(guess, range(40)))
    assert admitted == LIMIT


def test_the_key_touched_longest_ago_is_forgotten_beyond_capacity() -> None:
    failures = SignInFailures(1, WINDOW, clock=lambda: 0.0, capacity=2)
    for key in ["a", "b", "c"]:
        failures.attempt(key)
    failures.attempt("a")  # forgotten: counted afresh
    with pytest.raises(TooManySignInFailures):
        failures.attempt("c")
