"""The leak watch: sources, facts, polling, matching and alerts.

A round polls every due source; each new article's text and images go through
the trace pipeline's item lookup (and, on a match, a full trace), and its text
is searched for registered sensitive facts. Every alert is recorded in the
database and the ledger in one transaction, then delivered by webhook (HMAC
signed) and e-mail; an optional policy halts a partner whose person a trace
accuses. Nothing a source sends can crash a round: errors are recorded on the
source and the round goes on.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

import httpx
import numpy as np
from sqlalchemy import func, select

from orcon.errors import FetchRefused, OrconError, UsageError
from orcon.marks.image.codec import picture_format
from orcon.marks.text.normalize import tokens
from orcon.match.articles import Article, Entry, article, feed_entries
from orcon.match.text import leak_shingles
from orcon.match.watchlist import FactMatcher, TextIndex, fact_of
from orcon.service import control, directory, knowing, mail, markings, settings, tracing
from orcon.service.instance import Instance
from orcon.store import ledger
from orcon.store.ledger import EventKind, iso
from orcon.store.limits import ROW_MAX
from orcon.store.models import (
    Alert,
    Item,
    ItemFeatures,
    SensitiveFact,
    WatchSeen,
    WatchSource,
)


@dataclass(frozen=True, slots=True)
class Fetched:
    """What a source answered."""

    url: str
    status: int
    body: bytes
    content_type: str
    etag: str | None
    last_modified: str | None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class PageFetcher(Protocol):
    """How a round reads the web (``orcon.watch.fetch.Fetcher``: polite, capped, robots.txt
    honoured); it raises :class:`orcon.errors.FetchRefused` for what it will not fetch."""

    def get(
        self,
        url: str,
        etag: str | None = None,
        last_modified: str | None = None,
        max_bytes: int | None = None,
    ) -> Fetched: ...


MAX_IMAGE = 10 * 2**20
MAX_DOCUMENT = 20 * 2**20  # a linked PDF or Word file
MAX_PICTURES = 6  # an article's pictures fetched and traced (its page's, then its feed entry's)


@dataclass
class WatchConfig:
    webhook_url: str = ""
    webhook_secret: str = ""
    smtp_host: str = ""
    smtp_port: int = 25
    mail_from: str = "orcon-watch@localhost"
    mail_to: list[str] = field(default_factory=list)
    auto_halt: bool = False
    # Suspend each accused person (rather than, or before, halting their whole partner).
    auto_suspend: bool = False
    smtp_starttls: bool = False
    smtp_user: str = ""  # log in as this user; the password is kept with the keys

    def server(self) -> mail.MailServer:
        return mail.MailServer(self.smtp_host, self.smtp_port, self.smtp_starttls, self.smtp_user)


def post_webhook(cfg: WatchConfig, body: bytes) -> tuple[str, str]:
    """POST an alert, signed: ("sent" | "failed" | "refused", what to say). A server
    error, a timeout or "too many requests" is worth another try; another 4xx answer
    means the receiver will never take it."""
    sig = hmac.new(cfg.webhook_secret.encode(), body, hashlib.sha256).hexdigest()
    try:
        r = httpx.post(
            cfg.webhook_url,
            content=body,
            timeout=10,
            headers={"Content-Type": "application/json", "X-Orcon-Signature": f"sha256={sig}"},
        )
    except httpx.HTTPError as err:
        return "failed", f"webhook failed: {type(err).__name__}"
    if r.status_code < 400:
        return "sent", f"webhook {r.status_code}"
    if r.status_code >= 500 or r.status_code in (408, 429):
        return "failed", f"webhook failed: HTTP {r.status_code}"
    return "refused", f"webhook refused: HTTP {r.status_code}"


def test_delivery(inst: Instance) -> list[mail.Tried]:
    """Send a test alert every way the watch delivers alerts (``orcon watch test``): the
    webhook gets a signed body whose ``kind`` is ``"test"``, the alert addresses a test
    e-mail. Nothing goes to the outbox: the answer is for the person testing."""
    cfg = load_config(inst)
    tried = []
    if cfg.webhook_url:
        body = json.dumps(
            {"kind": "test", "instance": inst.origin, "time": iso(inst.clock())}, sort_keys=True
        ).encode()
        outcome, said = post_webhook(cfg, body)
        tried.append(mail.Tried(f"webhook {cfg.webhook_url}", outcome == "sent", said))
    if cfg.smtp_host and cfg.mail_to:
        msg = mail.test_message(cfg.mail_from, cfg.mail_to, inst.org_name, "leak alerts")
        tried.append(mail.try_mail(cfg.server(), mail.stored_password(inst, "watch"), msg))
    if not tried:
        raise UsageError(
            "the watch sends alerts nowhere yet: orcon watch config --webhook-url URL, "
            "or --smtp-host HOST --mail-to ADDRESS"
        )
    return tried


def load_config(inst: Instance) -> WatchConfig:
    return WatchConfig(**inst.home.info().get("watch", {}))  # type: ignore[arg-type]


def save_config(
    inst: Instance, cfg: WatchConfig, by: str = "cli", password: str | None = None
) -> dict[str, Any]:
    """Check and keep how alerts are delivered (and a new mail password), on record in
    the ledger; returns what changed."""
    if cfg.webhook_url and not cfg.webhook_url.startswith(("http://", "https://")):
        raise UsageError(f"the webhook must be an http(s) address, got {cfg.webhook_url!r}")
    for address in cfg.mail_to:
        if not directory.EMAIL.match(address.strip().lower()):
            raise UsageError(f"invalid e-mail address {address!r} to send alerts to")
    mail.check(cfg.server(), password or mail.stored_password(inst, "watch"))
    before, after = asdict(load_config(inst)), asdict(cfg)
    secret = frozenset({"webhook_secret"})
    return settings.save(inst, "watch", before, after, by=by, secrets=secret, password=password)


def add_source(
    inst: Instance, url: str, kind: str = "feed", interval_s: int = 300, by: str = "cli"
) -> int:
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"a watched source must be an http(s) URL, got {url!r}")
    if kind not in ("feed", "page"):
        raise UsageError("the kind of a source is feed or page")
    if interval_s < 10:
        raise UsageError("poll a source at most every 10 seconds")
    with inst.transaction() as s:
        if s.scalars(select(WatchSource).where(WatchSource.url == url)).first():
            raise UsageError(f"{url} is already watched")
        src = WatchSource(url=url, kind=kind, interval_s=interval_s, created_at=inst.clock())
        s.add(src)
        s.flush()
        event = {"url": url, "kind": kind, "by": by}
        ledger.append(s, EventKind.WATCH_SOURCE_ADDED, event, inst.clock())
        return src.id


def sources_due(inst: Instance) -> int:
    """How many sources are due a poll now (never polled, or their interval has passed):
    a background watch wakes often and does a round only when one is."""
    now = inst.clock()
    with inst.reading() as s:
        return sum(
            1
            for w in s.scalars(select(WatchSource))
            if w.last_polled is None or (now - w.last_polled).total_seconds() >= w.interval_s
        )


def list_sources(inst: Instance) -> list[dict[str, object]]:
    with inst.reading() as s:
        return [
            {
                "id": w.id,
                "url": w.url,
                "kind": w.kind,
                "interval_s": w.interval_s,
                "last_polled": iso(w.last_polled) if w.last_polled else None,
                "last_error": w.last_error,
            }
            for w in s.scalars(select(WatchSource).order_by(WatchSource.id))
        ]


def remove_source(inst: Instance, source: str, by: str = "cli") -> str:
    """Stop watching a source, named by its number or its address. Its alerts stay."""
    with inst.transaction() as s:
        ref = source.strip()
        q = select(WatchSource).where(
            WatchSource.id == int(ref)
            if ref.isdigit() and int(ref) <= ROW_MAX
            else WatchSource.url == ref
        )
        src = s.scalars(q).first()
        if src is None:
            raise UsageError(f"unknown watched source {source!r} (orcon watch list shows them)")
        url = src.url
        s.delete(src)
        ledger.append(s, EventKind.WATCH_SOURCE_REMOVED, {"url": url, "by": by}, inst.clock())
        return url


def list_facts(inst: Instance) -> list[dict[str, object]]:
    """The registered facts, for the originator's staff: whether each is still looked for
    (an embargoed fact is no longer a leak once its embargo has passed)."""
    now = inst.clock()
    with inst.reading() as s:
        return [
            {
                "id": f.id,
                "text": f.text,
                "item": f.item_id,
                "embargo_until": iso(f.embargo_until) if f.embargo_until else None,
                "watched": f.embargo_until is None or now < f.embargo_until,
                "created_at": iso(f.created_at),
            }
            for f in s.scalars(select(SensitiveFact).order_by(SensitiveFact.id))
        ]


def remove_fact(inst: Instance, fact_id: int, by: str = "cli") -> None:
    """Stop looking for a fact (released, or registered by mistake). Its alerts stay; the
    text is deleted from the database, and the ledger kept only its hash."""
    with inst.transaction() as s:
        fact = s.get(SensitiveFact, fact_id)
        if fact is None:
            raise UsageError(f"unknown sensitive fact {fact_id} (orcon watch facts lists them)")
        s.delete(fact)
        ledger.append(s, EventKind.FACT_REMOVED, {"fact": fact_id, "by": by}, inst.clock())


def add_fact(
    inst: Instance,
    text: str,
    item_id: str | None = None,
    embargo_until: datetime | None = None,
    by: str = "cli",
) -> int:
    if len(tokens(text)) == 0:
        raise UsageError("a sensitive fact needs at least one word")
    if len(text.strip()) > 500:
        raise UsageError("a sensitive fact is at most 500 characters (a name, a phrase)")
    item_id = (item_id or "").strip() or None
    if embargo_until is not None and embargo_until <= inst.clock():
        raise UsageError("the embargo has already passed: the fact would never be looked for")
    with inst.transaction() as s:
        if item_id is not None and s.get(Item, item_id) is None:
            raise UsageError(f"unknown item {item_id!r}: a fact belongs to a shared item")
        # The same fact twice would raise two alerts for every article that prints it.
        same = select(SensitiveFact).where(
            func.lower(SensitiveFact.text) == text.strip().lower(),
            SensitiveFact.item_id.is_(None)
            if item_id is None
            else SensitiveFact.item_id == item_id,
        )
        for was in s.scalars(same):
            if was.embargo_until is None or was.embargo_until > inst.clock():
                raise UsageError(
                    f"this fact is already looked for (fact {was.id}); to change its embargo, "
                    f"forget it first (orcon watch forget {was.id})"
                )
        fact = SensitiveFact(
            text=text.strip(), item_id=item_id, embargo_until=embargo_until, created_at=inst.clock()
        )
        s.add(fact)
        s.flush()
        # The fact itself is secret: the ledger records that one was registered, not its text.
        ledger.append(
            s,
            EventKind.FACT_REGISTERED,
            {
                "fact": fact.id,
                "item": item_id,
                "sha256": hashlib.sha256(text.strip().encode()).hexdigest(),
                "embargo_until": iso(embargo_until) if embargo_until else None,
                "by": by,
            },
            inst.clock(),
        )
        return fact.id


ALERTS_MAX = 1000


def list_alerts(inst: Instance, limit: int = 100) -> list[dict[str, object]]:
    if not 1 <= limit <= ALERTS_MAX:
        raise UsageError(f"the limit must be 1..{ALERTS_MAX}")
    with inst.reading() as s:
        rows = s.scalars(select(Alert).order_by(Alert.id.desc()).limit(limit)).all()
        return [
            {
                "id": a.id,
                "kind": a.kind,
                "article": a.article_url,
                "source": a.source_url,
                "item": a.item_id,
                "fact": a.fact_id,
                "details": json.loads(a.details),
                "delivery": a.delivery,
                "created_at": iso(a.created_at),
            }
            for a in rows
        ]


class Watcher:
    def __init__(self, inst: Instance, fetcher: PageFetcher) -> None:
        self.inst = inst
        self.fetcher = fetcher
        self.config = load_config(inst)

    def _index(self) -> TextIndex:
        with self.inst.reading() as s:
            rows = s.scalars(select(ItemFeatures).where(ItemFeatures.scale == "text")).all()
        return TextIndex([(r.item_id, np.frombuffer(r.descriptors, np.uint64)) for r in rows])

    def run_once(self, force: bool = False) -> list[dict[str, object]]:
        now = self.inst.clock()
        index = self._index()
        with self.inst.reading() as s:
            sources = [
                w
                for w in s.scalars(select(WatchSource).order_by(WatchSource.id))
                if force
                or w.last_polled is None
                or (now - w.last_polled).total_seconds() >= w.interval_s
            ]
            facts = [(f, fact_of(f.id, f.text)) for f in s.scalars(select(SensitiveFact))]
        alerts: list[dict[str, object]] = []
        for src in sources:
            error = None
            etag, modified = src.etag, src.last_modified
            try:
                got = self.fetcher.get(src.url, src.etag, src.last_modified)
                etag, modified = got.etag or etag, got.last_modified or modified
                if not got.not_modified:
                    if src.kind == "feed":
                        entries = feed_entries(got.body, got.url)
                        if not entries:
                            error = "the feed has no readable entries"
                    else:
                        entries = [Entry(got.url, "", "", None)]
                    for entry in entries:
                        alerts += self._entry(
                            src.url,
                            entry,
                            index,
                            facts,
                            page=got.body if src.kind == "page" else None,
                        )
            except FetchRefused as err:
                error = str(err)
            except Exception as err:  # a hostile source must never stop the watch
                error = f"{type(err).__name__}: {err}"[:500]
            with self.inst.transaction() as s:
                w = s.get(WatchSource, src.id)
                if w is not None:
                    w.last_polled, w.last_error, w.etag, w.last_modified = (
                        now,
                        error,
                        etag,
                        modified,
                    )
        return alerts

    def _seen(self, key: str) -> bool:
        h = hashlib.sha256(key.encode()).hexdigest()
        with self.inst.transaction() as s:
            if s.get(WatchSeen, h) is not None:
                return True
            s.add(WatchSeen(url_hash=h, seen_at=self.inst.clock()))
        return False

    def _alerted(self, url: str, item: str | None, fact: int | None) -> bool:
        """Has this article already raised an alert for this item or fact?"""
        with self.inst.reading() as s:
            q = select(Alert.id).where(Alert.article_url == url)
            q = q.where(Alert.item_id == item) if item else q.where(Alert.fact_id == fact)
            return s.scalar(q.limit(1)) is not None

    def _entry(
        self,
        source: str,
        entry: Entry,
        index: TextIndex,
        facts: list[Any],
        page: bytes | None = None,
    ) -> list[dict[str, object]]:
        body = page
        claimed = entry.published
        if body is None:
            update = f"{entry.url}@{iso(entry.updated)}" if entry.updated else None
            if self._seen(entry.url):
                # Read before: again only if the feed says it changed since.
                if update is None or self._seen(update):
                    return []
                claimed = entry.updated
            elif update is not None:
                self._seen(update)
            try:
                body = self.fetcher.get(entry.url).body
            except FetchRefused:
                body = b""
        elif self._seen(entry.url + "#" + hashlib.sha256(body).hexdigest()):
            return []
        page_parts = article(body, entry.url) if body else Article("", [], [])
        text = page_parts.text
        images = list(dict.fromkeys([*page_parts.images, *entry.images]))[:MAX_PICTURES]
        text = " ".join(x for x in (entry.title, entry.summary, text) if x)
        out: list[dict[str, object]] = []
        # The article's own date, but never later than orcon saw it: it was public by
        # then, whatever the feed says (a date in the future would hide a breach).
        now = self.inst.clock()
        when = min(claimed, now) if claimed else now
        if text and index.candidates(leak_shingles(text)):
            out += self._trace(source, entry.url, text.encode(), when, now)
        for img_url in images:
            try:
                data = self.fetcher.get(img_url, max_bytes=MAX_IMAGE).body
            except FetchRefused:
                continue
            if picture_format(data) is None:
                continue
            out += self._trace(source, entry.url, data, when, now)
        # A document the article links (the leaked memo, as PDF or Word) is traced too.
        for doc_url in page_parts.documents:
            try:
                data = self.fetcher.get(doc_url, max_bytes=MAX_DOCUMENT).body
            except FetchRefused:
                continue
            out += self._trace(source, entry.url, data, when, now)
        live = [
            (row, fact)
            for row, fact in facts
            if row.embargo_until is None or when < row.embargo_until
        ]
        found = FactMatcher([fact for _, fact in live]).find(tokens(text)) if live else set()
        for row, _fact in live:
            if row.id in found and not self._alerted(entry.url, None, row.id):
                knew = (
                    [
                        asdict(h) | {"first_issued": iso(h.first_issued)}
                        for h in knowing.who_knew(self.inst, row.item_id, when)
                    ]
                    if row.item_id
                    else []
                )
                out.append(
                    self._alert(
                        "fact",
                        source,
                        entry.url,
                        row.item_id,
                        row.id,
                        {
                            "fact": row.text,
                            "published": iso(when),
                            "seen": iso(now),
                            "who_knew": knew,
                        },
                    )
                )
        return out

    def _trace(
        self, source: str, url: str, data: bytes, when: datetime, now: datetime
    ) -> list[dict[str, object]]:
        """Alerts for the shared items in what an article carried. ``when`` is the
        article's date as the source gives it, ``now`` when orcon saw it: a breach is
        judged by the first, and acted on automatically only if it still holds at the
        second, since a date orcon did not see can be wrong (an article updated with the
        photo after the embargo lifted often keeps its first date)."""
        try:
            result = tracing.trace(self.inst, data)
        except OrconError:
            return []
        if result.verdict == "no-match":
            return []
        # One alert per shared item found in it (a page with a photo and a quote beside it).
        parts = [replace(result, others=()), *result.others]
        alerts, breaches = [], []
        for p in parts:
            assert p.item is not None
            if self._alerted(url, p.item, None):
                continue  # an article read again (updated): its items are on record
            # A CLEAR item in public after its embargo is where it may be: on record, no alarm.
            seen = markings.publication_at(self.inst, p.item, when)
            held = seen.breach and (when == now or markings.publication_at(
                self.inst, p.item, now).breach)  # fmt: skip
            dated = {"published": iso(when), "seen": iso(now), "breach_when_seen": held}
            details = p.to_json() | {"publication": asdict(seen) | dated}
            alerts.append(self._alert("item", source, url, p.item, None, details, seen))
            if held:
                breaches.append(p)
        if self.config.auto_suspend:
            for person in sorted({a.person for p in breaches for a in p.accused}):
                # Already suspended, or the last administrator: nothing to do.
                with contextlib.suppress(OrconError):
                    directory.suspend(
                        self.inst,
                        person,
                        f"automatic: a trace of {url} named the holder of the copy in it",
                        by="watch",
                    )
        accused = {a.org for p in breaches for a in p.accused}
        if self.config.auto_halt and accused:
            for org in sorted(accused):
                # Already halted, or the originator itself: nothing to do.
                with contextlib.suppress(OrconError):
                    control.halt(
                        self.inst, org, f"automatic: a trace of {url} accused one of its people"
                    )
        return alerts

    def _alert(
        self,
        kind: str,
        source: str,
        url: str,
        item: str | None,
        fact: int | None,
        details: dict[str, Any],
        seen: markings.Publication | None = None,
    ) -> dict[str, object]:
        with self.inst.transaction() as s:
            row = Alert(
                kind=kind,
                article_url=url,
                source_url=source,
                item_id=item,
                fact_id=fact,
                details=json.dumps(details, default=str),
                created_at=self.inst.clock(),
            )
            s.add(row)
            s.flush()
            alert_id = row.id
            ledger.append(
                s,
                EventKind.WATCH_ALERT,
                {
                    "alert": alert_id,
                    "kind": kind,
                    "article": url,
                    "item": item,
                    "fact": fact,
                    "verdict": details.get("verdict"),
                    "breach": seen.breach if seen else True,
                }
                | (
                    {"breach_when_seen": details["publication"]["breach_when_seen"]}
                    if "publication" in details
                    else {}
                ),
                self.inst.clock(),
            )
        payload = {
            "alert": alert_id,
            "kind": kind,
            "article": url,
            "source": source,
            "item": item,
            "fact": fact,
            "details": details,
        }
        if seen is None or seen.breach:
            delivery = self._deliver(payload)
        else:
            delivery = f"not sent: {seen.why}"
        with self.inst.transaction() as s:
            a = s.get(Alert, alert_id)
            if a is not None:
                a.delivery = delivery
        return payload

    def _deliver(self, payload: dict[str, Any]) -> str:
        cfg, notes = self.config, []
        body = json.dumps(payload, default=str, sort_keys=True).encode()
        if cfg.webhook_url:
            hooked, said = post_webhook(cfg, body)
            notes.append(said)
            if hooked == "failed":
                with self.inst.transaction() as s:
                    mail.keep_raw(s, "webhook", "alert", cfg.webhook_url, body.decode(),
                                  self.inst.clock(), said, alert=payload.get("alert"))  # fmt: skip
                notes[-1] += "; waiting in the outbox"
        if cfg.smtp_host and cfg.mail_to:
            now = self.inst.clock()
            subject = f"orcon leak alert: {payload['kind']} on {payload['article']}"
            content = json.dumps(payload, default=str, indent=1)
            msg = mail.message(cfg.mail_from, cfg.mail_to, subject, content, now)
            password = mail.stored_password(self.inst, "watch")
            result = mail.send_all(cfg.server(), password, [msg])
            [outcome] = result.results
            if outcome == "sent":
                notes.append("e-mail sent")
            elif outcome == "refused":
                notes.append(f"e-mail refused: {result.error.split(':')[0]}")
            else:
                alert = payload.get("alert")
                with self.inst.transaction() as s:
                    mail.keep(s, "watch", "alert", msg, now, result.error, alert=alert)
                notes.append(f"e-mail failed: {result.error.split(':')[0]}; waiting in the outbox")
        return "; ".join(notes)
