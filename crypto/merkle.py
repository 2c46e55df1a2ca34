"""RFC 9162 (Certificate Transparency v2) Merkle tree hashing and proofs, with SHA-256.

Proof generation raises MerkleError for impossible sizes or indexes (a caller bug); verification
takes untrusted input and only ever answers True or False.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()
_sha256 = hashlib.sha256


class MerkleError(ValueError):
    """An index or tree size is out of range."""


LEAF_PREFIX = b"\x00"


def leaf_hash(data: bytes) -> bytes:
    """Return the leaf hash H(0x00 || data)."""
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the interior node hash H(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """Return k, the largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _subtree_root(leaf_hashes: Sequence[bytes], start: int, end: int) -> bytes:
    """Return MTH(D[start:end]) by hashing level by level, in O(end - start)."""
    if start == end:
        return EMPTY_ROOT
    level = list(leaf_hashes[start:end])
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        # A lone node at the end of a level is promoted unchanged: that is exactly RFC 9162's
        # split at the largest power of two, computed bottom-up.
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def root_from_leaf_hashes(leaf_hashes: Sequence[bytes]) -> bytes:
    """Return the Merkle tree hash MTH(D[n]) (RFC 9162 2.1.1); SHA-256("") for an empty tree."""
    return _subtree_root(leaf_hashes, 0, len(leaf_hashes))


SubtreeRoot = Callable[[int, int], bytes]
"""MTH(D[start:end]) for a range the proof needs; lets a log serve proofs from stored nodes."""


def inclusion_proof(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """Return the inclusion proof PATH(index, D[n]) (RFC 9162 2.1.3.1), deepest sibling first."""
    return inclusion_proof_from(
        index, len(leaf_hashes), lambda start, end: _subtree_root(leaf_hashes, start, end)
    )


def inclusion_proof_from(index: int, tree_size: int, subtree_root: SubtreeRoot) -> list[bytes]:
    """PATH(index, D[tree_size]) asking `subtree_root` only for the sibling subtrees it needs.

    Every range asked for starts at a multiple of a power of two at least as large as the range,
    so a store of perfect-subtree hashes can answer it in O(log n) lookups.
    """
    n = tree_size
    if not 0 <= index < n:
        raise MerkleError(f"leaf index {index} out of range for tree size {n}")
    # Walk down from the root, noting the sibling subtree at each split; the RFC lists them
    # bottom-up, so reverse at the end. Sibling subtrees are disjoint, so the total is O(n).
    start, end, m = 0, n, index
    siblings: list[bytes] = []
    while end - start > 1:
        k = _split(end - start)
        if m < k:
            siblings.append(subtree_root(start + k, end))
            end = start + k
        else:
            siblings.append(subtree_root(start, start + k))
            start, m = start + k, m - k
    siblings.reverse()
    return siblings


def verify_inclusion(
    index: int, tree_size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """Return True iff proof puts leaf_hash at index in tree (tree_size, root); RFC 9162 2.1.3.2.

    tree_size is bound only through root: a proof may also check out against a smaller or larger
    size with the same path shape, so trust (tree_size, root) only from a signed tree head.
    """
    if not 0 <= index < tree_size:
        return False
    fn, sn = index, tree_size - 1
    r = leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def consistency_proof(old_size: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """Return the consistency proof PROOF(old_size, D[n]) (RFC 9162 2.1.4.1).

    Empty when old_size is 0 or n: those trees are consistent with any later tree without proof.
    """
    return consistency_proof_from(
        old_size, len(leaf_hashes), lambda start, end: _subtree_root(leaf_hashes, start, end)
    )


def consistency_proof_from(old_size: int, tree_size: int, subtree_root: SubtreeRoot) -> list[bytes]:
    """PROOF(old_size, D[tree_size]) asking `subtree_root` only for the subtrees it needs."""
    n = tree_size
    if not 0 <= old_size <= n:
        raise MerkleError(f"old size {old_size} out of range for tree size {n}")
    if old_size in (0, n):
        return []
    # SUBPROOF(m, D[start:end], complete), unrolled: each step appends one sibling subtree root.
    start, end, m, complete = 0, n, old_size, True
    proof: list[bytes] = []
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            proof.append(subtree_root(start + k, end))
            end = start + k
        else:
            proof.append(subtree_root(start, start + k))
            start, m, complete = start + k, m - k, False
    if not complete:
        # The old tree's boundary is an inner node the verifier cannot compute alone.
        proof.append(subtree_root(start, end))
    proof.reverse()
    return proof


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Return True iff proof shows tree (old_size, old_root) is a prefix of (new_size, new_root).

    Follows RFC 9162 2.1.4.2; equal sizes need an empty proof and equal roots, and an empty old
    tree needs an empty proof and the empty root.
    """
    if not 0 <= old_size <= new_size:
        return False
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if old_size == new_size:
        return not proof and old_root == new_root
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # an exact power of two: the old root is a subtree
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0


class TreeBuilder:
    """Append-only tree state in O(log n): the roots of the perfect subtrees covering the leaves.

    Lets a log append leaves and compute its root without re-reading earlier leaves. Persist
    `size` and `frontier` and pass them back to resume.
    """

    __slots__ = ("_frontier", "_size")

    def __init__(self, size: int = 0, frontier: Sequence[bytes] = ()) -> None:
        # One subtree root per set bit of size, largest (leftmost) first.
        if size < 0 or len(frontier) != size.bit_count():
            raise MerkleError(f"a frontier for size {size} has {size.bit_count()} hashes")
        self._size = size
        self._frontier = list(frontier)

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return self._size

    @property
    def frontier(self) -> tuple[bytes, ...]:
        """The perfect-subtree roots, largest first; with size, all the state there is."""
        return tuple(self._frontier)

    def append(self, leaf_hash: bytes) -> None:
        """Append one leaf hash."""
        node = leaf_hash
        size = self._size
        frontier = self._frontier
        # Each trailing 1 bit of the old size is a subtree of the same height as `node`: merge.
        # (node_hash inlined: this loop is most of what verifying a million entries costs.)
        while size & 1:
            node = _sha256(b"\x01" + frontier.pop() + node).digest()
            size >>= 1
        frontier.append(node)
        self._size += 1

    def root(self) -> bytes:
        """Return the current tree head MTH(D[size])."""
        if not self._frontier:
            return EMPTY_ROOT
        node = self._frontier[-1]
        for left in reversed(self._frontier[:-1]):
            node = node_hash(left, node)
        return node
