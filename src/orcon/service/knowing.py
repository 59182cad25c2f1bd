"""Who knew: everyone issued a copy of an item before a time.

For leaks of facts rather than files (a name published before its release),
there is no fingerprint to read; the ledger says who could have known.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select

from orcon.errors import UsageError
from orcon.service.directory import find_person
from orcon.service.instance import Instance
from orcon.store.ledger import EventKind, iso
from orcon.store.models import Item, LedgerEntry


@dataclass(frozen=True, slots=True)
class Holder:
    person: str
    org: str
    first_issued: datetime
    copies: int
    ledger_seq: int
    # Who else issued this person's copy (an administrator who sent it, "cli"): the copy
    # passed through their hands, which matters when asking who knew.
    issued_by: tuple[str, ...] = ()
    by_others: int = 0  # of ``copies``, how many someone else issued

    @property
    def copies_in_words(self) -> str:
        """E.g. "1 downloaded by them, 2 issued by admin@localhost"."""
        own = self.copies - self.by_others
        parts = [f"{own} downloaded by them"] if own else []
        if self.by_others:
            names = ", ".join("the operator (CLI)" if b == "cli" else b for b in self.issued_by)
            parts.append(f"{self.by_others} issued by {names}")
        return ", ".join(parts)

    def to_json(self) -> dict[str, object]:
        """As ``orcon knew --json``, ``orcon item show --json`` and the API print it."""
        return {
            "person": self.person,
            "org": self.org,
            "first_issued": iso(self.first_issued),
            "copies": self.copies,
            "ledger_seq": self.ledger_seq,
            "issued_by": list(self.issued_by),
            "issued_by_others": self.by_others,
        }


def who_knew(inst: Instance, item_id: str, before: datetime) -> list[Holder]:
    """Everyone issued a copy of an item before a time (for leaks of facts, not files).

    Read from the ledger's copy.issued events, so the answer is as trustworthy as the log.
    """
    with inst.reading() as s:
        if s.get(Item, item_id) is None:
            raise UsageError(f"unknown item {item_id!r}")
        # Events that mention the item (as canonical JSON writes its id); then the exact test
        # below. Without the filter every page of an item decoded every copy ever issued.
        mention = json.dumps(item_id, ensure_ascii=False)[1:-1]
        rows = s.execute(
            select(LedgerEntry.seq, LedgerEntry.body, LedgerEntry.created_at)
            .where(
                LedgerEntry.kind == EventKind.COPY_ISSUED.value,
                LedgerEntry.created_at < before,
                LedgerEntry.body.contains(mention, autoescape=True),
            )
            .order_by(LedgerEntry.seq)
        ).all()
    seen: dict[str, Holder] = {}
    for seq, body, at in rows:
        event = json.loads(body)
        if event.get("item") != item_id:
            continue
        who = event["person"]
        by = (event["by"],) if event.get("by") else ()
        h = seen.get(who)
        seen[who] = (
            Holder(who, event["org"], at, 1, seq, by, len(by))
            if h is None
            else replace(
                h,
                copies=h.copies + 1,
                issued_by=tuple(sorted({*h.issued_by, *by})),
                by_others=h.by_others + len(by),
            )
        )
    return sorted(seen.values(), key=lambda h: h.first_issued)


@dataclass(frozen=True, slots=True)
class Held:
    """An item a person was issued, as an investigator asks after a trace names them:
    what else did they have?"""

    item: str
    title: str
    kind: str
    markings: str
    first_issued: datetime
    copies: int
    by_others: int
    ledger_seq: int
    withdrawn: bool

    def to_json(self) -> dict[str, object]:
        return {
            "item": self.item,
            "title": self.title,
            "kind": self.kind,
            "markings": self.markings,
            "first_issued": iso(self.first_issued),
            "copies": self.copies,
            "issued_by_others": self.by_others,
            "ledger_seq": self.ledger_seq,
            "withdrawn": self.withdrawn,
        }


def held_by(inst: Instance, email: str) -> list[Held]:
    """Every item a person was issued a copy of, first issue first, from the ledger's
    copy.issued events (as who_knew reads them): their exposure, item by item."""
    from orcon.service import sharing  # local import: sharing is heavier and imports more

    with inst.reading() as s:
        person = find_person(s, email)
        # Events that mention the address (as canonical JSON writes it), then the exact test.
        mention = json.dumps(person.email, ensure_ascii=False)[1:-1]
        rows = s.execute(
            select(LedgerEntry.seq, LedgerEntry.body, LedgerEntry.created_at)
            .where(
                LedgerEntry.kind == EventKind.COPY_ISSUED.value,
                LedgerEntry.body.contains(mention, autoescape=True),
            )
            .order_by(LedgerEntry.seq)
        ).all()
    first: dict[str, tuple[int, datetime]] = {}
    copies: dict[str, list[int]] = {}
    for seq, body, at in rows:
        event = json.loads(body)
        if event.get("person") != person.email:
            continue
        item = str(event["item"])
        first.setdefault(item, (seq, at))
        tally = copies.setdefault(item, [0, 0])
        tally[0] += 1
        tally[1] += 1 if event.get("by") else 0
    infos = sharing.get_items(inst, list(first))  # one read, not one per item
    out = []
    for item, (seq, at) in first.items():
        info = infos[item]
        n, others = copies[item]
        out.append(
            Held(
                item,
                info.title,
                info.kind,
                info.markings,
                at,
                n,
                others,
                seq,
                info.withdrawn_at is not None,
            )
        )
    return out
