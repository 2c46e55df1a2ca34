"""Request and response bodies for accounts."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, EmailStr, Field

from consent.examples import example_config
from crypto.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from pds.people.service import Role


class Credentials(BaseModel):
    model_config = example_config(
        {"email": "asha@example.org", "password": "a long passphrase"}, extra="forbid"
    )

    email: EmailStr = Field(max_length=254)
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)


class SignInCredentials(BaseModel):
    """Sign-in does not apply the password policy: a wrong password is just wrong."""

    model_config = example_config(
        {"email": "asha@example.org", "password": "a long passphrase"}, extra="forbid"
    )

    email: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)


class PasswordChange(BaseModel):
    model_config = example_config(
        {"current_password": "a long passphrase", "new_password": "a longer passphrase"},
        extra="forbid",
    )

    current_password: str = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)
    new_password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)


class PasswordConfirmation(BaseModel):
    model_config = example_config({"password": "a long passphrase"}, extra="forbid")

    password: str = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)


class RecoveryRequest(BaseModel):
    """A forgotten password replaced with the account's recovery code."""

    model_config = example_config(
        {
            "email": "asha@example.org",
            "recovery_code": "7KQM-4XR9-TBC2-HW3N-P8DZ",
            "new_password": "a longer passphrase",
        },
        extra="forbid",
    )

    email: str = Field(min_length=1, max_length=254)
    recovery_code: str = Field(min_length=1, max_length=100)
    new_password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)


class RecoveryCode(BaseModel):
    """A new recovery code, shown this once: only its hash is kept."""

    model_config = example_config({"recovery_code": "7KQM-4XR9-TBC2-HW3N-P8DZ"})

    recovery_code: str


class SessionInfo(BaseModel):
    model_config = example_config(
        {"person_id": "70b8c6a1-4169-4a64-8d6f-0f389a48b1ce", "role": "person"}
    )

    person_id: str
    role: Role


class Profile(BaseModel):
    model_config = example_config(
        {
            "id": "70b8c6a1-4169-4a64-8d6f-0f389a48b1ce",
            "email": "asha@example.org",
            "role": "person",
            "created_at": "2026-11-23T19:54:02.119271Z",
        }
    )

    id: str
    email: str
    role: Role
    created_at: datetime


class NewAccount(SessionInfo):
    """The new account's session, and its recovery code, shown this once."""

    model_config = example_config(
        {
            "person_id": "70b8c6a1-4169-4a64-8d6f-0f389a48b1ce",
            "role": "person",
            "recovery_code": "7KQM-4XR9-TBC2-HW3N-P8DZ",
        }
    )

    recovery_code: str
