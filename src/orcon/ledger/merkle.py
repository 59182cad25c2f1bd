"""RFC 9162 Merkle tree hashing, inclusion and consistency proofs.

Hashing (RFC 9162 §2.1.1): a leaf is SHA-256(0x00 || entry), an interior node
SHA-256(0x01 || left || right); the tree over n entries splits at the largest
power of two smaller than n. Prefixes keep leaves and nodes from ever colliding
(second-preimage protection).

:class:`MerkleTree` keeps every *perfect* subtree hash (the same hashes C2SP
tlog-tiles serve), so any root, inclusion proof or consistency proof needs
O(log n) lookups and at most ⌈log₂ n⌉ hashes. Verifiers transcribe the
algorithms of §2.1.3.2 and §2.1.4.2 and raise :class:`VerificationError`;
they never return a boolean.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import NewType

from orcon.errors import UsageError, VerificationError

Hash = NewType("Hash", bytes)
HASH_SIZE = 32
EMPTY_ROOT = Hash(hashlib.sha256(b"").digest())


def leaf_hash(entry: bytes) -> Hash:
    return Hash(hashlib.sha256(b"\x00" + entry).digest())


def node_hash(left: bytes, right: bytes) -> Hash:
    return Hash(hashlib.sha256(b"\x01" + left + right).digest())


def _split(n: int) -> int:
    """Largest power of two strictly smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class MerkleTree:
    """An append-only in-memory tree of leaf hashes with all perfect subtrees cached."""

    __slots__ = ("_levels",)

    def __init__(self, leaf_hashes: Sequence[bytes] = ()) -> None:
        self._levels: list[list[bytes]] = [[]]
        for h in leaf_hashes:
            self.append_hash(h)

    @property
    def size(self) -> int:
        return len(self._levels[0])

    def append(self, entry: bytes) -> int:
        """Append an entry; return its index."""
        return self.append_hash(leaf_hash(entry))

    def append_hash(self, leaf: bytes) -> int:
        if len(leaf) != HASH_SIZE:
            raise UsageError(f"a leaf hash has {HASH_SIZE} bytes, got {len(leaf)}")
        levels = self._levels
        index = len(levels[0])
        levels[0].append(leaf)
        level, i = 0, index
        while i & 1:
            if len(levels) == level + 1:
                levels.append([])
            row = levels[level]
            levels[level + 1].append(node_hash(row[i - 1], row[i]))
            level, i = level + 1, i >> 1
        return index

    def leaf(self, index: int) -> Hash:
        return Hash(self._levels[0][index])

    def subtree(self, start: int, end: int) -> Hash:
        """MTH of leaves [start, end) (RFC 9162 §2.1.1)."""
        n = end - start
        if n == 0:
            return EMPTY_ROOT
        if n & (n - 1) == 0 and start % n == 0:
            return Hash(self._levels[n.bit_length() - 1][start // n])
        k = _split(n)
        return node_hash(self.subtree(start, start + k), self.subtree(start + k, end))

    def _check(self, size: int) -> None:
        if not 0 <= size <= self.size:
            raise UsageError(f"tree size {size} is outside 0..{self.size}")

    def root(self, size: int | None = None) -> Hash:
        size = self.size if size is None else size
        self._check(size)
        return self.subtree(0, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[Hash]:
        """PATH(index, D[0:size]) of RFC 9162 §2.1.3.1, leaf-side hash first."""
        size = self.size if size is None else size
        self._check(size)
        if not 0 <= index < size:
            raise UsageError(f"leaf index {index} is outside a tree of size {size}")
        path: list[Hash] = []
        start, end, m = 0, size, index
        while end - start > 1:
            k = _split(end - start)
            if m < k:
                path.append(self.subtree(start + k, end))
                end = start + k
            else:
                path.append(self.subtree(start, start + k))
                start, m = start + k, m - k
        path.reverse()
        return path

    def consistency_proof(self, old: int, new: int | None = None) -> list[Hash]:
        """PROOF(old, D[0:new]) of RFC 9162 §2.1.4.1."""
        new = self.size if new is None else new
        self._check(new)
        if not 0 <= old <= new:
            raise UsageError(f"old size {old} is outside 0..{new}")
        if old in (0, new):
            return []
        path: list[Hash] = []
        start, end, m, whole = 0, new, old, True
        while m != end - start:
            k = _split(end - start)
            if m <= k:
                path.append(self.subtree(start + k, end))
                end = start + k
            else:
                path.append(self.subtree(start, start + k))
                start, m, whole = start + k, m - k, False
        if not whole:
            path.append(self.subtree(start, end))
        path.reverse()
        return path


def _check_hash(name: str, value: bytes) -> None:
    if len(value) != HASH_SIZE:
        raise VerificationError(f"{name} must be {HASH_SIZE} bytes, got {len(value)}")


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """RFC 9162 §2.1.3.2: raise VerificationError unless ``leaf`` is at ``index`` under ``root``."""
    _check_hash("leaf hash", leaf)
    _check_hash("root hash", root)
    if not 0 <= index < size:
        raise VerificationError(f"leaf index {index} is outside a tree of size {size}")
    fn, sn, r = index, size - 1, bytes(leaf)
    for p in proof:
        _check_hash("proof hash", p)
        if sn == 0:
            raise VerificationError("inclusion proof is longer than the tree allows")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise VerificationError("inclusion proof is shorter than the tree requires")
    if r != root:
        raise VerificationError(f"inclusion proof for leaf {index} does not lead to the root")


def verify_consistency(
    old: int, new: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> None:
    """RFC 9162 §2.1.4.2: raise VerificationError unless tree ``old`` prefixes tree ``new``."""
    _check_hash("old root", old_root)
    _check_hash("new root", new_root)
    if not 0 <= old <= new:
        raise VerificationError(f"sizes {old} and {new} are not in order")
    if old == new:
        if proof or old_root != new_root:
            raise VerificationError("equal sizes need an empty proof and equal roots")
        return
    if old == 0:
        if proof:
            raise VerificationError("a proof from the empty tree must be empty")
        return
    if not proof:
        raise VerificationError("consistency proof is empty")
    for p in proof:
        _check_hash("proof hash", p)
    path = list(proof)
    if old & (old - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise VerificationError("consistency proof is longer than the trees allow")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise VerificationError("consistency proof is shorter than the trees require")
    if fr != old_root:
        raise VerificationError(f"consistency proof does not reproduce the root of size {old}")
    if sr != new_root:
        raise VerificationError(f"consistency proof does not reproduce the root of size {new}")


class Frontier:
    """The right edge of a tree: the perfect subtrees that make up its size (RFC 9162 §2.1.1).

    Enough to append leaves and compute the root without the earlier leaves, so a
    checkpoint after each transaction costs O(log n), not O(n).
    """

    __slots__ = ("_nodes", "size")

    def __init__(self, size: int = 0, nodes: Sequence[bytes] = ()) -> None:
        if bin(size).count("1") != len(nodes):
            raise VerificationError(f"a frontier of size {size} has {bin(size).count('1')} nodes")
        self.size = size
        self._nodes = [bytes(n) for n in nodes]

    @property
    def nodes(self) -> list[bytes]:
        return list(self._nodes)

    def append_hash(self, leaf: bytes) -> None:
        self._nodes.append(bytes(leaf))
        index = self.size
        while index & 1:
            right = self._nodes.pop()
            self._nodes[-1] = node_hash(self._nodes[-1], right)
            index >>= 1
        self.size += 1

    def root(self) -> Hash:
        if not self._nodes:
            return EMPTY_ROOT
        acc = self._nodes[-1]
        for left in reversed(self._nodes[:-1]):
            acc = node_hash(left, acc)
        return Hash(acc)
