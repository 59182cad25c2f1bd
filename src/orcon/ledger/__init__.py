"""Tamper-evident ledger. This package holds the pure core: the RFC 9162 Merkle
tree and proofs (:mod:`.merkle`), C2SP signed notes (:mod:`.note`) and
checkpoints (:mod:`.checkpoint`). Storage and HTTP tiles sit in later layers.
"""

from orcon.ledger.checkpoint import Checkpoint
from orcon.ledger.merkle import (
    EMPTY_ROOT,
    Hash,
    MerkleTree,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)
from orcon.ledger.note import Signer, Verifier, open_note, sign_note

__all__ = [
    "EMPTY_ROOT",
    "Checkpoint",
    "Hash",
    "MerkleTree",
    "Signer",
    "Verifier",
    "leaf_hash",
    "node_hash",
    "open_note",
    "sign_note",
    "verify_consistency",
    "verify_inclusion",
]
