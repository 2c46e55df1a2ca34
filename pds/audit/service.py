"""The auditor's tools and the person's activity view (no HTTP here: routes translate).

Every auditor call is itself audited, before it reads anything: actor the auditor's pseudonym,
subject the person asked about (if any). A non-auditor is refused, and that refusal is audited too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import Connection

from consent.audit.checkpoints import (
    StoredCheckpoint,
    checkpoint_at,
    latest_checkpoint,
    log_size,
    publish_current,
    publish_if_due,
)
from consent.audit.export import Export, prepare_export
from consent.audit.log import ActorType, AuditEvent
from consent.audit.queries import (
    EntryFilter,
    Page,
    Summary,
    decode_cursor,
    list_entries,
    summarise,
)
from consent.audit.retention import prune
from consent.audit.tree import NodeStore, ProofUnavailable
from consent.storage import utcnow
from pds.audit.trail import AuditTrail
from pds.people.service import Principal, Role

# A person's audit pseudonym as entries carry it (pds.audit.trail.pseudonym_from_data_key).
_PSEUDONYM = re.compile(r"ps_[0-9a-f]{32}")


def _beyond(checkpoint: StoredCheckpoint, consistency_from: int | None) -> OutOfRange | None:
    """Why an export cannot prove consistency from `consistency_from`, if it cannot."""
    if consistency_from is not None and consistency_from > checkpoint.tree_size:
        return OutOfRange(f"consistency_from exceeds the tree size ({checkpoint.tree_size})")
    return None


class NotAnAuditor(Exception):
    """Only auditors may use the audit API."""


class UnknownPerson(LookupError):
    """No such person, or they were erased (their pseudonym can no longer be derived)."""


class OutOfRange(ValueError):
    """A sequence number or tree size outside the log."""


class Pruned(LookupError):
    """What was asked for lies before the retention horizon and is gone."""


@dataclass(frozen=True)
class AuditQuery:
    """The auditor's filters: like EntryFilter, but naming a person by id."""

    person_id: str | None = None
    organisation_id: str | None = None
    client_id: str | None = None
    grant_id: str | None = None
    action: str | None = None
    outcome: str | None = None
    purpose: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class InclusionProof:
    seq: int
    tree_size: int
    leaf_hash: bytes
    proof: list[bytes]
    root: bytes
    checkpoint: StoredCheckpoint | None


@dataclass(frozen=True)
class ConsistencyProof:
    first: int
    second: int
    proof: list[bytes]
    first_root: bytes
    second_root: bytes
    first_checkpoint: StoredCheckpoint | None
    second_checkpoint: StoredCheckpoint | None


class AuditorService:
    def __init__(
        self,
        trail: AuditTrail,
        *,
        checkpoint_every_seconds: float,
        retention: timedelta | None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.trail = trail
        self.db = trail.db
        self.checkpoint_every_seconds = checkpoint_every_seconds
        self.retention = retention
        self.clock = clock

    def admit(self, principal: Principal, action: str) -> None:
        """Refuse anyone but an auditor before any work (a page's guard), recording the refusal
        as the API records its own: an entry with outcome denied, reason forbidden_role."""
        if principal.role is not Role.AUDITOR:
            self._enter(principal, action)  # writes the entry, then raises NotAnAuditor

    def _enter(
        self,
        principal: Principal,
        action: str,
        person_id: str | None = None,
        out_of_range: OutOfRange | None = None,
    ) -> str | None:
        """Audit the auditor's call and return the pseudonym of the person asked about; a call
        already known to be `out_of_range` is logged as refused, then refused."""
        with self.db.write() as conn:
            subject, refusal = self._audit_call(conn, principal, action, person_id, out_of_range)
        if refusal is not None:
            raise refusal
        return subject

    def _audit_call(
        self,
        conn: Connection,
        principal: Principal,
        action: str,
        person_id: str | None = None,
        out_of_range: OutOfRange | None = None,
    ) -> tuple[str | None, Exception | None]:
        """Append the call's entry; (subject pseudonym, the refusal to raise after commit)."""
        actor = self.trail.pseudonym(conn, principal.person_id)
        event = AuditEvent(action, ActorType(principal.role.value), actor_id=actor)
        refusal: Exception | None = None
        subject: str | None = None
        if principal.role is not Role.AUDITOR:
            refusal, event = NotAnAuditor(), event.denied("forbidden_role")
        elif out_of_range is not None:
            refusal, event = out_of_range, event.denied("out_of_range")
        elif person_id is not None:
            # What the entries show (a pseudonym) filters as well as the id behind it; one of an
            # erased person still finds their entries, which stay pseudonymous.
            is_subject = _PSEUDONYM.fullmatch(person_id) is not None
            subject = person_id if is_subject else self.trail.pseudonym(conn, person_id)
            event = replace(event, subject=subject)
            if subject is None:
                refusal, event = UnknownPerson(person_id), event.denied("unknown_person")
        self.trail.append(conn, event)
        return subject, refusal

    def _filter(self, principal: Principal, action: str, query: AuditQuery) -> EntryFilter:
        if query.since and query.until and query.since >= query.until:
            raise OutOfRange("since must be before until")
        subject = self._enter(principal, action, query.person_id)
        return EntryFilter(
            subject=subject,
            organisation_id=query.organisation_id,
            client_id=query.client_id,
            grant_id=query.grant_id,
            action=query.action,
            outcome=query.outcome,
            purpose=query.purpose,
            since=query.since,
            until=query.until,
        )

    def entries(
        self, principal: Principal, query: AuditQuery, *, cursor: str | None, limit: int
    ) -> Page:
        if cursor is not None:
            decode_cursor(cursor)  # a cursor not handed out here is refused before the entry
        where = self._filter(principal, "audit.entries", query)
        with self.db.read() as conn:
            return list_entries(conn, where, cursor=cursor, limit=limit)

    def summary(self, principal: Principal, query: AuditQuery) -> Summary:
        where = self._filter(principal, "audit.summary", query)
        with self.db.read() as conn:
            return summarise(conn, where)

    def checkpoint(self, principal: Principal) -> StoredCheckpoint:
        """The latest signed checkpoint (one is published if there is none yet)."""
        self._enter(principal, "audit.checkpoint")
        with self.db.read() as conn:
            latest = latest_checkpoint(conn)
        if latest is not None:
            return latest
        with self.db.write() as conn:
            return publish_current(conn, self.trail.log.signer, self.clock())

    def _tree_size(self, conn: Connection, requested: int | None) -> tuple[int, int]:
        """(tree size to prove against, current log size); default: the latest checkpoint."""
        size = log_size(conn)
        if requested is None:
            latest = latest_checkpoint(conn)
            requested = size if latest is None else latest.tree_size
        if requested > size:
            raise OutOfRange(f"the log has {size} entries")
        return requested, size

    def _inclusion_range(self, conn: Connection, seq: int, tree_size: int | None) -> int:
        size, _ = self._tree_size(conn, tree_size)
        if not 1 <= seq <= size:
            raise OutOfRange(f"seq must be between 1 and the tree size ({size})")
        return size

    def _consistency_range(self, conn: Connection, first: int, second: int | None) -> int:
        second, _ = self._tree_size(conn, second)
        if first > second:
            raise OutOfRange("first must not exceed second")
        return second

    def _checked(self, check: Callable[[Connection], int]) -> OutOfRange | None:
        """Why a proof's range is not in the log, asked before the call is logged (the log only
        grows, so a range found in it stays in it): a refused call is then logged as refused."""
        with self.db.read() as conn:
            try:
                check(conn)
            except OutOfRange as wrong:
                return wrong
        return None

    def inclusion(self, principal: Principal, seq: int, tree_size: int | None) -> InclusionProof:
        wrong = self._checked(lambda conn: self._inclusion_range(conn, seq, tree_size))
        self._enter(principal, "audit.proof.inclusion", out_of_range=wrong)
        with self.db.read() as conn:
            size = self._inclusion_range(conn, seq, tree_size)
            store = NodeStore(conn)
            if seq <= store.horizon:
                raise Pruned(f"entry {seq} was pruned by the retention policy")
            try:
                proof = store.inclusion_proof(seq - 1, size)
                leaf = store.leaf_hashes(seq - 1, seq)[0]
                root = store.root(size)
            except ProofUnavailable as exc:
                raise Pruned(str(exc)) from None
            return InclusionProof(seq, size, leaf, proof, root, checkpoint_at(conn, size))

    def consistency(self, principal: Principal, first: int, second: int | None) -> ConsistencyProof:
        wrong = self._checked(lambda conn: self._consistency_range(conn, first, second))
        self._enter(principal, "audit.proof.consistency", out_of_range=wrong)
        with self.db.read() as conn:
            second = self._consistency_range(conn, first, second)
            store = NodeStore(conn)
            try:
                proof = store.consistency_proof(first, second)
                roots = store.root(first), store.root(second)
            except ProofUnavailable as exc:
                raise Pruned(f"tree size {first} lies before the retention horizon") from exc
            return ConsistencyProof(
                first,
                second,
                proof,
                *roots,
                checkpoint_at(conn, first),
                checkpoint_at(conn, second),
            )

    def export(self, principal: Principal, *, consistency_from: int | None) -> Export:
        """The whole retained log, ending at a checkpoint signed for it.

        The checkpoint is published first and the export's own entry appended right after it,
        in one transaction: the entry is written before anything is disclosed, and the export
        ends exactly at the log as it was (the entry shows up in the next export).
        """
        with self.db.write() as conn:
            checkpoint, wrong = None, None
            if principal.role is Role.AUDITOR:
                checkpoint = publish_current(conn, self.trail.log.signer, self.clock())
                wrong = _beyond(checkpoint, consistency_from)
            _, refusal = self._audit_call(conn, principal, "audit.export", out_of_range=wrong)
        if refusal is not None or checkpoint is None:
            raise refusal or NotAnAuditor()
        return self._export(checkpoint, consistency_from)

    def export_as_operator(self, *, consistency_from: int | None) -> Export:
        """`pds audit export`: the same, recorded as done by the system's operator."""
        with self.db.write() as conn:
            checkpoint = publish_current(conn, self.trail.log.signer, self.clock())
            self.trail.operator_action("audit.export", conn)
        return self._export(checkpoint, consistency_from)

    def _export(self, checkpoint: StoredCheckpoint, consistency_from: int | None) -> Export:
        wrong = _beyond(checkpoint, consistency_from)
        if wrong is not None:
            raise wrong
        try:
            return prepare_export(self.db, checkpoint, consistency_from=consistency_from)
        except ProofUnavailable as exc:
            raise Pruned(f"tree size {consistency_from} lies before the horizon") from exc

    def activity(
        self, person_id: str, *, outcome: str | None, cursor: str | None, limit: int
    ) -> Page:
        """The person's own story: every entry about them, newest first (not itself audited)."""
        with self.db.read() as conn:
            subject = self.trail.pseudonym(conn, person_id)
            if subject is None:
                return Page([], None)
            return list_entries(
                conn, EntryFilter(subject=subject, outcome=outcome), cursor=cursor, limit=limit
            )

    def checkpoint_if_due(self) -> StoredCheckpoint | None:
        if self.checkpoint_every_seconds <= 0:
            return None
        with self.db.write() as conn:
            return publish_if_due(
                conn,
                self.trail.log.signer,
                self.clock(),
                every_entries=self.trail.log.checkpoint_every,
                every_seconds=self.checkpoint_every_seconds,
            )

    def check_origin(self) -> None:
        """Raise OriginMismatch if this process would sign under another origin than the log's."""
        with self.db.read() as conn:
            self.trail.log.signer.check_origin(conn)

    def publish_checkpoint(self) -> StoredCheckpoint:
        with self.db.write() as conn:
            return publish_current(conn, self.trail.log.signer, self.clock())

    def prune(self) -> int:
        """Apply the retention period now; returns how many entries were deleted."""
        if self.retention is None:
            return 0
        now = self.clock()
        with self.db.write() as conn:
            pruned = prune(conn, now - self.retention, now)
            if pruned:
                event = AuditEvent("audit.prune", ActorType.SYSTEM, actor_id="retention")
                self.trail.append(conn, event)
            return pruned
