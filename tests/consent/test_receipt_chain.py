"""The chain of a grant's receipts: replayed, it is the grant; broken, it is detected."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consent.grant_service import InvalidDuration
from consent.grants import GrantNotActive, GrantState, WideningRefused, expire_due
from consent.receipt_chain import BrokenChain, replay_chain
from consent.scopes import ScopeSet
from consent.storage import utcnow
from pds.app import Services
from tests.receipt_support import approve_again, connect, jwcrypto_verify, schema_validator

PHONE, SHOTS, NAME = "contact.phone:read", "health.immunisations:read", "identity.name:read"


def test_the_chain_replays_to_the_grants_current_state(services: Services) -> None:
    grants = services.consent.grants
    connected = connect(services, (PHONE, SHOTS, NAME))
    steps = [
        lambda: grants.narrow(
            connected.person_id, connected.grant.id, scopes=ScopeSet.of(PHONE, SHOTS)
        ),
        lambda: approve_again(services, connected, (PHONE, SHOTS), days=30),
        lambda: grants.narrow(
            connected.person_id, connected.grant.id, expires_at=utcnow() + timedelta(days=10)
        ),
        lambda: approve_again(services, connected, (PHONE, NAME), days=60),
        lambda: grants.narrow(connected.person_id, connected.grant.id, scopes=ScopeSet.of(NAME)),
    ]
    jwks = services.receipts.receipts.jwks()
    for step in steps:
        step()
        tokens = [r.jws for r in services.receipts.receipts.chain(connected.grant.id)]
        current = grants.get_for_person(connected.person_id, connected.grant.id)
        replayed = replay_chain(list(reversed(tokens)), jwks)  # order comes from the chain
        assert replayed.scopes == tuple(str(s) for s in current.scopes)
        assert replayed.expires_at == current.expires_at
        assert (replayed.state, replayed.purpose, replayed.client_id) == (
            current.state.value,
            current.purpose,
            current.client_id,
        )
    grants.revoke(connected.person_id, connected.grant.id)
    tokens = [r.jws for r in services.receipts.receipts.chain(connected.grant.id)]
    assert replay_chain(tokens, jwks).state == GrantState.REVOKED.value == "revoked"
    assert replay_chain(tokens, jwks).receipts == len(steps) + 2


def test_a_broken_chain_is_detected(services: Services) -> None:
    grants = services.consent.grants
    connected = connect(services, (PHONE, SHOTS))
    grants.narrow(connected.person_id, connected.grant.id, scopes=ScopeSet.of(PHONE))
    grants.revoke(connected.person_id, connected.grant.id)
    other = connect(services, (PHONE,))
    jwks = services.receipts.receipts.jwks()
    tokens = [r.jws for r in services.receipts.receipts.chain(connected.grant.id)]
    stranger = services.receipts.receipts.chain(other.grant.id)[0].jws
    for broken in (
        [tokens[0], tokens[2]],  # a receipt left out
        tokens[1:],  # the beginning left out
        [*tokens[:2], stranger],  # another grant's receipt
        [tokens[0], tokens[1], tokens[1]],  # a receipt twice
    ):
        with pytest.raises(BrokenChain):
            replay_chain(broken, jwks)


def test_a_receipt_commits_with_its_change_or_not_at_all(services: Services) -> None:
    connected = connect(services, (PHONE, SHOTS))
    grants = services.consent.grants

    def failing_hook(*_: object) -> None:
        raise RuntimeError("the audit store is down")

    grants.hooks.append(failing_hook)
    try:
        with pytest.raises(RuntimeError):
            grants.revoke(connected.person_id, connected.grant.id)
    finally:
        grants.hooks.remove(failing_hook)
    assert grants.get_for_person(connected.person_id, connected.grant.id).state is (
        GrantState.ACTIVE
    )
    assert len(services.receipts.receipts.chain(connected.grant.id)) == 1


def test_concurrent_sweeps_expire_a_grant_once_with_one_receipt(services: Services) -> None:
    connected = connect(services, (PHONE,), days=1)
    grants = services.consent.grants
    later = utcnow() + timedelta(days=2)
    original_clock, grants.clock = grants.clock, lambda: later
    second: list[list[Any]] = []
    try:
        with services.db.write() as conn:
            first = expire_due(conn, later, grants.hooks)
            racer = threading.Thread(target=lambda: second.append(grants.expire_due()))
            racer.start()
            time.sleep(0.2)  # the other sweep reads the grant as active, then waits for the row
        racer.join()
    finally:
        grants.clock = original_clock
    assert [g.id for g in first] == [connected.grant.id] and second == [[]]
    events = [r.event_type for r in services.receipts.receipts.chain(connected.grant.id)]
    assert events == ["given", "expired"]


SCOPES = (PHONE, SHOTS, NAME, "contact.phone:write")
_subsets = st.sets(st.sampled_from(SCOPES), min_size=1).map(lambda s: tuple(sorted(s)))
_operations = st.lists(
    st.one_of(
        st.tuples(st.just("approve"), _subsets, st.integers(1, 366)),
        st.tuples(st.just("narrow"), _subsets, st.none()),
        st.tuples(st.just("end sooner"), st.none(), st.integers(1, 5000)),
        st.tuples(st.just("revoke"), st.none(), st.none()),
        st.tuples(st.just("expire"), st.none(), st.none()),
    ),
    min_size=1,
    max_size=7,
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=_operations)
def test_any_history_gives_valid_receipts_whose_chains_replay_to_the_grants(
    services: Services, operations: list[tuple[str, Any, Any]]
) -> None:
    grants = services.consent.grants
    connected = connect(services, (PHONE,))
    person = (connected.person_id, connected.email)
    for name, scopes, number in operations:
        current = grants.list_for_person(connected.person_id)[0]
        try:
            if name == "approve":
                approve_again(services, connected, scopes, days=number)
            elif name == "narrow":
                grants.narrow(person[0], current.id, scopes=ScopeSet.of(*scopes))
            elif name == "end sooner":
                sooner = utcnow() + timedelta(hours=number)
                grants.narrow(person[0], current.id, expires_at=sooner)
            elif name == "revoke":
                grants.revoke(person[0], current.id)
            else:
                with services.db.write() as conn:
                    expire_due(conn, current.expires_at + timedelta(seconds=1), grants.hooks)
        except (WideningRefused, GrantNotActive, InvalidDuration):
            pass  # a change the person may not make: refused, and no receipt
    validator, jwks = schema_validator(), services.receipts.receipts.jwks()
    for grant in grants.list_for_person(connected.person_id):
        chain = services.receipts.receipts.chain(grant.id)
        for receipt in chain:
            payload = jwcrypto_verify(receipt.jws, jwks)  # the payload exactly as signed
            assert not [error.message for error in validator.iter_errors(payload)]
        replayed = replay_chain([r.jws for r in chain], jwks)
        assert (replayed.scopes, replayed.expires_at, replayed.state) == (
            tuple(str(s) for s in grant.scopes),
            grant.expires_at,
            grant.state.value,
        )
