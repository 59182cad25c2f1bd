"""Sharing items under handling markings and issuing each person their own copy."""

from __future__ import annotations

import hashlib
import json
import math
import secrets
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orcon.codes import DEFAULT_EPSILON, Code, CodeSpec, fewest_agreeing, plan
from orcon.codes.prf import derive_key
from orcon.codes.tardos import BiasLaw, default_bias, default_cutoff
from orcon.errors import CapacityError, PolicyDenied, StorageError, UsageError
from orcon.marks import text as text_marks
from orcon.marks.image import Embedder, decode, encode
from orcon.marks.image.codec import FORMATS, ImageFormat, picture_format
from orcon.marks.text import word
from orcon.marks.text.normalize import tokens
from orcon.match import image as match_image
from orcon.match import text as match_text
from orcon.policy import (
    DEFAULT_COLLUSION,
    DEFAULT_MAX_RECIPIENTS,
    ItemView,
    OrgView,
    PersonView,
    Role,
    Tlp,
    audience_problem,
    decide,
)
from orcon.service.directory import (
    find_org,
    find_person,
    org_view,
    person_view,
    stated_reason,
)
from orcon.service.instance import Instance
from orcon.store import ledger
from orcon.store.ledger import EventKind, iso
from orcon.store.models import Item, ItemFeatures, ItemOrg, ItemPerson, Org, Person, Recipient

MAX_UPLOAD = 64 * 1024 * 1024

# What a copy is sent as, by its item's format.
MEDIA_TYPES = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "tiff": "image/tiff",
    "bmp": "image/bmp",
    "markdown": "text/markdown; charset=utf-8",
    "text": "text/plain; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


@dataclass(frozen=True, slots=True)
class ItemInfo:
    id: str
    title: str
    kind: str
    format: str
    tlp: str
    no_onward: bool
    embargo_until: datetime | None
    expires_at: datetime | None
    recipient_orgs: tuple[str, ...]
    code_length: int
    max_recipients: int
    collusion: int
    created_at: datetime
    # Not a marking (copies are the same before and after): the originator's own state.
    withdrawn_at: datetime | None = None
    withdraw_reason: str | None = None
    markings_changed_at: datetime | None = None  # the last `item mark`; None: never

    @property
    def markings(self) -> str:
        """The banner shown with every copy, e.g. ``TLP:AMBER · NO ONWARD DISSEMINATION``."""
        parts = [f"TLP:{self.tlp}"]
        if self.no_onward:
            parts.append("NO ONWARD DISSEMINATION")
        if self.embargo_until is not None:
            parts.append(f"EMBARGOED UNTIL {iso(self.embargo_until)[:16]}Z")
        if self.expires_at is not None:
            parts.append(f"EXPIRES {iso(self.expires_at)[:16]}Z")
        return " · ".join(parts)

    def to_json(self) -> dict[str, Any]:
        """The item as the API and ``orcon item … --json`` print it (times in ISO 8601)."""
        d = asdict(self)
        for k in (
            "embargo_until",
            "expires_at",
            "created_at",
            "withdrawn_at",
            "markings_changed_at",
        ):
            d[k] = iso(d[k]) if d[k] else None
        d["markings"] = self.markings
        return d

    @property
    def shared_with(self) -> str:
        """Its recipient organisations in words, for the register."""
        return ", ".join(self.recipient_orgs) or "named people only"


@dataclass(frozen=True, slots=True, eq=False)
class IssuedCopy:
    item: ItemInfo
    person: str
    index: int
    data: bytes
    filename: str
    ledger_seq: int


def item_secret(inst: Instance, item_id: str) -> bytes:
    return derive_key(inst.secrets.fingerprint_key, f"orcon.item.v1/{item_id}")


def item_code(inst: Instance, item: Item) -> Code:
    bias = item.code_bias or BiasLaw.ARCSINE
    spec = CodeSpec(item.code_length, item.code_q, item.code_c, item.code_cutoff, bias)
    return Code.derive(spec, item_secret(inst, item.id))


def item_info(s: Session, item: Item, audience: _Audience | None = None) -> ItemInfo:
    orgs = (audience or _audiences(s, [item.id])[item.id]).org_names
    return ItemInfo(
        item.id,
        item.title,
        item.kind,
        item.media_format,
        item.tlp,
        item.no_onward,
        item.embargo_until,
        item.expires_at,
        tuple(orgs),
        item.code_length,
        item.max_recipients,
        item.code_c,
        item.created_at,
        item.withdrawn_at,
        item.withdraw_reason,
        item.markings_changed_at,
    )


def _safe_filename(name: str | None) -> str | None:
    if name is None:
        return None
    if "/" in name or "\\" in name or name in (".", "..") or "\x00" in name:
        raise UsageError(f"file name {name!r} must not contain path separators")
    return name


def share(
    inst: Instance,
    data: bytes,
    *,
    title: str,
    tlp: str,
    to: Sequence[str] = (),
    actor_email: str | None = None,
    filename: str | None = None,
    no_onward: bool = False,
    embargo_until: datetime | None = None,
    expires_at: datetime | None = None,
    named: Sequence[str] = (),
    max_recipients: int = DEFAULT_MAX_RECIPIENTS,
    collusion: int = DEFAULT_COLLUSION,
    fragile: bool = True,
    keep_hidden: bool = False,
    clear_properties: bool = False,
) -> ItemInfo:
    """Store an original encrypted, record its markings, and plan its fingerprint code.

    ``fragile`` adds invisible marks to text copies (see docs/marks-text.md); they
    help only with verbatim copies and are never needed to trace one. A Word report
    with comments, tracked changes or hidden text is refused unless ``keep_hidden``:
    every partner's copy would carry them, deleted drafts included. ``clear_properties``
    stores a Word report with its author, last saver, comments, manager and company
    emptied, so no copy carries them (the originator's own file is not touched).
    """
    _safe_filename(filename)
    title = title.strip()
    if not title or len(title) > 500:
        raise UsageError("a title of 1..500 characters is required")
    try:
        marking = Tlp.parse(tlp)
    except ValueError as err:
        raise UsageError(str(err)) from None
    if not data:
        raise UsageError("the file is empty")
    if len(data) > MAX_UPLOAD:
        raise UsageError(f"the file is larger than the {MAX_UPLOAD // 2**20} MiB upload limit")
    if max_recipients < 1 or collusion < 1:
        raise UsageError("--max-recipients and --collusion must be at least 1")
    now = inst.clock()
    if expires_at is not None and expires_at <= now:
        raise UsageError("the expiry time is already in the past")
    if problem := audience_problem(marking, len(to), len(named)):  # it would reach nobody
        raise UsageError(
            f"{problem} (--to ORG, --named EMAIL; on the Share page, the organisations "
            "and Named recipients)"
        )
    kind = "photo" if picture_format(data) is not None else "text"
    in_word = kind == "text" and word.is_word(data)
    if in_word and not keep_hidden and (unseen := word.hidden_content(data)):
        raise UsageError(
            f"the Word document holds {_and(unseen)}, which every partner's copy would "
            "carry: in Word, accept or reject the changes and delete the comments (Review), "
            "or run File > Info > Check for Issues > Inspect Document, then share it again; "
            "to share it as it is, use --keep-hidden"
        )
    if clear_properties:
        if not in_word:
            raise UsageError(
                "--clear-properties is for Word documents (.docx): other files carry no "
                "document properties orcon would copy"
            )
        data = word.clear_personal_properties(data)
    if kind == "text" and not in_word and _looks_binary(data):
        raise UsageError(
            f"unsupported file: orcon shares photos ({FORMATS}) and reports as Word documents "
            "(.docx) or UTF-8 text or Markdown"
        )
    model = b""  # a text item's sites, kept with it (see text_document)
    if kind == "photo":
        image = decode(data)
        fmt_name = image.format.value  # its copies' format (JPEG for AVIF and HEIC)
        length = plan(max_recipients, collusion)
        # Raises CapacityError (saying how large it must be) if the photo cannot carry the code.
        Embedder(image.pixels, length, secrets.token_bytes(32))
        features = match_image.extract(image.pixels)
        keypoints, descriptors, scale = (
            features.keypoints.tobytes(),
            features.descriptors.tobytes(),
            repr(features.scale),
        )
    else:
        doc = text_marks.parse(_report_text(data), fragile=fragile)
        length = doc.symbols  # the wording's symbols, then the fragile marks'
        need = text_symbols_needed(max_recipients)
        collusion = 1  # identification code: see docs/marks-text.md and ADR 0005
        if doc.capacity < need:  # planned on the wording alone: it survives retyping
            more = math.ceil((need - doc.capacity) / max(doc.bits_per_word, 0.05))
            most = max_text_recipients(doc.capacity)
            fewer = f"fewer recipients (at most {most:,})" if most else "fewer recipients"
            symbols = f"{doc.capacity} code symbol{'' if doc.capacity == 1 else 's'}"
            raise CapacityError(
                f"the text is too short to carry a fingerprint for {max_recipients:,} "
                f"recipients: it carries {symbols} in {doc.words} "
                f"word{'' if doc.words == 1 else 's'} and "
                f"needs {need} (about {more} more words of similar prose, {fewer}, or wordings "
                "of your own written as {{alt:first|second}}: see `orcon marks text preview`)"
            )
        markdown = (filename or "").endswith((".md", ".markdown")) or data.lstrip()[:1] == b"#"
        fmt_name = "docx" if in_word else "markdown" if markdown else "text"
        keypoints, descriptors, scale = b"", match_text.item_shingles(doc).tobytes(), "text"
        model = json.dumps(text_marks.to_model(doc)).encode()
    item_id = "itm_" + secrets.token_hex(8)
    wrapped = inst.blobs.put(item_id, data)
    sealed_model = inst.blobs.seal(item_id, wrapped, TEXT_MODEL, model) if kind == "text" else None
    try:
        with inst.transaction() as s:
            orgs = [find_org(s, o) for o in dict.fromkeys(to)]
            people = [find_person(s, e) for e in dict.fromkeys(named)]
            actor = (
                find_person(s, actor_email)
                if actor_email
                else s.scalars(
                    select(Person).where(Person.role == Role.ADMIN.value).order_by(Person.id)
                ).first()
            )
            assert actor is not None
            item = Item(
                id=item_id,
                title=title,
                kind=kind,
                media_format=fmt_name,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                wrapped_key=wrapped,
                code_length=length,
                code_q=2,
                code_c=collusion,
                code_cutoff=default_cutoff(collusion, 2),
                code_bias=default_bias(2).value,
                text_model=sealed_model,
                max_recipients=max_recipients,
                tlp=marking.value,
                no_onward=no_onward,
                embargo_until=embargo_until,
                expires_at=expires_at,
                created_at=now,
                created_by=actor.id,
            )
            s.add(item)
            s.flush()
            for o in orgs:
                s.add(ItemOrg(item_id=item_id, org_id=o.id))
            for p in people:
                s.add(ItemPerson(item_id=item_id, person_id=p.id))
            ledger.append(
                s,
                EventKind.ITEM_SHARED,
                {
                    "item": item_id,
                    "title": title,
                    "sha256": item.sha256,
                    "tlp": marking.value,
                    "no_onward": no_onward,
                    "to": [o.name for o in orgs],
                    "named": [p.email for p in people],
                    "embargo_until": iso(embargo_until) if embargo_until else None,
                    "expires_at": iso(expires_at) if expires_at else None,
                    "by": actor.email,
                    "code": {
                        "length": length,
                        "q": 2,
                        "c": collusion,
                        "n": max_recipients,
                        "bias": item.code_bias,
                    },
                },
                now,
            )
            s.flush()
            s.add(
                ItemFeatures(
                    item_id=item_id, keypoints=keypoints, descriptors=descriptors, scale=scale
                )
            )
            return item_info(s, item)
    except BaseException:
        inst.blobs.delete(item_id)
        raise


def get_item(inst: Instance, item_id: str) -> ItemInfo:
    with inst.reading() as s:
        return item_info(s, find_item(s, item_id))


def get_items(inst: Instance, item_ids: Sequence[str]) -> dict[str, ItemInfo]:
    """Several items in one read (those that exist), by id."""
    with inst.reading() as s:
        items = s.scalars(select(Item).where(Item.id.in_(list(item_ids)))).all()
        auds = _audiences(s, [i.id for i in items])
        empty = _Audience(frozenset(), frozenset(), ())
        return {i.id: item_info(s, i, auds.get(i.id, empty)) for i in items}


def _matching(query: str) -> Any:
    """Items whose title or id holds ``query`` (any case; % and _ are plain characters)."""
    needle = query.strip().lower()
    return func.lower(Item.title).contains(needle, autoescape=True) | func.lower(Item.id).contains(
        needle, autoescape=True
    )


def count_items(inst: Instance, query: str = "") -> int:
    """How many items the register holds (or how many a search finds)."""
    with inst.reading() as s:
        q = select(func.count()).select_from(Item)
        if query.strip():
            q = q.where(_matching(query))
        return int(s.scalar(q) or 0)


def list_items(
    inst: Instance, limit: int | None = None, query: str = ""
) -> list[tuple[ItemInfo, int]]:
    """Every shared item (or the newest ``limit``; or those whose title or id holds
    ``query``), newest first, with how many people hold a copy of it: the originator's
    register, expired and withdrawn items and items of halted partners included (the
    inbox, ``list_items_for``, shows only what a person may receive now)."""
    with inst.reading() as s:
        q = select(Item).order_by(Item.created_at.desc(), Item.id)
        if query.strip():
            q = q.where(_matching(query))
        items = s.scalars(q.limit(limit)).all()
        # All items: no id list (it could outgrow the database's bound parameters).
        ids = None if limit is None else [i.id for i in items]
        auds = _audiences(s, ids)
        empty = _Audience(frozenset(), frozenset(), ())
        counts = select(Recipient.item_id, func.count()).group_by(Recipient.item_id)
        if ids is not None:
            counts = counts.where(Recipient.item_id.in_(ids))
        held = dict(s.execute(counts).all())
        return [(item_info(s, i, auds.get(i.id, empty)), int(held.get(i.id, 0))) for i in items]


def find_item(s: Session, item_id: str) -> Item:
    item = s.get(Item, item_id.strip())
    if item is None:
        raise UsageError(f"unknown item {item_id!r}")
    return item


@dataclass(frozen=True, slots=True)
class _Audience:
    orgs: frozenset[int]
    named: frozenset[int]
    org_names: tuple[str, ...]


def _audiences(s: Session, item_ids: Sequence[str] | None = None) -> dict[str, _Audience]:
    """Who each item is shared with, for many items in three queries (not three per item)."""
    org_q = select(ItemOrg.item_id, Org.id, Org.name).join(Org, Org.id == ItemOrg.org_id)
    named_q = select(ItemPerson.item_id, ItemPerson.person_id)
    if item_ids is not None:
        org_q = org_q.where(ItemOrg.item_id.in_(item_ids))
        named_q = named_q.where(ItemPerson.item_id.in_(item_ids))
    orgs: dict[str, list[tuple[int, str]]] = {}
    for item_id, org_id, name in s.execute(org_q):
        orgs.setdefault(item_id, []).append((org_id, name))
    named: dict[str, set[int]] = {}
    for item_id, person_id in s.execute(named_q):
        named.setdefault(item_id, set()).add(person_id)
    ids = item_ids if item_ids is not None else list({*orgs, *named})
    return {
        i: _Audience(
            frozenset(o for o, _ in orgs.get(i, [])),
            frozenset(named.get(i, set())),
            tuple(sorted(n for _, n in orgs.get(i, []))),
        )
        for i in ids
    }


def item_view(item: Item, orgs: frozenset[int], named: frozenset[int]) -> ItemView:
    """What the policy decides on about an item, given its audience."""
    return ItemView(
        Tlp(item.tlp),
        item.no_onward,
        orgs,
        named,
        item.expires_at,
        item.withdrawn_at is not None,
        item.withdraw_reason,
        item.embargo_until,
    )


def withdraw(inst: Instance, item_id: str, reason: str, by: str) -> ItemInfo:
    """Stop an item reaching anyone at once (shared by mistake, or overtaken by events),
    whatever its markings and expiry say. Nothing is deleted: the copies already issued
    stay on record and traceable, and the originator's register still lists it."""
    reason = stated_reason(reason, "withdraw an item")
    with inst.transaction() as s:
        item = find_item(s, item_id)
        if item.withdrawn_at is not None:
            raise UsageError(f"{item.id} is already withdrawn (since {iso(item.withdrawn_at)})")
        now = inst.clock()
        item.withdrawn_at, item.withdraw_reason = now, reason
        event = {"by": by, "item": item.id, "reason": reason}
        ledger.append(s, EventKind.ITEM_WITHDRAWN, event, now)
        return item_info(s, item)


def reinstate(inst: Instance, item_id: str, by: str) -> ItemInfo:
    """Undo a withdrawal: the item reaches its audience again, with the same copies."""
    with inst.transaction() as s:
        item = find_item(s, item_id)
        if item.withdrawn_at is None:
            raise UsageError(f"{item.id} is not withdrawn")
        now = inst.clock()
        item.withdrawn_at, item.withdraw_reason = None, None
        ledger.append(s, EventKind.ITEM_REINSTATED, {"by": by, "item": item.id}, now)
        return item_info(s, item)


def _views(
    s: Session, item: Item, person: Person, audience: _Audience | None = None
) -> tuple[PersonView, ItemView, OrgView]:
    aud = audience or _audiences(s, [item.id])[item.id]
    iv = item_view(item, aud.orgs, aud.named)
    return person_view(person), iv, org_view(person.org)


@dataclass(frozen=True, slots=True)
class Entitled:
    """Someone the policy allows to receive an item now."""

    email: str
    name: str
    org: str


def entitled_people(inst: Instance, item_id: str) -> list[Entitled]:
    """Everyone the policy allows to receive the item now (originator staff excluded), by e-mail."""
    with inst.reading() as s:
        item = find_item(s, item_id)
        now = inst.clock()
        aud = _audiences(s, [item.id])[item.id]
        people = s.scalars(
            select(Person).join(Org, Org.id == Person.org_id).order_by(Person.email)
        ).all()
        return [
            Entitled(p.email, p.name or "", p.org.name)
            for p in people
            if not p.org.is_originator and decide(*_views(s, item, p, aud), now)
        ]


def entitled(inst: Instance, item_id: str) -> list[str]:
    """E-mails of everyone the policy allows to receive the item now (originator staff excluded)."""
    return [p.email for p in entitled_people(inst, item_id)]


def visible_to(inst: Instance, item_id: str, email: str) -> bool:
    """May this person see the item now? (one policy decision, not the whole inbox)"""
    with inst.reading() as s:
        item = s.get(Item, item_id.strip())
        person = s.scalars(select(Person).where(Person.email == email.strip().lower())).first()
        if item is None or person is None:
            return False
        return bool(decide(*_views(s, item, person), inst.clock()))


def list_items_for(inst: Instance, email: str) -> list[ItemInfo]:
    """Items the person may receive now (the inbox)."""
    with inst.reading() as s:
        person = find_person(s, email)
        now = inst.clock()
        items = s.scalars(select(Item).order_by(Item.created_at.desc())).all()
        auds = _audiences(s)
        empty = _Audience(frozenset(), frozenset(), ())
        return [
            item_info(s, i, auds.get(i.id, empty))
            for i in items
            if decide(*_views(s, i, person, auds.get(i.id, empty)), now)
        ]


def text_symbols_needed(recipients: int) -> int:
    """Enough wording symbols that a complete retyped copy, read without error, names its
    holder at the default ε (1e-6).

    Text codes are identification codes (c = 1): an innocent's codeword agrees
    with all of m uniform symbols with probability 2^-m, so a perfect read
    needs about log2(n/ε) of them (see :func:`quote_words_needed`). The factor
    1.5 leaves room for a partial read.
    """
    return math.ceil(1.5 * math.log2(recipients / DEFAULT_EPSILON))


def quote_words_needed(doc: text_marks.Document, recipients: int) -> int | None:
    """About how many words of ``doc``, retyped, name a single leaker among
    ``recipients`` at the default bound: the fewest agreeing wording symbols
    that can accuse (exact, orcon.codes.fewest_agreeing) at the document's own
    symbols per word. None when even the whole document carries too few."""
    if recipients < 1:
        raise UsageError("the number of recipients must be at least 1")
    # A read this short is scored by the symmetric decoder alone, with all of ε (accuse).
    needed = fewest_agreeing(recipients, DEFAULT_EPSILON, 1.0)
    if doc.capacity < needed:
        return None
    return doc.words_for(needed)


MOST_TEXT_RECIPIENTS = 10**12  # past this the answer is "as many as you like"


def max_text_recipients(capacity: int) -> int:
    """The most recipients a wording of ``capacity`` symbols may be shared with
    (``text_symbols_needed`` of them at most ``capacity``; 0 if not even one), so
    an author is told the number sharing accepts, not a rounded one."""
    if text_symbols_needed(MOST_TEXT_RECIPIENTS) <= capacity:
        return MOST_TEXT_RECIPIENTS
    # 1.5·log2(n/ε) <= capacity  <=>  n <= ε·2^(capacity/1.5); mend float rounding.
    n = max(int(DEFAULT_EPSILON * 2 ** (capacity / 1.5)), 0)
    while n >= 1 and text_symbols_needed(n) > capacity:
        n -= 1
    while text_symbols_needed(n + 1) <= capacity:
        n += 1
    return n


def text_preview(data: bytes, locale: str = "en-GB", recipients: int = 100) -> dict[str, Any]:
    """What copies of a report would vary, for its author (CLI and API alike): the
    capacity, the quote length that names a source among ``recipients``, every
    site, and the sentences that read the same in every copy."""
    if picture_format(data) is not None:
        raise UsageError(
            "this is a photo: the preview is for text reports (a photo's copies differ by "
            "marks no one can see, not by wording)"
        )
    doc = text_marks.parse(_report_text(data), locale)
    in_word = word.is_word(data)
    return {
        **_wording(doc, recipients),
        "hidden_content": word.hidden_content(data) if in_word else [],
        "document_properties": word.personal_properties(data) if in_word else [],
    }


def item_wording(inst: Instance, item_id: str) -> dict[str, Any]:
    """Where the copies of a shared text item differ, from the sites kept with it when it
    was shared (so after a lexicon change too): what its author previewed, for the
    originator reading a trace of it, or checking what partners received."""
    with inst.reading() as s:
        item = find_item(s, item_id)
    if item.kind != "text":
        raise UsageError(f"{item.id} is a photo: its copies differ by marks, not by wording")
    return _wording(text_document(inst, item), item.max_recipients)


def _wording(doc: text_marks.Document, recipients: int) -> dict[str, Any]:
    by_sentence: dict[int, list[text_marks.Site]] = {}
    for site in doc.sites:
        by_sentence.setdefault(site.sentence, []).append(site)
    marked = []
    for si, sites in by_sentence.items():  # sites come in text order
        sent, pos, out = doc.sentences[si], doc.sentences[si].start, []
        for site in sites:
            shown = (f.strip() or "∅" for f in site.forms)  # "∅": no word or comma there
            space = " " if all(f.endswith(" ") for f in site.forms) else ""  # ", and" / " and"
            out += [doc.source[pos : site.start], "[" + "|".join(shown) + "]" + space]
            pos = site.end
        out.append(doc.source[pos : sent.end])
        marked.append({"sentence": si + 1, "text": " ".join("".join(out).split())})
    return {
        "words": doc.words,
        "symbols": doc.capacity,
        "fragile_marks": len(doc.gaps),
        "bits_per_word": round(doc.bits_per_word, 4),
        "max_recipients": max_text_recipients(doc.capacity),
        "recipients": recipients,
        "quote_words_needed": quote_words_needed(doc, recipients),
        "sentences": len(doc.sentences),
        "sentences_without_sites": [
            i + 1 for i in range(len(doc.sentences)) if i not in by_sentence
        ],
        "marked": marked,
        "sites": [
            {
                "sentence": s.sentence,
                "kind": s.kind,
                "forms": list(s.forms),
                "text": doc.source[s.start : s.end],
            }
            for s in doc.sites
        ],
    }


def _and(phrases: list[str]) -> str:
    return phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1]


def _report_text(data: bytes) -> str:
    """A report's text as the fingerprint reads it: a Word document's paragraphs, or the
    text of a UTF-8 text or Markdown file."""
    return word.source(data) if word.is_word(data) else text_marks.decode_text(data)


def _item_text(inst: Instance, item: Item) -> str:
    blob = inst.blobs.get(item.id, item.wrapped_key)
    return word.source(blob) if item.media_format == "docx" else text_marks.decode_text(blob)


def _looks_binary(data: bytes) -> bool:
    head = data[:4096]
    return b"\x00" in head or head.startswith((b"%PDF", b"PK\x03\x04", b"MZ", b"GIF8", b"\x7fELF"))


TEXT_MODEL = "text model"


def text_words(inst: Instance, item: Item) -> list[str]:
    """Every word a copy of a text item may hold: its original's and every wording's.

    What OCR's lost spaces are put back with; read from the item's model without
    rebuilding the reader's context (a few times cheaper than :func:`text_document`,
    which matters when thousands of texts are shared)."""
    hit = inst.cache.get("text", item.id)
    if hit is not None or item.text_model is None:
        doc = hit if hit is not None else text_document(inst, item)
        return [w for part in (doc.source, *(f for x in doc.sites for f in x.forms)) for w in
                tokens(part)]  # fmt: skip
    text = _item_text(inst, item)
    raw = inst.blobs.unseal(item.id, item.wrapped_key, TEXT_MODEL, item.text_model)
    try:
        forms = [str(f) for site in json.loads(raw)["sites"] for f in site[2]]
    except (KeyError, TypeError, ValueError, IndexError) as err:
        raise StorageError(f"the text model of item {item.id} is unusable: {err}") from None
    words = tokens(text_marks.plain_source(text))
    for form, times in Counter(forms).items():  # the same wordings recur: fold each once
        words += tokens(form) * times
    return words


def text_document(inst: Instance, item: Item) -> text_marks.Document:
    """The parsed original of a text item, cached per instance."""
    hit: text_marks.Document | None = inst.cache.get("text", item.id)
    if hit is None:
        text = _item_text(inst, item)
        if item.text_model is None:  # shared before items kept their model (revision 0004)
            hit = text_marks.parse(text, fragile=False)
        else:
            raw = inst.blobs.unseal(item.id, item.wrapped_key, TEXT_MODEL, item.text_model)
            try:
                hit = text_marks.from_model(text, json.loads(raw))
            except (UsageError, ValueError) as err:
                raise StorageError(f"the text model of item {item.id} is unusable: {err}") from None
        inst.cache.put("text", item.id, hit)
    return hit


def _prepared(inst: Instance, item: Item) -> tuple[Embedder, ImageFormat, int | None]:
    """The item's embedder (layout and mask, shared by every copy), cached per instance."""
    hit: tuple[Embedder, ImageFormat, int | None] | None = inst.cache.get("embedder", item.id)
    if hit is None:
        img = decode(inst.blobs.get(item.id, item.wrapped_key))
        embedder = Embedder(img.pixels, item.code_length, item_secret(inst, item.id))
        hit = inst.cache.put("embedder", item.id, (embedder, img.format, img.jpeg_quality))
    return hit


def issue_copy(inst: Instance, item_id: str, email: str, by: str | None = None) -> IssuedCopy:
    """Return ``email``'s own fingerprinted copy, recording copy.issued in the same transaction.

    ``by`` names who asked for it when that is not the recipient (an administrator who
    sends a partner their copy, or "cli"): the ledger event says so, so that a copy that
    passed through the originator's hands is on record as having done so. A refusal is
    recorded too (access.denied) and then raised as PolicyDenied.
    """
    denied: str | None = None
    with inst.transaction() as s:
        item = find_item(s, item_id)
        person = find_person(s, email)
        now = inst.clock()
        verdict = decide(*_views(s, item, person), now)
        if not verdict:
            denied = verdict.reason
            ledger.append(
                s,
                EventKind.ACCESS_DENIED,
                {"item": item.id, "person": person.email, "reason": denied},
                now,
            )
        else:
            issued = _issue(inst, s, item, person, now, by)
    if denied is not None:
        raise PolicyDenied(denied)
    return issued


def _issue(
    inst: Instance, s: Session, item: Item, person: Person, now: datetime, by: str | None
) -> IssuedCopy:
    ledger.lock(s)  # before choosing a recipient index, so two issuers never pick the same one
    row = s.get(Recipient, (item.id, person.id))
    if row is None:
        used = (
            s.scalar(
                select(func.count()).select_from(Recipient).where(Recipient.item_id == item.id)
            )
            or 0
        )
        if used >= item.max_recipients:
            raise UsageError(
                f"item {item.id} was planned for {item.max_recipients} recipients and all are used"
            )
        index = int(used)
    else:
        index = row.code_index
    codeword = item_code(inst, item).codeword(index)
    info = item_info(s, item)
    if item.kind == "text":
        body = text_marks.render(text_document(inst, item), codeword)
        if item.media_format == "docx":
            data = word.copy(inst.blobs.get(item.id, item.wrapped_key), body, info.markings)
        else:
            md = item.media_format == "markdown"
            banner = f"> **{info.markings}**\n\n" if md else f"{info.markings}\n\n"
            data = (banner + body).encode("utf-8")
    else:
        emb, fmt, quality = _prepared(inst, item)
        data = encode(emb.mark(codeword), fmt, quality)
    commitment = hashlib.sha256(
        item.id.encode() + index.to_bytes(8, "big") + np.packbits(codeword).tobytes()
    ).hexdigest()
    event: dict[str, Any] = {
        "item": item.id,
        "person": person.email,
        "org": person.org.name,
        "index": index,
        "codeword_commitment": commitment,
        "copy_sha256": hashlib.sha256(data).hexdigest(),
    }
    if by and by != person.email:
        event["by"] = by
    seq = ledger.append(s, EventKind.COPY_ISSUED, event, now)
    if row is None:
        s.add(
            Recipient(
                item_id=item.id,
                person_id=person.id,
                code_index=index,
                first_issued_at=now,
                ledger_seq=seq,
            )
        )
    return IssuedCopy(info, person.email, index, data, copy_filename(item, person.email), seq)


def copy_filename(item: Item, email: str) -> str:
    """A copy's file name: the item and the whole address, so that two people who share a
    mailbox name at different partners (duty@…, intel@…) never get the same name, and one
    copy never overwrites another in a folder or an archive. Characters a file name should
    not hold (a '/' is legal in an address) are percent-encoded, which keeps names distinct."""
    from urllib.parse import quote

    ext = {"jpeg": "jpg", "markdown": "md", "text": "txt"}.get(item.media_format, item.media_format)
    return f"{item.id}-{quote(email, safe='@.+-_')}.{ext}"
