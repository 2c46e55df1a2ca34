"""Settings: download everything, change the password, erase the account.

Erasure is irreversible, so it asks for the password and for a word typed by hand — a field
worker's thumb on someone else's phone must not be able to erase an account by accident.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from crypto.passwords import PasswordPolicyError
from pds.account.service import AccountService
from pds.people.routes import session_cookie
from pds.people.service import InvalidCredentials, PeopleService, Principal
from pds.settings import Settings
from pds.web.guard import session_token
from pds.web.i18n import N_, translator
from pds.web.pages.common import notice, page

Form = URLEncodedBody[dict[str, str]]
Person = NamedDependency[Principal]

# The word to type before erasing, in English and in the page's language (either is accepted).
ERASE_WORD = N_("ERASE")
WRONG_PASSWORD = N_("This password is wrong.")
PASSWORD_RULE = N_("Use a password of at least 8 characters.")
MISMATCH = N_("The two new passwords are different.")
WORD_MISSING = N_("Type the word exactly as shown.")


# The settings page's password fields, for the error summary that links to each (msgids).
FIELD_LABELS = {
    "current_password": N_("Current password"),
    "new_password": N_("New password"),
    "confirm_password": N_("New password again"),
    "recovery_password": N_("Your password"),
}


def settings_with_errors(request: Request[Any, Any, Any], errors: dict[str, str]) -> Template:
    """The settings page after a refused form: the errors listed at the top, each linked to its
    field (the forms are far down a phone's screen), and "Error:" in the title."""
    _ = translator(request)
    summary = [(name, label, _(errors[name]), None) for name, label in FIELD_LABELS.items()
               if name in errors]  # fmt: skip
    return page(
        "settings.html",
        section="settings",
        errors=errors,
        field_errors=summary,
        failed=True,
        status_code=422,
    )


@get("/settings", sync_to_thread=False)
def settings_page(person: Person, done: FromQuery[str | None] = None) -> Template:
    return page("settings.html", section="settings", errors={}, notice=notice(done))


@get("/settings/export", sync_to_thread=True)
def export_download(
    person: Person, account: NamedDependency[AccountService]
) -> Response[dict[str, Any]]:
    return Response(
        account.export(person.person_id),
        headers={
            "Content-Disposition": 'attachment; filename="my-pds-data.json"',
            "Cache-Control": "no-store",
        },
    )


@post("/settings/password", sync_to_thread=True)
def change_password(
    request: Request[Any, Any, Any],
    data: Form,
    person: Person,
    people: NamedDependency[PeopleService],
    settings: NamedDependency[Settings],
) -> Response[Any]:
    errors: dict[str, str] = {}
    new = data.get("new_password", "")
    if new != data.get("confirm_password", ""):
        errors["confirm_password"] = MISMATCH
    else:
        try:
            people.change_password(
                person.person_id,
                data.get("current_password", ""),
                new,
                keep_token=session_token(request, settings) or "",
            )
        except InvalidCredentials:
            errors["current_password"] = WRONG_PASSWORD
        except PasswordPolicyError:
            errors["new_password"] = PASSWORD_RULE
    if errors:
        return settings_with_errors(request, errors)
    return Redirect("/settings?done=password-changed")


@get("/settings/erase", sync_to_thread=False)
def erase_page(request: Request[Any, Any, Any], person: Person) -> Template:
    return page("erase.html", section="settings", errors={}, word=translator(request)(ERASE_WORD))


@post("/settings/erase", sync_to_thread=True)
def erase_submit(
    request: Request[Any, Any, Any],
    data: Form,
    person: Person,
    account: NamedDependency[AccountService],
    settings: NamedDependency[Settings],
) -> Response[Any]:
    word = translator(request)(ERASE_WORD)
    typed = data.get("confirm_word", "").strip()
    errors: dict[str, str] = {}
    if typed not in (word, ERASE_WORD):
        errors["confirm_word"] = WORD_MISSING
    else:
        try:
            account.erase(person.person_id, data.get("password", ""))
        except InvalidCredentials:
            errors["password"] = WRONG_PASSWORD
    if errors:
        return page("erase.html", section="settings", errors=errors, word=word, status_code=422)
    return Redirect("/signin?done=erased", cookies=[session_cookie(settings, None)])


SETTINGS_HANDLERS = [settings_page, export_download, change_password, erase_page, erase_submit]
