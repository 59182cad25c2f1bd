"""Telling recipients by e-mail that an item was shared with them, or that its markings
changed: a moved embargo that nobody hears of is an embargo broken in good faith.

A notice carries the markings and a link, never the item: the copy is fetched signed
in, fingerprinted for its reader. Titles stay out of the mail unless the originator
opts in, since a title can itself be sensitive and mail crosses systems orcon does not
control. Sending happens after the change is committed and never undoes it: a mail
server that is down is reported (and recorded), and the item is shared all the same;
the notices it did not take wait in the outbox and are sent when it is back.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

from sqlalchemy.orm import Session

from orcon.errors import UsageError
from orcon.service import directory, knowing, mail, markings, settings, sharing
from orcon.service.instance import Instance
from orcon.service.sharing import ItemInfo
from orcon.store import ledger
from orcon.store.ledger import EventKind

FAR = datetime(9999, 1, 1, tzinfo=UTC)


@dataclass
class NoticeConfig:
    smtp_host: str = ""  # empty: no notices are sent
    smtp_port: int = 25
    mail_from: str = "orcon@localhost"
    base_url: str = ""  # where recipients sign in, for the link in each notice
    titles: bool = False  # put the item's title in the notice (it crosses the mail system)
    starttls: bool = False
    smtp_user: str = ""  # log in as this user; the password is kept with the keys

    def server(self) -> mail.MailServer:
        return mail.MailServer(self.smtp_host, self.smtp_port, self.starttls, self.smtp_user)

    @property
    def enabled(self) -> bool:
        return bool(self.smtp_host)


def load_config(inst: Instance) -> NoticeConfig:
    stored: dict[str, Any] = dict(inst.home.info()).get("notify", {})  # type: ignore[assignment]
    known = {f.name for f in fields(NoticeConfig)}
    return NoticeConfig(**{k: v for k, v in stored.items() if k in known})


def save_config(
    inst: Instance, cfg: NoticeConfig, by: str = "cli", password: str | None = None
) -> dict[str, Any]:
    """Check and keep the notices' settings (and a new mail password), on record in the
    ledger; returns what changed."""
    if cfg.base_url and not cfg.base_url.startswith(("http://", "https://")):
        raise UsageError(f"the base URL must be an http(s) address, got {cfg.base_url!r}")
    mail.check(cfg.server(), password or mail.stored_password(inst, "notify"))
    before = asdict(load_config(inst))
    return settings.save(inst, "notify", before, asdict(cfg), by=by, password=password)


@dataclass(frozen=True, slots=True)
class Told:
    """What a round of notices did, for the edge to say and the ledger to keep."""

    about: str  # "shared" | "remarked"
    sent: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()  # not reached, whether or not they wait for another try
    error: str = ""
    queued: tuple[str, ...] = ()  # of the failed: those waiting in the outbox

    def to_json(self) -> dict[str, Any]:
        return {
            "sent": list(self.sent),
            "failed": list(self.failed),
            "queued": list(self.queued),
            "error": self.error,
        }

    def in_words(self) -> str:
        if not self.sent and not self.failed:
            return "nobody to tell by e-mail"
        told = f"told {len(self.sent)} {'person' if len(self.sent) == 1 else 'people'} by e-mail"
        if self.failed:
            told += f"; {len(self.failed)} not reached ({self.error})"
        if self.queued:
            told += f"; {len(self.queued)} will be tried again (orcon outbox)"
        return told


def test(inst: Instance, to: str) -> mail.Tried:
    """Send a test message to ``to`` with the notices' settings (``orcon notify test``)."""
    cfg = load_config(inst)
    if not cfg.enabled:
        raise UsageError("notices are off: set a mail server first (orcon notify config)")
    address = to.strip()
    if not directory.EMAIL.match(address.lower()) or len(address) > 320:
        raise UsageError(f"invalid e-mail address {to!r}")
    msg = mail.test_message(cfg.mail_from, [address], inst.org_name, "notices to recipients")
    return mail.try_mail(cfg.server(), mail.stored_password(inst, "notify"), msg)


def _link(cfg: NoticeConfig, item: ItemInfo) -> str:
    if not cfg.base_url:
        return "Sign in to orcon to read it; it is in your inbox."
    return f"Read it, and download your own copy, at {cfg.base_url.rstrip('/')}/items/{item.id}"


def compose(
    cfg: NoticeConfig,
    originator: str,
    item: ItemInfo,
    to: str,
    was: str | None = None,
    when: datetime | None = None,
) -> EmailMessage:
    """One person's notice: ``was`` is the markings before a change (None: a new share).
    It is dated when it is written, so that one sent late from the outbox says when."""
    what = f"{item.title!r} " if cfg.titles else "an item "
    tlp = item.markings.split(" · ")[0]
    if was is None:
        subject = f"[{tlp}] {originator} shared an item with you"
        lead = f"{originator} has shared {what}with you under these markings:\n\n  {item.markings}"
    else:
        subject = f"[{tlp}] The markings of an item changed"
        lead = (
            f"{originator} has changed the markings of {what}shared with you.\n\n"
            f"  now:  {item.markings}\n  were: {was}"
        )
    body = (
        f"{lead}\n\n{_link(cfg, item)}\n\n"
        "Your copy is fingerprinted for you alone: do not pass it on, and keep to its "
        "markings (an embargo holds until the time it states).\n"
    )
    return mail.message(cfg.mail_from, [to], subject, body, when)


def record(s: Session, item_id: str, told: Told, now: datetime, retried: bool = False) -> None:
    """The ledger's account of a round of notices (``retried``: sent from the outbox)."""
    event: dict[str, Any] = {"item": item_id, "about": told.about, "told": list(told.sent)}
    if told.failed:
        event |= {"not_reached": list(told.failed), "error": told.error}
    if told.queued:
        event["queued"] = list(told.queued)
    if retried:
        event["retried"] = True
    ledger.append(s, EventKind.NOTICE_SENT, event, now)


def shared(inst: Instance, item_id: str) -> Told | None:
    """Tell everyone who may receive a newly shared item (None: notices are off)."""
    cfg = load_config(inst)
    if not cfg.enabled:
        return None
    item = sharing.get_item(inst, item_id)
    people = [p.email for p in sharing.entitled_people(inst, item_id)]
    return _deliver(inst, cfg, item, people, None, "shared")


def remarked(inst: Instance, item_id: str) -> Told | None:
    """After a change of markings, tell everyone it concerns: whoever may receive the
    item now, and whoever holds a copy (a partner taken out still holds one, and its
    embargo)."""
    cfg = load_config(inst)
    if not cfg.enabled:
        return None
    item = sharing.get_item(inst, item_id)
    changes = markings.history(inst, item.id)
    if not changes:
        raise UsageError(f"the markings of {item.id} have never been changed")
    last = changes[-1]
    was = last.markings_before(item)
    entitled = sharing.entitled_people(inst, item_id)
    if was == item.markings:
        # Only the audience changed: those it now reaches are told as of a share; the
        # others' banner is what it was, and a notice saying so would only puzzle them.
        return _reached(inst, cfg, item, _added(last.changed, "to"), _added(last.changed, "named"))
    may = [p.email for p in entitled]
    holders = [h.person for h in knowing.who_knew(inst, item_id, FAR)]
    people = {p.email: p for p in directory.list_people(inst)}
    concerned = sorted(
        e
        for e in {*may, *holders}
        if e in people and not people[e].suspended and people[e].role == "recipient"
    )
    return _deliver(inst, cfg, item, concerned, was, "remarked")


def approved(inst: Instance, item_id: str, org: str) -> Told | None:
    """After an onward request is approved, tell the people of the organisation it
    reaches, as of a share."""
    cfg = load_config(inst)
    if not cfg.enabled:
        return None
    return _reached(inst, cfg, sharing.get_item(inst, item_id), {org}, set())


def _reached(
    inst: Instance, cfg: NoticeConfig, item: ItemInfo, orgs: set[str], named: set[str]
) -> Told:
    entitled = sharing.entitled_people(inst, item.id)
    added = [p.email for p in entitled if p.org in orgs or p.email in named]
    return _deliver(inst, cfg, item, added, None, "shared")


def _added(changed: dict[str, list[Any]], key: str) -> set[str]:
    was, now = changed.get(key, ([], []))
    return set(now) - set(was)


def _deliver(
    inst: Instance,
    cfg: NoticeConfig,
    item: ItemInfo,
    people: list[str],
    was: str | None,
    about: str,
) -> Told:
    if not people:
        return Told(about)
    now = inst.clock()
    messages = [compose(cfg, inst.org_name, item, e, was, now) for e in people]
    result = mail.send_all(cfg.server(), mail.stored_password(inst, "notify"), messages)
    again = result.where("failed")
    told = Told(
        about,
        tuple(people[i] for i in result.where("sent")),
        tuple(people[i] for i in sorted(again + result.where("refused"))),
        result.error,
        tuple(people[i] for i in again),
    )
    with inst.transaction() as s:
        for i in again:
            mail.keep(s, "notify", about, messages[i], now, result.error, item=item.id, was=was)
        record(s, item.id, told, now)
    return told
