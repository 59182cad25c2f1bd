"""Reading the ledger's events out, filtered, for scripts, a SIEM and a court bundle.

Each event comes with its canonical body and leaf hash exactly as the Merkle log holds
them, so an exported event can be checked against a receipt or a checkpoint without
trusting the export. A cursor (``start`` at a sequence number, oldest first; the next
page starts at the last one's plus one) lets a collector poll for what is new without
missing or repeating an event.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select

from orcon.errors import UsageError
from orcon.service.instance import Instance
from orcon.store.ledger import EventKind, iso
from orcon.store.limits import ROW_MAX
from orcon.store.models import LedgerEntry

MAX_PAGE = 1000
KINDS = tuple(k.value for k in EventKind)


@dataclass(frozen=True, slots=True)
class Event:
    seq: int
    kind: str
    time: datetime
    body: str  # the canonical JSON the leaf hash is taken over
    leaf_hash: str

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "kind": self.kind,
            "time": iso(self.time),
            "event": json.loads(self.body),
            "body": self.body,
            "leaf_hash": self.leaf_hash,
        }


@dataclass(frozen=True, slots=True)
class Filter:
    """Which events; every field left empty lets all through."""

    kinds: Sequence[str] = ()
    text: str = ""  # a substring of the event's body, e.g. an item id or an address
    since: datetime | None = None
    until: datetime | None = None
    start: int | None = None  # from this sequence number on, oldest first

    def checked(self) -> Filter:
        unknown = sorted(set(self.kinds) - set(KINDS))
        if unknown:
            raise UsageError(
                f"{', '.join(map(repr, unknown))}: no such event kind; the kinds are "
                + ", ".join(KINDS)
            )
        if self.since and self.until and self.since >= self.until:
            raise UsageError("--since must be before --until")
        if self.start is not None and not 0 <= self.start <= ROW_MAX:
            raise UsageError("a start takes a ledger sequence number (0 or more)")
        return self


def _query(f: Filter) -> Select[int, str, datetime, str, bytes]:
    # Columns, not ORM objects: an export reads millions of rows and builds nothing else.
    q = select(
        LedgerEntry.seq,
        LedgerEntry.kind,
        LedgerEntry.created_at,
        LedgerEntry.body,
        LedgerEntry.leaf_hash,
    )
    if f.kinds:
        q = q.where(LedgerEntry.kind.in_(list(f.kinds)))
    if f.text.strip():
        q = q.where(LedgerEntry.body.contains(f.text.strip(), autoescape=True))
    if f.since is not None:
        q = q.where(LedgerEntry.created_at >= f.since)
    if f.until is not None:
        q = q.where(LedgerEntry.created_at < f.until)
    if f.start is not None:
        return q.where(LedgerEntry.seq >= f.start).order_by(LedgerEntry.seq)
    return q.order_by(LedgerEntry.seq.desc())


def page(inst: Instance, f: Filter, limit: int = 100) -> list[Event]:
    """Up to ``limit`` events: the newest first, or with ``start`` the oldest first."""
    if not 1 <= limit <= MAX_PAGE:
        raise UsageError(f"the limit must be 1..{MAX_PAGE} (use a cursor for more)")
    f = f.checked()
    with inst.reading() as s:
        rows = s.execute(_query(f).limit(limit)).all()
    return [Event(seq, kind, at, body, leaf.hex()) for seq, kind, at, body, leaf in rows]


def every(inst: Instance, f: Filter, batch: int = MAX_PAGE) -> Iterator[Event]:
    """All matching events, oldest first, read ``batch`` at a time so that an export of
    millions of events holds one batch in memory, not the log."""
    f = f.checked()
    start = f.start or 0
    while True:
        chunk = page(inst, Filter(f.kinds, f.text, f.since, f.until, start), batch)
        yield from chunk
        if len(chunk) < batch:
            return
        start = chunk[-1].seq + 1
