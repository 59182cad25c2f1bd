"""Changing an item's handling markings after it is shared, and reading what they were.

An originator releases a report (AMBER to CLEAR) after a press conference, moves a
press embargo by an hour, extends an expiry or adds a partner to the audience. Each
change is one ledger event carrying the markings before and after, so what an item's
markings were at any moment can be read back: the watch asks whether an article broke
them when it appeared, not whether it would break today's.

Copies issued later carry the new banner; their fingerprints are unchanged (the code
belongs to the item and the person, not to its markings), so every copy stays traceable.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from orcon.errors import UsageError
from orcon.policy import ItemView, Tlp, audience_problem, publication
from orcon.service.directory import find_org, find_person, stated_reason
from orcon.service.instance import Instance
from orcon.service.sharing import ItemInfo, find_item, item_info, item_view
from orcon.store import ledger
from orcon.store.ledger import EventKind, iso
from orcon.store.models import Item, ItemOrg, ItemPerson, LedgerEntry, Org, Person


class Keep(Enum):
    """A marking left as it is (``None`` clears an embargo or an expiry)."""

    KEEP = "keep"


KEEP = Keep.KEEP
Moment = datetime | None | Literal[Keep.KEEP]


@dataclass(frozen=True, slots=True)
class Change:
    """What to change; everything left at its default stays as it is."""

    tlp: str | None = None
    no_onward: bool | None = None
    embargo_until: Moment = KEEP
    expires_at: Moment = KEEP
    add_orgs: Sequence[str] = ()
    remove_orgs: Sequence[str] = ()
    add_named: Sequence[str] = ()
    remove_named: Sequence[str] = ()


def _markings(item: Item, orgs: Sequence[str], named: Sequence[str]) -> dict[str, Any]:
    """An item's markings as the ledger records them."""
    return {
        "tlp": item.tlp,
        "no_onward": item.no_onward,
        "embargo_until": iso(item.embargo_until) if item.embargo_until else None,
        "expires_at": iso(item.expires_at) if item.expires_at else None,
        "to": sorted(orgs),
        "named": sorted(named),
    }


def _audience(s: Session, item_id: str) -> tuple[dict[str, Org], dict[str, Person]]:
    orgs = s.scalars(
        select(Org).join(ItemOrg, ItemOrg.org_id == Org.id).where(ItemOrg.item_id == item_id)
    ).all()
    people = s.scalars(
        select(Person)
        .join(ItemPerson, ItemPerson.person_id == Person.id)
        .where(ItemPerson.item_id == item_id)
    ).all()
    return {o.name: o for o in orgs}, {p.email: p for p in people}


def named(inst: Instance, item_id: str) -> list[str]:
    """The people named on the item, for the forms that take one out."""
    with inst.reading() as s:
        return sorted(_audience(s, find_item(s, item_id).id)[1])


def remark(inst: Instance, item_id: str, change: Change, reason: str, by: str) -> ItemInfo:
    """Change an item's markings or audience, with a stated reason, in one transaction.

    Refused, with nothing changed, when nothing would change, when the item would then
    reach nobody, or when an expiry or embargo is set in the past. Taking an
    organisation out of the audience stops its further copies; the copies it already
    holds stay traced to their holders."""
    reason = stated_reason(reason, "change an item's markings")
    with inst.transaction() as s:
        item = find_item(s, item_id)
        orgs, named = _audience(s, item.id)
        before = _markings(item, list(orgs), list(named))
        now = inst.clock()
        if change.tlp is not None:
            try:
                item.tlp = Tlp.parse(change.tlp).value
            except ValueError as err:
                raise UsageError(str(err)) from None
        if change.no_onward is not None:
            item.no_onward = change.no_onward
        for label, moment in (("embargo", change.embargo_until), ("expiry", change.expires_at)):
            if isinstance(moment, datetime) and moment <= now:
                lift = "--no-embargo" if label == "embargo" else "--no-expiry"
                raise UsageError(
                    f"the new {label} time {iso(moment)[:16]}Z is already past "
                    f"(to lift it, use {lift})"
                )
        if change.embargo_until is not KEEP:
            item.embargo_until = change.embargo_until
        if change.expires_at is not KEEP:
            item.expires_at = change.expires_at
        _change_audience(s, item, orgs, named, change)
        after = _markings(item, list(orgs), list(named))
        if after == before:
            raise UsageError(f"{item.id} already has these markings: nothing to change")
        if problem := audience_problem(Tlp(item.tlp), len(orgs), len(named)):
            raise UsageError(f"{problem}: {item.id} would reach nobody")
        changed = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
        event = {"by": by, "item": item.id, "reason": reason, "changed": changed}
        event["before"], event["after"] = before, after
        ledger.append(s, EventKind.ITEM_REMARKED, event, now)
        item.markings_changed_at = now
        s.flush()
        return item_info(s, item)


def _change_audience(
    s: Session, item: Item, orgs: dict[str, Org], named: dict[str, Person], change: Change
) -> None:
    for name in change.add_orgs:
        org = find_org(s, name)
        if org.is_originator:
            raise UsageError(f"{org.name} is the originator: its staff see every item already")
        if org.name in orgs:
            raise UsageError(f"{org.name} already receives {item.id}")
        s.add(ItemOrg(item_id=item.id, org_id=org.id))
        orgs[org.name] = org
    for name in change.remove_orgs:
        org = find_org(s, name)
        if org.name not in orgs:
            raise UsageError(f"{org.name} is not a recipient organisation of {item.id}")
        link = s.get(ItemOrg, (item.id, org.id))
        assert link is not None
        s.delete(link)
        del orgs[org.name]
    for email in change.add_named:
        person = find_person(s, email)
        if person.email in named:
            raise UsageError(f"{person.email} is already named as a recipient of {item.id}")
        s.add(ItemPerson(item_id=item.id, person_id=person.id))
        named[person.email] = person
    for email in change.remove_named:
        person = find_person(s, email)
        if person.email not in named:
            raise UsageError(f"{person.email} is not named as a recipient of {item.id}")
        row = s.get(ItemPerson, (item.id, person.id))
        assert row is not None
        s.delete(row)
        del named[person.email]


@dataclass(frozen=True, slots=True)
class Remarked:
    """One change of an item's markings, as the ledger holds it."""

    at: datetime
    by: str
    reason: str
    changed: dict[str, list[Any]]
    ledger_seq: int
    before: dict[str, Any] = field(default_factory=dict)

    def markings_before(self, item: ItemInfo) -> str:
        """The banner the item carried before this change."""
        was = self.before

        def moment(key: str) -> datetime | None:
            return datetime.fromisoformat(was[key]) if was.get(key) else None

        return replace(
            item,
            tlp=was["tlp"],
            no_onward=was["no_onward"],
            embargo_until=moment("embargo_until"),
            expires_at=moment("expires_at"),
        ).markings

    def in_words(self, audience: bool = True) -> str:
        """``TLP AMBER -> CLEAR; embargo lifted``, for the item page and ``item show``;
        without the audience (who was added or taken out) for a partner's page."""
        parts = []
        order = ("tlp", "no_onward", "embargo_until", "expires_at", "to", "named")
        shown = order if audience else order[:4]
        for key in sorted((k for k in self.changed if k in shown), key=order.index):
            was, now = self.changed[key]
            if key in ("to", "named"):
                added, gone = sorted(set(now) - set(was)), sorted(set(was) - set(now))
                label = "recipient" if key == "to" else "named"
                parts += [f"{label} {x} added" for x in added]
                parts += [f"{label} {x} taken out" for x in gone]
            elif key == "no_onward":
                parts.append("no onward dissemination" if now else "onward requests allowed")
            else:
                label = {"tlp": "TLP", "embargo_until": "embargo", "expires_at": "expiry"}[key]
                old = was[:16] + "Z" if key != "tlp" and was else was or "none"
                new = now[:16] + "Z" if key != "tlp" and now else now or "lifted"
                parts.append(f"{label} {old} -> {new}")
        return "; ".join(parts)


def _mentions(item_id: str):  # type: ignore[no-untyped-def]
    return LedgerEntry.body.contains(f'"item":{json.dumps(item_id)}', autoescape=True)


def history(inst: Instance, item_id: str) -> list[Remarked]:
    """Every change of the item's markings, oldest first."""
    with inst.reading() as s:
        item = find_item(s, item_id)
        if item.markings_changed_at is None:  # never re-marked: no need to read the log
            return []
        found = item.id
        rows = s.execute(
            select(LedgerEntry.seq, LedgerEntry.body, LedgerEntry.created_at)
            .where(LedgerEntry.kind == EventKind.ITEM_REMARKED.value, _mentions(found))
            .order_by(LedgerEntry.seq)
        ).all()
    out = []
    for seq, body, at in rows:
        event = json.loads(body)
        if event["item"] == found:
            out.append(
                Remarked(at, event["by"], event["reason"], event["changed"], seq, event["before"])
            )
    return out


def view_at(s: Session, item: Item, when: datetime) -> ItemView:
    """The item's markings as they stood at ``when``: the earliest change after it says
    what they were before it; with none, they are as they are now."""
    view = item_view(item, frozenset(), frozenset())
    if item.markings_changed_at is None or item.markings_changed_at <= when:
        return view
    later = s.scalars(
        select(LedgerEntry.body)
        .where(
            LedgerEntry.kind == EventKind.ITEM_REMARKED.value,
            LedgerEntry.created_at > when,
            _mentions(item.id),
        )
        .order_by(LedgerEntry.seq)
    ).first()
    if later is None:
        return view
    was = json.loads(later)["before"]
    embargo = was["embargo_until"]
    return ItemView(
        Tlp(was["tlp"]),
        was["no_onward"],
        frozenset(),
        frozenset(),
        datetime.fromisoformat(was["expires_at"]) if was["expires_at"] else None,
        view.withdrawn,
        view.withdraw_reason,
        datetime.fromisoformat(embargo) if embargo else None,
    )


@dataclass(frozen=True, slots=True)
class Publication:
    """Whether an item seen in public broke its markings when it appeared there."""

    breach: bool
    why: str
    markings_then: str


def publication_at(inst: Instance, item_id: str, when: datetime) -> Publication:
    with inst.reading() as s:
        item = find_item(s, item_id)
        view = view_at(s, item, when)
    verdict = publication(view, when)
    banner = f"TLP:{view.tlp.value}"
    if view.embargo_until is not None:
        banner += f" · EMBARGOED UNTIL {iso(view.embargo_until)[:16]}Z"
    return Publication(not verdict, verdict.reason, banner)
