"""Trace a leak to the item it came from and the people whose copies it carries."""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

import cv2
import numpy as np
from sqlalchemy import select

from orcon.codes import DEFAULT_EPSILON, Decoder, Suspect, Verdict, accuse, fewest_agreeing
from orcon.codes.accuse import decoder_shares
from orcon.codes.observation import combined
from orcon.errors import MatchError, UsageError
from orcon.marks import text as text_marks
from orcon.marks.image import codec, decode, read_pixels
from orcon.marks.image.reader import ImageReading
from orcon.marks.text import TextReading
from orcon.match import image as match
from orcon.match import leaks, ocr, scans
from orcon.match import text as match_text
from orcon.service.instance import Instance
from orcon.service.sharing import item_code, item_secret, text_document, text_words
from orcon.store import ledger
from orcon.store.ledger import EventKind
from orcon.store.models import Item, ItemFeatures, Org, Person, Recipient

MAX_CANDIDATE_ITEMS = 5
INDEX_ABOVE = 2000  # photos; below this the exact linear scan is fast enough


@dataclass(frozen=True, slots=True)
class SuspectInfo:
    person: str
    org: str
    score: float
    p_value: float
    decoder: str


@dataclass(frozen=True, slots=True, eq=False)
class TraceResult:
    verdict: str  # accused | inconclusive | no-match
    item: str | None
    accused: tuple[SuspectInfo, ...]
    candidates: tuple[SuspectInfo, ...]
    false_accusation_bound: float
    read: int
    erased: int
    population: int
    matched_items: tuple[tuple[str, int], ...] = ()
    notes: tuple[str, ...] = ()
    reading: ImageReading | TextReading | None = field(default=None, repr=False)
    ledger_seq: int | None = None
    decoders: tuple[str, ...] = ()
    ranked: tuple[int, ...] = ()  # code indices the side-informed decoder ranked first
    # What the leak was read from ("image", "text", "html", "mhtml", "pdf", "pdf pages", "docx",
    # "picture of text", "scanned pdf"), for a text leak the words read from it (what the
    # reader was given), and the picture that was read.
    leak_format: str = "image"
    leak_text: str | None = field(default=None, repr=False)
    leak_picture: np.ndarray | None = field(default=None, repr=False)  # a photo, page or screenshot
    # A photo found in a small part of a picture: the whole picture, and that part's box.
    leak_context: np.ndarray | None = field(default=None, repr=False)
    leak_box: tuple[int, int, int, int] | None = None
    # The other shared items found in the same leak (a PDF's photos beside its text).
    others: tuple[TraceResult, ...] = ()

    def to_json(self) -> dict[str, object]:
        def row(s: SuspectInfo) -> dict[str, object]:
            return {"person": s.person, "org": s.org, "score": s.score, "p_value": s.p_value}

        return {
            "verdict": self.verdict,
            "item": self.item,
            "accused": [row(s) for s in self.accused],
            "candidates": [row(s) for s in self.candidates],
            "false_accusation_bound": self.false_accusation_bound,
            "symbols": {"read": self.read, "erased": self.erased},
            "notes": list(self.notes),
            **({"others": [o.to_json() for o in self.others]} if self.others else {}),
        }


def _item_features(row: ItemFeatures) -> match.Features:
    pts = np.frombuffer(row.keypoints, np.float32).reshape(-1, 2)
    desc = np.frombuffer(row.descriptors, np.uint8).reshape(-1, 32)
    return match.Features(pts, desc, float(row.scale))


def _suspect(who: dict[int, tuple[str, str]], sus: Suspect) -> SuspectInfo:
    email, org = who[sus.index]
    return SuspectInfo(email, org, float(sus.score), float(sus.p_value), str(sus.decoder))


def _issued(inst: Instance, item_id: str) -> dict[int, tuple[str, str]]:
    with inst.reading() as s:
        rows = s.execute(
            select(Recipient.code_index, Person.email, Org.name)
            .join(Person, Person.id == Recipient.person_id)
            .join(Org, Org.id == Person.org_id)
            .where(Recipient.item_id == item_id)
        ).all()
    return {int(idx): (email, org) for idx, email, org in rows}


def _photo_candidates(
    inst: Instance, photos: dict[str, match.Features], variants: list[match.Features]
) -> list[tuple[str, int]]:
    if len(photos) > INDEX_ABOVE:
        # Many photos: vote in an LSH index first, then check only the best-voted exactly.
        index = inst.cache.get("feature-index", len(photos))
        if index is None:
            index = inst.cache.put(
                "feature-index", len(photos), match.FeatureIndex(list(photos.items()))
            )
        chosen = [i for i, _ in index.candidates(variants)]
        return match.rank(variants, ((i, photos[i]) for i in chosen))
    return match.rank(variants, photos.items())


LEAST_SIDE = 640  # a smaller picture is enlarged to this before its features are found
MAX_PHOTOS_IN_PICTURE = 3  # shared photos looked for in one picture (a page, a collage)
TEXT_BESIDE_PHOTOS = 0.15  # a picture this much outside its shared photos is read for text


@dataclass(frozen=True, slots=True, eq=False)
class _Leak:
    """One thing a leaked file held: the items it may come from, and a picture (a photo,
    page or screenshot) or the words of a text (as read from a web page, PDF, Word file or
    picture), with what it was read from. A file may hold several: a briefing pack's
    text and the photos in it, a newspaper page's photo and the quote beside it."""

    kind: str  # photo | text
    ranked: list[tuple[str, int]]
    source: str  # a key of _READ_FROM, or "image" / "text"
    text: str | None = None
    picture: np.ndarray | None = None
    where: str = ""  # where in the file, for a picture taken out of it ("page 2")
    ocr_pictures: int = 0  # pictures inside the file whose text was read by OCR into ``text``
    # For a photo found in a small part of a picture (a page), the whole picture and the
    # part's box (x0, y0, x1, y1): the evidence report shows where on the page it was.
    context: np.ndarray | None = None
    box: tuple[int, int, int, int] | None = None
    # For a part of a file inside an archive or an e-mail: which, and what in it was not read.
    container: str = ""  # "archive" | "e-mail"
    member: str = ""
    unread: tuple[str, ...] = ()
    omitted: tuple[str, ...] = ()  # what of the file itself was not read (a PDF's pages)
    # Other frames of a video that show the same photo (next best first): read with it.
    frames: tuple[np.ndarray, ...] = ()


def _photos_in(
    inst: Instance, photos: dict[str, match.Features], picture: np.ndarray, source: str, where: str
) -> tuple[list[_Leak], np.ndarray | None, np.ndarray]:
    """The shared photos in a picture (each with the items it may be), what of the
    picture lies outside them, blanked where they were (None when they fill it), and
    where they were (a mask)."""
    found: list[_Leak] = []
    rest: np.ndarray | None = picture
    seen: set[str] = set()
    covered = np.zeros(picture.shape[:2], bool)
    while rest is not None and len(found) < MAX_PHOTOS_IN_PICTURE:
        variants = [
            match.extract(rest, least=LEAST_SIDE),
            match.extract(cv2.flip(rest, 1), least=LEAST_SIDE),
        ]
        ranked = [x for x in _photo_candidates(inst, photos, variants) if x[0] not in seen]
        if not ranked:
            break
        top = ranked[0][0]
        seen.add(top)
        mask = match.footprint(rest.shape, variants, photos[top], _photo_size(inst, top))
        part, box = _around(picture, mask)
        found.append(
            _Leak(
                "photo",
                ranked,
                source,
                picture=part,
                where=where,
                context=picture if box else None,
                box=box,
            )
        )
        covered |= mask > 0
        if not mask.any() or 1.0 - covered.mean() < TEXT_BESIDE_PHOTOS:
            rest = None
        else:
            rest = rest.copy()
            rest[mask > 0] = 255
    return found, rest, covered


def _around(
    picture: np.ndarray, mask: np.ndarray
) -> tuple[np.ndarray, tuple[int, int, int, int] | None]:
    """The part of a picture where a shared photo was found, when that is a small part of
    it (a photo on a page): registering the photo alone is surer than the whole page. With
    the part's box in the picture, or None when the part is the whole picture."""
    ys, xs = np.nonzero(mask)
    if not len(xs):
        return picture, None
    x0, x1, y0, y1 = int(xs.min()), int(xs.max()) + 1, int(ys.min()), int(ys.max()) + 1
    if (x1 - x0) * (y1 - y0) > 0.5 * mask.size:
        return picture, None
    return np.ascontiguousarray(picture[y0:y1, x0:x1]), (x0, y0, x1, y1)


def _photo_size(inst: Instance, item_id: str) -> tuple[int, int]:
    """A shared photo's width and height (from its file's header; cached)."""
    size: tuple[int, int] | None = inst.cache.get("photo-size", item_id)
    if size is None:
        with inst.reading() as s:
            item = s.get(Item, item_id)
            assert item is not None
        blob = inst.blobs.get(item.id, item.wrapped_key)
        size = inst.cache.put("photo-size", item_id, codec.picture_size(blob))
    return size


# Pictures, each with where in the file it was and whether its words are to be read by OCR.
_Placed = list[tuple[np.ndarray, str, bool]]


def _pictures_of(
    data: bytes, progress: Callable[[str], None], pages: int
) -> tuple[str, str, _Placed, _Placed]:
    """What a leaked file is, its text (for a text, web page, PDF text layer or Word file),
    the pictures that may be all of it (a photo, a screenshot, the pages of a PDF without
    text, of which the first ``pages`` are to be read) and the pictures inside it (a PDF's
    or Word document's), each with where."""
    if codec.picture_format(data) is not None:
        return "image", "", [(decode(data).pixels, "", True)], []
    source = leaks.format_of(data)
    if source == "pdf":
        texts = leaks.pdf_page_texts(data)
        text = "\n\n".join(t.strip() for t in texts if t.strip())
        if len(text.split()) < ocr.OCR_MIN_WORDS:  # no text layer: a scan, or a photo
            progress("the PDF has no text layer: drawing its pages")
            drawn = [
                (p, f"page {i}", i <= pages)
                for i, p in enumerate(leaks.pdf_pages(data, read=pages), 1)
            ]
            return "pdf pages", "", drawn, []
        # A picture is read by OCR on a page without a text layer (a scanned page), and on a
        # page with one unless it has the page's proportions: then it is the scan under a
        # searchable PDF's text, which would be read twice. A screenshot placed among
        # typed text (a memo that quotes a partner's copy as a picture) is read.
        scanned = {i + 1 for i, t in enumerate(texts) if len(t.split()) < ocr.OCR_MIN_WORDS}
        inside = [
            (p, f"page {i}", i in scanned or not paged) for i, p, paged in leaks.pdf_images(data)
        ]
        return "pdf", text, [], inside
    if source == "video":
        progress("reading frames of the video")
        frames = leaks.video_frames(data)
        return "video", "", [], [(f, f"at {_clock(t)}", False) for t, f in frames]
    if source == "docx":
        pictures = [(p, "", True) for p in leaks.docx_images(data)]
        return "docx", leaks.docx_text(data), [], pictures
    if source == "html":
        page = leaks.leak_text(data)
        return "html", leaks.html_text(page), [], [(p, "", True) for p in leaks.html_images(page)]
    if source == "mhtml":
        page, saved = leaks.mhtml_page(data)
        pictures = [(p, "", True) for p in saved + leaks.html_images(page)]
        return "mhtml", leaks.html_text(page), [], pictures
    return "text", leaks.leak_text(data), [], []


_INSIDE = {
    "pdf": "pdf image",
    "docx": "docx image",
    "html": "html image",
    "mhtml": "html image",
    "video": "video frame",
}


READ_PAGES = scans.PDF_MAX_PAGES  # pages of a scanned PDF read by OCR unless asked for more
MAX_READ_PAGES = scans.MAX_READ_PAGES
MAX_NESTING = 2  # an e-mail attached to an e-mail, or a ZIP in an e-mail; no deeper
_CONTAINERS = ("zip", "email", "msg")  # leaks that are files holding files


def _contained(
    inst: Instance, data: bytes, kind: str, progress: Callable[[str], None], pages: int, depth: int
) -> list[_Leak]:
    """Each file of a ZIP archive (a leak dump), or the text and each attachment of an
    e-mail, traced as parts of the one leak."""
    what = "archive" if kind == "zip" else "e-mail"
    deeper: list[str] = []
    if kind == "msg":
        files, more, deeper = leaks.msg_files(data)
    else:
        files, more = leaks.archive_files(data) if kind == "zip" else leaks.email_files(data)
    parts: list[_Leak] = []
    unread = [f"{name} (an e-mail inside another is not opened)" for name in deeper]
    for name, blob in files:
        try:
            inner = codec.picture_format(blob) is None and leaks.format_of(blob)
            if depth + 1 >= MAX_NESTING and inner in _CONTAINERS:
                unread.append(f"{name} (an archive or e-mail inside another is not opened)")
                continue
            progress(f"reading {name} in the {what}")
            found = _candidates(inst, blob, progress, pages, depth + 1)
        except UsageError as err:
            unread.append(f"{name} ({err})")
            continue
        parts += [p if p.container else replace(p, container=what, member=name) for p in found]
    if more:
        unread.append(f"{more} more file(s): orcon reads the first {leaks.MAX_CONTAINED}")
    if not parts:
        why = "; ".join(unread[:3]) if unread else "it is empty"
        raise UsageError(f"nothing in the {what} could be traced: {why}")
    return [replace(p, unread=(*p.unread, *unread)) for p in parts]


def _candidates(
    inst: Instance, data: bytes, progress: Callable[[str], None], pages: int, depth: int = 0
) -> list[_Leak]:
    """What the leak holds and the items each part may come from: the photos in it, and
    its text, whether it leaked as text, a web page, a PDF, a Word document or a picture
    (read by OCR where it matches no shared photo, or around the shared photos in it),
    and for an archive or an e-mail, what each file in it holds."""
    if codec.picture_format(data) is None and (kind := leaks.format_of(data)) in _CONTAINERS:
        return _contained(inst, data, kind, progress, pages, depth)
    source, text, pictures, inside = _pictures_of(data, progress, pages)
    parts = _parts_of(inst, source, text, pictures, inside, progress)
    if source == "pdf pages" and (unread := _unread_pages(data, len(pictures), pages)):
        parts = [replace(p, omitted=(*p.omitted, *unread)) for p in parts]
    return parts


def _unread_pages(data: bytes, drawn: int, read: int) -> list[str]:
    """What of a PDF without a text layer was not read: the pages past the first ``read``
    were looked at for shared photos only, those past ``drawn`` not at all."""
    total = leaks.pdf_page_count(data)
    ask = f"`orcon trace --pages {min(total, MAX_READ_PAGES)}`"
    out = []
    if drawn > read:
        out.append(
            f"the text of pages {read + 1}\u2013{drawn} of the PDF (they were looked at for "
            f"shared photos; the text of the first {read} pages of a PDF without a text layer "
            f"is read by OCR: trace it with {ask} to read them all, a few seconds a page)"
        )
    if total > drawn:
        out.append(
            f"pages {drawn + 1}\u2013{total} of the PDF (the first {drawn} pages of a PDF "
            f"without a text layer are drawn: trace it with {ask} to read them all)"
        )
    return out


def _parts_of(
    inst: Instance,
    source: str,
    text: str,
    pictures: _Placed,
    inside: _Placed,
    progress: Callable[[str], None],
) -> list[_Leak]:
    """The parts of one file (not an archive or e-mail) and the items each may come from,
    given what :func:`_pictures_of` found in it."""
    with inst.reading() as s:
        rows = list(s.scalars(select(ItemFeatures)).all())
    photos = {r.item_id: _item_features(r) for r in rows if r.scale != "text"}
    texts = [r.item_id for r in rows if r.scale == "text"]
    if not pictures and not inside and not text.strip():
        raise UsageError(_EMPTY.get(source, "the leaked text is empty"))
    if inside:
        progress(f"looking for shared photos among the {len(inside)} picture(s) in it")
    found: list[_Leak] = []
    # Each picture's rest, with where it was, the photos found in it, the picture and where
    # in it the photos were.
    rests: list[tuple[np.ndarray, str, set[str], np.ndarray, np.ndarray]] = []
    for picture, where, readable in pictures:
        none = np.zeros(picture.shape[:2], bool)
        parts, rest, covered = (
            _photos_in(inst, photos, picture, source, where) if photos else ([], picture, none)
        )
        found += parts
        if rest is not None and readable:  # a long scan's later pages: photos only
            rests.append((rest, where, {p.ranked[0][0] for p in parts}, picture, covered))
    unexplained: list[np.ndarray] = []  # pictures inside it that are not (all) a shared photo
    for picture, where, readable in inside:
        parts, rest, _ = (
            _photos_in(inst, photos, picture, _INSIDE[source], where)
            if photos
            else ([], picture, None)
        )
        found += parts
        if rest is not None and readable:
            unexplained.append(rest)
    if source == "video":  # the same photo in many frames: the frame that matched best
        return _best_frames(found) or [_Leak("photo", [], source)]
    if not pictures:
        # A picture of text pasted in (a screenshot of the report in a Word file, a scanned
        # page of a PDF) is read by OCR and traced with the file's own text.
        read_in = 0
        if unexplained and texts and ocr.ocr_available():
            progress(f"reading the text of {len(unexplained)} picture(s) in it by OCR")
            extra = [t for t in (ocr.picture_text(p) for p in unexplained) if t]
            if extra:
                words = _shared_words(inst, texts)
                text = "\n\n".join([text, *(ocr.respace(t, words) for t in extra)]).strip()
                read_in = len(extra)
        leak = _Leak("text", _text_candidates(rows, text), source, text, ocr_pictures=read_in)
        return [leak, *found]
    # Text in the pictures: all of a screenshot or a scan, or what lies beside the shared
    # photos found in them (a newspaper page, a briefing pack's page).
    first = pictures[0][0]
    nothing = [_Leak("photo", [], source, picture=first)]
    if not rests or not (texts or photos):
        return found or nothing
    if not ocr.ocr_available():
        return found or ([_Leak("photo", [], "image, no OCR", picture=first)] if texts else nothing)
    if texts:
        what = "beside the shared photo(s) in it" if found else "no shared photo in it"
        progress(f"{what}: reading its text by OCR ({len(rests)} picture(s))")
    read: list[str] = []
    for k, (rest, where, seen, picture, covered) in enumerate(rests, 1):
        if len(rests) > 2:
            progress(f"reading {where} by OCR ({k} of {len(rests)})")
        # Lines are found and read in the picture itself, less those inside a shared photo
        # found in it: blanking the photo would also cut letters that stand right beside it.
        lines = [b for b in ocr.text_lines(picture) if not _mostly_in(b, covered)]
        if len(lines) < ocr.OCR_MIN_LINES:
            continue
        # A photo printed small beside much text is looked for again without the text.
        region = ocr.figure_region(rest, lines) if photos else None
        if region is not None:
            x0, y0, x1, y1 = region
            figure = np.ascontiguousarray(rest[y0:y1, x0:x1])
            more = _photos_in(inst, photos, figure, "photo beside text", where)[0]
            more = [_on_page(p, picture, region) for p in more if p.ranked[0][0] not in seen]
            found += more
            if more:
                lines = [b for b in lines if not _inside(b, region)]
        if texts:
            read.append(ocr.picture_text(picture, lines))
    text = "\n\n".join(t for t in read if t).strip()
    if not text:
        return found or nothing
    text = ocr.respace(text, _shared_words(inst, texts))
    source = "picture of text" if source == "image" else "scanned pdf"
    ranked = _text_candidates(rows, text)
    if found and not ranked:
        return found
    return [*found, _Leak("text", ranked, source, text, first)]


def _clock(seconds: float) -> str:
    return f"{int(seconds) // 60}:{int(seconds) % 60:02d}"


FRAMES_READ = 5  # frames of a video read together for one shared photo


def _best_frames(found: list[_Leak]) -> list[_Leak]:
    """One part per shared photo a video shows: the frame where it matched best (the most
    RANSAC inliers: where it is largest and sharpest), with the next best frames, which
    are read with it (each frame's compression noise differs)."""
    by_item: dict[str, list[_Leak]] = {}
    for part in found:
        by_item.setdefault(part.ranked[0][0], []).append(part)
    out = []
    for parts in by_item.values():
        parts.sort(key=lambda p: -p.ranked[0][1])
        more = tuple(p.picture for p in parts[1:FRAMES_READ] if p.picture is not None)
        out.append(replace(parts[0], frames=more))
    return out


def _on_page(part: _Leak, picture: np.ndarray, region: tuple[int, int, int, int]) -> _Leak:
    """A photo found in a region of a picture, placed back on the whole picture (for the
    evidence report's "where in the leak")."""
    x0, y0 = region[0], region[1]
    box = part.box or (0, 0, region[2] - x0, region[3] - y0)
    on_page = (box[0] + x0, box[1] + y0, box[2] + x0, box[3] + y0)
    return replace(part, context=picture, box=on_page)


def _mostly_in(line: np.ndarray, covered: np.ndarray) -> bool:
    """Whether a line of text lies mostly where a shared photo was found."""
    if not covered.any():
        return False
    h, w = covered.shape
    (x0, y0), (x1, y1) = np.clip(line.min(axis=0), 0, None), line.max(axis=0)
    box = covered[
        int(y0) : max(int(y0) + 1, min(h, int(y1))), int(x0) : max(int(x0) + 1, min(w, int(x1)))
    ]
    return bool(box.size and box.mean() >= 0.5)


def _inside(line: np.ndarray, region: tuple[int, int, int, int]) -> bool:
    x, y = line.mean(axis=0)
    return bool(region[0] <= x < region[2] and region[1] <= y < region[3])


def _text_candidates(rows: list[ItemFeatures], text: str) -> list[tuple[str, int]]:
    shingles = match_text.leak_shingles(text)
    features = (
        (r.item_id, np.frombuffer(r.descriptors, np.uint64)) for r in rows if r.scale == "text"
    )
    return match_text.rank(shingles, features)


def _quiet(_step: str) -> None:
    pass


_EMPTY = {
    "html": "the leaked web page holds no text",
    "mhtml": "the leaked web page holds no text",
    "docx": "the leaked Word document holds no text",
}


VOCABULARY = "shared-words"  # the derived blob that keeps the words of every shared text


def _shared_words(inst: Instance, item_ids: list[str]) -> dict[str, float]:
    """The words of every shared text in any of its copies' wordings, by frequency: what
    OCR's lost spaces are put back with (cached until another text is shared).

    Gathering them costs about a millisecond a text, which every new process (each
    ``orcon trace``) paid again: 12 s at 10,000 texts. So they are kept, encrypted, in the
    blob store with the ids of the texts they hold; a process reads them and adds only
    the texts shared since (a text never changes once shared). Kept words that name a
    text no longer listed, or fail their integrity check, are gathered afresh."""
    key = tuple(sorted(item_ids))
    hit: dict[str, float] | None = inst.cache.get("shared-words", key)
    if hit is None:
        counts, held = _kept_words(inst)
        if not held <= set(item_ids):
            counts, held = Counter(), set()
        missing = [i for i in item_ids if i not in held]
        if missing:
            items: list[Item] = []
            with inst.reading() as s:
                for at in range(0, len(missing), 900):  # within SQLite's bound parameters
                    chunk = missing[at : at + 900]
                    items += s.scalars(select(Item).where(Item.id.in_(chunk))).all()
            for item in items:
                counts.update(text_words(inst, item))
            kept = {"items": sorted(held | {item.id for item in items}), "counts": counts}
            with contextlib.suppress(OSError):  # a home we may not write to: gather each time
                inst.blobs.put_derived(VOCABULARY, json.dumps(kept).encode())
        hit = inst.cache.put("shared-words", key, ocr.word_costs(dict(counts)))
    return hit


def _kept_words(inst: Instance) -> tuple[Counter[str], set[str]]:
    raw = inst.blobs.get_derived(VOCABULARY)
    try:
        kept = json.loads(raw) if raw else {}
        counts = Counter({str(w): int(c) for w, c in kept.get("counts", {}).items()})
        return counts, {str(i) for i in kept.get("items", [])}
    except (ValueError, TypeError, AttributeError):
        return Counter(), set()


_READ_FROM = {
    "picture of text": "The text was read from a picture by OCR ({words} words); a misread "
    "word or comma can only lower the leaker's match, never make an innocent's copy match.",
    "pdf": "The text was taken from the PDF's text layer ({words} words).",
    "scanned pdf": "The PDF has no text layer: its pages were drawn and read by OCR "
    "({words} words); a misread word or comma can only lower the leaker's match.",
    "docx": "The text was taken from the Word document's paragraphs ({words} words).",
    "pdf pages": "The PDF has no text layer: its pages were drawn and traced as pictures{where}.",
    "image, no OCR": "No shared photo is in it, and text in it was not read: reading "
    "pictures of text needs rapidocr-onnxruntime (pip install --no-deps "
    "'rapidocr-onnxruntime>=1.4,<2'; `make install` does it).",
    "html": "The text was taken from the web page's main text ({words} words).",
    "mhtml": "The text was taken from the saved web page's main text ({words} words).",
    "html image": "The photo was taken out of the saved web page.",
    "photo beside text": "The photo was found beside text in the picture{where}, and read "
    "from that part of it.",
    "pdf image": "The photo was taken out of the PDF{where}.",
    "docx image": "The photo was taken out of the Word document.",
    "video frame": "The photo was found in frames of the video{where}, the best first, and "
    "read from up to five of them together.",
}


def _short_text_note(
    verdict: Verdict, reading: TextReading, doc: text_marks.Document, leak_words: int
) -> list[str]:
    """Why a text leak named nobody, in numbers an analyst can act on: how many
    wording symbols a single leaker's copy must show to be named, how many this
    leak carries, about how many words of this item that takes, and how little of
    the leak is this item's (two reports may share a stock sentence: a match is not
    a claim that the whole leak came from it)."""
    shares = dict(zip(verdict.decoders, decoder_shares(verdict.decoders), strict=True))
    share = shares.get(Decoder.SYMMETRIC)
    if share is None or not doc.capacity or verdict.population < 1:
        return []
    needed = fewest_agreeing(verdict.population, verdict.epsilon, share)
    n = verdict.population
    who = "the one person issued a copy" if n == 1 else f"anyone among the {n} people issued a copy"
    note = (
        f"This leak carries {reading.sites_read} readable wording symbols "
        f"({reading.sentences_found} of {reading.sentences_total} sentences found); "
        f"naming {who} at this bound takes at least "
        f"{needed} that agree with one copy, about {doc.words_for(needed)} words of this item "
        "retyped."
    )
    if reading.sites_read + reading.fragile_read >= needed:
        note += (
            " Enough symbols were read, but they agree with no copy well enough: the leak may"
            " be the unmarked original, or mixed from more copies than the decoders assume."
        )
    elif doc.gaps:
        note += " Pasted with its invisible marks, a few sentences can be enough."
    ours = round(doc.words * reading.sentences_found / max(reading.sentences_total, 1))
    if leak_words >= 2 * ours + 50:
        note += (
            f" Only about {ours} of the leak's {leak_words} words are this item's; the rest is"
            " not from it (an article around a quote, or another text that shares a sentence"
            " with this one)."
        )
    return [note]


def _trace_part(inst: Instance, leak: _Leak, epsilon: float) -> TraceResult:
    """One part of a leak traced: the first of the items it may come from that names
    someone, else the first that could be read (inconclusive), else no match."""
    ranked = leak.ranked
    result: TraceResult | None = None
    notes: list[str] = []
    if leak.source in _READ_FROM:
        notes.append(
            _READ_FROM[leak.source].format(
                words=len((leak.text or "").split()), where=f" ({leak.where})" if leak.where else ""
            )
        )
    if leak.member:
        notes.append(f"Found in the {leak.container}: {leak.member}.")
    if leak.unread:
        notes.append(f"Not read in the {leak.container}: " + "; ".join(leak.unread) + ".")
    if leak.omitted:
        notes.append("Not read: " + "; ".join(leak.omitted) + ".")
    if leak.ocr_pictures:
        notes.append(
            f"The text of {leak.ocr_pictures} picture(s) in the file was read by OCR and "
            "traced with it; a misread word or comma can only lower the leaker's match."
        )
    holders = {item_id: _issued(inst, item_id) for item_id, _ in ranked[:MAX_CANDIDATE_ITEMS]}
    # Of items the leak matches equally well (a report shared twice, a draft and its final
    # text), those with copies out first: "no copy has been issued" would hide the others.
    for item_id, _count in sorted(
        ranked[:MAX_CANDIDATE_ITEMS], key=lambda r: (-r[1], not holders[r[0]])
    ):
        with inst.reading() as s:
            item = s.get(Item, item_id)
            assert item is not None
        who = holders[item_id]
        if not who and result is not None:
            continue  # no copies out, and a better-matching item is already reported
        code = item_code(inst, item)
        reading: ImageReading | TextReading | None = None
        try:
            if leak.text is None:
                assert leak.picture is not None
                original = decode(inst.blobs.get(item.id, item.wrapped_key)).pixels
                secret = item_secret(inst, item_id)
                reading = read_pixels(leak.picture, original, secret, item.code_length)
                if leak.frames:
                    reading = _with_frames(reading, leak.frames, original, secret, item)
                obs = reading.observation
            else:
                reading = text_marks.read_text(leak.text, text_document(inst, item))
                obs = reading.observation
        except MatchError as err:
            notes.append(f"{item_id}: {err}")
            continue
        if not who:  # another item that matches as well may have copies out
            result = TraceResult(
                "inconclusive",
                item_id,
                (),
                (),
                epsilon,
                obs.read,
                int(obs.erased.sum()),
                0,
                tuple(ranked),
                (*notes, "no copy of this item has been issued yet"),
                reading,
            )
            continue
        verdict = accuse(code, obs, sorted(who), epsilon=epsilon)
        accused = tuple(_suspect(who, x) for x in verdict.accused)
        # Why this item's reading named nobody (only the item reported keeps its note).
        short = (
            _short_text_note(
                verdict, reading, text_document(inst, item), len((leak.text or "").split())
            )
            if not accused and isinstance(reading, TextReading)
            else []
        )
        found = TraceResult(
            "accused" if accused else "inconclusive",
            item_id,
            accused,
            tuple(_suspect(who, x) for x in verdict.candidates),
            epsilon,
            verdict.read,
            verdict.erased,
            verdict.population,
            tuple(ranked),
            (*notes, *short),
            reading,
            decoders=tuple(str(d) for d in verdict.decoders),
            ranked=verdict.ranked,
        )
        if accused:
            result = found
            break
        result = result or found  # the best-matching item that could be read
    if result is None:
        result = TraceResult(
            "no-match", None, (), (), epsilon, 0, 0, 0, tuple(ranked), tuple(notes)
        )
    return replace(
        result,
        leak_format=leak.source,
        leak_text=leak.text,
        leak_picture=leak.picture,
        leak_context=leak.context,
        leak_box=leak.box,
    )


def _with_frames(
    reading: ImageReading,
    frames: tuple[np.ndarray, ...],
    original: np.ndarray,
    secret: bytes,
    item: Item,
) -> ImageReading:
    """A video's best frame read together with its other frames of the same photo (their
    likelihoods combined); a frame that cannot be registered is left out."""
    reads = [reading.observation]
    for frame in frames:
        with contextlib.suppress(MatchError):
            reads.append(read_pixels(frame, original, secret, item.code_length).observation)
    return replace(reading, observation=combined(reads)) if len(reads) > 1 else reading


def _verdict_row(result: TraceResult) -> dict[str, object]:
    return {
        "verdict": result.verdict,
        "item": result.item,
        "leak_format": result.leak_format,
        "accused": [
            {"person": a.person, "org": a.org, "p_value": f"{a.p_value:.3e}"}
            for a in result.accused
        ],
        "symbols_read": result.read,
        "symbols_erased": result.erased,
        "population": result.population,
    }


def trace(
    inst: Instance,
    data: bytes,
    epsilon: float = DEFAULT_EPSILON,
    now: datetime | None = None,
    progress: Callable[[str], None] | None = None,
    pages: int = READ_PAGES,
) -> TraceResult:
    """Find the item, read its fingerprint, accuse under the calibrated bound; log the trace.

    A leak that holds several shared items (a PDF with the report and its photos, a
    page with a photo and a quote beside it) is traced for each: the result is the part
    that names someone (the first, else the first read), the others are in ``others``.
    ``progress`` hears of the steps that take seconds (OCR, drawing a PDF's pages).
    ``pages``: how many pages of a PDF without a text layer (a scan) are read by OCR,
    2–5 s each on two cores; the web and the watch keep the default, a script or an
    analyst at the command line may ask for all of them."""
    if not data:
        raise UsageError("the leaked file is empty")
    if not 1 <= pages <= MAX_READ_PAGES:
        raise UsageError(
            f"pages must be between 1 and {MAX_READ_PAGES} (the pages of a scanned PDF "
            f"read by OCR), not {pages}"
        )
    found = _candidates(inst, data, progress or _quiet, pages)
    parts = [_trace_part(inst, p, epsilon) for p in found]
    main = next(
        (r for r in parts if r.verdict == "accused"),
        next((r for r in parts if r.verdict == "inconclusive"), None),
    )
    if main is None:  # nothing in it matched: say what was looked at
        notes = tuple(dict.fromkeys(n for r in parts for n in r.notes))
        main = replace(parts[0], notes=notes)
    others = tuple(r for r in parts if r is not main and r.verdict != "no-match")
    row = _verdict_row(main)
    with inst.transaction() as s:
        seq = ledger.append(
            s,
            EventKind.TRACE_RUN,
            {
                **row,
                "leak_kind": "text" if main.leak_text is not None else "photo",
                "epsilon": f"{epsilon:g}",
                **({"also": [_verdict_row(r) for r in others]} if others else {}),
            },
            now or inst.clock(),
        )
    return replace(main, ledger_seq=seq, others=tuple(replace(r, ledger_seq=seq) for r in others))
