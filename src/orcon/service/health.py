"""How an instance is doing, for a person at the console and for monitoring.

Each check says ok, warn or fail and why in a line, so that ``orcon status`` can be
read by an operator and run by a monitor (it exits 1 on anything but ok). The
checks are cheap (no full ledger verification, which ``orcon ledger verify`` does):
a status page polled every minute must not load the database.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from orcon.service import control, directory, notices, outbox
from orcon.service.instance import Instance
from orcon.store.db import HEAD_REVISION, current_revision
from orcon.store.ledger import iso
from orcon.store.models import (
    ApiToken,
    Cosignature,
    LedgerCheckpoint,
    Person,
    WatchSource,
    Witness,
)

BACKUP_STALE = timedelta(days=7)  # the dashboard asks for a backup when the last is older
MAIL_LATE = timedelta(hours=1)  # a notice waiting longer than this is a problem
LOW_DISK = 2**30  # bytes free in the home's file system
POLL_LATE = 3  # a source not polled in this many intervals: is `orcon serve` running?
TOKEN_IDLE = timedelta(days=90)  # a live API token unused this long is one to end
WITNESS_LATE = timedelta(days=1)  # a trusted witness silent this long: is it still running?


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    state: str  # ok | warn | fail
    said: str

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "state": self.state, "said": self.said}


def worst(checks: list[Check]) -> str:
    states = {c.state for c in checks}
    return "fail" if "fail" in states else "warn" if "warn" in states else "ok"


def _age(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    if hours < 1:
        return f"{max(int(hours * 60), 0)} minutes"
    return f"{hours:.0f} hours" if hours < 48 else f"{hours / 24:.0f} days"


def report(inst: Instance, leave_out: frozenset[str] = frozenset()) -> list[Check]:
    """Every check, in the order an operator reads them (but those in ``leave_out``,
    which are not even computed: the dashboard shows backups and the outbox itself)."""
    now = inst.clock()
    try:
        database = _database(inst)
    except SQLAlchemyError as err:
        return [Check("database", "fail", f"cannot be read: {type(err).__name__}: {err}"[:300])]
    checks: list[tuple[str, Callable[[], Check]]] = [
        ("ledger", lambda: _ledger(inst, now)),
        ("witnesses", lambda: _witnesses(inst, now)),
        ("backup", lambda: _backup(inst, now)),
        ("outbox", lambda: _outbox(inst, now)),
        ("watch", lambda: _watch(inst, now)),
        ("notices", lambda: _notices(inst)),
        ("tokens", lambda: _tokens(inst, now)),
        ("disk", lambda: _disk(inst)),
    ]
    return [database, *(check() for name, check in checks if name not in leave_out)]


def _database(inst: Instance) -> Check:
    revision = current_revision(inst.engine)
    kind = inst.engine.dialect.name
    if revision != HEAD_REVISION:
        said = f"{kind}, schema {revision}, this orcon wants {HEAD_REVISION}"
        return Check("database", "fail", said)
    return Check("database", "ok", f"{kind}, schema {revision}")


def _ledger(inst: Instance, now: datetime) -> Check:
    with inst.reading() as s:
        last = s.scalars(
            select(LedgerCheckpoint).order_by(LedgerCheckpoint.size.desc()).limit(1)
        ).first()
    if last is None:
        return Check("ledger", "fail", "no signed checkpoint")
    return Check(
        "ledger",
        "ok",
        f"{last.size:,} events, last checkpoint signed {iso(last.created_at)[:16]}Z "
        "(run `orcon ledger verify` for a full check)",
    )


def _witnesses(inst: Instance, now: datetime) -> Check:
    """Trusted witnesses that have stopped cosigning leave the log unwatched."""
    with inst.reading() as s:
        names = list(s.scalars(select(Witness.name).order_by(Witness.name)))
        last = {
            name: at
            for name, at in s.execute(
                select(Cosignature.witness, func.max(Cosignature.created_at)).group_by(
                    Cosignature.witness
                )
            )
        }
    if not names:
        return Check("witnesses", "ok", "none trusted (docs/ledger.md, Witnesses)")
    silent = [n for n in names if n not in last or now - last[n] > WITNESS_LATE]
    said = f"{len(names)} trusted"
    if silent:
        said += f"; no cosignature for a day from {', '.join(silent)}"
        return Check("witnesses", "warn", said)
    return Check("witnesses", "ok", f"{said}, each cosigned within the last day")


def _backup(inst: Instance, now: datetime) -> Check:
    last = control.last_backup(inst)
    if last is None:
        return Check("backup", "warn", "no backup has been taken: run `orcon backup FILE`")
    at, event = last
    said = f"last taken {iso(at)[:16]}Z by {event.get('by')}, {_age(now - at)} ago"
    return Check("backup", "warn" if now - at >= BACKUP_STALE else "ok", said)


def _outbox(inst: Instance, now: datetime) -> Check:
    waiting = outbox.waiting(inst)
    if not waiting:
        return Check("outbox", "ok", "every notice and alert has been sent")
    oldest = waiting[0]
    said = (
        f"{len(waiting)} {'e-mail waits' if len(waiting) == 1 else 'e-mails wait'}, the oldest "
        f"for {_age(now - oldest.queued_at)} ({oldest.last_error}): `orcon outbox list`"
    )
    return Check("outbox", "warn" if now - oldest.queued_at > MAIL_LATE else "ok", said)


def _watch(inst: Instance, now: datetime) -> Check:
    with inst.reading() as s:
        sources = s.scalars(select(WatchSource)).all()
    if not sources:
        return Check("watch", "ok", "no sources watched")
    failing = [w.url for w in sources if w.last_error]
    late = [
        w.url
        for w in sources
        if w.last_polled is None
        or (now - w.last_polled).total_seconds() > POLL_LATE * w.interval_s + 60
    ]
    said = f"{len(sources)} {'source' if len(sources) == 1 else 'sources'}"
    if failing:
        said += f"; {len(failing)} failing (the first: {failing[0]})"
    if late:
        said += f"; {len(late)} not polled on time: is `orcon serve` running?"
    # Read from the settings as stored: the watch service's module (and its feed and
    # article parsers) is not needed to say whether alerts go anywhere.
    delivery: dict[str, object] = dict(inst.home.info()).get("watch") or {}  # type: ignore[assignment]
    nowhere = not delivery.get("webhook_url") and not (
        delivery.get("smtp_host") and delivery.get("mail_to")
    )
    if nowhere:
        said += (
            "; alerts go nowhere but the dashboard: set a webhook or alert addresses "
            "(orcon watch config, or the Settings page)"
        )
    return Check("watch", "warn" if failing or late or nowhere else "ok", said)


def _notices(inst: Instance) -> Check:
    cfg = notices.load_config(inst)
    if not cfg.enabled:
        return Check("notices", "ok", "off: recipients are not told by e-mail")
    return Check("notices", "ok", f"sent through {cfg.smtp_host}:{cfg.smtp_port}")


def _tokens(inst: Instance, now: datetime) -> Check:
    """Live API tokens nobody has used for TOKEN_IDLE (or ever, made that long ago): a
    credential left in a forgotten script is one that can leak unnoticed."""
    live = directory.live_token(now)
    idle = func.coalesce(ApiToken.last_used_at, ApiToken.created_at) < now - TOKEN_IDLE
    with inst.reading() as s:
        total = s.scalar(select(func.count()).select_from(ApiToken).where(live)) or 0
        unused, first = s.execute(
            select(func.count(), func.min(Person.email))
            .select_from(ApiToken)
            .join(Person, ApiToken.person_id == Person.id)
            .where(live, idle)
        ).one()
    said = f"{total} live API token{'' if total == 1 else 's'}"
    if not unused:
        return Check("tokens", "ok", said)
    said += (
        f"; {unused} unused for {TOKEN_IDLE.days} days or more (the first: {first}): end those "
        "no script needs (orcon person tokens EMAIL, revoke-tokens EMAIL --token N)"
    )
    return Check("tokens", "warn", said)


def _disk(inst: Instance) -> Check:
    free = shutil.disk_usage(inst.home.path).free
    said = f"{free / 2**30:.1f} GiB free where the home is"
    return Check("disk", "warn" if free < LOW_DISK else "ok", said)


def alive(inst: Instance) -> bool:
    """Can the database be read? (what a load balancer's health probe asks)"""
    try:
        with inst.reading() as s:
            s.execute(select(LedgerCheckpoint.size).limit(1)).all()
    except SQLAlchemyError:
        return False
    return True


def to_json(checks: list[Check]) -> dict[str, Any]:
    return {"state": worst(checks), "checks": [c.to_json() for c in checks]}
