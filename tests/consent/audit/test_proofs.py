"""Proofs served from stored subtree hashes equal RFC 9162's, verify, and fail when altered."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text, update

from consent.audit.checkpoints import latest_checkpoint, publish_current
from consent.audit.models import audit_entries, audit_nodes
from consent.audit.tree import NodeStore, ProofUnavailable
from consent.prepared import DriverStatement
from crypto import merkle
from tests.consent.audit.conftest import BareLog

SIZE = 700  # crosses two 256-leaf tiles and several checkpoints (every 100)
FUNCTION_FIXTURES = [HealthCheck.function_scoped_fixture]


def _leaves(bare: BareLog) -> list[bytes]:
    with bare.db.read() as conn:
        rows = conn.execute(select(audit_entries.c.leaf_hash).order_by(audit_entries.c.seq))
        return [bytes(row[0]) for row in rows]


@pytest.fixture
def filled(bare_log: BareLog) -> tuple[BareLog, list[bytes]]:
    bare_log.fill(SIZE)
    return bare_log, _leaves(bare_log)


@settings(max_examples=40, deadline=None, suppress_health_check=FUNCTION_FIXTURES)
@given(data=st.data())
def test_stored_proofs_equal_the_reference_and_verify(
    filled: tuple[BareLog, list[bytes]], data: st.DataObject
) -> None:
    bare, leaves = filled
    size = data.draw(st.integers(1, SIZE), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    old = data.draw(st.integers(0, size), label="old")
    with bare.db.read() as conn:
        store = NodeStore(conn)
        root = store.root(size)
        inclusion = store.inclusion_proof(index, size)
        consistency = store.consistency_proof(old, size)
        old_root = store.root(old)
    assert root == merkle.root_from_leaf_hashes(leaves[:size])
    assert inclusion == merkle.inclusion_proof(index, leaves[:size])
    assert consistency == merkle.consistency_proof(old, leaves[:size])
    assert merkle.verify_inclusion(index, size, leaves[index], inclusion, root)
    assert merkle.verify_consistency(old, size, old_root, root, consistency)


@settings(max_examples=40, deadline=None, suppress_health_check=FUNCTION_FIXTURES)
@given(data=st.data())
def test_altered_proofs_wrong_index_or_size_fail(
    filled: tuple[BareLog, list[bytes]], data: st.DataObject
) -> None:
    bare, leaves = filled
    size = data.draw(st.integers(2, SIZE), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    old = data.draw(st.integers(1, size - 1), label="old")
    with bare.db.read() as conn:
        store = NodeStore(conn)
        root, old_root = store.root(size), store.root(old)
        inclusion = store.inclusion_proof(index, size)
        consistency = store.consistency_proof(old, size)
    leaf = leaves[index]
    if inclusion:
        at = data.draw(st.integers(0, len(inclusion) - 1), label="at")
        bit = data.draw(st.integers(0, 255), label="bit")
        altered = list(inclusion)
        altered[at] = bytes([altered[at][0] ^ (bit | 1)]) + altered[at][1:]
        assert not merkle.verify_inclusion(index, size, leaf, altered, root)
        assert not merkle.verify_inclusion(index, size, leaf, inclusion[:-1], root)
    other = data.draw(st.integers(0, size - 1).filter(lambda i: leaves[i] != leaf), label="other")
    assert not merkle.verify_inclusion(other, size, leaf, inclusion, root)
    wrong_size = data.draw(st.integers(1, SIZE).filter(lambda n: n != size), label="wrong_size")
    wrong_root = merkle.root_from_leaf_hashes(leaves[:wrong_size])
    assert not merkle.verify_inclusion(index, wrong_size, leaf, inclusion, wrong_root)
    if consistency:
        at = data.draw(st.integers(0, len(consistency) - 1), label="c_at")
        altered = list(consistency)
        altered[at] = bytes([altered[at][0] ^ 1]) + altered[at][1:]
        assert not merkle.verify_consistency(old, size, old_root, root, altered)
    assert not merkle.verify_consistency(old, size, old_root, wrong_root, consistency)


def test_gapless_checkpoints_tiles_few_reads_and_resuming(
    filled: tuple[BareLog, list[bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    bare, leaves = filled
    assert len(leaves) == SIZE
    with bare.db.read() as conn:
        seqs = conn.execute(select(audit_entries.c.seq).order_by(audit_entries.c.seq)).scalars()
        assert list(seqs) == list(range(1, SIZE + 1))
        tiles = conn.execute(select(audit_nodes.c.level, audit_nodes.c.idx)).all()
        assert sorted(tiles) == [(8, 0), (8, 1)]  # stored as entries 256 and 512 were appended
        # Reads per proof grow with log n, not n: count the statements of a long proof (NodeStore
        # runs its reads as compiled statements on the driver cursor: consent.prepared).
        store = NodeStore(conn)
        statements: list[str] = []
        real_run = DriverStatement._run

        def counting(self: DriverStatement, conn: Any, params: Any) -> Any:
            statements.append(self.sql(conn.dialect))
            return real_run(self, conn, params)

        monkeypatch.setattr(DriverStatement, "_run", counting)
        hashes = len(store.inclusion_proof(0, 600))
        monkeypatch.undo()
    assert hashes == 10  # a proof for a tree of 600 leaves: ceil(log2(600)) hashes
    assert 1 <= len(statements) <= 12
    bare.fill(5)
    with bare.db.write() as conn:  # resumes from the checkpoint at 700's frontier
        checkpoint = publish_current(conn, bare.log.signer, bare.clock())
    assert checkpoint.tree_size == SIZE + 5
    assert checkpoint.root == merkle.root_from_leaf_hashes(_leaves(bare))
    with bare.db.write() as conn:  # nothing new: the same checkpoint, not another one
        assert publish_current(conn, bare.log.signer, bare.clock()) == checkpoint


def _tiles(bare: BareLog) -> list[tuple[int, int]]:
    with bare.db.read() as conn:
        rows = conn.execute(select(audit_nodes.c.level, audit_nodes.c.idx))
        return sorted((int(level), int(idx)) for level, idx in rows)


def test_a_tile_is_stored_with_its_last_entry_and_checkpoints_build_on_it(
    bare_log: BareLog,
) -> None:
    bare_log.log.checkpoint_every = 1_000_000  # no checkpoint on the way
    bare_log.fill(255)
    assert _tiles(bare_log) == []
    bare_log.fill(1)
    assert _tiles(bare_log) == [(8, 0)]
    bare_log.fill(300)
    assert _tiles(bare_log) == [(8, 0), (8, 1)]
    with bare_log.db.write() as conn:
        checkpoint = publish_current(conn, bare_log.log.signer, bare_log.clock())
    leaves = _leaves(bare_log)
    assert checkpoint.tree_size == 556
    assert checkpoint.root == merkle.root_from_leaf_hashes(leaves)
    builder = merkle.TreeBuilder()
    for leaf in leaves:
        builder.append(leaf)
    assert checkpoint.frontier == builder.frontier  # what the next checkpoint resumes from


def test_a_checkpoint_never_forks_from_the_previous_one_when_the_store_was_altered(
    bare_log: BareLog,
) -> None:
    """Found in review: built from stored tiles alone, the checkpoint after a database-level
    edit of an already signed entry would have been signed over the edited history."""
    bare_log.fill(300)  # checkpoints at 100, 200, 300; tile (8, 0) stored with entry 256
    with bare_log.db.read() as conn:
        signed = latest_checkpoint(conn)
    assert signed is not None and signed.tree_size == 300
    with bare_log.db.write() as conn:
        conn.execute(
            update(audit_entries)
            .where(audit_entries.c.seq == 260)
            .values(action="record.deleted", leaf_hash=b"\x11" * 32)
        )
    bare_log.fill(100)  # the checkpoint at 400
    with bare_log.db.read() as conn:
        following = latest_checkpoint(conn)
        assert following is not None and following.tree_size == 400
        after = NodeStore(conn).leaf_hashes(300, 400)
    builder = merkle.TreeBuilder(signed.tree_size, signed.frontier)
    for leaf in after:
        builder.append(leaf)
    assert following.root == builder.root()  # extends what was signed, edit or no edit


def test_unknown_leaves_make_proofs_unavailable(bare_log: BareLog) -> None:
    bare_log.fill(3)
    with bare_log.db.read() as conn, pytest.raises(ProofUnavailable):
        NodeStore(conn).inclusion_proof(0, 4)


@pytest.mark.parametrize("engine_name", ["postgresql"])  # SQLite has no such setting
def test_a_transaction_that_signs_a_checkpoint_commits_durably(bare_log: BareLog) -> None:
    """A PostgreSQL group commit releases its locks before the WAL flush (pds.group_commit);
    a signed checkpoint must never be readable before it is on disk."""
    bare_log.fill(5)
    with bare_log.db.write() as conn:
        conn.execute(text("SET LOCAL synchronous_commit = off"))  # as a group commit does
        publish_current(conn, bare_log.log.signer, bare_log.clock())
        assert conn.execute(text("SHOW synchronous_commit")).scalar_one() == "on"
