"""The pages' security rules, checked over every template and every page a person can reach:
a CSRF token in every form, no inline script or style, no personal data in titles or URLs, and
nothing personal left in a shared phone's cache."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import sign_up

TEMPLATES = Path(__file__).resolve().parents[3] / "pds" / "web" / "templates"
SECRET_NAME = "Zyxwvutsr"  # a value no page may carry in its title or in a URL
FORM = re.compile(r"<form\b[^>]*>.*?</form>", re.S | re.I)
CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


def test_every_post_form_carries_the_csrf_token() -> None:
    for template in TEMPLATES.glob("*.html"):
        for form in FORM.findall(template.read_text()):
            if re.search(r'method="post"', form, re.I):
                assert "csrf_input" in form, f"{template.name}: a POST form without csrf_input"


def test_no_inline_script_or_style_anywhere() -> None:
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text()
        assert "<script" not in text and "<style" not in text, template.name
        assert not re.search(r"\sstyle=", text), f"{template.name}: inline style attribute"
        assert not re.search(r"\son[a-z]+=", text), f"{template.name}: inline event handler"


def _post(client: Any, path: str, fields: dict[str, str], *, from_page: str) -> Any:
    token = CSRF.search(client.get(from_page).text)
    assert token, f"{from_page} has no form token"
    return client.post(path, data={**fields, "_csrf_token": token.group(1)}, follow_redirects=False)


def _links(page: str) -> list[str]:
    return re.findall(r'(?:href|action)="([^"]*)"', page)


@pytest.mark.parametrize("engine_name", ["sqlite"], indirect=True)
def test_no_personal_data_in_titles_or_urls_and_no_caching(client: Any) -> None:
    sign_up(client, "title-check@example.org")
    added = _post(
        client,
        "/records/new/identity.name",
        {"given_name": SECRET_NAME, "family_name": "Devi"},
        from_page="/records/new/identity.name",
    )
    record = added.headers["location"].split("?")[0]
    bad = _post(
        client,
        "/records/new/contact.phone",
        {"number": SECRET_NAME},
        from_page="/records/new/contact.phone",
    )
    assert bad.status_code == 422 and SECRET_NAME in bad.text  # shown back in the field only
    pages = ["/", record, f"{record}/edit", f"{record}/history", f"{record}/delete", "/records/new",
             "/connections", "/activity", "/receipts", "/settings", "/settings/erase"]  # fmt: skip
    for path in [*pages, None]:
        response = bad if path is None else client.get(path)
        assert response.status_code in (200, 422), path
        title = re.search(r"<title>(.*?)</title>", response.text, re.S)
        assert title and SECRET_NAME not in title.group(1) and "title-check" not in title.group(1)
        assert not [link for link in _links(response.text) if SECRET_NAME in link], path
        assert response.headers["cache-control"] == "no-store", path
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


@pytest.mark.parametrize("engine_name", ["sqlite"], indirect=True)
def test_a_form_without_its_token_changes_nothing(client: Any) -> None:
    sign_up(client, "csrf@example.org")
    client.get("/records/new/contact.phone")
    refused = client.post("/records/new/contact.phone", data={"number": "9876543210"})
    assert refused.status_code == 403 and "This form has expired" in refused.text
    assert "You have no records yet." in client.get("/").text


@pytest.mark.parametrize("engine_name", ["sqlite"], indirect=True)
def test_erasure_needs_the_typed_word_and_the_password(client: Any) -> None:
    sign_up(client, "erase@example.org")
    wrong_word = _post(
        client, "/settings/erase", {"confirm_word": "yes", "password": "x"}, from_page="/settings"
    )
    assert wrong_word.status_code == 422 and "Type the word exactly as shown." in wrong_word.text
    wrong_password = _post(
        client,
        "/settings/erase",
        {"confirm_word": "ERASE", "password": "not the password"},
        from_page="/settings",
    )
    assert wrong_password.status_code == 422 and "This password is wrong." in wrong_password.text
    erased = _post(
        client,
        "/settings/erase",
        {"confirm_word": "ERASE", "password": "correct horse battery staple"},
        from_page="/settings",
    )
    assert erased.headers["location"] == "/signin?done=erased"
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/signin")
