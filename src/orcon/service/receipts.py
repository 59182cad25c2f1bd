"""Receipts: a self-contained, offline-verifiable proof that one ledger event was recorded.

A receipt carries the event's canonical JSON, its index, an RFC 9162 inclusion
proof and the signed checkpoint (C2SP signed note) the proof leads to. Anyone
with the instance's verifier key can check it with :func:`verify_receipt`, no
account and no network needed.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from orcon.errors import UsageError, VerificationError
from orcon.ledger.checkpoint import Checkpoint
from orcon.ledger.merkle import MerkleTree, leaf_hash, verify_inclusion
from orcon.ledger.note import Verifier, open_note
from orcon.service.instance import Instance
from orcon.store.ledger import EventKind
from orcon.store.limits import ROW_MAX
from orcon.store.models import LedgerCheckpoint, LedgerEntry


def receipt(inst: Instance, seq: int) -> dict[str, Any]:
    if not 0 <= seq <= ROW_MAX:
        raise UsageError(f"there is no ledger entry {seq}")
    with inst.reading() as s:
        row = s.scalars(
            select(LedgerCheckpoint).order_by(LedgerCheckpoint.size.desc()).limit(1)
        ).first()
        entry = s.get(LedgerEntry, seq)
        if entry is None:
            size = s.scalar(select(func.count()).select_from(LedgerEntry)) or 0
            held = f"entries 0 to {size - 1}" if size else "no entries"
            raise UsageError(f"there is no ledger entry {seq}: the ledger holds {held}")
        if row is None or seq >= row.size:
            raise UsageError(f"ledger entry {seq} is not covered by a checkpoint yet")
        leaves = s.scalars(
            select(LedgerEntry.leaf_hash)
            .where(LedgerEntry.seq < row.size)
            .order_by(LedgerEntry.seq)
        ).all()
    tree = MerkleTree([bytes(h) for h in leaves])
    return {
        "format": "orcon-receipt/1",
        "event": entry.body,
        "index": seq,
        "tree_size": row.size,
        "proof": [h.hex() for h in tree.inclusion_proof(seq, row.size)],
        "checkpoint": row.note,
        "verifier_key": inst.verifier.vkey,
    }


def for_copy(inst: Instance, item_id: str, email: str) -> dict[str, Any]:
    """The receipt of the last copy of an item issued to a person: what a recipient keeps
    to show which copy they were given, when and under which markings (its SHA-256 is in
    the event), whoever asks later."""
    with inst.reading() as s:
        rows = s.execute(
            select(LedgerEntry.seq, LedgerEntry.body)
            .where(
                LedgerEntry.kind == EventKind.COPY_ISSUED.value,
                LedgerEntry.body.contains(f'"item":{json.dumps(item_id)}', autoescape=True),
            )
            .order_by(LedgerEntry.seq.desc())
        ).all()
    for seq, body in rows:
        event = json.loads(body)
        if event.get("item") == item_id and event.get("person") == email:
            return receipt(inst, seq)
    raise UsageError(f"{email} has not been issued a copy of {item_id}")


def verify_receipt(rec: dict[str, Any], vkey: str) -> Checkpoint:
    """Raise VerificationError unless the receipt proves its event under a checkpoint by vkey."""
    try:
        cp = Checkpoint.from_text(open_note(rec["checkpoint"], [Verifier.from_vkey(vkey)]))
        proof = [bytes.fromhex(h) for h in rec["proof"]]
        index, size, event = int(rec["index"]), int(rec["tree_size"]), str(rec["event"])
    except (KeyError, ValueError, TypeError) as err:
        raise VerificationError(f"malformed receipt: {err}") from None
    if cp.size != size:
        raise VerificationError("the receipt's tree size does not match its checkpoint")
    verify_inclusion(index, size, leaf_hash(event.encode()), proof, cp.root)
    return cp
