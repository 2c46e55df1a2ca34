"""Every user-facing string is in the catalogue, translated into Hindi, and chosen per request."""

from __future__ import annotations

import re
from typing import Any

import pytest

from pds.web.i18n import LOCALES, Translator, negotiate
from pds.web.messages import extract, po_path, read_catalog, untranslated
from tests.conftest import sign_up

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@pytest.mark.parametrize("locale", [code for code in LOCALES if code != "en"])
def test_every_string_is_translated(locale: str) -> None:
    missing = untranslated(locale)
    assert not missing, f"run `python -m pds.web.messages` and translate: {missing[:10]}"


@pytest.mark.parametrize("locale", [code for code in LOCALES if code != "en"])
def test_translations_keep_their_placeholders_and_markup(locale: str) -> None:
    catalog = read_catalog(po_path(locale), locale)
    wanted = {message.id for message in extract() if isinstance(message.id, str)}
    for message in catalog:
        if message.id in wanted and isinstance(message.string, str):
            assert set(PLACEHOLDER.findall(message.string)) == set(
                PLACEHOLDER.findall(message.id)
            ), message.id
            assert message.string.count("<strong>") == message.id.count("<strong>"), message.id


def test_the_language_is_the_switch_then_the_browser_then_english() -> None:
    assert negotiate("hi", "en-GB,en;q=0.9") == "hi"
    assert negotiate(None, "fr-FR,hi;q=0.8,en;q=0.5") == "hi"
    assert negotiate(None, "en;q=0.4,hi-IN;q=0.9") == "hi"
    assert negotiate("xx", "ta-IN,ta;q=0.9") == "en"
    assert negotiate(None, None) == "en"
    assert negotiate(None, "hi;q=0,en") == "en"  # q=0 means "not this one"


def test_python_side_messages_are_translated_with_their_values() -> None:
    hindi = Translator("hi")
    assert hindi("Use at most %(limit)s characters.", limit=200) == ("ज़्यादा से ज़्यादा 200 अक्षर लिखें।")
    assert Translator("en")("Use at most %(limit)s characters.", limit=5) == (
        "Use at most 5 characters."
    )


@pytest.mark.parametrize("engine_name", ["sqlite"], indirect=True)
def test_pages_follow_accept_language_and_the_switch(client: Any) -> None:
    sign_up(client, "lang@example.org")
    page = client.get("/", headers={"Accept-Language": "hi-IN,hi;q=0.9,en;q=0.8"})
    assert '<html lang="hi">' in page.text and "मेरे रिकॉर्ड" in page.text
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    switched = client.post(
        "/language",
        data={"lang": "en", "next": "/connections", "_csrf_token": token.group(1)},
        headers={"Accept-Language": "hi"},
        follow_redirects=False,
    )
    assert switched.headers["location"] == "/connections"
    english = client.get("/connections", headers={"Accept-Language": "hi"})
    assert '<html lang="en">' in english.text and "Connections" in english.text
    evil = client.post(
        "/language",
        data={"lang": "hi", "next": "//evil.example", "_csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert evil.headers["location"] == "/"


def test_record_forms_and_pages_are_translated_too(client: Any) -> None:
    """The form fields and the sharing list come from macros: they follow the page's language."""
    sign_up(client, "forms@example.org")
    hindi = {"Accept-Language": "hi"}
    form = client.get("/records/new/household.members", headers=hindi).text
    assert "एक और व्यक्ति जोड़ें" in form and "Add another person" not in form
    benefits = client.get("/records/new/income.benefits", headers=hindi).text
    assert "प्रकार" in benefits and ">Scheme<" not in benefits
