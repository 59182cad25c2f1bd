"""The leak watch against a real HTTP server on 127.0.0.1, including hostile sources."""

from __future__ import annotations

import email
import gzip
import hashlib
import hmac
import json
import socket
import threading
import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2
import numpy as np
import pytest
from sqlalchemy import select

from orcon.errors import UsageError
from orcon.marks.image import attacks
from orcon.service import directory, sharing, watching
from orcon.store.ledger import iso
from orcon.store.models import LedgerEntry
from orcon.watch.fetch import Fetcher

REPORT = (Path(__file__).parents[1] / "data" / "reports" / "harbour-road.md").read_bytes()


class Site:
    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes | None]] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.posts: list[tuple[dict[str, str], bytes]] = []
        self.post_answers: list[int] = []  # statuses for the next POSTs (then 204)
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a: object) -> None:
                pass

            def do_GET(self) -> None:
                site.requests.append(("GET", self.path, dict(self.headers)))
                if self.path == "/feed.xml" and self.headers.get("If-None-Match") == '"v1"':
                    self.send_response(304)
                    self.end_headers()
                    return
                if self.path == "/slow.html":
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.end_headers()
                    try:
                        for _ in range(40):
                            self.wfile.write(b"<p>slow</p>")
                            self.wfile.flush()
                            time.sleep(0.25)
                    except (BrokenPipeError, ConnectionResetError):
                        pass
                    return
                status, headers, body = site.routes.get(self.path, (404, {}, b"not found"))
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def do_POST(self) -> None:
                n = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(n)
                status = site.post_answers.pop(0) if site.post_answers else 204
                if status < 300:
                    site.posts.append((dict(self.headers), body))
                self.send_response(status)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def site():  # type: ignore[no-untyped-def]
    s = Site()
    yield s
    s.server.shutdown()


def _picture_of(copy: str, words: int = 300) -> bytes:
    """A PNG of the start of a copy's prose, as a newspaper shows a page it has seen."""
    import textwrap

    from PIL import Image, ImageDraw, ImageFont

    prose = [" ".join(p.split()) for p in copy.split("\n\n") if not p.startswith(("#", ">"))]
    shown = " ".join(prose).replace("\u200b", "").replace("\u2060", "").split()[:words]
    lines = textwrap.wrap(" ".join(shown), 80)
    img = Image.new("RGB", (900, 28 * len(lines) + 40), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=18)
    for i, line in enumerate(lines):
        draw.text((20, 20 + 28 * i), line, fill=(20, 20, 20), font=font)
    return cv2.imencode(".png", np.array(img)[:, :, ::-1])[1].tobytes()


def _word_file(copy: str, picture: bytes) -> bytes:
    """The copy pasted into a Word document, with a picture."""
    import io

    import docx

    document = docx.Document()
    for para in copy.split("\n\n"):
        document.add_paragraph(" ".join(para.split()))
    document.add_picture(io.BytesIO(picture))
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def _avif(pixels: np.ndarray) -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels[:, :, ::-1])).save(buf, "AVIF", quality=60)
    return buf.getvalue()


def _html(title: str, body: str) -> bytes:
    page = f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{body}"
    return (page + "</article></body></html>").encode()


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_watch_finds_leaks_and_facts_alerts_and_survives_hostile_sources(
    inst, site, smtp, large_photo, clock
):
    # The 1600-px photo, the size the image benchmarks measure. With the 1000-px one this
    # test failed once in a full-suite run (the AVIF photo named nobody): registration's
    # second refinement round was corrupted (fixed 2026-12-02, BENCHMARKS.md), which left
    # about 1-3 % of newspaper leaks unnamed. The assertion below prints the alert.
    photo = large_photo
    directory.add_org(inst, "Harbour City PD")
    people = [
        directory.add_person(inst, f"o{i}@harbour.example", "Harbour City PD").email
        for i in range(6)
    ]
    report = sharing.share(
        inst,
        REPORT,
        title="Kestrel",
        tlp="amber",
        to=["Harbour City PD"],
        filename="k.md",
        max_recipients=100,
    )
    pic = sharing.share(inst, photo, title="Scene", tlp="amber", to=["Harbour City PD"])
    text_copies = {e: sharing.issue_copy(inst, report.id, e).data.decode() for e in people}
    photo_copies = {e: sharing.issue_copy(inst, pic.id, e).data for e in people}
    watching.add_fact(inst, "Daniel Whitcombe", report.id, clock.now + timedelta(days=7))
    ctl, inbox = smtp
    watching.save_config(
        inst,
        watching.WatchConfig(
            webhook_url=site.url + "/hook",
            webhook_secret="s3cret",
            smtp_host="127.0.0.1",
            smtp_port=ctl.port,
            mail_to=["duty@northshire.example"],
            auto_halt=True,
            auto_suspend=True,
        ),
    )

    leak_text = "<p>" + "</p><p>".join(text_copies[people[1]].split("\n\n")) + "</p>"
    pixels = cv2.imdecode(np.frombuffer(photo_copies[people[2]], np.uint8), cv2.IMREAD_COLOR)
    # The newspaper's image service sends it as AVIF, as many do to browsers.
    leak_avif = _avif(attacks.newspaper(pixels, np.random.default_rng(1)))
    memo_png = _picture_of(text_copies[people[3]])
    # A briefing pack: one person's copy of the report, another's of the photo.
    memo_docx = _word_file(text_copies[people[4]], photo_copies[people[0]])
    items = [
        "/news/leak-text.html",
        "/news/leak-memo.html",
        "/news/leak-document.html",
        "/news/unrelated.html",
        "/news/leak-photo.html",
        "/news/fact.html",
        "/private/secret.html",
        "/news/redirect.html",
    ]
    # A paywalled article (its page refused) whose feed entry names its photo (Media RSS).
    paywalled = (
        f"<item><title>Pictured: the scene</title><link>{site.url}/news/paywalled.html</link>"
        f'<media:content url="{site.url}/img/feed-photo.jpg" medium="image"/></item>'
    )
    feed = (
        '<?xml version="1.0"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/">'
        "<channel><title>Daily Bugle</title>"
        + "".join(
            f"<item><title>Story {i}</title><link>{site.url}{p}</link></item>"
            for i, p in enumerate(items)
        )
        + paywalled
        + "</channel></rss>"
    ).encode()
    bomb = gzip.compress(b"\0" * (200 * 2**20), compresslevel=9)
    site.routes.update(
        {
            "/robots.txt": (
                200,
                {"Content-Type": "text/plain"},
                b"User-agent: *\nDisallow: /private/\n",
            ),
            "/feed.xml": (200, {"Content-Type": "application/rss+xml", "ETag": '"v1"'}, feed),
            "/news/leak-text.html": (
                200,
                {"Content-Type": "text/html"},
                _html("Leaked report", leak_text),
            ),
            "/news/unrelated.html": (
                200,
                {"Content-Type": "text/html"},
                _html("Parking", "<p>The council met to discuss parking charges.</p>" * 30),
            ),
            "/news/leak-photo.html": (
                200,
                {"Content-Type": "text/html"},
                _html(
                    "Exclusive photo",
                    # Loaded lazily, as news pages do: a placeholder until scrolled to.
                    '<p>Our picture.</p><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="'
                    ' data-src="/img/leak.avif">',
                ),
            ),
            "/img/leak.avif": (200, {"Content-Type": "image/avif"}, leak_avif),
            "/news/paywalled.html": (402, {"Content-Type": "text/html"}, b"Subscribe"),
            "/img/feed-photo.jpg": (200, {"Content-Type": "image/jpeg"}, photo_copies[people[5]]),
            "/news/leak-memo.html": (
                200,
                {"Content-Type": "text/html"},
                _html("The memo", '<p>The briefing we have seen.</p><img src="/img/memo.png">'),
            ),
            "/img/memo.png": (200, {"Content-Type": "image/png"}, memo_png),
            "/news/leak-document.html": (
                200,
                {"Content-Type": "text/html"},
                _html(
                    "Read the document",
                    '<p>In full.</p><a href="/files/briefing.docx#page=1">Download</a>',
                ),
            ),
            "/files/briefing.docx": (200, {"Content-Type": "application/octet-stream"}, memo_docx),
            "/news/fact.html": (
                200,
                {"Content-Type": "text/html"},
                _html("Named", "<p>Police are questioning daniel whitcomb, 34, over the fire.</p>"),
            ),
            "/private/secret.html": (
                200,
                {"Content-Type": "text/html"},
                _html("secret", "<p>x</p>"),
            ),
            "/news/redirect.html": (
                302,
                {"Location": f"http://localhost:{site.port}/news/unrelated.html"},
                b"",
            ),
            "/bad-feed.xml": (
                200,
                {"Content-Type": "application/rss+xml"},
                b"\x00\xff<rss><channel><item><<<",
            ),
            "/huge.html": (
                200,
                {"Content-Type": "text/html"},
                b"<p>" + b"A" * (3 * 2**20) + b"</p>",
            ),
            "/bomb.html": (200, {"Content-Type": "text/html", "Content-Encoding": "gzip"}, bomb),
        }
    )
    for path, kind in (
        ("/feed.xml", "feed"),
        ("/bad-feed.xml", "feed"),
        ("/huge.html", "page"),
        ("/bomb.html", "page"),
        ("/slow.html", "page"),
    ):
        watching.add_source(inst, site.url + path, kind, 60)

    clock.advance(hours=2)  # the article appears after the copies were issued
    watcher = watching.Watcher(inst, Fetcher(min_interval=0, deadline=3, max_bytes=2 * 2**20))
    alerts = watcher.run_once(force=True)

    by_article = {a["article"].split(str(site.port))[1]: a for a in alerts}
    parts = [a for a in alerts if a["article"].endswith("/news/leak-document.html")]
    text_alert = by_article["/news/leak-text.html"]
    assert text_alert["details"]["verdict"] == "accused"
    assert [a["person"] for a in text_alert["details"]["accused"]] == [people[1]]
    photo_alert = by_article["/news/leak-photo.html"]
    assert [a["person"] for a in photo_alert["details"]["accused"]] == [people[2]], photo_alert
    # A picture of a page of the report in an article is read by OCR.
    memo_alert = by_article["/news/leak-memo.html"]
    assert [a["person"] for a in memo_alert["details"]["accused"]] == [people[3]]
    assert any("by OCR" in n for n in memo_alert["details"]["notes"])
    # A Word file the article links is fetched and traced: an alert for each shared item
    # in it, each naming whose copy it was.
    assert sorted((a["item"], a["details"]["accused"][0]["person"]) for a in parts) == sorted(
        [(report.id, people[4]), (pic.id, people[0])]
    )
    fact_alert = by_article["/news/fact.html"]
    assert fact_alert["kind"] == "fact"
    assert {h["person"] for h in fact_alert["details"]["who_knew"]} == set(people)
    # The paywalled article's photo, named only in the feed, is traced all the same.
    feed_alert = by_article["/news/paywalled.html"]
    assert [a["person"] for a in feed_alert["details"]["accused"]] == [people[5]]
    assert "/news/unrelated.html" not in by_article and len(alerts) == 7

    # Delivered: webhook with a valid HMAC, and e-mail.
    hooks = [(h, b) for h, b in site.posts]
    assert len(hooks) == 7
    for headers, body in hooks:
        expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
        assert headers["X-Orcon-Signature"] == expected
        assert json.loads(body)["kind"] in ("item", "fact")
    assert len(inbox.messages) == 7

    # Politeness and hostility.
    fetched = [p for _, p, _ in site.requests]
    assert "/private/secret.html" not in fetched  # robots.txt
    assert (
        fetched.count("/news/unrelated.html") == 1
    )  # the redirect to another host was not followed
    errors = {
        s["url"].split(str(site.port))[1]: s["last_error"] for s in watching.list_sources(inst)
    }
    assert errors["/feed.xml"] is None
    assert (
        errors["/bad-feed.xml"] and errors["/huge.html"] and "larger than" in errors["/huge.html"]
    )
    assert "larger than" in errors["/bomb.html"]
    assert "longer than" in errors["/slow.html"]
    # Automatic halt: both accused people's organisation is halted.
    assert next(o for o in directory.list_orgs(inst) if o["name"] == "Harbour City PD")["halted"]
    # Automatic suspension: each person an article's trace named, and nobody else.
    named = {a["person"] for alert in alerts for a in alert["details"].get("accused", [])}
    assert named == set(people[:6])
    assert {p.email for p in directory.list_people(inst) if p.suspended} == named
    standing = directory.person_status(inst, sorted(named)[0])
    assert standing is not None and standing.suspended is not None
    assert standing.suspended.startswith("automatic: a trace of http://127.0.0.1:")

    # A second round: the feed answers 304 to the conditional request; nothing new.
    site.requests.clear()
    assert watcher.run_once(force=True) == []
    feed_req = [h for _, p, h in site.requests if p == "/feed.xml"]
    assert feed_req and feed_req[0].get("If-None-Match") == '"v1"'


def test_fact_matcher_agrees_with_the_plain_search():
    import random

    from orcon.marks.text.normalize import tokens
    from orcon.match.watchlist import FactMatcher, fact_of, find_fact

    rng = random.Random(0)
    names = ["daniel whitcombe", "harbour road", "operation kestrel", "m. lindqvist", "quay street"]
    facts = [fact_of(i, n) for i, n in enumerate(names)]
    matcher = FactMatcher(facts)
    for _ in range(200):
        words = rng.choices(
            [
                "the",
                "police",
                "said",
                "daniel",
                "whitcomb",
                "whitcombe",
                "harbor",
                "road",
                "operation",
                "kestrl",
                "quay",
                "streets",
                "lindqvist",
                "m",
            ],
            k=30,
        )
        assert matcher.find(words) == {f.id for f in facts if find_fact(f, words)}
    assert matcher.find(tokens("Police questioned Daniel Whitcomb on Harbour Road.")) == {0, 1}


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_release_printed_after_its_embargo_is_recorded_but_raises_no_alarm(inst, site, clock):
    """A press release shared as TLP:CLEAR under embargo: the paper that prints it an hour
    early broke the embargo (alert sent, its holder suspended); the one that prints it
    after the embargo did what was asked (on record, nothing sent, nobody suspended). An
    article orcon first sees after the embargo lifted, whose own date is before, is a
    breach by that date alone: the alert is sent, but nobody is suspended automatically.
    An AMBER report printed before it was released is a breach though it is CLEAR today."""
    from email.utils import format_datetime

    from orcon.service import markings

    directory.add_org(inst, "Harbour City PD")
    people = [
        directory.add_person(inst, f"o{i}@harbour.example", "Harbour City PD").email
        for i in range(4)
    ]
    lifts = clock.now + timedelta(hours=6)
    release = sharing.share(
        inst, REPORT, title="Release", tlp="clear", embargo_until=lifts, filename="r.md"
    )
    copies = {e: sharing.issue_copy(inst, release.id, e).data.decode() for e in people}
    watching.save_config(
        inst, watching.WatchConfig(webhook_url=site.url + "/hook", auto_suspend=True)
    )

    def article(who: str) -> bytes:
        return _html("News", "<p>" + "</p><p>".join(copies[who].split("\n\n")) + "</p>")

    def publish(stories: dict[str, tuple[str, datetime]]) -> None:
        entries = "".join(
            f"<item><title>Story</title><link>{site.url}{path}</link>"
            f"<pubDate>{format_datetime(when)}</pubDate></item>"
            for path, (_, when) in stories.items()
        )
        feed = f'<?xml version="1.0"?><rss version="2.0"><channel>{entries}</channel></rss>'
        site.routes["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, feed.encode())
        for path, (who, _) in stories.items():
            site.routes[path] = (200, {"Content-Type": "text/html"}, article(who))

    watching.add_source(inst, site.url + "/feed.xml", "feed", 60)
    watcher = watching.Watcher(inst, Fetcher(min_interval=0, deadline=3))
    stories = {"/news/early.html": (people[0], lifts - timedelta(hours=1))}
    publish(stories)
    clock.advance(hours=5, minutes=30)  # orcon sees it half an hour before the embargo lifts
    [early] = watcher.run_once(force=True)
    stories["/news/later.html"] = (people[1], lifts + timedelta(hours=1))
    stories["/news/backdated.html"] = (people[2], lifts - timedelta(hours=1))
    stories["/news/tomorrow.html"] = (people[3], lifts + timedelta(days=1))  # a wrong date
    publish(stories)
    clock.advance(hours=2, minutes=30)
    alerts = {a["article"].split(str(site.port))[1]: a for a in watcher.run_once(force=True)}
    assert "/news/early.html" not in alerts  # seen before

    later, backdated = alerts["/news/later.html"], alerts["/news/backdated.html"]
    assert [a["person"] for a in early["details"]["accused"]] == [people[0]]
    assert [a["person"] for a in later["details"]["accused"]] == [people[1]]
    assert early["details"]["publication"]["breach"] is True
    assert early["details"]["publication"]["why"].startswith("public before its embargo lifted")
    assert early["details"]["publication"]["breach_when_seen"] is True
    assert later["details"]["publication"] == {
        "breach": False,
        "why": "TLP:CLEAR, public after its embargo lifted",
        "markings_then": f"TLP:CLEAR · EMBARGOED UNTIL {iso(lifts)[:16]}Z",
        "published": iso(lifts + timedelta(hours=1)),
        "seen": iso(clock.now),
        "breach_when_seen": False,
    }
    assert backdated["details"]["publication"]["breach"] is True
    assert backdated["details"]["publication"]["breach_when_seen"] is False
    # A date after orcon saw the article is not believed: it was public by then.
    assert alerts["/news/tomorrow.html"]["details"]["publication"]["published"] == iso(clock.now)
    # Breaches are sent; only the one orcon saw itself is acted on.
    sent = [json.loads(body)["article"] for _, body in site.posts]
    assert sorted(sent) == sorted([early["article"], backdated["article"]])
    assert {p.email for p in directory.list_people(inst) if p.suspended} == {people[0]}
    shown = {a["article"]: a["delivery"] for a in watching.list_alerts(inst)}
    assert shown[later["article"]] == "not sent: TLP:CLEAR, public after its embargo lifted"
    with inst.reading() as s:
        bodies = s.scalars(select(LedgerEntry.body).where(LedgerEntry.kind == "watch.alert"))
        events = {json.loads(b)["article"]: json.loads(b) for b in bodies}
    assert events[backdated["article"]]["breach"] is True
    assert events[backdated["article"]]["breach_when_seen"] is False

    # An AMBER report, released (made CLEAR) later: a paper that printed it before the
    # release broke its markings as they were then; orcon saw it only after the release.
    report = sharing.share(
        inst, REPORT, title="Kestrel", tlp="amber", to=["Harbour City PD"], filename="k.md"
    )
    leaked = sharing.issue_copy(inst, report.id, people[2]).data.decode()
    printed = clock.now + timedelta(hours=1)
    clock.advance(hours=2)
    markings.remark(inst, report.id, markings.Change(tlp="clear"), "released", by="cli")
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><item><title>Scoop</title>'
        f"<link>{site.url}/news/scoop.html</link><pubDate>{format_datetime(printed)}</pubDate>"
        "</item></channel></rss>"
    )
    site.routes["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, feed.encode())
    body = "<p>" + "</p><p>".join(leaked.split("\n\n")) + "</p>"
    site.routes["/news/scoop.html"] = (200, {"Content-Type": "text/html"}, _html("Scoop", body))
    [scoop] = watcher.run_once(force=True)
    assert scoop["details"]["publication"]["breach"] is True
    assert scoop["details"]["publication"]["markings_then"] == "TLP:AMBER"
    assert scoop["details"]["publication"]["breach_when_seen"] is False
    assert people[2] not in {p.email for p in directory.list_people(inst) if p.suspended}


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_sources_and_facts_are_removed_and_no_longer_looked_for(inst, site, clock):
    from sqlalchemy import select

    from orcon.store.models import LedgerEntry

    page = _html("Named", "<p>Police are questioning Daniel Whitcombe over the fire.</p>")
    site.routes["/a.html"] = (200, {"Content-Type": "text/html"}, page)
    site.routes["/b.html"] = (200, {"Content-Type": "text/html"}, page)
    first = watching.add_source(inst, site.url + "/a.html", "page", 60, by="admin@localhost")
    watching.add_source(inst, site.url + "/b.html", "page", 60)
    fact = watching.add_fact(inst, "Daniel Whitcombe", None, clock.now + timedelta(days=1))
    for args, says in (
        (("x" * 501,), "at most 500 characters"),
        (("Jane Roe", "itm_nope"), "unknown item 'itm_nope'"),
        (("Jane Roe", None, clock.now - timedelta(minutes=1)), "would never be looked for"),
        ((" daniel WHITCOMBE ",), rf"already looked for \(fact {fact}\).*forget {fact}"),
    ):
        with pytest.raises(UsageError, match=says):
            watching.add_fact(inst, *args)
    [listed] = watching.list_facts(inst)
    assert (listed["id"], listed["text"], listed["watched"]) == (fact, "Daniel Whitcombe", True)

    # One source stopped by its number, one round: only the other is fetched.
    assert watching.remove_source(inst, str(first), by="admin@localhost").endswith("/a.html")
    with pytest.raises(UsageError, match="unknown watched source"):
        watching.remove_source(inst, str(first))
    watcher = watching.Watcher(inst, Fetcher(min_interval=0, deadline=3))
    [alert] = watcher.run_once(force=True)
    assert alert["kind"] == "fact" and alert["article"].endswith("/b.html")
    assert [p for _, p, _ in site.requests if p.endswith(".html")] == ["/b.html"]

    # The fact forgotten: a new article naming him raises nothing; its alert stays.
    watching.remove_fact(inst, fact, by="admin@localhost")
    with pytest.raises(UsageError, match="unknown sensitive fact"):
        watching.remove_fact(inst, fact)
    assert watching.list_facts(inst) == []
    site.routes["/c.html"] = (200, {"Content-Type": "text/html"}, page)
    watching.add_source(inst, site.url + "/c.html", "page", 60)
    assert watcher.run_once(force=True) == []
    assert len(watching.list_alerts(inst)) == 1
    # By its address, too.
    watching.remove_source(inst, site.url + "/c.html")
    assert [s["url"] for s in watching.list_sources(inst)] == [site.url + "/b.html"]
    with inst.reading() as s:
        kinds = s.scalars(select(LedgerEntry.kind).order_by(LedgerEntry.seq)).all()
        bodies = s.scalars(select(LedgerEntry.body).where(LedgerEntry.kind == "fact.removed")).all()
    assert kinds.count("watch.source.removed") == 2 and kinds.count("fact.removed") == 1
    assert "Whitcombe" not in bodies[0]


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_alerts_by_mail_through_starttls_and_a_login(inst, smtp_login):
    from orcon.service import mail

    ctl, inbox, logins = smtp_login
    cfg = watching.WatchConfig(
        smtp_host="127.0.0.1", smtp_port=ctl.port, mail_to=["duty@northshire.example"],
        smtp_starttls=True, smtp_user="orcon",
    )  # fmt: skip
    with pytest.raises(UsageError, match="needs its password"):
        watching.save_config(inst, cfg)
    mail.store_password(inst, "watch", "relay secret")
    watching.save_config(inst, cfg)
    watcher = watching.Watcher(inst, Fetcher(min_interval=0))
    said = watcher._deliver({"kind": "item", "article": "https://news.example/a"})
    assert said == "e-mail sent" and logins == [("orcon", "relay secret")]
    assert len(inbox.messages) == 1
    with pytest.raises(UsageError, match="needs --starttls"):
        watching.save_config(inst, watching.WatchConfig(smtp_host="x", smtp_user="orcon"))


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_an_article_updated_with_the_leak_is_read_again_and_alerts_once(inst, site, clock):
    """An Atom entry whose <updated> moves is read again, dated by its update; an
    article read again, or watched as a page too, raises no second alert for what it
    already showed."""
    directory.add_org(inst, "Harbour City PD")
    who = directory.add_person(inst, "o1@harbour.example", "Harbour City PD").email
    report = sharing.share(
        inst, REPORT, title="Kestrel", tlp="amber", to=["Harbour City PD"], filename="k.md"
    )
    leaked = sharing.issue_copy(inst, report.id, who).data.decode()
    leak_html = "<p>" + "</p><p>".join(leaked.split("\n\n")) + "</p>"
    first = clock.now - timedelta(hours=1)

    def publish(updated: datetime, body: str) -> None:
        feed = (
            '<feed xmlns="http://www.w3.org/2005/Atom"><title>Bugle</title><entry>'
            f'<title>Harbour story</title><link href="{site.url}/news/story.html"/>'
            f"<published>{iso(first)}</published><updated>{iso(updated)}</updated>"
            "</entry></feed>"
        )
        site.routes["/atom.xml"] = (200, {"Content-Type": "application/atom+xml"}, feed.encode())
        site.routes["/news/story.html"] = (200, {"Content-Type": "text/html"}, _html("S", body))

    publish(first, "<p>The council met on Tuesday to discuss the harbour wall.</p>")
    watching.add_source(inst, site.url + "/atom.xml", "feed", 60)
    watching.add_source(inst, site.url + "/news/story.html", "page", 60)
    watcher = watching.Watcher(inst, Fetcher(min_interval=0, deadline=3))
    assert watcher.run_once(force=True) == []
    clock.advance(minutes=30)
    publish(clock.now - timedelta(minutes=5), leak_html)  # updated with the leaked report
    # Both sources show the same article: one alert (the page's own read adds none).
    [from_feed] = watcher.run_once(force=True)
    assert from_feed["source"] == site.url + "/atom.xml"
    assert [x["person"] for x in from_feed["details"]["accused"]] == [who]
    assert from_feed["details"]["publication"]["published"] == iso(clock.now - timedelta(minutes=5))
    assert watcher.run_once(force=True) == []  # nothing new
    clock.advance(minutes=30)
    publish(clock.now, leak_html + "<p>Update: the force declined to comment.</p>")
    assert watcher.run_once(force=True) == []  # read again, but the leak is on record
    assert len(watching.list_alerts(inst)) == 1


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_an_alert_the_webhook_did_not_take_waits_in_the_outbox(inst, site, clock):
    """A receiver that answers 503 (or cannot be reached) gets the alert again, signed
    with the secret as configured then; one that answers 400 will never take it."""
    from orcon.service import outbox

    watching.save_config(
        inst, watching.WatchConfig(webhook_url=site.url + "/hook", webhook_secret="s3cret")
    )
    watcher = watching.Watcher(inst, Fetcher(min_interval=0))
    site.post_answers = [503]
    first = watcher._alert("fact", "https://feed.example/rss", "https://news.example/a",
                           None, None, {"fact": "Daniel Whitcombe"})  # fmt: skip
    site.post_answers = [400]
    watcher._alert("fact", "https://feed.example/rss", "https://news.example/b",
                   None, None, {"fact": "Daniel Whitcombe"})  # fmt: skip
    shown = {a["article"]: a["delivery"] for a in watching.list_alerts(inst)}
    assert shown["https://news.example/a"] == "webhook failed: HTTP 503; waiting in the outbox"
    assert shown["https://news.example/b"] == "webhook refused: HTTP 400"
    [waiting] = outbox.waiting(inst)
    assert (waiting.purpose, waiting.alert, waiting.to) == (
        "webhook",
        first["alert"],
        site.url + "/hook",
    )
    assert site.posts == []

    watching.save_config(
        inst, watching.WatchConfig(webhook_url=site.url + "/hook", webhook_secret="rotated")
    )
    clock.advance(minutes=1)
    assert len(outbox.retry(inst).sent) == 1 and outbox.waiting(inst) == []
    [(headers, body)] = site.posts
    assert json.loads(body)["article"] == "https://news.example/a"
    expected = hmac.new(b"rotated", body, hashlib.sha256).hexdigest()
    assert headers["X-Orcon-Signature"] == f"sha256={expected}"
    shown = {a["article"]: a["delivery"] for a in watching.list_alerts(inst)}
    assert shown["https://news.example/a"].endswith(
        f"webhook sent from the outbox at {iso(clock.now)}"
    )


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_test_alert_goes_every_way_alerts_go_and_waits_nowhere(inst, site, smtp):
    """`orcon watch test`: a signed webhook body of kind "test" and a test e-mail, sent
    now; what does not get through is reported, not kept in the outbox."""
    from orcon.service import outbox

    with pytest.raises(UsageError, match="sends alerts nowhere yet"):
        watching.test_delivery(inst)
    ctl, inbox = smtp
    watching.save_config(
        inst,
        watching.WatchConfig(
            webhook_url=site.url + "/hook", webhook_secret="s3cret", smtp_host="127.0.0.1",
            smtp_port=ctl.port, mail_to=["duty@northshire.example", "soc@northshire.example"],
        ),
    )  # fmt: skip
    hook, by_mail = watching.test_delivery(inst)
    assert (hook.ok, hook.said) == (True, "webhook 204")
    assert by_mail.ok and by_mail.channel.startswith(
        "e-mail to duty@northshire.example, soc@northshire.example via 127.0.0.1:"
    )
    [(headers, body)] = site.posts
    assert json.loads(body)["kind"] == "test" and json.loads(body)["instance"] == inst.origin
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-Orcon-Signature"] == f"sha256={expected}"
    [test_mail] = [email.message_from_bytes(m) for m in inbox.messages]
    assert test_mail["Subject"] == "orcon test message: leak alerts"

    site.post_answers = [503]
    cfg = watching.load_config(inst)
    with socket.socket() as probe:  # a port nobody listens on: the mail server is down
        probe.bind(("127.0.0.1", 0))
        cfg.smtp_port = probe.getsockname()[1]
    watching.save_config(inst, cfg)
    hook, by_mail = watching.test_delivery(inst)
    assert (hook.ok, hook.said) == (False, "webhook failed: HTTP 503")
    assert not by_mail.ok and "ConnectionRefusedError" in by_mail.said
    assert outbox.waiting(inst) == [] and watching.list_alerts(inst) == []


def test_a_fact_registered_twice_is_refused_until_it_is_forgotten_or_past(inst, clock):
    first = watching.add_fact(inst, "Daniel Whitcombe", None, clock.now + timedelta(hours=1))
    with pytest.raises(UsageError, match=f"already looked for \\(fact {first}\\)"):
        watching.add_fact(inst, "daniel whitcombe")
    clock.advance(hours=2)  # its embargo has passed: it is no longer looked for
    second = watching.add_fact(inst, "Daniel Whitcombe")
    watching.remove_fact(inst, second, by="admin@localhost")
    watching.add_fact(inst, "Daniel Whitcombe")  # forgotten: it may be registered anew
    assert [f["watched"] for f in watching.list_facts(inst)] == [False, True]
