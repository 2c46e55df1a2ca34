"""The recovery code: shown once after sign-up, made anew in settings, used when the password is
forgotten ("Forgot your password?" on the sign-in page).

A code is shown in the answer to the form that made it, never behind a redirect or in a URL, and
pages are never cached: once the person leaves the page, the code exists only on their paper.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import URLEncodedBody
from litestar.response import Template

from crypto.passwords import PasswordPolicyError
from pds.people.recovery import AccountRecovery, RecoveryFailed
from pds.people.routes import device_cookie
from pds.people.service import InvalidCredentials, PeopleService, Principal
from pds.settings import Settings
from pds.web.i18n import N_
from pds.web.pages.common import page
from pds.web.pages.settings import (
    MISMATCH,
    PASSWORD_RULE,
    WRONG_PASSWORD,
    settings_with_errors,
)

Form = URLEncodedBody[dict[str, str]]

FAILED = N_(
    "This email and recovery code do not match, or the code was already used. "
    "Check the code and try again."
)


def show_code(code: str, after: str, **response: Any) -> Template:
    """The page showing a new code once; `after` is what made it: signup, settings or recovery."""
    return page("recovery_code.html", code=code, after=after, **response)


@get("/recover", sync_to_thread=False)
def recover_page() -> Template:
    return page("recover.html", errors={}, email="")


@post("/recover", sync_to_thread=True)
def recover_submit(
    data: Form,
    recovery: NamedDependency[AccountRecovery],
    people: NamedDependency[PeopleService],
    settings: NamedDependency[Settings],
) -> Template:
    email = data.get("email", "").strip()
    new = data.get("new_password", "")
    errors: dict[str, str] = {}
    if new != data.get("confirm_password", ""):
        errors["confirm_password"] = MISMATCH
    else:
        try:
            code = recovery.recover(email, data.get("recovery_code", ""), new)
        except PasswordPolicyError:
            errors["new_password"] = PASSWORD_RULE
        except RecoveryFailed:
            errors["recovery_code"] = FAILED
    if errors:
        return page("recover.html", errors=errors, email=email, status_code=422)
    return show_code(code, "recovery", cookies=[device_cookie(settings, people, email)])


@post("/settings/recovery-code", sync_to_thread=True)
def new_code_submit(
    request: Request[Any, Any, Any],
    data: Form,
    person: NamedDependency[Principal],
    recovery: NamedDependency[AccountRecovery],
) -> Response[Any]:
    try:
        code = recovery.replace_code(person.person_id, data.get("recovery_password", ""))
    except InvalidCredentials:
        return settings_with_errors(request, {"recovery_password": WRONG_PASSWORD})
    return show_code(code, "settings", section="settings")


RECOVERY_HANDLERS = [recover_page, recover_submit, new_code_submit]
