"""The ledger as a public transparency log: tiles, signed checkpoints, witnesses, receipts.

Serving is read-only. Hash tiles and checkpoints are public; entry bundles need an
account, and a partner's account reads in them only the events that concern its
organisation (``policy.partner_may_read``), the others withheld. Witnesses are partners' processes
that fetch the log through its tiles, check that it only ever grew (no fork,
no rollback) since the last checkpoint they cosigned, and cosign; the instance
stores cosignatures from witnesses it trusts and serves them with the checkpoint.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select

from orcon.errors import PolicyDenied, UsageError, VerificationError
from orcon.ledger.merkle import MerkleTree
from orcon.ledger.note import COSIGNATURE_V1, parse_vkey, split_note, verify_cosignature
from orcon.ledger.tiles import WITHHELD, bundle, hash_tile, parse_tile_path
from orcon.policy import partner_may_read
from orcon.service import directory
from orcon.service.instance import Instance
from orcon.store.models import Cosignature, LedgerCheckpoint, LedgerEntry, Witness


@dataclass(slots=True)
class _Snapshot:
    tree: MerkleTree
    size: int


def _latest(inst: Instance) -> LedgerCheckpoint:
    with inst.reading() as s:
        row = s.scalars(
            select(LedgerCheckpoint).order_by(LedgerCheckpoint.size.desc()).limit(1)
        ).first()
    if row is None:
        raise UsageError("the ledger has no checkpoint yet")
    return row


def tree(inst: Instance, size: int, root: bytes | None = None) -> MerkleTree:
    """The tree up to ``size`` entries, cached and extended incrementally.

    With ``root`` (the signed checkpoint's), a cache that disagrees with the
    database is thrown away and rebuilt: we serve exactly what was signed.
    """
    snap: _Snapshot | None = inst.cache.get("ledger-tree", "ledger")
    if snap is not None and root is not None and snap.size >= size and snap.tree.root(size) != root:
        snap = None
    if snap is None:
        snap = inst.cache.put("ledger-tree", "ledger", _Snapshot(MerkleTree(), 0))
    if snap.size < size:
        with inst.reading() as s:
            for h in s.scalars(
                select(LedgerEntry.leaf_hash)
                .where(LedgerEntry.seq >= snap.size, LedgerEntry.seq < size)
                .order_by(LedgerEntry.seq)
            ):
                snap.tree.append_hash(bytes(h))
        snap.size = snap.tree.size
    if snap.size < size:
        raise VerificationError(f"the ledger has {snap.size} entries, the checkpoint {size}")
    if root is not None and snap.tree.root(size) != root:
        inst.cache.drop("ledger-tree")
        raise VerificationError("the stored ledger does not match its latest signed checkpoint")
    return snap.tree


def tile(inst: Instance, path: str, partner: str | None = None) -> bytes:
    """A hash tile or entry bundle of the published (checkpointed) tree; ``partner``
    (an organisation's name) withholds from the bundle what does not concern it."""
    ref = parse_tile_path(path)
    latest = _latest(inst)
    size = latest.size
    if ref.level is None:
        start = ref.index * 256
        if start + ref.width > size:
            raise UsageError("that entry bundle lies beyond the published tree")
        with inst.reading() as s:
            bodies = s.scalars(
                select(LedgerEntry.body)
                .where(LedgerEntry.seq >= start, LedgerEntry.seq < start + ref.width)
                .order_by(LedgerEntry.seq)
            ).all()
        if partner is None:
            return bundle([b.encode() for b in bodies])
        people = frozenset(p.email for p in directory.list_people(inst, partner))
        return bundle(
            [
                b.encode() if partner_may_read(json.loads(b), partner, people) else WITHHELD
                for b in bodies
            ]
        )
    return hash_tile(tree(inst, size, bytes(latest.root)), ref, size)


def checkpoint_note(inst: Instance) -> str:
    """The latest signed checkpoint with the cosignatures of trusted witnesses."""
    row = _latest(inst)
    with inst.reading() as s:
        lines = s.scalars(
            select(Cosignature.line)
            .where(Cosignature.size == row.size)
            .order_by(Cosignature.witness)
        ).all()
    return row.note + "".join(lines)


def trust_witness(inst: Instance, vkey: str) -> str:
    """Trust a partner's witness (an Ed25519 cosignature/v1 vkey, type 0x04)."""
    name, _, _ = parse_vkey(vkey, COSIGNATURE_V1)
    with inst.transaction() as s:
        if s.get(Witness, name) is not None:
            raise UsageError(f"witness {name} is already trusted")
        s.add(Witness(name=name, vkey=vkey, created_at=inst.clock()))
    return name


def add_cosignature(inst: Instance, size: int, line: str) -> str:
    """Store a trusted witness's cosignature of the checkpoint at ``size``."""
    if not line.endswith("\n"):
        line += "\n"
    name = line.removeprefix("\u2014 ").split(" ", 1)[0]
    with inst.transaction() as s:
        w = s.get(Witness, name)
        if w is None:
            raise PolicyDenied(f"{name!r} is not a trusted witness of this instance")
        row = s.get(LedgerCheckpoint, size)
        if row is None:
            raise UsageError(f"no checkpoint of size {size}")
        text, _ = split_note(row.note)
        ts = verify_cosignature(text, line, w.vkey)
        s.merge(
            Cosignature(size=size, witness=name, line=line, timestamp=ts, created_at=inst.clock())
        )
    return name
