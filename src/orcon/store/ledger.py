"""The ledger in the database: events appended in the caller's transaction.

Every security-relevant action calls :func:`append` inside the same transaction
that performs it, so an action and its record commit together or not at all.
Each event's body is canonical JSON (sorted keys, no spaces, UTF-8) that
carries its own sequence number, so entries cannot be reordered. At the end of
every transaction :func:`seal` signs a C2SP checkpoint over the new tree size;
the tree's right edge (frontier) is stored with it so sealing costs O(log n).

:func:`verify` recomputes everything from the stored events and raises
:class:`VerificationError` naming the first bad entry — or, when an attacker
rewrote entries and their hashes consistently, the first signed checkpoint
that no longer matches and the range of entries it covers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from orcon.errors import VerificationError
from orcon.ledger.checkpoint import Checkpoint
from orcon.ledger.merkle import Frontier, MerkleTree, leaf_hash
from orcon.ledger.note import Signer, Verifier, open_note, sign_note
from orcon.store.models import LedgerCheckpoint, LedgerEntry

_LOCK_KEY = 0x0C0A  # PostgreSQL advisory lock serialising appends


class EventKind(StrEnum):
    INSTANCE_CREATED = "instance.created"
    ORG_ADDED = "org.added"
    PERSON_ADDED = "person.added"
    ITEM_SHARED = "item.shared"
    COPY_ISSUED = "copy.issued"
    ACCESS_DENIED = "access.denied"
    ORG_HALTED = "org.halted"
    ORG_RESUMED = "org.resumed"
    ONWARD_REQUESTED = "onward.requested"
    ONWARD_APPROVED = "onward.approved"
    ONWARD_REFUSED = "onward.refused"
    TRACE_RUN = "trace.run"
    LOGIN = "login"
    LOGIN_FAILED = "login.failed"
    TOKEN_CREATED = "token.created"
    TOKENS_REVOKED = "tokens.revoked"
    PASSWORD_SET = "password.set"
    PERSON_SUSPENDED = "person.suspended"
    PERSON_REINSTATED = "person.reinstated"
    ITEM_WITHDRAWN = "item.withdrawn"
    ITEM_REINSTATED = "item.reinstated"
    ITEM_REMARKED = "item.remarked"
    NOTICE_SENT = "notice.sent"
    MAIL_DROPPED = "mail.dropped"
    KEY_ROTATED = "key.rotated"
    WATCH_SOURCE_ADDED = "watch.source.added"
    WATCH_SOURCE_REMOVED = "watch.source.removed"
    FACT_REGISTERED = "fact.registered"
    FACT_REMOVED = "fact.removed"
    WATCH_ALERT = "watch.alert"
    BACKUP_TAKEN = "backup.taken"
    INSTANCE_RESTORED = "instance.restored"
    SETTINGS_CHANGED = "settings.changed"


def canonical_json(obj: Mapping[str, Any]) -> str:
    """Sorted keys, no insignificant whitespace, UTF-8; floats are not allowed (use strings)."""

    def check(v: Any) -> None:
        if isinstance(v, float):
            raise TypeError("ledger events carry no floats; encode them as strings")
        if isinstance(v, Mapping):
            for x in v.values():
                check(x)
        elif isinstance(v, list | tuple):
            for x in v:
                check(x)

    check(obj)
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


_ENCODE = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def iso(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def lock(session: Session) -> None:
    """Serialise ledger writers for the rest of this transaction (PostgreSQL advisory lock;
    SQLite writers already hold the database with BEGIN IMMEDIATE)."""
    _lock(session)


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})


def append(session: Session, kind: EventKind, payload: Mapping[str, Any], now: datetime) -> int:
    """Append one event in the caller's transaction; return its sequence number."""
    return append_many(session, [(kind, payload)], now)[0]


def append_many(
    session: Session, events: Sequence[tuple[EventKind, Mapping[str, Any]]], now: datetime
) -> list[int]:
    _lock(session)
    start = session.scalar(select(func.coalesce(func.max(LedgerEntry.seq) + 1, 0))) or 0
    rows = []
    for i, (kind, payload) in enumerate(events):
        seq = start + i
        body = canonical_json({**payload, "seq": seq, "kind": str(kind), "time": iso(now)})
        rows.append(
            {
                "seq": seq,
                "kind": str(kind),
                "body": body,
                "leaf_hash": leaf_hash(body.encode()),
                "created_at": now,
            }
        )
    if rows:
        session.execute(insert(LedgerEntry), rows)
    return [start + i for i in range(len(rows))]


@dataclass(frozen=True, slots=True)
class Sealed:
    size: int
    root: bytes
    note: str


def seal(session: Session, signer: Signer, origin: str, now: datetime) -> Sealed | None:
    """Sign a checkpoint over everything appended so far (call last in a transaction)."""
    _lock(session)
    last = session.scalars(
        select(LedgerCheckpoint).order_by(LedgerCheckpoint.size.desc()).limit(1)
    ).first()
    frontier = Frontier()
    if last is not None:
        ext = [
            e for e in last.note.split("\n\n", 1)[0].split("\n")[3:] if e.startswith("frontier ")
        ]
        nodes = (
            [bytes.fromhex(x) for x in ext[0][len("frontier ") :].split(",") if x] if ext else []
        )
        frontier = Frontier(last.size, nodes)
    new = (
        session.execute(
            select(LedgerEntry.leaf_hash)
            .where(LedgerEntry.seq >= frontier.size)
            .order_by(LedgerEntry.seq)
        )
        .scalars()
        .all()
    )
    if not new and last is not None:
        return None
    for h in new:
        frontier.append_hash(h)
    cp = Checkpoint(
        origin,
        frontier.size,
        frontier.root(),
        ("frontier " + ",".join(n.hex() for n in frontier.nodes),),
    )
    note = sign_note(cp.to_text(), [signer])
    session.add(LedgerCheckpoint(size=cp.size, root=cp.root, note=note, created_at=now))
    return Sealed(cp.size, cp.root, note)


@dataclass(frozen=True, slots=True)
class LogReport:
    entries: int
    checkpoints: int
    root: bytes


class KeyChain:
    """Which ledger key may sign a checkpoint of a given size, from the log itself.

    The root is the key in the first event (instance.created), which must be the
    pinned key; every key.rotated event names the next key and is sealed by the
    previous one. A checkpoint of size s may be signed by the key in effect just
    before or just after entry s-1 (a rotation's own checkpoint uses the old key).
    """

    def __init__(self, root: str) -> None:
        self.keys: list[str] = [root]
        self.changes: list[int] = []  # seq of each rotation

    def observe(self, seq: int, body: dict[str, Any]) -> None:
        first = seq == 0 and body.get("kind") == EventKind.INSTANCE_CREATED.value
        if first and body.get("verifier_key") != self.keys[0]:
            raise VerificationError(
                "the log's first event names a different ledger key than the pinned one"
            )
        if body.get("kind") == EventKind.KEY_ROTATED.value:
            if body.get("old_key") != self.keys[-1]:
                raise VerificationError(f"ledger entry {seq} rotates a key that was not in effect")
            self.keys.append(str(body.get("new_key")))
            self.changes.append(seq)

    def for_size(self, size: int) -> list[Verifier]:
        last = size - 1
        before = sum(1 for c in self.changes if c < last)
        after = sum(1 for c in self.changes if c <= last)
        return [Verifier.from_vkey(self.keys[i]) for i in sorted({before, after})]


def verify(session: Session, verifier: Verifier, origin: str) -> LogReport:
    """Check the whole log; raise VerificationError naming the first problem.

    ``verifier`` is the pinned root key (the instance's first ledger key).
    """
    chain = KeyChain(verifier.vkey)
    tree = MerkleTree()
    for expected, (seq, kind, body, stored) in enumerate(
        session.execute(
            select(LedgerEntry.seq, LedgerEntry.kind, LedgerEntry.body, LedgerEntry.leaf_hash)
            .order_by(LedgerEntry.seq)
            .execution_options(yield_per=10_000)
        )
    ):
        if seq != expected:
            raise VerificationError(f"ledger entry {expected} is missing (found {seq} next)")
        try:
            parsed = json.loads(body)
            # Same encoding as canonical_json, without the write-time float walk (hot loop).
            canonical = _ENCODE(parsed)
        except (ValueError, TypeError):
            raise VerificationError(f"ledger entry {seq} is not canonical JSON") from None
        if canonical != body or parsed.get("seq") != seq or parsed.get("kind") != kind:
            raise VerificationError(
                f"ledger entry {seq} was altered (body does not match its record)"
            )
        h = leaf_hash(body.encode())
        if bytes(stored) != h:
            raise VerificationError(
                f"ledger entry {seq} was altered (its stored hash does not match)"
            )
        chain.observe(seq, parsed)
        tree.append_hash(h)
    checkpoints = session.scalars(select(LedgerCheckpoint).order_by(LedgerCheckpoint.size)).all()
    previous = 0
    for row in checkpoints:
        try:
            cp = Checkpoint.from_text(open_note(row.note, chain.for_size(row.size)))
        except VerificationError as err:
            raise VerificationError(
                f"checkpoint at size {row.size} is not validly signed: {err}"
            ) from None
        if cp.origin != origin or cp.size != row.size or cp.root != bytes(row.root):
            raise VerificationError(f"checkpoint at size {row.size} does not match its signed note")
        if cp.size > tree.size:
            raise VerificationError(
                f"checkpoint at size {cp.size} covers entries that are missing "
                f"(the log has {tree.size})"
            )
        if tree.root(cp.size) != cp.root:
            raise VerificationError(
                f"ledger entries {previous}..{cp.size - 1} were rewritten: they no longer match "
                f"the checkpoint signed at size {cp.size}"
            )
        previous = cp.size
    if checkpoints and previous != tree.size:
        raise VerificationError(
            f"ledger entries {previous}..{tree.size - 1} are not covered by a signed checkpoint"
        )
    return LogReport(tree.size, len(checkpoints), tree.root())


__all__ = [
    "EventKind",
    "LogReport",
    "Sealed",
    "append",
    "append_many",
    "canonical_json",
    "seal",
    "verify",
]
