"""Properties: every proof verifies, any flipped byte fails; notes fail closed."""

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from orcon.errors import VerificationError
from orcon.ledger import (
    MerkleTree,
    Signer,
    leaf_hash,
    open_note,
    sign_note,
    verify_consistency,
    verify_inclusion,
)

entries = st.lists(st.binary(max_size=16), min_size=1, max_size=70)


def _flip(proof, which, bit):
    bad = [bytearray(p) for p in proof]
    bad[which % len(bad)][bit % 32] ^= 1 << (bit % 8)
    return [bytes(p) for p in bad]


@given(entries, st.data())
@settings(max_examples=150, deadline=None)
def test_every_inclusion_proof_verifies_and_any_flip_fails(items, data):
    tree = MerkleTree()
    for x in items:
        tree.append(x)
    size = data.draw(st.integers(1, tree.size))
    index = data.draw(st.integers(0, size - 1))
    proof = tree.inclusion_proof(index, size)
    assert len(proof) <= (size - 1).bit_length()
    root = tree.root(size)
    verify_inclusion(index, size, leaf_hash(items[index]), proof, root)
    if proof:
        bad = _flip(proof, data.draw(st.integers(0, 99)), data.draw(st.integers(0, 255)))
        with pytest.raises(VerificationError):
            verify_inclusion(index, size, leaf_hash(items[index]), bad, root)
    with pytest.raises(VerificationError):
        verify_inclusion(index, size, leaf_hash(items[index] + b"x"), proof, root)


@given(entries, st.data())
@settings(max_examples=150, deadline=None)
def test_every_consistency_proof_verifies_and_any_flip_fails(items, data):
    tree = MerkleTree([leaf_hash(x) for x in items])
    new = data.draw(st.integers(1, tree.size))
    old = data.draw(st.integers(1, new))
    proof = tree.consistency_proof(old, new)
    assert len(proof) <= (new - 1).bit_length() + 1
    verify_consistency(old, new, proof, tree.root(old), tree.root(new))
    if proof:
        bad = _flip(proof, data.draw(st.integers(0, 99)), data.draw(st.integers(0, 255)))
        with pytest.raises(VerificationError):
            verify_consistency(old, new, bad, tree.root(old), tree.root(new))


@given(st.lists(st.binary(max_size=8), min_size=2, max_size=40), st.data())
@settings(max_examples=80, deadline=None)
def test_a_rewritten_history_is_not_consistent(items, data):
    """A fork (any earlier entry changed) can never be proved consistent with the original."""
    tree = MerkleTree([leaf_hash(x) for x in items])
    i = data.draw(st.integers(0, len(items) - 2))
    forked = list(items)
    forked[i] = forked[i] + b"!"
    fork = MerkleTree([leaf_hash(x) for x in forked])
    old = data.draw(st.integers(i + 1, len(items) - 1))
    with pytest.raises(VerificationError):
        verify_consistency(old, fork.size, fork.consistency_proof(old), tree.root(old), fork.root())


def test_note_fails_closed():
    a = Signer("orcon.example/a", Ed25519PrivateKey.generate())
    b = Signer("orcon.example/b", Ed25519PrivateKey.generate())
    note = sign_note("hello\n", [a])
    assert open_note(note, [a.verifier, b.verifier]) == "hello\n"
    with pytest.raises(VerificationError, match="no signature by a known key"):
        open_note(note, [b.verifier])
    with pytest.raises(VerificationError):
        open_note(note.replace("hello", "hellO"), [a.verifier])
    with pytest.raises(VerificationError):
        open_note("hello\n", [a.verifier])
    # A second, forged signature line under a known name and ID rejects the note.
    forged = note + note.splitlines()[-1][:-6] + "AAAAAA==\n"
    with pytest.raises(VerificationError):
        open_note(forged, [a.verifier])
