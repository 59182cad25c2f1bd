"""Turn what a source publishes into articles: text and image addresses."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import lxml.html

from orcon.match.leaks import html_text


@dataclass(frozen=True, slots=True)
class Entry:
    url: str
    title: str
    summary: str
    published: datetime | None
    # Pictures the feed itself names for the entry (Media RSS, enclosures, <img> in its
    # summary): what is left to look at when the article's page cannot be fetched.
    images: tuple[str, ...] = ()
    # When the feed says the entry last changed (Atom <updated>): an article updated
    # with a photo after it was first read is read again.
    updated: datetime | None = None


def feed_entries(data: bytes, base: str) -> list[Entry]:
    """Entries of an RSS/Atom feed; a malformed feed yields what could be parsed (maybe nothing)."""
    parsed = feedparser.parse(data)
    out = []
    for e in parsed.entries[:200]:
        link = e.get("link")
        if not link:
            continue
        # dict.get: feedparser's own get maps a missing updated_parsed to published_parsed
        # (deprecated, with a warning).
        updated = _when(dict.get(e, "updated_parsed"))
        published = _when(dict.get(e, "published_parsed")) or updated
        updated = updated or published  # an RSS pubDate moved on an update counts as one
        summary = " ".join(c.get("value", "") for c in e.get("content", [])) or e.get("summary", "")
        url = urljoin(base, link)
        out.append(
            Entry(
                url,
                e.get("title", ""),
                _text_of(summary),
                published,
                _feed_pictures(e, summary, url),
                updated,
            )
        )
    return out


def _when(parsed: Any) -> datetime | None:
    return datetime(*parsed[:6]).replace(tzinfo=UTC) if parsed else None


def _feed_pictures(entry: Any, summary: str, base: str) -> tuple[str, ...]:
    """The pictures a feed names for an entry: Media RSS content and thumbnails (the
    largest first as listed), image enclosures, and pictures in its summary's HTML."""
    found: list[str] = []
    for media in entry.get("media_content", []) or []:
        kind = str(media.get("medium", "") or media.get("type", ""))
        if kind.startswith("image") and media.get("url"):
            found.append(str(media["url"]))
    for thumb in entry.get("media_thumbnail", []) or []:
        if thumb.get("url"):
            found.append(str(thumb["url"]))
    for link in entry.get("enclosures", []) or []:
        if str(link.get("type", "")).startswith("image/") and link.get("href"):
            found.append(str(link["href"]))
    if "<img" in summary:
        with contextlib.suppress(lxml.etree.ParserError, ValueError):
            found += picture_addresses(lxml.html.fromstring(summary))
    full = (urljoin(base, a.strip()) for a in found)
    return tuple(dict.fromkeys(a for a in full if a.startswith(("http://", "https://"))))


def _text_of(html: str) -> str:
    if not html.strip():
        return ""
    try:
        return " ".join(lxml.html.fromstring(html).text_content().split())
    except (lxml.etree.ParserError, ValueError):
        return html


# What an article may link to: a memo, a leak dump, a forwarded message.
DOCUMENT_SUFFIXES = (".pdf", ".docx", ".zip", ".eml", ".msg")


@dataclass(frozen=True, slots=True)
class Article:
    text: str
    images: list[str]  # absolute URLs of its pictures
    documents: list[str]  # absolute URLs of the PDFs and Word files it links


# Where news pages put their pictures besides <img src>: the lead photo in the page's
# metadata (Open Graph, Twitter cards), which is what a link preview shows; and, in the
# body, lazy loading (a placeholder in src, the picture in data-src and its kin) and
# responsive sets (srcset, <picture><source>), where the widest candidate is taken.
_LEAD = (
    "//meta[@property='og:image' or @property='og:image:url' or @property='og:image:secure_url'"
    " or @name='twitter:image' or @name='twitter:image:src']/@content"
    " | //link[@rel='image_src']/@href"
)
_LAZY = ("data-src", "data-lazy-src", "data-original", "data-url", "data-hi-res-src")
_SETS = ("srcset", "data-srcset", "data-lazy-srcset")


ENOUGH = 1000  # px: the shared photos' features are taken at 1,024 px


def srcset_choice(value: str) -> str | None:
    """The candidate of a srcset ("a.jpg 480w, b.jpg 1200w", or 1x/2x densities) to look
    at: the narrowest at least ENOUGH wide, else the widest. Parsed as HTML does: a URL
    runs to the next space (it may hold commas, as image services' "w_400,h_300" do), its
    descriptors to the next comma."""
    found: list[tuple[float, str]] = []
    i, n = 0, len(value)
    while i < n:
        while i < n and (value[i].isspace() or value[i] == ","):
            i += 1
        j = i
        while j < n and not value[j].isspace():
            j += 1
        address, i = value[i:j], j
        descriptor = ""
        if address.endswith(","):
            address = address.rstrip(",")
        else:
            k = value.find(",", i)
            k = n if k < 0 else k
            descriptor, i = value[i:k].strip(), k + 1
        if not address:
            continue
        size = 1.0 * 10**6  # no descriptor: 1x
        try:
            if descriptor.endswith("w"):
                size = float(descriptor[:-1])
            elif descriptor.endswith("x"):
                size = float(descriptor[:-1]) * 10**6  # a density: rank 2x above 1x
        except ValueError:
            pass
        found.append((size, address))
    if not found:
        return None
    wide = [c for c in found if ENOUGH <= c[0] < 10**6]  # widths, not densities
    return min(wide)[1] if wide else max(found)[1]


def picture_addresses(doc: lxml.html.HtmlElement) -> list[str]:
    """The addresses of a page's pictures, its lead photo first, each picture's best."""
    out: list[str] = [str(v).strip() for v in doc.xpath(_LEAD)]
    for node in doc.xpath("//img | //picture/source"):
        chosen = None
        for name in _SETS:
            if node.get(name):
                chosen = srcset_choice(str(node.get(name)))
                if chosen:
                    break
        for name in (*_LAZY, "src"):
            if chosen:
                break
            value = (node.get(name) or "").strip()
            if value and not value.startswith("data:"):  # a placeholder, not the picture
                chosen = value
        if chosen:
            out.append(chosen)
    return list(dict.fromkeys(a for a in out if a))


def article(html_bytes: bytes, url: str, max_images: int = 5, max_documents: int = 3) -> Article:
    """The main text of a web page, and the pictures and documents in it."""
    html = html_bytes.decode("utf-8", "replace")
    text = html_text(html)
    images: list[str] = []
    documents: list[str] = []
    try:
        doc = lxml.html.fromstring(html)
        for src in picture_addresses(doc)[: max_images * 3]:
            full = urljoin(url, src)
            if full.startswith(("http://", "https://")) and full not in images:
                images.append(full)
        for href in doc.xpath("//a/@href")[:500]:
            full = urljoin(url, str(href)).split("#", 1)[0]
            path = urlsplit(full).path.lower()
            if (
                full.startswith(("http://", "https://"))
                and path.endswith(DOCUMENT_SUFFIXES)
                and full not in documents
            ):
                documents.append(full)
    except (lxml.etree.ParserError, ValueError):
        pass
    return Article(text, images[:max_images], documents[:max_documents])
