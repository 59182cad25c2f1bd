"""The outbox: notices and leak alerts the mail server did not take, tried again until
they are sent or an administrator drops them.

A try claims its rows for a few minutes first, so the server's background worker and
an ``orcon outbox retry`` at the same moment never send one message twice. Before a
notice goes out late it is checked again: one for a person suspended since, or a share
the person may no longer receive, is dropped (and the ledger says why) rather than
sent. A leak alert is always sent: it is news for the originator's own people.
"""

from __future__ import annotations

import email
import email.policy
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from orcon.errors import UsageError
from orcon.service import directory, mail, notices, sharing, watching
from orcon.service.instance import Instance
from orcon.store import ledger
from orcon.store.ledger import EventKind, iso
from orcon.store.models import Alert, WaitingMail

CLAIM_FOR = timedelta(minutes=5)  # longer than any round of sending takes


@dataclass(frozen=True, slots=True)
class Waiting:
    id: int
    purpose: str  # notify | watch (their mail settings) | webhook (the watch's)
    about: str  # shared | remarked | alert
    to: str
    item: str | None
    alert: int | None
    queued_at: datetime
    attempts: int
    next_try_at: datetime
    last_error: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "purpose": self.purpose,
            "about": self.about,
            "to": self.to,
            "item": self.item,
            "alert": self.alert,
            "queued_at": iso(self.queued_at),
            "attempts": self.attempts,
            "next_try_at": iso(self.next_try_at),
            "last_error": self.last_error,
        }


@dataclass(frozen=True, slots=True)
class Retried:
    """What a try did: sent, still waiting, refused for good, dropped as no longer due."""

    sent: tuple[int, ...] = ()
    waiting: tuple[int, ...] = ()
    refused: tuple[int, ...] = ()
    dropped: tuple[int, ...] = ()
    error: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "sent": list(self.sent),
            "waiting": list(self.waiting),
            "refused": list(self.refused),
            "dropped": list(self.dropped),
            "error": self.error,
        }

    def in_words(self) -> str:
        if not (self.sent or self.waiting or self.refused or self.dropped):
            return "nothing waits to be sent"
        parts = [f"{len(self.sent)} sent"]
        if self.waiting:
            parts.append(f"{len(self.waiting)} still waiting ({self.error})")
        if self.refused:
            parts.append(f"{len(self.refused)} refused by the mail server")
        if self.dropped:
            parts.append(f"{len(self.dropped)} dropped (no longer due)")
        return "; ".join(parts)


def _waiting(row: WaitingMail) -> Waiting:
    return Waiting(
        row.id,
        row.purpose,
        row.about,
        row.to_addr,
        row.item_id,
        row.alert_id,
        row.queued_at,
        row.attempts,
        row.next_try_at,
        row.last_error,
    )


def waiting(inst: Instance) -> list[Waiting]:
    """Everything in the outbox, oldest first."""
    with inst.reading() as s:
        rows = s.scalars(select(WaitingMail).order_by(WaitingMail.id)).all()
        return [_waiting(r) for r in rows]


def count(inst: Instance) -> int:
    with inst.reading() as s:
        return int(s.scalar(select(func.count()).select_from(WaitingMail)) or 0)


def due(inst: Instance) -> bool:
    """Is anything due for another try? (cheap: the background worker asks often)"""
    now = inst.clock()
    with inst.reading() as s:
        return (
            s.scalar(
                select(WaitingMail.id)
                .where(WaitingMail.next_try_at <= now, _unclaimed(now))
                .limit(1)
            )
            is not None
        )


def _unclaimed(now: datetime) -> Any:
    return or_(WaitingMail.claimed_until.is_(None), WaitingMail.claimed_until < now)


def _claim(inst: Instance, now: datetime, everything: bool) -> list[WaitingMail]:
    with inst.transaction() as s:
        q = select(WaitingMail).where(_unclaimed(now)).order_by(WaitingMail.id)
        if not everything:
            q = q.where(WaitingMail.next_try_at <= now)
        rows = list(s.scalars(q.with_for_update(skip_locked=True)).all())
        for r in rows:
            r.claimed_until = now + CLAIM_FOR
        s.flush()
        s.expunge_all()
        return rows


def _no_longer_due(
    inst: Instance, row: WaitingMail, people: dict[str, directory.PersonInfo]
) -> str | None:
    """Why a late notice should not be sent now (None: send it)."""
    if row.purpose != "notify" or row.item_id is None:
        return None
    person = people.get(row.to_addr)
    if person is None:
        return "the person is no longer in the directory"
    if person.suspended:
        return "the person has been suspended since"
    if row.about == "shared" and not sharing.visible_to(inst, row.item_id, row.to_addr):
        return "the person may no longer receive the item"
    return None


def _server(inst: Instance, purpose: str) -> mail.MailServer | None:
    server = (
        notices.load_config(inst).server()
        if purpose == "notify"
        else watching.load_config(inst).server()
    )
    return server if server.host else None


def _post(
    inst: Instance, batch: list[WaitingMail], outcome: dict[int, str], errors: dict[int, str]
) -> None:
    """Alerts for the webhook, to its address and with its secret as configured now (an
    address changed since is the one that works)."""
    cfg = watching.load_config(inst)
    for r in batch:
        if not cfg.webhook_url:
            outcome[r.id], errors[r.id] = "failed", "the watch's webhook is switched off"
            continue
        outcome[r.id], errors[r.id] = watching.post_webhook(cfg, r.message.encode())


def retry(inst: Instance, everything: bool = False) -> Retried:
    """Try what is due again (``everything``: all that waits, whatever its pause)."""
    now = inst.clock()
    rows = _claim(inst, now, everything)
    if not rows:
        return Retried()
    people = {p.email: p for p in directory.list_people(inst)}
    dropped = {r.id: why for r in rows if (why := _no_longer_due(inst, r, people)) is not None}
    outcome: dict[int, str] = {}
    errors: dict[int, str] = {}
    by_purpose: dict[str, list[WaitingMail]] = defaultdict(list)
    for r in rows:
        if r.id not in dropped:
            by_purpose[r.purpose].append(r)
    for purpose, batch in by_purpose.items():
        if purpose == "webhook":
            _post(inst, batch, outcome, errors)
            continue
        server = _server(inst, purpose)
        if server is None:
            off = f"{'notices' if purpose == 'notify' else 'leak-watch mail'} are switched off"
            for r in batch:
                outcome[r.id], errors[r.id] = "failed", off
            continue
        messages = [
            email.message_from_string(r.message, policy=email.policy.default) for r in batch
        ]
        result = mail.send_all(server, mail.stored_password(inst, purpose), messages)
        for r, res in zip(batch, result.results, strict=True):
            outcome[r.id], errors[r.id] = res, result.error
    _settle(inst, rows, outcome, errors, dropped, now)
    ids = {k: tuple(sorted(i for i, o in outcome.items() if o == k)) for k in ("sent", "failed")}
    refused = tuple(sorted(i for i, o in outcome.items() if o == "refused"))
    error = next((errors[i] for i in ids["failed"]), "")
    return Retried(ids["sent"], ids["failed"], refused, tuple(sorted(dropped)), error)


def _settle(
    inst: Instance,
    rows: list[WaitingMail],
    outcome: dict[int, str],
    errors: dict[int, str],
    dropped: dict[int, str],
    now: datetime,
) -> None:
    """Record a try in one transaction: sent and refused mail leaves the outbox (the
    ledger or the alert says so), failed mail waits a longer pause."""
    rounds: dict[tuple[str, str], tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    refusal = ""
    with inst.transaction() as s:
        for r in rows:
            live = s.get(WaitingMail, r.id)
            if live is None:  # dropped by an administrator meanwhile
                continue
            if r.id in dropped:
                s.delete(live)
                _record_drop(s, r, "orcon", dropped[r.id], now)
                continue
            result = outcome[r.id]
            if result == "failed":
                live.attempts += 1
                live.next_try_at = now + mail.pause(live.attempts)
                live.claimed_until = None
                live.last_error = errors[r.id]
                continue
            s.delete(live)
            if r.purpose == "notify" and r.item_id is not None:
                sent, refused = rounds[(r.item_id, r.about)]
                (sent if result == "sent" else refused).append(r.to_addr)
                refusal = refusal if result == "sent" else errors[r.id]
            elif r.alert_id is not None and (alert := s.get(Alert, r.alert_id)) is not None:
                way = "webhook" if r.purpose == "webhook" else "e-mail"
                said = f"{way} {'sent' if result == 'sent' else 'refused'}"
                alert.delivery = f"{alert.delivery}; {said} from the outbox at {iso(now)}"
        for (item, about), (sent, refused) in rounds.items():
            told = notices.Told(about, tuple(sent), tuple(refused), refusal if refused else "")
            notices.record(s, item, told, now, retried=True)


def _record_drop(s: Session, row: WaitingMail, by: str, reason: str, now: datetime) -> None:
    event = {"mail": row.id, "about": row.about, "item": row.item_id, "to": row.to_addr}
    ledger.append(s, EventKind.MAIL_DROPPED, event | {"by": by, "reason": reason}, now)


def drop(inst: Instance, ids: list[int] | None, by: str, reason: str = "") -> list[Waiting]:
    """Take mail out of the outbox unsent (``ids`` None: all of it); the ledger keeps
    who dropped which notice, since a recipient never told is part of the record."""
    with inst.transaction() as s:
        q = select(WaitingMail).order_by(WaitingMail.id)
        if ids is not None:
            q = q.where(WaitingMail.id.in_(ids))
        rows = list(s.scalars(q).all())
        unknown = sorted(set(ids or ()) - {r.id for r in rows})
        if unknown:
            raise UsageError(f"unknown outbox mail {', '.join(map(str, unknown))}")
        now = inst.clock()
        for r in rows:
            _record_drop(s, r, by, reason, now)
            s.delete(r)
        return [_waiting(r) for r in rows]
