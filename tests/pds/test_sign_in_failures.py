"""Wrong passwords per account: a property against a plain model of "the last `limit` failures
within the window", over any interleaving of failures, successes, checks and time passing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pds.people.sign_in_failures import SignInFailures, TooManySignInFailures

ACCOUNTS = ["asha@example.org", "ravi@example.org"]
WINDOW = 60.0
LIMIT = 3

steps = st.lists(
    st.one_of(
        st.tuples(st.just("fail"), st.sampled_from(ACCOUNTS)),
        st.tuples(st.just("succeed"), st.sampled_from(ACCOUNTS)),
        st.tuples(st.just("check"), st.sampled_from(ACCOUNTS)),
        st.tuples(st.just("wait"), st.floats(min_value=0.5, max_value=90)),
    ),
    max_size=40,
)


@given(steps)
def test_an_account_is_paused_exactly_while_it_has_limit_failures_in_the_window(
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
        account = str(argument)
        recent = [t for t in model[account] if t > now - WINDOW]
        if action == "fail":
            failures.failed(account)
            model[account] = [*recent, now][-LIMIT:]
        elif action == "succeed":
            failures.succeeded(account)
            model[account] = []
        else:
            try:
                failures.check(account)
            except TooManySignInFailures as paused:
                assert len(recent) >= LIMIT
                # Never told to come back before it works, nor later than the window.
                assert recent[0] + WINDOW <= now + paused.retry_after <= recent[0] + WINDOW + 1
            else:
                assert len(recent) < LIMIT


def test_the_oldest_account_is_forgotten_beyond_capacity() -> None:
    failures = SignInFailures(1, WINDOW, clock=lambda: 0.0, capacity=2)
    for account in ["a", "b", "c"]:
        failures.failed(account)
    failures.check("a")  # forgotten: no longer paused
    for account in ["b", "c"]:
        with pytest.raises(TooManySignInFailures):
            failures.check(account)
