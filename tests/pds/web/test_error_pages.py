"""A browser that hits an error gets a page in the person's language, never a JSON document; the
JSON APIs answer RFC 9457 problem+json whatever the client accepts."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import sign_up

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def _heading(page: Any) -> str:
    assert page.headers["content-type"].startswith("text/html"), page.text[:200]
    found = re.search(r"<h1>(.*?)</h1>", page.text)
    assert found is not None
    return found.group(1)


def test_unknown_addresses_and_methods_are_pages_for_a_browser(client: Any) -> None:
    missing = client.get("/no-such-page", headers=BROWSER)
    assert missing.status_code == 404 and _heading(missing) == "Page not found"
    hindi = client.get("/no-such-page", headers={**BROWSER, "Accept-Language": "hi"})
    assert _heading(hindi) == "पेज नहीं मिला"
    post_only = client.get("/settings/password", headers=BROWSER)  # e.g. signing in again
    assert post_only.status_code == 405 and _heading(post_only) == "This did not work"


def test_api_clients_still_get_problem_json(client: Any) -> None:
    for path, headers in (("/no-such-page", {}), ("/api/v1/nothing", BROWSER)):
        answer = client.get(path, headers=headers)
        assert answer.status_code == 404
        assert answer.headers["content-type"] == "application/problem+json"


def test_malformed_addresses_of_pages_are_pages(client: Any) -> None:
    sign_up(client)
    too_long = client.get("/records/" + "x" * 80, headers=BROWSER)
    assert too_long.status_code == 400 and _heading(too_long) == "This did not work"
    bad_cursor = client.get("/activity", params={"cursor": "%%%"}, headers=BROWSER)
    assert bad_cursor.status_code == 404 and _heading(bad_cursor) == "Not found"
