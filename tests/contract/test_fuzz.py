"""Schemathesis over every operation of the published contract, with each role's credentials.

The run is the one `schemathesis run --checks all` makes (examples, coverage, fuzzing and
stateful phases), in process against an app built like the test fixtures, on SQLite, without
rate limits (they have their own tests). It must end with no server error, no answer that
breaks the contract and no operation that ignores missing or invalid credentials.

PDS_FUZZ_SEED=<n> or PDS_FUZZ_EXAMPLES=<n> explore further than `make test` does.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from requests.auth import _basic_auth_str
from schemathesis.engine import Status, from_schema
from schemathesis.engine.events import (
    EngineFinished,
    FatalError,
    NonFatalError,
    ScenarioFinished,
)

from tests.contract.world import FuzzWorld, build_world

SEED = int(os.environ.get("PDS_FUZZ_SEED", "20261123"))
EXAMPLES = int(os.environ.get("PDS_FUZZ_EXAMPLES", "25"))

# A request the schema allows can still be refused for a reason no schema can state: a cursor
# this service never handed out (400 invalid-cursor); a tree size beyond the log or `since`
# after `until` (422 out-of-range); a value that breaks its record type's own JSON Schema, served
# at /api/v1/record-types (422); widening a grant or ending it in the past (422); the password
# policy; a webhook URL of a private host (422); RFC 7591 rules for clients (400). These
# operations may answer so to schema-valid input; the statuses are documented on each.
_CURSOR, _SEMANTIC = "400", "422"
SEMANTIC_REFUSALS: dict[tuple[str, ...], tuple[str, ...]] = {
    ("/api/v1/me/activity", "/api/v1/me/receipts", "/api/v1/receipts"): (_CURSOR,),
    ("/api/v1/audit/entries",): (_CURSOR, _SEMANTIC),
    (
        "/api/v1/audit/summary",
        "/api/v1/audit/proofs/inclusion",
        "/api/v1/audit/proofs/consistency",
        "/api/v1/audit/export",
        "/api/v1/me/records",
        "/api/v1/me/records/{record_id}",
        "/api/v1/records",
        "/api/v1/records/{record_id}",
        "/api/v1/signup",
        "/api/v1/me/password",
        "/api/v1/webhook",
    ): (_SEMANTIC,),
    ("/oauth/register",): ("400",),
}
_ACCEPTED = ("2xx", "3xx", "401", "403", "404", "409", "429", "5xx")


def fuzz_config() -> dict[str, Any]:
    operations: list[dict[str, Any]] = [
        {
            "include-path": list(paths),
            "checks": {"positive_data_acceptance": {"expected-statuses": [*_ACCEPTED, *statuses]}},
        }
        for paths, statuses in SEMANTIC_REFUSALS.items()
    ]
    # DELETE revokes a connection; it stays readable, as revoked (documented on the operation).
    operations.append(
        {
            "include-path": "/api/v1/me/grants/{grant_id}",
            "checks": {
                "use_after_free": {"enabled": False},
                "positive_data_acceptance": {"expected-statuses": [*_ACCEPTED, _SEMANTIC]},
            },
        }
    )
    return {
        "cache": {"enabled": False},  # every run starts afresh, and writes nothing to the tree
        "seed": SEED,
        "generation": {"max-examples": EXAMPLES},
        "phases": {"stateful": {"max-steps": 10}},
        "operations": operations,
    }


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[FuzzWorld]:
    built = build_world(tmp_path_factory.mktemp("fuzz"), sqlite_template)
    yield built
    built.services.db.dispose()


def contract_under_test(world: FuzzWorld) -> Any:
    """The app's own document, with each role's credentials where it asks for them."""
    schema = schemathesis.openapi.from_asgi(
        "/schema/openapi.json", world.app, config=schemathesis.Config.from_dict(fuzz_config())
    )
    cookie = world.session_cookie

    # Fresh sessions: the fuzzer signs out and changes passwords as it goes.
    @schema.auth(refresh_interval=None).apply_to(path_regex="^/api/v1/(me|signout)")
    class PersonSession:
        def get(self, case: Any, context: Any) -> str:
            return world.person_session()

        def set(self, case: Any, token: str, context: Any) -> None:
            case.cookies = {**(case.cookies or {}), cookie: token}

    @schema.auth(refresh_interval=None).apply_to(path_regex="^/api/v1/audit/")
    class AuditorSession:
        def get(self, case: Any, context: Any) -> str:
            return world.auditor_session()

        def set(self, case: Any, token: str, context: Any) -> None:
            case.cookies = {**(case.cookies or {}), cookie: token}

    @schema.auth(refresh_interval=120).apply_to(path_regex="^/api/v1/records")
    class NgoAccessToken:
        def get(self, case: Any, context: Any) -> str:
            return world.ngo_access_token()

        def set(self, case: Any, token: str, context: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}

    @schema.auth(refresh_interval=None).apply_to(
        path_regex="^/(api/v1/(receipts|webhook)|oauth/(token|revoke|introspect))"
    )
    class NgoClientCredentials:
        def get(self, case: Any, context: Any) -> tuple[str, str]:
            return world.ngo_client_credentials()

        def set(self, case: Any, credentials: tuple[str, str], context: Any) -> None:
            basic = _basic_auth_str(*credentials)
            case.headers = {**(case.headers or {}), "Authorization": basic}

    @schema.auth(refresh_interval=None).apply_to(path="/oauth/register")
    class InitialAccessToken:
        def get(self, case: Any, context: Any) -> str:
            return world.registration_token()

        def set(self, case: Any, token: str, context: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}

    return schema


@dataclass
class FuzzReport:
    operations: set[str] = field(default_factory=set)
    requests: Counter[str] = field(default_factory=Counter)  # by phase
    statuses: Counter[int] = field(default_factory=Counter)
    checks: Counter[str] = field(default_factory=Counter)  # checks run, by name
    failures: dict[str, str] = field(default_factory=dict)  # one per operation and kind
    errors: list[str] = field(default_factory=list)
    stop_reason: str = ""
    seconds: float = 0.0

    def record(self, event: ScenarioFinished) -> None:
        if event.label:
            self.operations.add(event.label)
        for interaction in event.recorder.interactions.values():
            self.requests[str(event.phase)] += 1
            if interaction.response is not None:
                self.statuses[interaction.response.status_code] += 1
        for checks in event.recorder.checks.values():
            for check in checks:
                self.checks[check.name] += 1
                if check.status == Status.FAILURE and check.failure_info is not None:
                    failure = check.failure_info.failure
                    key = f"{failure.operation or event.label} {check.name}: {failure.title}"
                    self.failures.setdefault(
                        key, f"{failure.message}\n{check.failure_info.code_sample}"
                    )

    def summary(self) -> str:
        phases = ", ".join(f"{phase} {n}" for phase, n in sorted(self.requests.items()))
        statuses = ", ".join(f"{status}: {n}" for status, n in sorted(self.statuses.items()))
        return (
            f"schemathesis: {len(self.operations)} operations, {sum(self.requests.values())} "
            f"requests ({phases}) in {self.seconds:.0f} s, seed {SEED}, stop: {self.stop_reason}\n"
            f"statuses: {statuses}\nchecks: {dict(sorted(self.checks.items()))}\n"
            f"failures: {len(self.failures)}, errors: {len(self.errors)}"
        )


def run_fuzzer(schema: Any) -> FuzzReport:
    report = FuzzReport()
    for event in from_schema(schema).execute():
        if isinstance(event, ScenarioFinished):
            report.record(event)
        elif isinstance(event, NonFatalError):
            report.errors.append(f"{event.label}: {event.info.format()}")
        elif isinstance(event, FatalError):
            report.errors.append(f"fatal: {event.exception!r}")
        elif isinstance(event, EngineFinished):
            report.stop_reason = str(event.stop_reason)
            report.seconds = event.running_time
    return report


def test_every_operation_keeps_the_contract_for_every_role(world: FuzzWorld) -> None:
    schema = contract_under_test(world)
    documented = {result.ok().label for result in schema.get_all_operations()}
    report = run_fuzzer(schema)
    print(report.summary())
    details = "\n\n".join(f"{key}\n{text}" for key, text in sorted(report.failures.items()))
    assert not report.failures and not report.errors, (
        f"{report.summary()}\n\n{details}\n\n" + "\n".join(report.errors)
    )
    assert report.operations >= documented, documented - report.operations
    assert report.statuses and max(report.statuses) < 500, report.summary()
    assert report.requests["stateful"] > 0, "no stateful sequences ran (are the links there?)"
    assert report.checks["ignored_auth"] > 0 and report.checks["response_schema_conformance"] > 0
