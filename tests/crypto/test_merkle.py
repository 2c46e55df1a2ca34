"""Tests for crypto.merkle against RFC 9162's recursive definitions and the CT test vectors."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.merkle import (
    EMPTY_ROOT,
    MerkleError,
    TreeBuilder,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)

# --- Naive references, written straight from RFC 9162 2.1.1, 2.1.3.1 and 2.1.4.1 -------------


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: list[bytes]) -> bytes:
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return d[0]
    k = _k(len(d))
    return node_hash(ref_mth(d[:k]), ref_mth(d[k:]))


def ref_path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: list[bytes], complete: bool) -> list[bytes]:
    if m == len(d):
        return [] if complete else [ref_mth(d)]
    k = _k(len(d))
    if m <= k:
        return [*ref_subproof(m, d[:k], complete), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


def leaves(n: int) -> list[bytes]:
    return [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


def flip(h: bytes) -> bytes:
    return bytes([h[0] ^ 1]) + h[1:]


# --- Known answers: the certificate-transparency reference test vectors ------------------------

CT_LEAVES = [
    bytes.fromhex(h)
    for h in [
        "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]  # fmt: skip
CT_ROOTS = [
    bytes.fromhex(h)
    for h in [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]
]
CT_HASHES = [leaf_hash(data) for data in CT_LEAVES]


def hexes(*values: str) -> list[bytes]:
    return [bytes.fromhex(v) for v in values]


def test_empty_tree_root_is_sha256_of_empty_string() -> None:
    assert root_from_leaf_hashes([]) == EMPTY_ROOT == hashlib.sha256(b"").digest()
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert TreeBuilder().root() == EMPTY_ROOT


@pytest.mark.parametrize("size", range(9))
def test_ct_roots(size: int) -> None:
    assert root_from_leaf_hashes(CT_HASHES[:size]) == CT_ROOTS[size]


def test_ct_inclusion_and_consistency_vectors() -> None:
    assert inclusion_proof(0, CT_HASHES) == hexes(
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    )
    assert inclusion_proof(5, CT_HASHES) == hexes(
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    )
    assert consistency_proof(6, CT_HASHES) == hexes(
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    )
    assert consistency_proof(2, CT_HASHES[:5]) == hexes(
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    )
    assert consistency_proof(1, CT_HASHES) == inclusion_proof(0, CT_HASHES)
    assert verify_consistency(6, 8, CT_ROOTS[6], CT_ROOTS[8], consistency_proof(6, CT_HASHES))


def test_leaf_and_node_hash_domain_separation() -> None:
    assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()
    # A two-leaf root is not the leaf hash of the concatenated leaf hashes.
    a, b = leaf_hash(b"a"), leaf_hash(b"b")
    assert root_from_leaf_hashes([a, b]) != leaf_hash(a + b)


# --- Properties over random trees ----------------------------------------------------------------

sizes = st.integers(min_value=1, max_value=300)


@given(size=st.integers(min_value=0, max_value=300))
def test_root_matches_reference_and_builder(size: int) -> None:
    d = leaves(size)
    root = root_from_leaf_hashes(d)
    assert root == ref_mth(d)
    builder = TreeBuilder()
    for h in d:
        builder.append(h)
    assert builder.size == size
    assert builder.root() == root
    assert len(builder.frontier) == size.bit_count()


@settings(max_examples=30, deadline=None)
@given(size=sizes)
def test_every_inclusion_proof_verifies(size: int) -> None:
    d = leaves(size)
    root = root_from_leaf_hashes(d)
    for index in range(size):
        proof = inclusion_proof(index, d)
        assert verify_inclusion(index, size, d[index], proof, root)
    assert inclusion_proof(size - 1, d) == ref_path(size - 1, d)
    assert inclusion_proof(size // 2, d) == ref_path(size // 2, d)


@settings(max_examples=30, deadline=None)
@given(size=sizes)
def test_every_consistency_proof_verifies(size: int) -> None:
    d = leaves(size)
    new_root = root_from_leaf_hashes(d)
    # One builder walk yields every old root in O(n) rather than recomputing each prefix.
    builder = TreeBuilder()
    for old_size in range(1, size + 1):
        builder.append(d[old_size - 1])
        proof = consistency_proof(old_size, d)
        assert verify_consistency(old_size, size, builder.root(), new_root, proof)
    for old_size in {1, size // 2 or 1, size}:
        assert consistency_proof(old_size, d) == ref_subproof(old_size, d, True)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_altered_inclusion_proofs_fail(data: st.DataObject) -> None:
    size = data.draw(st.integers(min_value=2, max_value=300))
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    d = leaves(size)
    root = root_from_leaf_hashes(d)
    proof = inclusion_proof(index, d)
    assert verify_inclusion(index, size, d[index], proof, root)

    position = data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
    altered = [*proof[:position], flip(proof[position]), *proof[position + 1 :]]
    assert not verify_inclusion(index, size, d[index], altered, root)
    other_indexes = st.integers(min_value=0, max_value=size - 1).filter(lambda i: i != index)
    wrong_index = data.draw(other_indexes)
    assert not verify_inclusion(wrong_index, size, d[index], proof, root)
    assert not verify_inclusion(index, size, d[index], proof, flip(root))
    assert not verify_inclusion(index, size, flip(d[index]), proof, root)
    assert not verify_inclusion(index, size, d[index], proof[:-1], root)
    assert not verify_inclusion(index, size, d[index], [*proof, proof[-1]], root)
    # (A wrong tree_size is not always detectable: leaf 0 of 3 and of 4 have the same path shape;
    # the size is bound by the signed root, not the proof.)
    assert not verify_inclusion(index, size * 2 + 1, d[index], proof, root)
    assert not verify_inclusion(index, size, d[index], proof[::-1], root) or len(set(proof)) < 2


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_altered_consistency_proofs_fail(data: st.DataObject) -> None:
    size = data.draw(st.integers(min_value=2, max_value=300))
    old_size = data.draw(st.integers(min_value=1, max_value=size - 1))
    d = leaves(size)
    old_root, new_root = root_from_leaf_hashes(d[:old_size]), root_from_leaf_hashes(d)
    proof = consistency_proof(old_size, d)
    assert verify_consistency(old_size, size, old_root, new_root, proof)

    position = data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
    altered = [*proof[:position], flip(proof[position]), *proof[position + 1 :]]
    assert not verify_consistency(old_size, size, old_root, new_root, altered)
    assert not verify_consistency(old_size, size, flip(old_root), new_root, proof)
    assert not verify_consistency(old_size, size, old_root, flip(new_root), proof)
    assert not verify_consistency(old_size, size, old_root, new_root, proof[:-1])
    assert not verify_consistency(old_size, size, old_root, new_root, [*proof, proof[-1]])
    assert not verify_consistency(old_size, size, old_root, new_root, [])
    wrong_old = data.draw(st.integers(min_value=1, max_value=size).filter(lambda m: m != old_size))
    assert not verify_consistency(wrong_old, size, old_root, new_root, proof)
    assert not verify_consistency(old_size, size * 2 + 1, old_root, new_root, proof)
    assert not verify_consistency(size, old_size, new_root, old_root, proof)


def test_a_rewritten_history_is_not_consistent() -> None:
    d = leaves(20)
    forked = [*d[:7], leaf_hash(b"rewritten"), *d[8:]]
    old_root = root_from_leaf_hashes(d[:10])
    proof = consistency_proof(10, forked)
    assert not verify_consistency(10, 20, old_root, root_from_leaf_hashes(forked), proof)


def test_trivial_consistency() -> None:
    d = leaves(5)
    root = root_from_leaf_hashes(d)
    assert consistency_proof(5, d) == []
    assert verify_consistency(5, 5, root, root, [])
    assert not verify_consistency(5, 5, root, flip(root), [])
    assert not verify_consistency(5, 5, root, root, [root])
    assert consistency_proof(0, d) == []
    assert verify_consistency(0, 5, EMPTY_ROOT, root, [])
    assert not verify_consistency(0, 5, root, root, [])


def test_single_leaf_inclusion() -> None:
    h = leaf_hash(b"only")
    assert inclusion_proof(0, [h]) == []
    assert verify_inclusion(0, 1, h, [], h)
    assert not verify_inclusion(0, 1, h, [h], node_hash(h, h))


@pytest.mark.parametrize(("index", "size"), [(-1, 5), (5, 5), (0, 0), (7, 3)])
def test_bad_indexes(index: int, size: int) -> None:
    d = leaves(size)
    with pytest.raises(MerkleError):
        inclusion_proof(index, d)
    assert not verify_inclusion(index, size, leaf_hash(b"x"), [], root_from_leaf_hashes(d))


@pytest.mark.parametrize(("old_size", "size"), [(-1, 5), (6, 5), (1, 0)])
def test_bad_sizes(old_size: int, size: int) -> None:
    with pytest.raises(MerkleError):
        consistency_proof(old_size, leaves(size))
    assert not verify_consistency(old_size, size, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT])
    assert issubclass(MerkleError, ValueError)


def test_tree_builder_resumes_from_its_frontier() -> None:
    d = leaves(100)
    builder = TreeBuilder()
    for h in d[:37]:
        builder.append(h)
    resumed = TreeBuilder(builder.size, builder.frontier)
    for h in d[37:]:
        resumed.append(h)
    assert resumed.root() == root_from_leaf_hashes(d)
    with pytest.raises(MerkleError):
        TreeBuilder(37, builder.frontier[:-1])
    with pytest.raises(MerkleError):
        TreeBuilder(-1, [])


def test_large_tree_is_linear() -> None:
    # Not a benchmark: would time out or blow the stack if root computation were quadratic or
    # recursive over the leaf list.
    d = [leaf_hash(i.to_bytes(4, "big")) for i in range(200_000)]
    builder = TreeBuilder()
    for h in d:
        builder.append(h)
    assert root_from_leaf_hashes(d) == builder.root()
