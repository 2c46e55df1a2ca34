"""The auditor's pages: search the log with the API's filters, one entry with its inclusion proof
checked here, the latest signed checkpoint and whether the stored log matches it, and the export.

Every read goes through AuditorService, so the auditor's own searches are audited like the API's.
The checks shown are the ones an auditor would run offline, done for them: the entry re-hashed
from its fields, the proof walked up to the root, the root compared with the signed checkpoint,
and the checkpoint's signature verified with its key (which an auditor should compare with the
key they were given out of band).
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated, Any

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, Parameter, QueryParameter
from litestar.response import Stream, Template

from consent.audit.checkpoints import StoredCheckpoint
from consent.audit.encoding import entry_leaf_hash
from consent.audit.note import NoteError, open_checkpoint, parse_verifier_key
from consent.audit.queries import AuditEntry, encode_cursor
from consent.purposes import PURPOSES
from consent.storage import to_micros
from crypto.merkle import verify_inclusion
from pds.audit.service import AuditorService, AuditQuery, OutOfRange, UnknownPerson
from pds.people.service import Principal
from pds.web.i18n import DISPLAY_ZONE, N_, translator
from pds.web.pages.common import page

Auditor = NamedDependency[AuditorService]
Account = NamedDependency[Principal]
Text = Annotated[str | None, QueryParameter(max_length=100)]
PAGE_SIZE = 50
FILTERS = ("person", "organisation", "client", "grant", "action", "purpose")


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


NOT_A_TIME = N_("Enter a date and time, for example 2026-11-24T09:30.")
EMPTY_RANGE = N_("“Before” must be later than “From”.")
NO_SUCH_PERSON = N_("No account has this person id.")
NO_SUCH_OUTCOME = N_("Choose Allowed, Refused or Any.")


def _local_time(text: str | None) -> datetime | None:
    """A datetime-local value, read in the display time zone; None when empty.

    Raises ValueError when malformed: the search must say so, not quietly drop the filter."""
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=DISPLAY_ZONE)


Moment = datetime | None


def _times(since: str | None, until: str | None) -> tuple[Moment, Moment, list[Any]]:
    """The search's range, and what is wrong with it (as error_summary's field errors)."""
    moments: dict[str, Moment] = {}
    wrong: list[Any] = []
    for name, label, text in (("since", N_("From (India time)"), since),
                              ("until", N_("Before (India time)"), until)):  # fmt: skip
        try:
            moments[name] = _local_time(text)
        except ValueError:
            moments[name] = None
            wrong.append((f"q-{name}", label, NOT_A_TIME, None))
    start, end = moments["since"], moments["until"]
    if start is not None and end is not None and start >= end:
        wrong.append(("q-until", N_("Before (India time)"), EMPTY_RANGE, None))
    return start, end, wrong


@get("/audit", sync_to_thread=True)
def search_page(
    request: Request[Any, Any, Any],
    auditor_account: Account,
    auditor: Auditor,
    # "person" names the signed-in-person dependency, so the filter takes another Python name.
    person_id: Annotated[str | None, QueryParameter(name="person", max_length=100)] = None,
    organisation: Text = None,
    client: Text = None,
    grant: Text = None,
    action: Text = None,
    purpose: Text = None,
    # A form's "any" choice sends an empty value.
    outcome: Annotated[str | None, QueryParameter(max_length=10)] = None,
    since: Annotated[str | None, QueryParameter(max_length=40)] = None,
    until: Annotated[str | None, QueryParameter(max_length=40)] = None,
    cursor: Annotated[str | None, QueryParameter(max_length=200)] = None,
) -> Template:
    # Anything else is a typo in an address, which must not read as "any outcome".
    wrong_outcome = outcome not in (None, "", "allowed", "denied")
    outcome = outcome or None
    given = {
        "person": person_id, "organisation": organisation, "client": client, "grant": grant,
        "action": action, "purpose": purpose, "outcome": outcome, "since": since, "until": until,
    }  # fmt: skip
    start, end, wrong = _times(since, until)
    if wrong_outcome:
        wrong.append(("q-outcome", N_("Outcome"), NO_SUCH_OUTCOME, None))
    query = AuditQuery(
        person_id=person_id or None,
        organisation_id=organisation or None,
        client_id=client or None,
        grant_id=grant or None,
        action=action or None,
        outcome=outcome,
        purpose=purpose or None,
        since=start,
        until=end,
    )
    if not wrong:
        try:
            found = auditor.entries(auditor_account, query, cursor=cursor, limit=PAGE_SIZE)
        except UnknownPerson:
            wrong.append(("q-person", N_("Person id"), NO_SUCH_PERSON, None))
    if wrong:  # nothing searched: a wrong filter must not look like "no entries"
        _ = translator(request)
        wrong = [(field, label, _(message), None) for field, label, message, _n in wrong]
        return page(
            "audit_search.html", section="audit", entries=[], given=given, more=None,
            totals=None, purposes=PURPOSES, wrong=wrong, status_code=422,
        )  # fmt: skip
    totals = auditor.summary(auditor_account, query) if cursor is None else None
    more = {k: v for k, v in given.items() if v} | {"cursor": found.next_cursor}
    return page(
        "audit_search.html",
        section="audit",
        entries=found.items,
        given=given,
        more=more if found.next_cursor else None,
        totals=totals,
        purposes=PURPOSES,
    )


def _find(auditor: AuditorService, account: Principal, seq: int) -> AuditEntry | None:
    # The entries before seq + 1, newest first, one of them: entry seq (audited as a search).
    found = auditor.entries(account, AuditQuery(), cursor=encode_cursor(seq + 1), limit=1)
    return next((entry for entry in found.items if entry.seq == seq), None)


def _entry_document(entry: AuditEntry) -> dict[str, object]:
    fields = {name: getattr(entry, name) for name in ("actor_type", "actor_id", "action")}
    return fields | {
        "seq": entry.seq,
        "time": to_micros(entry.time),
        "organisation_id": entry.organisation_id,
        "client_id": entry.client_id,
        "subject": entry.subject,
        "record_types": list(entry.record_types),
        "record_ids": list(entry.record_ids),
        "grant_id": entry.grant_id,
        "purpose": entry.purpose,
        "outcome": entry.outcome,
        "reason": entry.reason,
        "request_id": entry.request_id,
    }


def checkpoint_signature_ok(checkpoint: StoredCheckpoint) -> bool:
    try:
        opened = open_checkpoint(checkpoint.note, [parse_verifier_key(checkpoint.verifier_key)])
    except NoteError:
        return False
    return opened.size == checkpoint.tree_size and opened.root == checkpoint.root


@get("/audit/entries/{seq:int}", sync_to_thread=True)
def entry_page(
    seq: Annotated[int, FromPath, Parameter(ge=1, le=2**62)],
    auditor_account: Account,
    auditor: Auditor,
) -> Template:
    entry = _find(auditor, auditor_account, seq)
    if entry is None:
        raise OutOfRange(f"there is no entry {seq}")
    try:
        proof = auditor.inclusion(auditor_account, seq, None)
    except OutOfRange:  # newer than the latest checkpoint: the next one will cover it
        proof = None
    checks: dict[str, bool] = {"leaf": entry_leaf_hash(_entry_document(entry)) == entry.leaf_hash}
    if proof is not None and proof.checkpoint is not None:
        checks["path"] = verify_inclusion(
            seq - 1, proof.tree_size, proof.leaf_hash, proof.proof, proof.checkpoint.root
        )
        checks["signature"] = checkpoint_signature_ok(proof.checkpoint)
    return page(
        "audit_entry.html",
        section="audit",
        entry=entry,
        proof=proof,
        checks=checks,
        verified=proof is not None and proof.checkpoint is not None and all(checks.values()),
        b64=b64,
    )


@get("/audit/checkpoint", sync_to_thread=True)
def checkpoint_page(auditor_account: Account, auditor: Auditor) -> Template:
    checkpoint = auditor.checkpoint(auditor_account)
    stored = auditor.consistency(auditor_account, checkpoint.tree_size, checkpoint.tree_size)
    checks = {
        "signature": checkpoint_signature_ok(checkpoint),
        "root": stored.second_root == checkpoint.root,
    }
    return page(
        "audit_checkpoint.html",
        section="audit-checkpoint",
        checkpoint=checkpoint,
        checks=checks,
        verified=all(checks.values()),
        b64=b64,
    )


@get("/audit/export", sync_to_thread=True)
def export_download(auditor_account: Account, auditor: Auditor) -> Response[Any]:
    export = auditor.export(auditor_account, consistency_from=None)
    return Stream(
        export.lines(),
        media_type="application/x-ndjson",
        headers={
            "Content-Disposition": 'attachment; filename="pds-audit.ndjson"',
            "Cache-Control": "no-store",
        },
    )


AUDITOR_HANDLERS = [search_page, entry_page, checkpoint_page, export_download]
