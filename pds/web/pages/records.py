"""My records: by category; add, view, edit, delete with confirmation, version history, and
which organisations can see each record.

Record ids are opaque and appear in URLs; values never do (forms post). The record forms come
from the catalogue (`pds.web.forms`); a posted value is checked by the same model as the API's,
and its errors are shown next to their fields.
"""

from __future__ import annotations

import re
import secrets
from functools import partial
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, Parameter, URLEncodedBody
from litestar.response import Redirect, Template

from consent.grant_service import GrantService
from pds.people.service import Principal, Role
from pds.records.catalogue import CATALOGUE, CATEGORIES, get_record_type
from pds.records.idempotency import IdempotencyKeyReused, IdempotentRequest
from pds.records.service import (
    InvalidRecordValue,
    RecordService,
    RecordView,
    TooManyRecords,
    VersionConflict,
)
from pds.web.form_errors import attach_errors, field_errors
from pds.web.forms import (
    add_row,
    as_posted,
    form_fields,
    posted_rows,
    value_from_form,
    without_row,
)
from pds.web.guard import require_person
from pds.web.i18n import N_, translator
from pds.web.pages.common import notice, page, sharing_by_type
from pds.web.pages.record_display import display_rows, summary

RecordId = Annotated[str, FromPath, Parameter(max_length=64)]
TypeName = Annotated[str, FromPath, Parameter(max_length=64)]
Form = URLEncodedBody[dict[str, str]]
Grants = NamedDependency[GrantService]
Records = NamedDependency[RecordService]
Person = NamedDependency[Principal]

SUBMISSION_MAX = 64  # what `secrets.token_urlsafe(16)` makes is 22 characters
CHANGED_MEANWHILE = N_(
    "Someone changed this record after you opened it. Your changes are below and not saved yet:"
    " check them, then save to replace the other change."
)
TOO_MANY = N_("You have the largest number of records one account can hold. Delete one first.")


@get("/", sync_to_thread=True)
def my_records(
    request: Request[Any, Any, Any],
    viewer: Person,
    records: Records,
    grants: Grants,
    done: FromQuery[str | None] = None,
) -> Template | Redirect:
    if viewer.role is Role.AUDITOR:
        return Redirect("/audit")
    require_person(viewer)
    _ = translator(request)
    shared = sharing_by_type(grants.list_for_person(viewer.person_id))
    grouped: dict[str, list[dict[str, Any]]] = {}
    for view in records.list_records(viewer.person_id):
        record_type = CATALOGUE[view.type]
        grouped.setdefault(record_type.category, []).append(
            {
                "view": view,
                "label": record_type.label,
                "summary": summary(record_type, view.value, _),
                "shared": shared.get(view.type, []),
            }
        )
    return page(
        "records.html",
        section="records",
        categories=CATEGORIES,
        grouped=grouped,
        notice=notice(done),
    )


@get("/records/new", sync_to_thread=False)
def choose_type(person: Person) -> Template:
    by_category: dict[str, list[Any]] = {}
    for record_type in CATALOGUE.values():
        by_category.setdefault(record_type.category, []).append(record_type)
    return page(
        "record_new.html", section="records", categories=CATEGORIES, by_category=by_category
    )


def _form_page(
    request: Request[Any, Any, Any],
    type_name: str,
    *,
    value: dict[str, Any] | None = None,
    view: RecordView | None = None,
    error: InvalidRecordValue | None = None,
    row_origins: dict[str, list[int]] | None = None,
    more: tuple[str, int] | None = None,
    general: list[str] | None = None,
    submission: str | None = None,
    status: int | None = None,
    version: str | None = None,
) -> Template:
    """The add or change form. `version` is the version the person's edit started from, carried
    through each re-showing, so a change saved meanwhile by someone else is still a clash."""
    record_type = get_record_type(type_name)
    if value is not None:
        value = as_posted(value, row_origins or {})
    fields = form_fields(record_type, value if value is not None else (view.value if view else {}))
    messages = list(general or [])
    if error is not None:
        messages += attach_errors(
            record_type, fields, error.errors, row_origins or {}, translator(request)
        )
    if more:
        add_row(fields, *more)
    errors = field_errors(fields)
    failed = bool(messages or errors)
    return page(
        "record_form.html",
        status_code=status or (422 if failed else 200),
        section="records",
        record_type=record_type,
        fields=fields,
        view=view,
        general=messages,
        failed=failed,
        field_errors=errors,
        version=version if version is not None else (view.version if view else None),
        # A new record's form names its submission, so a second tap of Save (or a resend on a
        # slow network) finds the record the first one made instead of adding it twice.
        submission=None if view else (submission or secrets.token_urlsafe(16)),
    )


def _row_action(data: dict[str, str], verb: str) -> str | None:
    """What a list's row button names: with "more", the list to add a blank row to (`members`);
    with "remove", the row to leave out (`members.1`), nothing saved: the form comes back
    without it, to check and save."""
    action = data.get("_action", "")
    return action.removeprefix(f"{verb}:") if action.startswith(f"{verb}:") else None


@get("/records/new/{type_name:str}", sync_to_thread=False)
def new_record_page(
    request: Request[Any, Any, Any], type_name: TypeName, person: Person
) -> Template:
    return _form_page(request, type_name)


@post("/records/new/{type_name:str}", sync_to_thread=True)
def new_record_submit(
    request: Request[Any, Any, Any],
    type_name: TypeName,
    data: Form,
    person: Person,
    records: Records,
) -> Response[Any]:
    record_type = get_record_type(type_name)
    submission = _submission(data)
    removed = _row_action(data, "remove")
    if removed:
        value, _ = value_from_form(record_type, without_row(data, removed))
        return _form_page(request, type_name, value=value, submission=submission)
    value, origins = value_from_form(record_type, data)
    again = partial(_form_page, request, type_name, value=value, row_origins=origins,
                    submission=submission)  # fmt: skip
    more = _row_action(data, "more")
    if more:
        return again(more=(more, posted_rows(data, more)))
    try:
        view = _create_once(records, person.person_id, type_name, value, submission)
    except InvalidRecordValue as error:
        return again(error=error)
    except TooManyRecords:
        return again(general=[TOO_MANY])
    return Redirect(f"/records/{view.id}?done=record-added")


def _submission(data: dict[str, str]) -> str | None:
    """The form's own submission id, if it is one this page could have made."""
    posted = data.get("_submission", "")
    return posted if 0 < len(posted) <= SUBMISSION_MAX else None


def _create_once(
    records: RecordService, person_id: str, type_name: str, value: Any, submission: str | None
) -> RecordView:
    """Create the record, or find the one this same submission already made."""
    if submission is None:
        return records.create(person_id, type_name, value)
    idempotency = IdempotentRequest.for_create(
        f"person:{person_id}", f"web-form:{submission}", type_name, value
    )
    try:
        return records.create(person_id, type_name, value, idempotency=idempotency)
    except IdempotencyKeyReused:
        # The same form sent again with other values (changed after going back): a new record,
        # as the person asked for.
        return records.create(person_id, type_name, value)


@get("/records/{record_id:str}", sync_to_thread=True)
def record_page(
    request: Request[Any, Any, Any],
    record_id: RecordId,
    person: Person,
    records: Records,
    grants: Grants,
    done: FromQuery[str | None] = None,
) -> Template:
    view = records.get(person.person_id, record_id)
    record_type = CATALOGUE[view.type]
    shared = sharing_by_type(grants.list_for_person(person.person_id)).get(view.type, [])
    return page(
        "record.html",
        section="records",
        view=view,
        record_type=record_type,
        rows=display_rows(record_type, view.value, translator(request)),
        shared=shared,
        notice=notice(done),
    )


@get("/records/{record_id:str}/edit", sync_to_thread=True)
def edit_record_page(
    request: Request[Any, Any, Any], record_id: RecordId, person: Person, records: Records
) -> Template:
    view = records.get(person.person_id, record_id)
    return _form_page(request, view.type, view=view)


@post("/records/{record_id:str}/edit", sync_to_thread=True)
def edit_record_submit(
    request: Request[Any, Any, Any],
    record_id: RecordId,
    data: Form,
    person: Person,
    records: Records,
) -> Response[Any]:
    view = records.get(person.person_id, record_id)
    posted = data.get("_version", "")
    version = posted if re.fullmatch(r"[0-9]{1,9}", posted) else None  # not "²", nor 5,000 digits
    again = partial(_form_page, request, view.type, view=view, version=version)
    removed = _row_action(data, "remove")
    if removed:
        value, _ = value_from_form(CATALOGUE[view.type], without_row(data, removed))
        return again(value=value)
    value, origins = value_from_form(CATALOGUE[view.type], data)
    more = _row_action(data, "more")
    if more:
        return again(value=value, row_origins=origins, more=(more, posted_rows(data, more)))
    try:
        records.update(
            person.person_id,
            record_id,
            value,
            expected_version=int(version) if version is not None else None,
        )
    except InvalidRecordValue as error:
        return again(value=value, error=error, row_origins=origins)
    except VersionConflict:
        # Keep what the person typed; the form now carries the current version, so saving it
        # again replaces the other change knowingly.
        return _form_page(
            request, view.type, value=value, view=view, row_origins=origins,
            general=[CHANGED_MEANWHILE], status=409,
        )  # fmt: skip
    return Redirect(f"/records/{record_id}?done=record-saved")


@get("/records/{record_id:str}/history", sync_to_thread=True)
def record_history(
    request: Request[Any, Any, Any], record_id: RecordId, person: Person, records: Records
) -> Template:
    view = records.get(person.person_id, record_id)
    record_type = CATALOGUE[view.type]
    _ = translator(request)
    versions = [
        {"version": v, "rows": display_rows(record_type, v.value, _)}
        for v in records.versions(person.person_id, record_id)
    ]
    return page(
        "record_history.html",
        section="records",
        view=view,
        record_type=record_type,
        versions=versions,
    )


@get("/records/{record_id:str}/delete", sync_to_thread=True)
def delete_record_page(
    request: Request[Any, Any, Any],
    record_id: RecordId,
    person: Person,
    records: Records,
    grants: Grants,
) -> Template:
    view = records.get(person.person_id, record_id)
    record_type = CATALOGUE[view.type]
    shared = sharing_by_type(grants.list_for_person(person.person_id)).get(view.type, [])
    return page(
        "record_delete.html",
        section="records",
        view=view,
        record_type=record_type,
        rows=display_rows(record_type, view.value, translator(request)),
        shared=shared,
    )


@post("/records/{record_id:str}/delete", sync_to_thread=True)
def delete_record_submit(record_id: RecordId, person: Person, records: Records) -> Redirect:
    records.delete(person.person_id, record_id)
    return Redirect("/?done=record-deleted")


RECORD_HANDLERS = [
    my_records,
    choose_type,
    new_record_page,
    new_record_submit,
    record_page,
    edit_record_page,
    edit_record_submit,
    record_history,
    delete_record_page,
    delete_record_submit,
]
