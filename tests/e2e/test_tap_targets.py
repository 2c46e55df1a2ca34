"""On a touch screen every control a person can tap is at least 44 px tall (WCAG 2.5.5), links
inside a sentence and link-styled buttons included, on each kind of page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from requests_oauthlib import OAuth2Session

from tests.e2e.conftest import PHONE, LiveServer, add_record, free_port, sign_up

pytestmark = pytest.mark.e2e

# Every visible control's tap target (a tick box is tapped through its label) under 44 px.
TOO_SMALL = """() => {
  const small = [];
  for (const el of document.querySelectorAll("a, button, input, select, textarea, summary")) {
    if (el.type === "hidden" || el.closest("[aria-hidden='true']")) continue;
    const tick = el.type === "checkbox" || el.type === "radio";
    const box = (tick && el.labels.length ? el.labels[0] : el).getBoundingClientRect();
    if (box.width <= 1 && box.height <= 1) continue;  // visually hidden
    if (box.height < 44) {
      small.push(`${el.tagName} "${(el.textContent || el.name).trim()}" ${box.height}px`);
    }
  }
  return small;
}"""


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A touch screen at 360 px: the CSS sees a coarse pointer, as on a real phone."""
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, locale="en-GB")
    context.set_default_timeout(15_000)
    opened = context.new_page()
    yield opened
    context.close()


def _consent_url(live_server: LiveServer) -> str:
    redirect_uri = f"http://127.0.0.1:{free_port()}/callback"
    scopes = ["contact.phone:read"]
    _, client_id, _ = live_server.register_ngo("Tap Test Trust", redirect_uri, scopes)
    ngo = OAuth2Session(client_id, redirect_uri=redirect_uri, scope=scopes, pkce="S256")
    url, _state = ngo.authorization_url(
        f"{live_server.base}/oauth/authorize", purpose="dpv:ServiceProvision"
    )
    return str(url)


def test_every_control_is_a_44px_tap_target_on_a_phone(
    live_server: LiveServer, phone: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the server is on loopback
    base = live_server.base
    assert phone.evaluate("matchMedia('(pointer: coarse)').matches")
    phone.goto(f"{base}/signup")
    pages = {"sign-up": phone.evaluate(TOO_SMALL)}
    phone.goto(f"{base}/recover")
    pages["recover"] = phone.evaluate(TOO_SMALL)
    sign_up(phone, base, "tap@example.org")
    add_record(phone, base, "contact.phone", {"Number": "9876543210"})
    pages["record"] = phone.evaluate(TOO_SMALL)
    for path in [
        "/",
        "/records/new",
        "/records/new/household.members",  # add and remove a person
        "/connections",
        "/activity",
        "/receipts",
        "/settings",
    ]:
        phone.goto(base + path)
        pages[path] = phone.evaluate(TOO_SMALL)
    phone.goto(_consent_url(live_server))  # "Not you? Sign out" is a button inside a sentence
    pages["consent"] = phone.evaluate(TOO_SMALL)
    phone.get_by_role("button", name="Not you? Sign out").click()
    pages["sign-in"] = phone.evaluate(TOO_SMALL)
    assert {name: small for name, small in pages.items() if small} == {}
