"""The auditor's API: auditors only, filters, cursors, proofs, summary, export; bad input is a
problem, never a 500; every auditor call is itself an entry."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consent.organisations import create_organisation
from crypto import merkle
from pds.app import Services
from pds.people.service import Role
from tests.conftest import PASSWORD, sign_up
from tests.pds.audit.support import PHONE, actions, auditor_client, log_rows

AUDIT_GETS = [
    "/api/v1/audit/entries",
    "/api/v1/audit/summary",
    "/api/v1/audit/checkpoint",
    "/api/v1/audit/proofs/inclusion?seq=1",
    "/api/v1/audit/proofs/consistency?first=1",
    "/api/v1/audit/export",
]


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


def test_only_auditors_and_refusals_are_audited(
    client: Any, new_client: Any, services: Services
) -> None:
    sign_up(client)
    for path in AUDIT_GETS:
        _problem(client.get(path), 403)
    assert _problem(new_client().get("/api/v1/audit/entries"), 401)
    refused = [r for r in log_rows(services) if r["action"].startswith("audit.")]
    assert len(refused) == len(AUDIT_GETS)
    assert {r["reason"] for r in refused} == {"forbidden_role"}
    assert {r["outcome"] for r in refused} == {"denied"}


def _b(text: str) -> bytes:
    return base64.b64decode(text)


@pytest.fixture
def populated(client: Any, new_client: Any, services: Services) -> dict[str, Any]:
    asha = sign_up(client)
    record = client.post("/api/v1/me/records", json=PHONE).json()
    client.get(f"/api/v1/me/records/{record['id']}")
    client.get("/api/v1/me/records/missing")
    other = new_client()
    ravi = sign_up(other, "ravi@example.org")
    other.post("/api/v1/me/records", json=PHONE)
    auditor = auditor_client(new_client, services)
    return {"asha": asha, "ravi": ravi, "auditor": auditor, "record": record["id"]}


def test_an_auditor_or_admin_has_no_records_connections_or_receipts(
    populated: dict[str, Any], services: Services, new_client: Any
) -> None:
    """Found in review: an auditor listing /api/v1/me/records got an empty list, logged as a
    person's own look at their records."""
    auditor = populated["auditor"]
    services.people.sign_up("admin@example.org", PASSWORD, Role.ADMIN)
    admin = new_client()
    admin.post("/api/v1/signin", json={"email": "admin@example.org", "password": PASSWORD})
    start = len(log_rows(services))
    for account, landing in ((auditor, "/audit"), (admin, None)):
        for method, path, body in (
            ("GET", "/api/v1/me/records", None),
            ("POST", "/api/v1/me/records", PHONE),
            ("GET", "/api/v1/me/grants", None),
            ("GET", "/api/v1/me/receipts", None),
            ("GET", "/api/v1/me/export", None),
        ):
            refused = account.request(method, path, json=body)
            title = _problem(refused, 403)["title"]
            assert title.startswith("Only a person's own account"), path
        assert account.get("/api/v1/me").status_code == 200  # their own account, still
        page = account.get("/", headers={"accept": "text/html"}, follow_redirects=False)
        if landing is None:  # an administrator's account has no pages: the command line
            assert page.status_code == 403 and "not for your account" in page.text
        else:
            assert page.headers["location"] == landing
    assert [row["action"] for row in log_rows(services)[start:]] == []


def test_entries_filters_and_cursor(populated: dict[str, Any], services: Services) -> None:
    auditor = populated["auditor"]
    mine = auditor.get("/api/v1/audit/entries", params={"person": populated["asha"]}).json()
    # The auditor's call itself comes first: it is about Asha, and written before the query.
    assert [e["action"] for e in mine["items"]] == [
        "audit.entries",
        "record.read",
        "record.read",
        "record.create",
        "account.signup",
    ]
    assert {e["subject"] for e in mine["items"]} == {mine["items"][0]["subject"]}
    assert mine["items"][0]["actor_type"] == "auditor"
    denied = auditor.get("/api/v1/audit/entries", params={"outcome": "denied"}).json()["items"]
    assert [e["reason"] for e in denied] == ["not_found"]
    creates = auditor.get("/api/v1/audit/entries", params={"action": "record.create"}).json()
    assert len(creates["items"]) == 2
    seen: list[int] = []
    cursor = None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = auditor.get("/api/v1/audit/entries", params=params).json()
        seen.extend(e["seq"] for e in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen, reverse=True)
    assert len(set(seen)) == len(seen) and seen[-1] == 1
    asked = [r for r in log_rows(services) if r["action"] == "audit.entries"]
    assert len(asked) >= 5 and all(r["actor_id"] for r in asked)


def test_the_pseudonym_an_entry_shows_filters_like_the_person_id(
    populated: dict[str, Any], services: Services
) -> None:
    """Found in review: auditors saw only ps_… pseudonyms but could filter only by the raw id."""
    auditor = populated["auditor"]
    by_id = auditor.get("/api/v1/audit/entries", params={"person": populated["asha"]}).json()
    subject = by_id["items"][0]["subject"]
    by_pseudonym = auditor.get("/api/v1/audit/entries", params={"person": subject}).json()
    assert [e["seq"] for e in by_pseudonym["items"][1:]] == [e["seq"] for e in by_id["items"]]
    assert {e["subject"] for e in by_pseudonym["items"]} == {subject}


def test_a_proof_outside_the_log_is_logged_as_refused(
    populated: dict[str, Any], services: Services
) -> None:
    """Found in review: it was logged as allowed, then answered 422."""
    auditor = populated["auditor"]
    for path, params, action in (
        ("/api/v1/audit/proofs/inclusion", {"seq": 100, "tree_size": 10}, "inclusion"),
        ("/api/v1/audit/proofs/inclusion", {"seq": 10**9}, "inclusion"),
        ("/api/v1/audit/proofs/consistency", {"first": 10**9}, "consistency"),
        ("/api/v1/audit/export", {"consistency_from": 10**9}, "export"),
    ):
        start = len(log_rows(services))
        assert _problem(auditor.get(path, params=params), 422)["type"] == "/problems/out-of-range"
        logged = [(r["action"], r["outcome"], r["reason"]) for r in log_rows(services)[start:]]
        expected = "audit.export" if action == "export" else f"audit.proof.{action}"
        assert logged == [(expected, "denied", "out_of_range")], (params, logged)
    assert auditor.get("/api/v1/audit/proofs/inclusion", params={"seq": 1}).status_code == 200


def test_a_cursor_not_handed_out_is_refused_before_the_call_is_logged(
    populated: dict[str, Any], services: Services
) -> None:
    """Found in review: the call was logged as allowed, then answered 400."""
    start = len(log_rows(services))
    refused = populated["auditor"].get("/api/v1/audit/entries", params={"cursor": "zz"})
    assert refused.status_code == 400
    assert log_rows(services)[start:] == []


def test_time_range_and_organisation_filters(populated: dict[str, Any], services: Services) -> None:
    auditor = populated["auditor"]
    with services.db.write() as conn:
        org = create_organisation(conn, name="Nobody Accessed")
    empty = auditor.get("/api/v1/audit/entries", params={"organisation": org}).json()
    assert empty["items"] == []
    future = auditor.get("/api/v1/audit/entries", params={"since": "2999-01-01T00:00:00Z"})
    assert future.json()["items"] == []
    past = auditor.get("/api/v1/audit/entries", params={"until": "2000-01-01T00:00:00"})
    assert past.json()["items"] == []
    everything = auditor.get(
        "/api/v1/audit/entries",
        params={"since": "2000-01-01T00:00:00+00:00", "until": "2999-01-01T00:00:00Z"},
    )
    assert len(everything.json()["items"]) >= 7


def _accepted(status: int) -> set[int]:
    # A query parameter that fails its declared type or bounds is the framework's validation
    # problem: 400 when unparsable, 422 naming the field otherwise.
    return {400, 422} if status == 400 else {status}


BAD_ENTRY_QUERIES: list[tuple[dict[str, Any], int]] = [
    ({"cursor": "not-a-cursor"}, 400),
    ({"cursor": "c2VxOi0x"}, 400),  # "seq:-1"
    ({"cursor": "c2VxOjk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5"}, 400),  # beyond a BIGINT
    ({"limit": 0}, 400),
    ({"limit": 10_000}, 400),
    ({"outcome": "maybe"}, 400),
    ({"since": "yesterday"}, 400),
    ({"since": "2025-01-02T00:00:00Z", "until": "2025-01-01T00:00:00Z"}, 422),
    ({"person": "no-such-person"}, 404),
    ({"person": "x" * 65}, 400),
]


def test_bad_entry_queries_are_problems(populated: dict[str, Any]) -> None:
    for params, status in BAD_ENTRY_QUERIES:
        for path in ("/api/v1/audit/entries", "/api/v1/audit/summary"):
            if path.endswith("summary") and ("cursor" in params or "limit" in params):
                continue
            response = populated["auditor"].get(path, params=params)
            assert response.status_code in _accepted(status), (params, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")


def test_a_misspelt_empty_or_repeated_filter_is_refused_not_ignored(
    populated: dict[str, Any],
) -> None:
    """Found in review: `organization=` (US spelling) answered with the whole, unfiltered log."""
    auditor = populated["auditor"]
    for path in ("/api/v1/audit/entries", "/api/v1/audit/summary"):
        for query, key, message in (
            ("organization=x", "organization", "unknown parameter"),
            ("action=", "action", "empty"),
            ("outcome=allowed&outcome=denied", "outcome", "given more than once"),
        ):
            refused = auditor.get(f"{path}?{query}")
            assert refused.status_code == 422, (path, query, refused.text)
            assert refused.headers["content-type"] == "application/problem+json"
            named = [(e["field"], e["message"]) for e in refused.json()["errors"]]
            assert (key, message) in named, refused.text
    assert auditor.get("/api/v1/audit/entries?outcome=denied&limit=5").status_code == 200


def test_a_range_that_ends_before_it_starts_names_until(populated: dict[str, Any]) -> None:
    """Found in review: answered "Outside the audit log", as if the log were at fault."""
    query = {"since": "2025-01-02T00:00:00Z", "until": "2025-01-01T00:00:00Z"}
    for path in ("/api/v1/audit/entries", "/api/v1/audit/summary"):
        refused = populated["auditor"].get(path, params=query)
        body = _problem(refused, 422)
        assert body["type"] == "/problems/validation", path
        assert [(e["field"], e["message"]) for e in body["errors"]] == [
            ("until", "must be after since")
        ], path


@pytest.mark.parametrize(
    "query",
    [
        "/api/v1/audit/checkpoint?foo=1",
        "/api/v1/audit/export?since=2025-01-01T00:00:00Z",
        "/api/v1/audit/proofs/inclusion?seq=1&tree=5",
        "/api/v1/audit/proofs/consistency?first=1&first=2",
    ],
)
def test_every_audit_call_names_a_parameter_it_does_not_take(
    populated: dict[str, Any], query: str
) -> None:
    """Found in review: an export asked `since` was the whole log, silently."""
    assert _problem(populated["auditor"].get(query), 422)["type"] == "/problems/validation"


def test_a_malformed_time_is_named_in_words_not_as_a_pattern(populated: dict[str, Any]) -> None:
    """Found in review: `since=yesterday` was answered with the raw regular expression."""
    for query in ("since=yesterday", "until=31/01/2026"):
        refused = populated["auditor"].get(f"/api/v1/audit/entries?{query}")
        assert refused.status_code == 422
        [error] = refused.json()["errors"]
        assert error["field"] == query.split("=")[0]
        assert "RFC 3339" in error["message"] and "regex" not in refused.text, refused.text


def test_summary_counts(populated: dict[str, Any]) -> None:
    summary = populated["auditor"].get("/api/v1/audit/summary").json()
    assert summary["total"] == summary["by_outcome"]["allowed"] + summary["by_outcome"]["denied"]
    assert summary["by_outcome"]["denied"] == 1
    assert sum(item["count"] for item in summary["by_organisation"]) == summary["total"]
    assert sum(item["count"] for item in summary["by_purpose"]) == summary["total"]


def test_checkpoint_and_proofs_verify(populated: dict[str, Any]) -> None:
    auditor = populated["auditor"]
    checkpoint = auditor.get("/api/v1/audit/checkpoint").json()
    size, root = checkpoint["tree_size"], _b(checkpoint["root"])
    assert checkpoint["note"].splitlines()[1] == str(size)
    for seq in range(1, size + 1):
        proof = auditor.get("/api/v1/audit/proofs/inclusion", params={"seq": seq}).json()
        assert proof["tree_size"] == size and _b(proof["root"]) == root
        hashes = [_b(h) for h in proof["proof"]]
        assert merkle.verify_inclusion(seq - 1, size, _b(proof["leaf_hash"]), hashes, root)
    later = auditor.get("/api/v1/audit/proofs/inclusion", params={"seq": 1, "tree_size": 3})
    assert later.json()["tree_size"] == 3
    for first in range(size + 1):
        found = auditor.get(
            "/api/v1/audit/proofs/consistency", params={"first": first, "second": size}
        ).json()
        hashes = [_b(h) for h in found["proof"]]
        assert merkle.verify_consistency(first, size, _b(found["first_root"]), root, hashes)
    assert found["second_checkpoint"]["note"] == checkpoint["note"]


BAD_PROOF_REQUESTS = [
    ("/api/v1/audit/proofs/inclusion?seq=0", 400),
    ("/api/v1/audit/proofs/inclusion?seq=abc", 400),
    ("/api/v1/audit/proofs/inclusion", 400),
    ("/api/v1/audit/proofs/inclusion?seq=999999", 422),
    ("/api/v1/audit/proofs/inclusion?seq=2&tree_size=1", 422),
    ("/api/v1/audit/proofs/inclusion?seq=1&tree_size=999999", 422),
    ("/api/v1/audit/proofs/inclusion?seq=99999999999999999999999", 400),
    ("/api/v1/audit/proofs/consistency?first=-1", 400),
    ("/api/v1/audit/proofs/consistency?first=5&second=2", 422),
    ("/api/v1/audit/proofs/consistency?first=1&second=999999", 422),
    ("/api/v1/audit/export?consistency_from=999999", 422),
    ("/api/v1/audit/export?consistency_from=x", 400),
]


def test_bad_proof_requests_are_problems(populated: dict[str, Any]) -> None:
    for path, status in BAD_PROOF_REQUESTS:
        response = populated["auditor"].get(path)
        assert response.status_code in _accepted(status), (path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")


def test_the_person_sees_their_own_story(
    populated: dict[str, Any], client: Any, services: Services
) -> None:
    populated["auditor"].get("/api/v1/audit/entries", params={"person": populated["asha"]})
    activity = client.get("/api/v1/me/activity").json()["items"]
    assert [(a["action"], a["actor"]["label"], a["outcome"]) for a in activity] == [
        ("audit.entries", "An auditor", "allowed"),
        ("record.read", "You", "denied"),
        ("record.read", "You", "allowed"),
        ("record.create", "You", "allowed"),
        ("account.signup", "You", "allowed"),
    ]
    assert activity[2]["record_ids"] == [populated["record"]]
    denied = client.get("/api/v1/me/activity", params={"outcome": "denied"}).json()["items"]
    assert [a["reason"] for a in denied] == ["not_found"]
    page = client.get("/api/v1/me/activity", params={"limit": 2}).json()
    rest = client.get("/api/v1/me/activity", params={"cursor": page["next_cursor"]}).json()
    assert len(page["items"]) + len(rest["items"]) == len(activity)
    assert ("audit.entries", "allowed") in actions(services)
    _problem(client.get("/api/v1/me/activity", params={"cursor": "%%%"}), 400)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_api_proofs_verify_and_altered_ones_fail(
    populated: dict[str, Any], data: st.DataObject
) -> None:
    auditor = populated["auditor"]
    signed = auditor.get("/api/v1/audit/checkpoint").json()
    size = data.draw(st.integers(2, signed["tree_size"]), label="size")
    seq = data.draw(st.integers(1, size), label="seq")
    found = auditor.get(
        "/api/v1/audit/proofs/inclusion", params={"seq": seq, "tree_size": size}
    ).json()
    leaf, root = _b(found["leaf_hash"]), _b(found["root"])
    path = [_b(h) for h in found["proof"]]
    assert merkle.verify_inclusion(seq - 1, size, leaf, path, root)
    if path:
        at = data.draw(st.integers(0, len(path) - 1), label="at")
        altered = [*path[:at], bytes([path[at][0] ^ 1]) + path[at][1:], *path[at + 1 :]]
        assert not merkle.verify_inclusion(seq - 1, size, leaf, altered, root)
    wrong = data.draw(st.integers(0, size - 1).filter(lambda i: i != seq - 1), label="wrong")
    assert not merkle.verify_inclusion(wrong, size, leaf, path, root)
    first = data.draw(st.integers(1, size - 1), label="first")
    consistency = auditor.get(
        "/api/v1/audit/proofs/consistency", params={"first": first, "second": size}
    ).json()
    old_root = _b(consistency["first_root"])
    proof = [_b(h) for h in consistency["proof"]]
    assert merkle.verify_consistency(first, size, old_root, root, proof)
    assert not merkle.verify_consistency(first, size, old_root, bytes(32), proof)
    if proof:
        bent = [bytes([proof[0][0] ^ 1]) + proof[0][1:], *proof[1:]]
        assert not merkle.verify_consistency(first, size, old_root, root, bent)
