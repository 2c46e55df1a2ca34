"""My records in a real browser: add with per-field errors, change, history, delete, a household
list, session expiry, the language switch — each page checked by axe at desktop and 360 px."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import (
    PASSWORD,
    LiveServer,
    add_record,
    check_accessibility,
    screenshot,
    sign_up,
)

pytestmark = pytest.mark.e2e


def test_sign_up_errors_then_sign_in_and_out(live_server: LiveServer, page: Any) -> None:
    base = live_server.base
    page.goto(f"{base}/signup")
    check_accessibility(page, "sign-up")
    page.get_by_label("Email").fill("not-an-email")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_label("Password again").fill("shorter")
    page.get_by_role("button", name="Create account").click()
    assert page.get_by_text("Enter an email address like name@example.org.").is_visible()
    assert page.get_by_label("Password", exact=True).get_attribute("aria-invalid") == "true"
    assert page.get_by_text("The two passwords are different.").is_visible()
    assert page.get_by_label("Password again").get_attribute("aria-invalid") == "true"
    check_accessibility(page, "sign-up with errors")

    sign_up(page, base, "records-1@example.org")
    page.get_by_role("button", name="Sign out").click()
    assert page.get_by_role("status").inner_text() == "You are signed out."
    check_accessibility(page, "sign-in")
    screenshot(page, "signin")
    page.get_by_label("Email").fill("records-1@example.org")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text() == "Email or password is wrong."
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="My records").wait_for()


def test_add_change_history_delete(live_server: LiveServer, page: Any) -> None:
    base = live_server.base
    sign_up(page, base, "records-2@example.org")
    check_accessibility(page, "empty records")

    page.get_by_role("link", name="Add a record").click()
    check_accessibility(page, "choose a record type")
    page.get_by_role("link", name="Phone numbers").click()
    page.get_by_label("Number").fill("12345")
    page.get_by_role("button", name="Save").click()
    summary = page.get_by_role("alert")
    assert "Please check the form" in summary.inner_text()
    assert page.title().startswith("Error:")
    assert page.get_by_label("Number").get_attribute("aria-invalid") == "true"
    check_accessibility(page, "record form with errors")
    screenshot(page, "record-form-errors", phone=True)
    summary.get_by_role("link").first.click()  # the summary's link takes focus to the field
    assert page.evaluate("document.activeElement.id") == "f-number"
    page.get_by_label("Number").fill("098765 43210")
    page.get_by_role("button", name="Save").click()
    assert page.get_by_role("status").inner_text() == "The record was added."
    assert page.get_by_text("+919876543210").is_visible()
    check_accessibility(page, "record")

    page.get_by_role("link", name="Change").click()
    page.get_by_label("Kind").select_option("whatsapp")
    page.get_by_role("button", name="Save").click()
    assert page.get_by_role("status").inner_text() == "Your changes were saved."
    page.get_by_role("link", name="Earlier versions").click()
    assert page.get_by_role("heading", name=re.compile(r"^Version")).count() == 2
    check_accessibility(page, "history")

    page.get_by_role("link", name="Phone numbers").click()
    page.get_by_role("link", name="Delete").click()
    check_accessibility(page, "delete confirmation")
    page.get_by_role("button", name="Yes, delete it").click()
    assert page.get_by_role("status").inner_text() == "The record was deleted."
    assert page.get_by_text("You have no records yet.").is_visible()


def test_household_rows_and_other_types(live_server: LiveServer, page: Any) -> None:
    base = live_server.base
    sign_up(page, base, "records-3@example.org")
    page.goto(f"{base}/records/new/household.members")
    page.locator("#f-members\\.0\\.name").fill("Sunita")
    page.locator("#f-members\\.0\\.relationship").select_option("self")
    page.get_by_role("button", name="Add another person").click()
    assert page.get_by_role("group", name=re.compile(r"^Person")).count() == 4
    assert page.url.endswith("#f-members-added")  # shown again at the new row, not the top
    page.locator("#f-members\\.1\\.name").fill("Ramesh")
    page.locator("#f-members\\.1\\.relationship").select_option("self")
    page.locator("#f-members\\.3\\.year_of_birth").fill("1985")
    page.get_by_role("button", name="Save").click()
    # A half-filled row is an error next to its empty fields; wholly empty rows are ignored.
    assert page.locator("#f-members\\.3\\.name").get_attribute("aria-invalid") == "true"
    check_accessibility(page, "household with errors")
    page.locator("#f-members\\.3\\.year_of_birth").fill("")
    page.get_by_role("button", name="Save").click()
    assert (
        page.locator("#f-members-error").inner_text().endswith("Only one person can be yourself.")
    )
    page.locator("#f-members\\.1\\.relationship").select_option("spouse")
    page.get_by_role("button", name="Save").click()
    assert page.get_by_role("status").inner_text() == "The record was added."

    for path, fill in [
        ("identity.name", {"Given name": "Asha", "Family name": "Devi"}),
        ("health.immunisations", {"Dose number": "1", "Date": "2024-01-15"}),
    ]:
        page.goto(f"{base}/records/new/{path}")
        if path == "health.immunisations":
            page.get_by_label("Vaccine").select_option("td")
        for label, value in fill.items():
            page.get_by_label(label).fill(value)
        page.get_by_role("button", name="Save").click()
        assert page.get_by_role("status").inner_text() == "The record was added."
    page.goto(base + "/")
    check_accessibility(page, "records")
    screenshot(page, "records")
    screenshot(page, "records-phone", phone=True)


def test_expired_session_returns_to_the_page_after_sign_in(
    live_server: LiveServer, page: Any
) -> None:
    base = live_server.base
    sign_up(page, base, "records-4@example.org")
    cookie = next(c for c in page.context.cookies() if c["name"] == "pds_session")
    page.context.add_cookies([{**cookie, "value": "no-longer-valid"}])
    page.goto(f"{base}/settings")
    assert "Your session ended" in page.get_by_role("status").inner_text()
    check_accessibility(page, "sign-in after expiry")
    page.get_by_label("Email").fill("records-4@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/settings")


def test_language_follows_the_browser_and_the_switch(live_server: LiveServer, browser: Any) -> None:
    base = live_server.base
    context = browser.new_context(locale="hi-IN", extra_http_headers={"Accept-Language": "hi"})
    page = context.new_page()
    try:
        page.goto(f"{base}/signin")
        assert page.locator("html").get_attribute("lang") == "hi"
        check_accessibility(page, "sign-in in Hindi")
        page.get_by_role("button", name="English").click()
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.get_by_role("heading", name="Sign in").is_visible()
        page.get_by_role("button", name="हिन्दी").click()
        assert page.locator("html").get_attribute("lang") == "hi"
        page.goto(f"{base}/signup")
        page.locator("#email").fill("records-5@example.org")
        page.locator("#password").fill(PASSWORD)
        page.locator("#confirm_password").fill(PASSWORD)
        page.get_by_role("button", name="खाता बनाएँ").click()
        page.get_by_role("link", name="मैंने इसे लिख लिया: आगे बढ़ें").click()
        page.get_by_role("heading", name="मेरे रिकॉर्ड").wait_for()
        page.goto(f"{base}/records/new/contact.phone")
        page.locator("#f-number").fill("98765 43210")
        page.get_by_role("button", name="सहेजें").click()
        assert page.get_by_role("status").inner_text() == "रिकॉर्ड जोड़ दिया गया।"
        page.goto(f"{base}/")
        check_accessibility(page, "records in Hindi")
        screenshot(page, "records-hindi-phone", phone=True)
    finally:
        context.close()


def test_keyboard_alone_is_enough(live_server: LiveServer, page: Any) -> None:
    """Skip link first, then Tab and Enter through adding a record: no pointer needed."""
    base = live_server.base
    sign_up(page, base, "records-6@example.org")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    def tab_to(name: str) -> None:
        for _ in range(30):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.textContent.trim()") == name:
                return
        raise AssertionError(f"Tab never reached {name!r}")

    tab_to("Add a record")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/records/new")
    tab_to("Phone numbers")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/records/new/contact.phone")
    page.keyboard.press("Tab")  # the skip link again
    for _ in range(15):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "f-number":
            break
    page.keyboard.type("9876543210")
    page.keyboard.press("Enter")  # submits the form with its first button, Save
    assert page.get_by_role("status").inner_text() == "The record was added."


def test_settings_export_password_erase_and_error_pages(live_server: LiveServer, page: Any) -> None:
    base = live_server.base
    sign_up(page, base, "records-7@example.org")
    add_record(page, base, "contact.email", {"Email": "asha.devi@example.org"})
    page.get_by_role("link", name="Settings").click()
    check_accessibility(page, "settings")
    screenshot(page, "settings")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download my data").click()
    exported = json.loads(Path(download.value.path()).read_text())
    assert exported["records"][0]["value"] == {"email": "asha.devi@example.org"}

    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("a new long passphrase")
    page.get_by_label("New password again").fill("a different one")
    page.get_by_role("button", name="Change password").click()
    assert (
        page.locator("#confirm_password-error")
        .inner_text()
        .endswith("The two new passwords are different.")
    )
    summary = page.get_by_role("alert").get_by_role("link")
    assert summary.inner_text() == "New password again: The two new passwords are different."
    assert summary.is_visible()  # at the top, not far down a phone's screen
    check_accessibility(page, "settings with errors")
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("a new long passphrase")
    page.get_by_label("New password again").fill("a new long passphrase")
    page.get_by_role("button", name="Change password").click()
    assert page.get_by_role("status").inner_text().startswith("Your password was changed.")

    page.goto(f"{base}/records/not-a-record")
    assert page.get_by_role("heading", name="Record not found").is_visible()
    check_accessibility(page, "not found page")
    page.goto(f"{base}/oauth/authorize?client_id=nobody&response_type=code")
    assert page.get_by_role("heading", name="This request cannot continue").is_visible()
    check_accessibility(page, "OAuth error page")

    page.goto(f"{base}/settings/erase")
    check_accessibility(page, "erase")
    page.get_by_label("To confirm, type ERASE").fill("ERASE")
    page.get_by_label("Your password").fill("a new long passphrase")
    page.get_by_role("button", name="Erase my account for ever").click()
    assert (
        page.get_by_role("status").inner_text() == "Your account and everything in it were erased."
    )
    page.get_by_label("Email").fill("records-7@example.org")
    page.get_by_label("Password").fill("a new long passphrase")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text() == "Email or password is wrong."


def test_enter_in_a_household_field_saves_the_form(live_server: LiveServer, page: Any) -> None:
    """Enter submits with the form's first button: Save, not "Add another person"."""
    base = live_server.base
    sign_up(page, base, "records-enter@example.org")
    page.goto(f"{base}/records/new/household.members")
    page.locator("#f-members\\.0\\.relationship").select_option("self")
    page.locator("#f-members\\.0\\.name").fill("Sunita")
    page.locator("#f-members\\.0\\.name").press("Enter")
    assert page.get_by_role("status").inner_text() == "The record was added."


def test_forgotten_password_comes_back_with_the_recovery_code(
    live_server: LiveServer, page: Any
) -> None:
    """Sign up and note the code, sign out, recover with it, sign in with the new password."""
    base = live_server.base
    page.goto(f"{base}/signup")
    page.get_by_label("Email").fill("records-recover@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    assert page.get_by_text("it is the only way back in if you forget your password").is_visible()
    check_accessibility(page, "recovery code")
    written_down = page.locator("#recovery-code").inner_text()
    # The README's picture shows a fixed example, so it changes only when the page does.
    page.locator("#recovery-code").evaluate(
        "code => { code.textContent = 'CBW2-4366-DZSQ-K7BH-HB44' }"
    )
    screenshot(page, "recovery-code", phone=True)
    page.get_by_role("link", name="I have written it down: continue").click()
    page.get_by_role("button", name="Sign out").click()

    page.get_by_role("link", name="Forgot your password?").click()
    check_accessibility(page, "recover")
    page.get_by_label("Email").fill("records-recover@example.org")
    page.get_by_label("Recovery code").fill("ABCD-EFGH-JKMN-PQRS-TUVW")
    page.get_by_label("New password", exact=True).fill("a new long passphrase")
    page.get_by_label("New password again").fill("a new long passphrase")
    page.get_by_role("button", name="Change password").click()
    assert page.get_by_text("do not match, or the code was already used").is_visible()
    assert page.get_by_label("Recovery code").get_attribute("aria-invalid") == "true"
    check_accessibility(page, "recover with errors")
    page.get_by_label("Recovery code").fill(written_down.lower().replace("-", " "))
    page.get_by_label("New password", exact=True).fill("a new long passphrase")
    page.get_by_label("New password again").fill("a new long passphrase")
    page.get_by_role("button", name="Change password").click()
    assert page.get_by_role("status").inner_text().startswith("Your password was changed")
    next_code = page.locator("#recovery-code").inner_text()
    assert next_code != written_down

    page.get_by_role("link", name="I have written it down: sign in").click()
    assert page.get_by_role("status").inner_text().endswith("Sign in with the new password.")
    page.get_by_label("Email").fill("records-recover@example.org")
    page.get_by_label("Password").fill("a new long passphrase")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="My records").wait_for()
