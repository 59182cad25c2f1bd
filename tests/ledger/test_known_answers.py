"""Known-answer tests: RFC 6962/9162 vectors and the Go signed-note example."""

import json
from pathlib import Path

import pytest

from orcon.errors import VerificationError
from orcon.ledger import (
    EMPTY_ROOT,
    Checkpoint,
    MerkleTree,
    Signer,
    Verifier,
    leaf_hash,
    open_note,
    sign_note,
    verify_consistency,
    verify_inclusion,
)

V = json.loads((Path(__file__).parent / "data" / "rfc6962_vectors.json").read_text())
LEAVES = [bytes.fromhex(x) for x in V["leaves_hex"]]
ROOTS = [bytes.fromhex(x) for x in V["roots_hex"]]


def test_empty_tree_root_is_sha256_of_nothing():
    assert MerkleTree().root() == EMPTY_ROOT
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_roots_of_every_prefix_match_the_reference():
    tree = MerkleTree()
    for i, leaf in enumerate(LEAVES):
        tree.append(leaf)
        assert tree.root() == ROOTS[i]
    assert [tree.root(n) for n in range(1, 9)] == ROOTS


@pytest.mark.parametrize("case", V["inclusion"])
def test_inclusion_vectors(case):
    tree = MerkleTree([leaf_hash(x) for x in LEAVES])
    proof = [bytes.fromhex(x) for x in case["proof_hex"]]
    assert tree.inclusion_proof(case["index"], case["size"]) == proof
    root = ROOTS[case["size"] - 1]
    verify_inclusion(case["index"], case["size"], leaf_hash(LEAVES[case["index"]]), proof, root)
    with pytest.raises(VerificationError):
        verify_inclusion(
            case["index"] - 1, case["size"], leaf_hash(LEAVES[case["index"]]), proof, root
        )


@pytest.mark.parametrize("case", V["consistency"])
def test_consistency_vectors(case):
    tree = MerkleTree([leaf_hash(x) for x in LEAVES])
    proof = [bytes.fromhex(x) for x in case["proof_hex"]]
    assert tree.consistency_proof(case["old"], case["new"]) == proof
    verify_consistency(
        case["old"], case["new"], proof, ROOTS[case["old"] - 1], ROOTS[case["new"] - 1]
    )
    with pytest.raises(VerificationError):
        verify_consistency(
            case["old"], case["new"], proof, ROOTS[case["old"] - 2], ROOTS[case["new"] - 1]
        )


def test_go_signed_note_is_reproduced_byte_for_byte_and_opens():
    g = V["go_note"]
    signer = Signer.from_skey(g["skey"])
    assert signer.verifier.vkey == g["vkey"]
    note = sign_note(g["text"], [signer])
    assert note == g["text"] + "\n" + g["signature_line"]
    assert open_note(note, [Verifier.from_vkey(g["vkey"])]) == g["text"]
    with pytest.raises(VerificationError, match="does not verify"):
        open_note(note.replace("cryptography", "cryptographY"), [Verifier.from_vkey(g["vkey"])])


def test_checkpoint_round_trips_byte_for_byte():
    cp = Checkpoint("orcon.example/ledger", 8, ROOTS[7], ("extension line",))
    text = cp.to_text()
    assert text.splitlines()[:2] == ["orcon.example/ledger", "8"]
    assert Checkpoint.from_text(text) == cp
    assert Checkpoint.from_text(text).to_text() == text


@pytest.mark.parametrize(
    "text",
    [
        "origin\n08\nXcnaeacGWamtVZy3Ad7Zoqudgjqt" + "L0lgz+Nw7/RgQyg=\n",  # leading zero
        "origin\n8\nnot base64!\n",
        "origin\n8\n" + "AAAA\n",  # wrong length
        "origin\n8\n",  # missing root
        "origin\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=",  # no final newline
        "\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",  # empty origin
    ],
)
def test_non_canonical_checkpoints_are_rejected(text):
    with pytest.raises(VerificationError):
        Checkpoint.from_text(text)
