"""Pruning old entries keeps what remains verifiable: roots, proofs, consistency from old
checkpoints, exports that start at the horizon — and the sequence carries on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consent.audit.checkpoints import checkpoint_at, latest_checkpoint, log_size, publish_current
from consent.audit.export import prepare_export
from consent.audit.models import audit_entries
from consent.audit.note import verifier_key
from consent.audit.retention import prune
from consent.audit.tree import NodeStore, ProofUnavailable
from consent.audit.verify import verify_export
from crypto import merkle
from tests.consent.audit.conftest import ORIGIN, BareLog


def _all_leaves(bare: BareLog) -> list[bytes]:
    with bare.db.read() as conn:
        rows = conn.execute(select(audit_entries.c.leaf_hash).order_by(audit_entries.c.seq))
        return [bytes(row[0]) for row in rows]


def _checkpoint_note(bare: BareLog, size: int) -> str:
    with bare.db.read() as conn:
        found = checkpoint_at(conn, size)
    assert found is not None
    return found.note


def test_pruning_keeps_the_rest_verifiable(bare_log: BareLog) -> None:
    bare = bare_log
    bare.fill(700)  # old entries, checkpoints at 100 … 700
    bare.clock.advance(days=10)
    bare.fill(100)  # recent ones, checkpoint at 800
    leaves = _all_leaves(bare)
    saved_before = _checkpoint_note(bare, 300)
    with bare.db.write() as conn:
        pruned = prune(conn, bare.clock() - timedelta(days=5), bare.clock())
    assert pruned == 512  # down to the last tile boundary under the first recent entry
    with bare.db.read() as conn:
        store = NodeStore(conn)
        assert store.horizon == 512 and log_size(conn) == 800
        assert store.root(800) == merkle.root_from_leaf_hashes(leaves)
        for index in (512, 650, 799):
            assert store.inclusion_proof(index, 800) == merkle.inclusion_proof(index, leaves)
        for old in range(100, 800, 100):  # every checkpoint, pruned range included
            expected = merkle.consistency_proof(old, leaves)
            assert store.consistency_proof(old, 800) == expected
        with pytest.raises(ProofUnavailable):
            store.consistency_proof(5, 800)  # an arbitrary old size was never signed
        checkpoint = latest_checkpoint(conn)
    assert checkpoint is not None
    key = verifier_key(ORIGIN, bare.key.public_key_bytes())

    export = prepare_export(bare.db, checkpoint)
    report = verify_export(export.lines(), keys=[key], saved_checkpoint=saved_before)
    # Asked to check a checkpoint older than the export, without a proof: a failure, not a pass.
    assert not report.ok and "consistency_from=300" in report.problems[0]
    with_proof = prepare_export(bare.db, checkpoint, consistency_from=300)
    report = verify_export(with_proof.lines(), keys=[key], saved_checkpoint=saved_before)
    assert report.ok and report.saved_checkpoint.startswith("consistent (size 300")


def test_the_sequence_carries_on_after_everything_was_pruned(bare_log: BareLog) -> None:
    bare = bare_log
    bare.fill(256)
    with bare.db.write() as conn:
        publish_current(conn, bare.log.signer, bare.clock())
    bare.clock.advance(days=1)
    with bare.db.write() as conn:
        assert prune(conn, bare.clock(), bare.clock()) == 256
        assert conn.execute(select(func.count()).select_from(audit_entries)).scalar_one() == 0
        assert log_size(conn) == 256
    bare.fill(1)
    with bare.db.read() as conn:
        assert conn.execute(select(audit_entries.c.seq)).scalar_one() == 257


def test_nothing_is_pruned_without_a_checkpoint_or_before_the_cutoff(bare_log: BareLog) -> None:
    bare = bare_log
    bare.fill(99)  # no checkpoint yet (every 100)
    with bare.db.write() as conn:
        assert prune(conn, bare.clock(), bare.clock()) == 0
    bare.fill(300)
    with bare.db.write() as conn:  # everything is younger than the cutoff
        assert prune(conn, bare.clock() - timedelta(days=1), bare.clock()) == 0
