"""The auditor's API (auditor role only) and the person's activity view."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.exceptions import ValidationException
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Schema
from litestar.params import QueryParameter
from litestar.response import Stream

from consent.audit.queries import MAX_PAGE_SIZE, InvalidCursor, Page
from pds.audit.schemas import (
    ActivityPage,
    CheckpointOut,
    ConsistencyOut,
    EntryOut,
    EntryPage,
    InclusionOut,
    Outcome,
    SummaryOut,
    activity_item,
    b64,
)
from pds.audit.service import (
    AuditorService,
    AuditQuery,
    NotAnAuditor,
    OutOfRange,
    Pruned,
    UnknownPerson,
)
from pds.contract import (
    AUDITED,
    AUDITOR,
    INVALID_REQUEST,
    SESSION,
    SESSION_ERRORS,
    documented,
    domain,
    errors,
)
from pds.people.service import Principal
from pds.problems import describe_pattern
from pds.query_params import refuse_unexpected

Id = Annotated[str | None, QueryParameter(max_length=64)]
PersonFilter = Annotated[
    str | None,
    QueryParameter(
        max_length=64,
        description="a person's id, or the pseudonym (ps_…) their entries carry as subject",
    ),
]
Cursor = Annotated[
    str | None, QueryParameter(min_length=1, max_length=200, description="from next_cursor")
]
Limit = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE, description="page size")]
Size = Annotated[int, QueryParameter(ge=0, le=2**62)]
OutcomeParam = Annotated[Outcome | None, QueryParameter(description="allowed or denied")]
# RFC 3339 only (a bare number is not a time); without an offset, the time is UTC.
_MOMENT = describe_pattern(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})?$",
    "not a time in RFC 3339 form, e.g. 2026-01-31T09:30:00Z (no offset: UTC)",
)
Since = Annotated[
    str | None,
    QueryParameter(pattern=_MOMENT, description="from this time (RFC 3339; no offset: UTC)"),
]
Until = Annotated[
    str | None,
    QueryParameter(pattern=_MOMENT, description="before this time (RFC 3339; no offset: UTC)"),
]


def _utc(name: str, text: str | None) -> datetime | None:
    """The moment a parameter names; times without a zone are read as UTC."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:  # e.g. month 13: the pattern admits it
        raise ValidationException(extra=[{"key": name, "message": "not a valid time"}]) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


_FILTERS = frozenset(
    {"person", "organisation", "client", "grant", "action", "outcome", "purpose", "since", "until"}
)


def _query(
    person: str | None,
    organisation: str | None,
    client: str | None,
    grant: str | None,
    action: str | None,
    outcome: Outcome | None,
    purpose: str | None,
    since: str | None,
    until: str | None,
) -> AuditQuery:
    start, end = _utc("since", since), _utc("until", until)
    if start is not None and end is not None and start >= end:  # a mistake in the query
        raise ValidationException(extra=[{"key": "until", "message": "must be after since"}])
    return AuditQuery(
        person_id=person,
        organisation_id=organisation,
        client_id=client,
        grant_id=grant,
        action=action,
        outcome=outcome,
        purpose=purpose,
        since=start,
        until=end,
    )


# Every auditor call is itself an audit entry.
_AUDITOR_ERRORS = (*SESSION_ERRORS, *domain(NotAnAuditor), *AUDITED)
_QUERY_ERRORS = (_AUDITOR_ERRORS, INVALID_REQUEST, domain(OutOfRange, UnknownPerson))
_PROOF_ERRORS = errors(_AUDITOR_ERRORS, INVALID_REQUEST, domain(OutOfRange, Pruned))
_NDJSON = documented(
    also={
        "application/x-ndjson": OpenAPIMediaType(
            schema=Schema(
                type=OpenAPIType.STRING, description="one JSON object a line: a header, entries"
            ),
            example='{"type":"header","format":"pds-audit-export/1","tree_size":21,...}\n'
            '{"type":"entry","seq":1,...}\n',
        )
    }
)


def _page(page: Page) -> EntryPage:
    return EntryPage(items=[EntryOut.of(e) for e in page.items], next_cursor=page.next_cursor)


class AuditController(Controller):
    path = "/api/v1/audit"
    tags = ["audit"]
    security = AUDITOR
    cache_control = CacheControlHeader(no_store=True)

    @get(
        "/entries",
        summary="Audit entries, newest first, filtered",
        responses=errors(_QUERY_ERRORS, domain(InvalidCursor)),
        sync_to_thread=True,
    )
    def entries(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        auditor: NamedDependency[AuditorService],
        person: PersonFilter = None,
        organisation: Id = None,
        client: Id = None,
        grant: Id = None,
        action: Annotated[str | None, QueryParameter(max_length=64)] = None,
        outcome: OutcomeParam = None,
        purpose: Annotated[str | None, QueryParameter(max_length=100)] = None,
        since: Since = None,
        until: Until = None,
        cursor: Cursor = None,
        limit: Limit = 50,
    ) -> EntryPage:
        refuse_unexpected(request, _FILTERS | {"cursor", "limit"})
        query = _query(person, organisation, client, grant, action, outcome, purpose, since, until)
        return _page(auditor.entries(principal, query, cursor=cursor, limit=limit))

    @get(
        "/summary",
        summary="Counts by organisation, purpose and outcome",
        responses=errors(_QUERY_ERRORS),
        sync_to_thread=True,
    )
    def summary(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        auditor: NamedDependency[AuditorService],
        person: PersonFilter = None,
        organisation: Id = None,
        client: Id = None,
        grant: Id = None,
        action: Annotated[str | None, QueryParameter(max_length=64)] = None,
        outcome: OutcomeParam = None,
        purpose: Annotated[str | None, QueryParameter(max_length=100)] = None,
        since: Since = None,
        until: Until = None,
    ) -> SummaryOut:
        refuse_unexpected(request, _FILTERS)
        query = _query(person, organisation, client, grant, action, outcome, purpose, since, until)
        return SummaryOut.of(auditor.summary(principal, query))

    @get(
        "/checkpoint",
        summary="The latest signed checkpoint (C2SP signed note)",
        responses=errors(_AUDITOR_ERRORS),
        sync_to_thread=True,
    )
    def checkpoint(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        auditor: NamedDependency[AuditorService],
    ) -> CheckpointOut:
        refuse_unexpected(request, frozenset())
        return CheckpointOut.of(auditor.checkpoint(principal))

    @get(
        "/proofs/inclusion",
        summary="RFC 9162 inclusion proof of an entry",
        responses=_PROOF_ERRORS,
        sync_to_thread=True,
    )
    def inclusion(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        auditor: NamedDependency[AuditorService],
        seq: Annotated[int, QueryParameter(ge=1, le=2**62)],
        tree_size: Annotated[int | None, QueryParameter(ge=1, le=2**62)] = None,
    ) -> InclusionOut:
        refuse_unexpected(request, frozenset({"seq", "tree_size"}))
        found = auditor.inclusion(principal, seq, tree_size)
        return InclusionOut(
            seq=found.seq,
            leaf_index=found.seq - 1,
            tree_size=found.tree_size,
            leaf_hash=b64(found.leaf_hash),
            proof=[b64(h) for h in found.proof],
            root=b64(found.root),
            checkpoint=CheckpointOut.of(found.checkpoint) if found.checkpoint else None,
        )

    @get(
        "/proofs/consistency",
        summary="RFC 9162 consistency proof between two tree sizes",
        responses=_PROOF_ERRORS,
        sync_to_thread=True,
    )
    def consistency(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        auditor: NamedDependency[AuditorService],
        first: Size,
        second: Annotated[int | None, QueryParameter(ge=0, le=2**62)] = None,
    ) -> ConsistencyOut:
        refuse_unexpected(request, frozenset({"first", "second"}))
        found = auditor.consistency(principal, first, second)
        return ConsistencyOut(
            first=found.first,
            second=found.second,
            proof=[b64(h) for h in found.proof],
            first_root=b64(found.first_root),
            second_root=b64(found.second_root),
            first_checkpoint=(
                CheckpointOut.of(found.first_checkpoint) if found.first_checkpoint else None
            ),
            second_checkpoint=(
                CheckpointOut.of(found.second_checkpoint) if found.second_checkpoint else None
            ),
        )

    @get(
        "/export",
        summary="The whole log as NDJSON, ending at a checkpoint signed for it",
        description="Verify offline with `pds audit verify EXPORT --key KEY [--checkpoint OLD]`.",
        responses=_PROOF_ERRORS,
        operation_class=_NDJSON,
        sync_to_thread=True,
        media_type="application/x-ndjson",
    )
    def export(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        auditor: NamedDependency[AuditorService],
        consistency_from: Annotated[
            int | None,
            QueryParameter(ge=0, le=2**62, description="include a consistency proof from here"),
        ] = None,
    ) -> Stream:
        refuse_unexpected(request, frozenset({"consistency_from"}))
        export = auditor.export(principal, consistency_from=consistency_from)
        return Stream(
            export.chunks(),
            media_type="application/x-ndjson",
            headers={
                "Content-Disposition": 'attachment; filename="pds-audit.ndjson"',
                "Cache-Control": "no-store",
            },
        )


class MyActivityController(Controller):
    path = "/api/v1/me/activity"
    tags = ["account"]
    security = SESSION
    cache_control = CacheControlHeader(no_store=True)

    @get(
        "/",
        summary="Who accessed my records, when, under which grant and purpose; what was refused",
        responses=errors(SESSION_ERRORS, INVALID_REQUEST, domain(InvalidCursor)),
        sync_to_thread=True,
    )
    def activity(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        auditor: NamedDependency[AuditorService],
        outcome: OutcomeParam = None,
        cursor: Cursor = None,
        limit: Limit = 50,
    ) -> ActivityPage:
        refuse_unexpected(request, frozenset({"outcome", "cursor", "limit"}))
        page = auditor.activity(principal.person_id, outcome=outcome, cursor=cursor, limit=limit)
        return ActivityPage(
            items=[activity_item(e) for e in page.items], next_cursor=page.next_cursor
        )
