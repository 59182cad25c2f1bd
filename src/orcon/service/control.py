"""Halting and resuming partners, onward dissemination, and the ledger check."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from orcon.errors import PolicyDenied, UsageError
from orcon.ledger.note import Signer
from orcon.policy import ItemView, decide_approval, decide_onward
from orcon.service.directory import find_org, find_person, org_view, person_view, stated_reason
from orcon.service.instance import Instance
from orcon.service.sharing import item_view
from orcon.store import ledger
from orcon.store.home import Secrets
from orcon.store.ledger import EventKind, LogReport
from orcon.store.models import Item, ItemOrg, ItemPerson, OnwardRequest, Org, Person


def halt(inst: Instance, org: str, reason: str) -> None:
    """Stop every further copy, download and API access for the org's people, at once."""
    reason = stated_reason(reason, "halt a partner")
    with inst.transaction() as s:
        o = find_org(s, org)
        if o.is_originator:
            raise UsageError("the originator organisation cannot be halted")
        if o.halted_at is not None:
            raise UsageError(f"{o.name} is already halted (since {ledger.iso(o.halted_at)})")
        now = inst.clock()
        o.halted_at, o.halt_reason = now, reason
        ledger.append(s, EventKind.ORG_HALTED, {"org": o.name, "reason": reason}, now)


def resume(inst: Instance, org: str) -> None:
    with inst.transaction() as s:
        o = find_org(s, org)
        if o.halted_at is None:
            raise UsageError(f"{o.name} is not halted")
        now = inst.clock()
        o.halted_at, o.halt_reason = None, None
        ledger.append(s, EventKind.ORG_RESUMED, {"org": o.name}, now)


@dataclass(frozen=True, slots=True)
class OnwardInfo:
    id: int
    item: str
    from_org: str
    to_org: str
    requested_by: str
    reason: str
    status: str
    created_at: datetime


def _onward_info(s, r: OnwardRequest) -> OnwardInfo:  # type: ignore[no-untyped-def]
    return OnwardInfo(
        r.id,
        r.item_id,
        s.get(Org, r.from_org_id).name,
        s.get(Org, r.to_org_id).name,
        find_person_by_id(s, r.requested_by),
        r.reason,
        r.status,
        r.created_at,
    )


def find_person_by_id(s, pid: int) -> str:  # type: ignore[no-untyped-def]
    p = s.get(Person, pid)
    return p.email if p else "?"


def _item_view(s, item: Item) -> ItemView:  # type: ignore[no-untyped-def]
    orgs = frozenset(s.scalars(select(ItemOrg.org_id).where(ItemOrg.item_id == item.id)).all())
    named = frozenset(
        s.scalars(select(ItemPerson.person_id).where(ItemPerson.item_id == item.id)).all()
    )
    return item_view(item, orgs, named)


def request_onward(
    inst: Instance, item_id: str, email: str, to_org: str, reason: str = ""
) -> OnwardInfo:
    """A recipient asks the originator to pass an item on to another organisation."""
    with inst.transaction() as s:
        item = s.get(Item, item_id)
        if item is None:
            raise UsageError(f"unknown item {item_id!r}")
        person = find_person(s, email)
        target = find_org(s, to_org)
        src = person.org
        verdict = decide_onward(
            _item_view(s, item), org_view(src), org_view(target), person_view(person)
        )
        if not verdict:
            raise PolicyDenied(verdict.reason)
        now = inst.clock()
        req = OnwardRequest(
            item_id=item.id,
            from_org_id=src.id,
            to_org_id=target.id,
            requested_by=person.id,
            reason=reason.strip(),
            created_at=now,
        )
        s.add(req)
        s.flush()
        ledger.append(
            s,
            EventKind.ONWARD_REQUESTED,
            {
                "request": req.id,
                "item": item.id,
                "from": src.name,
                "to": target.name,
                "by": person.email,
                "reason": req.reason,
            },
            now,
        )
        return _onward_info(s, req)


def decide_request(
    inst: Instance, request_id: int, approve: bool, actor_email: str | None = None
) -> OnwardInfo:
    """The originator approves (the target org becomes a recipient) or refuses."""
    with inst.transaction() as s:
        req = s.get(OnwardRequest, request_id)
        if req is None:
            raise UsageError(f"unknown onward-dissemination request {request_id}")
        if req.status != "pending":
            raise UsageError(f"request {request_id} was already {req.status}")
        target = s.get(Org, req.to_org_id)
        assert target is not None
        if approve:
            item, source = s.get(Item, req.item_id), s.get(Org, req.from_org_id)
            asker = s.get(Person, req.requested_by)
            assert item is not None and source is not None and asker is not None
            verdict = decide_approval(
                _item_view(s, item), org_view(source), org_view(target), person_view(asker)
            )
            if not verdict:
                raise PolicyDenied(
                    f"request {request_id} cannot be approved now: {verdict.reason} "
                    "(it stays pending; refuse it, or approve it once that has changed)"
                )
        now = inst.clock()
        req.status = "approved" if approve else "refused"
        req.decided_at = now
        if actor_email:
            req.decided_by = find_person(s, actor_email).id
        if approve:
            s.add(ItemOrg(item_id=req.item_id, org_id=req.to_org_id, via_onward=True))
        kind = EventKind.ONWARD_APPROVED if approve else EventKind.ONWARD_REFUSED
        ledger.append(
            s,
            kind,
            {
                "request": req.id,
                "item": req.item_id,
                "to": target.name,
                "by": actor_email or "cli",
            },
            now,
        )
        return _onward_info(s, req)


def list_requests(inst: Instance, status: str | None = None) -> list[OnwardInfo]:
    with inst.reading() as s:
        q = select(OnwardRequest).order_by(OnwardRequest.id)
        if status:
            q = q.where(OnwardRequest.status == status)
        return [_onward_info(s, r) for r in s.scalars(q)]


def verify_ledger(inst: Instance) -> LogReport:
    with inst.reading() as s:
        return ledger.verify(s, inst.root_verifier, inst.origin)


def rotate_ledger_key(inst: Instance) -> str:
    """Replace the ledger signing key; the rotation is an event sealed by the old key."""
    new = Signer(inst.origin, Ed25519PrivateKey.generate())
    with inst.transaction() as s:
        ledger.append(
            s,
            EventKind.KEY_ROTATED,
            {"old_key": inst.verifier.vkey, "new_key": new.verifier.vkey},
            inst.clock(),
        )
    inst.home.install_signer(new)
    inst.secrets = Secrets(new, inst.secrets.fingerprint_key, inst.secrets.master_key)
    inst.verifier = new.verifier
    return new.verifier.vkey


def last_backup(inst: Instance) -> tuple[datetime, dict[str, object]] | None:
    """When the whole instance was last backed up, and the backup.taken event."""
    import json

    from orcon.store.models import LedgerEntry

    with inst.reading() as s:
        row = s.execute(
            select(LedgerEntry.created_at, LedgerEntry.body)
            .where(LedgerEntry.kind == EventKind.BACKUP_TAKEN.value)
            .order_by(LedgerEntry.seq.desc())
            .limit(1)
        ).first()
    return None if row is None else (row[0], json.loads(row[1]))


def recent_events(inst: Instance, query: str = "", limit: int = 50) -> list[dict[str, object]]:
    """Newest ledger events first, optionally filtered by a substring, with a one-line summary."""
    import json

    from orcon.store.models import LedgerEntry

    with inst.reading() as s:
        q = select(LedgerEntry.seq, LedgerEntry.kind, LedgerEntry.body, LedgerEntry.created_at)
        if query.strip():
            q = q.where(LedgerEntry.body.contains(query.strip(), autoescape=True))
        rows = s.execute(q.order_by(LedgerEntry.seq.desc()).limit(limit)).all()
    return [
        {
            "seq": seq,
            "kind": kind,
            "time": ledger.iso(at)[:19].replace("T", " "),
            "summary": summary(json.loads(body)),
        }
        for seq, kind, body, at in rows
    ]


def summary(event: dict[str, Any]) -> str:
    """An event in one line: who, what, why."""
    keys = ("person", "org", "item", "title", "verdict", "reason", "to", "settings", "by")
    parts = [event[k] for k in keys if event.get(k) not in (None, "", [])]
    words = [", ".join(map(str, p)) if isinstance(p, list) else str(p) for p in parts]
    if isinstance(event.get("changed"), dict):  # settings.changed: which, never the values
        words.append("changed " + ", ".join(sorted(event["changed"])))
    return " · ".join(words)[:200]
