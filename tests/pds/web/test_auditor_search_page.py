"""The auditor's search page says what is wrong with a filter instead of quietly dropping it (which
showed the whole log as if it matched) or answering with a JSON document."""

from __future__ import annotations

from typing import Any

from pds.app import Services
from tests.conftest import sign_up
from tests.pds.audit.support import auditor_client, log_rows


def test_a_wrong_filter_is_named_and_nothing_is_searched(
    client: Any, new_client: Any, services: Services
) -> None:
    sign_up(client)
    auditor = auditor_client(new_client, services)
    assert "entries match" in auditor.get("/audit").text  # the control: a search ran
    for params, field, message in (
        ({"since": "garbage"}, "q-since", "Enter a date and time"),
        ({"since": "2026-13-40T12:51"}, "q-since", "Enter a date and time"),
        ({"since": "2026-11-24T10:00", "until": "2026-11-24T09:00"}, "q-until", "must be later"),
        ({"person": "nobody"}, "q-person", "No account has this person id."),
        # Found in review: ignored, so the whole log showed with "Any" selected.
        ({"outcome": "maybe"}, "q-outcome", "Choose Allowed, Refused or Any."),
    ):
        answer = auditor.get("/audit", params=params)
        assert answer.status_code == 422 and answer.headers["content-type"].startswith("text/html")
        assert f'href="#{field}"' in answer.text and message in answer.text, params
        assert "entries match" not in answer.text and 'role="alert"' in answer.text
    for outcome in ("", "allowed", "denied"):  # the form's three choices still search
        searched = auditor.get("/audit", params={"outcome": outcome})
        assert searched.status_code == 200 and 'role="alert"' not in searched.text, outcome
    hindi = auditor.get("/audit", params={"since": "garbage"}, headers={"Accept-Language": "hi"})
    assert "तारीख और समय लिखें" in hindi.text


def test_a_person_refused_an_auditor_page_is_an_entry_in_the_log(
    client: Any, services: Services
) -> None:
    """As on the auditor API: whoever is turned away from the auditor's tools is recorded."""
    sign_up(client)
    pages = {
        "/audit": "audit.entries",
        "/audit/entries/1": "audit.entries",
        "/audit/checkpoint": "audit.checkpoint",
        "/audit/export": "audit.export",
    }
    for path in pages:
        refused = client.get(path, headers={"Accept": "text/html"})
        assert refused.status_code == 403, (path, refused.status_code)
        assert "text/html" in refused.headers["content-type"]
    entries = [row for row in log_rows(services) if row["action"].startswith("audit.")]
    assert [row["action"] for row in entries] == list(pages.values())
    assert {(row["outcome"], row["reason"], row["actor_type"]) for row in entries} == {
        ("denied", "forbidden_role", "person")
    }
