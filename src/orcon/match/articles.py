"""Turn what a source publishes into articles: text and image addresses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
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


def feed_entries(data: bytes, base: str) -> list[Entry]:
    """Entries of an RSS/Atom feed; a malformed feed yields what could be parsed (maybe nothing)."""
    parsed = feedparser.parse(data)
    out = []
    for e in parsed.entries[:200]:
        link = e.get("link")
        if not link:
            continue
        when = e.get("published_parsed") or e.get("updated_parsed")
        published = datetime(*when[:6]).replace(tzinfo=UTC) if when else None
        summary = " ".join(c.get("value", "") for c in e.get("content", [])) or e.get("summary", "")
        out.append(Entry(urljoin(base, link), e.get("title", ""), _text_of(summary), published))
    return out


def _text_of(html: str) -> str:
    if not html.strip():
        return ""
    try:
        return " ".join(lxml.html.fromstring(html).text_content().split())
    except (lxml.etree.ParserError, ValueError):
        return html


DOCUMENT_SUFFIXES = (".pdf", ".docx")  # documents an article may link: a leaked memo


@dataclass(frozen=True, slots=True)
class Article:
    text: str
    images: list[str]  # absolute URLs of its pictures
    documents: list[str]  # absolute URLs of the PDFs and Word files it links


def article(html_bytes: bytes, url: str, max_images: int = 5, max_documents: int = 3) -> Article:
    """The main text of a web page, and the pictures and documents in it."""
    html = html_bytes.decode("utf-8", "replace")
    text = html_text(html)
    images: list[str] = []
    documents: list[str] = []
    try:
        doc = lxml.html.fromstring(html)
        for src in doc.xpath("//img/@src")[: max_images * 3]:
            full = urljoin(url, str(src))
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
