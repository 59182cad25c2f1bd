"""A report as fixed text plus *sites*: places where two wordings mean the same.

Each site carries one binary code symbol (its two forms are symbol 0 and 1), so
a copy is the original with every site rendered in the recipient's form.
Sentences with several sites carry several symbols (a q-ary symbol per
sentence with q = 2^k, written as k binary ones; see docs/adr/0005).

Never touched: Markdown headings, code blocks and inline code, URLs and e-mail
addresses, link targets, direct quotations, tables, anything between
``{{lock}}`` and ``{{/lock}}`` (the markers are removed from copies), names
(the lexicon holds no proper nouns; capitalised words are never rewritten
except a lexicon word at the start of a sentence) and the value of any number.
"""

from __future__ import annotations

import re

import numpy as np

from orcon.errors import UsageError
from orcon.marks.text.fragile import FRAGILE_MARKS, choose_gaps
from orcon.marks.text.normalize import tokens
from orcon.marks.text.rules import candidates
from orcon.marks.text.sites import FORM_COUNTS, Document, Sentence, Site, by_sentence, slots_of

__all__ = ["Document", "Site", "from_model", "parse", "plain_source", "render", "to_model"]

LOCK_OPEN, LOCK_CLOSE = "{{lock}}", "{{/lock}}"

_URL = re.compile(r"https?://\S+|www\.\S+|\S+@\S+\.\w+")
_INLINE_CODE = re.compile(r"`[^`]*`")
_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_QUOTE = re.compile(r"\"[^\"\n]*\"|\u201c[^\u201d]*\u201d")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'\u201d\u2019)]?\s+(?=[A-Z\"\u201c(0-9])")
_ABBREV = re.compile(
    r"\b(?:Mr|Mrs|Ms|Dr|St|No|Nos|Sgt|Insp|Supt|Det|Con|PC|DC|DS|DI|Cllr|Gen|Col|"
    r"Capt|Lt|approx|e\.g|i\.e|etc|vs|cf|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|"
    r"Nov|Dec|[A-Z])\.$"
)


def _strip_locks(text: str) -> tuple[str, list[tuple[int, int]]]:
    out, locked, pos = [], [], 0
    while True:
        a = text.find(LOCK_OPEN, pos)
        if a < 0:
            out.append(text[pos:])
            break
        b = text.find(LOCK_CLOSE, a)
        if b < 0:
            raise UsageError(f"{LOCK_OPEN} at character {a} has no matching {LOCK_CLOSE}")
        out.append(text[pos:a])
        start = sum(map(len, out))
        out.append(text[a + len(LOCK_OPEN) : b])
        locked.append((start, start + b - a - len(LOCK_OPEN)))
        pos = b + len(LOCK_CLOSE)
    if LOCK_CLOSE in "".join(out):
        raise UsageError(f"{LOCK_CLOSE} without a matching {LOCK_OPEN}")
    return "".join(out), locked


# An author's own wordings: "{{alt:arrived at|reached}}" (2, 4 or 8, the first is the
# original's). A prefix keeps template syntax in a quoted code sample ("{{ a|b }}") apart.
ALT_OPEN = "{{alt:"
_ALTERNATIVE = re.compile(r"\{\{alt:([^{}\n]*)\}\}")
Authored = tuple[int, int, tuple[str, ...], int]  # start, end in the source, forms, line


def _strip_alternatives(
    text: str, locked: list[tuple[int, int]]
) -> tuple[str, list[tuple[int, int]], list[Authored]]:
    """The text with each author's alternative replaced by its first wording, the locked
    ranges moved to match, and the alternatives as sites to be (start, end, forms, line)."""
    out: list[str] = []
    authored: list[Authored] = []
    removed: list[tuple[int, int]] = []  # (position in text, characters removed there)
    pos = 0
    starts: set[int] = set()
    for m in _ALTERNATIVE.finditer(text):
        starts.add(m.start())
        line = text.count("\n", 0, m.start()) + 1
        forms = tuple(m.group(1).split("|"))
        where = f"{m.group(0)!r} on line {line}"
        if len(forms) not in FORM_COUNTS:
            raise UsageError(
                f"{where} offers {len(forms)} wordings: give 2, 4 or 8 (each pair of "
                "wordings carries one code symbol), separated by |"
            )
        if len({tuple(tokens(f)) for f in forms}) != len(forms):
            raise UsageError(
                f"{where} has two wordings a reader cannot tell apart (they differ only "
                "in case, spacing or punctuation): make each differ in its words"
            )
        if any(re.search(r"[.!?](?:\s|$)", f) for f in forms):
            raise UsageError(
                f"{where} ends or joins sentences: keep the full stop outside the "
                "alternatives, so that every copy has the same sentences"
            )
        if any(a <= m.start() < b for a, b in locked):
            raise UsageError(
                f"{where} is inside {LOCK_OPEN}...{LOCK_CLOSE}: locked text never varies"
            )
        out.append(text[pos : m.start()])
        start = sum(map(len, out))
        out.append(forms[0])
        authored.append((start, start + len(forms[0]), forms, line))
        removed.append((m.start(), len(m.group(0)) - len(forms[0])))
        pos = m.end()
    out.append(text[pos:])
    source = "".join(out)
    for m in re.finditer(re.escape(ALT_OPEN), text):
        if m.start() not in starts:
            line = text.count("\n", 0, m.start()) + 1
            raise UsageError(
                f"{ALT_OPEN} on line {line} is not closed with }}}} on the same line "
                "(wordings may hold no braces)"
            )

    def moved(x: int) -> int:
        return x - sum(n for at, n in removed if at < x)

    return source, [(moved(a), moved(b)) for a, b in locked], authored


def _prose_ranges(text: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(prose paragraph ranges, protected ranges) by Markdown block structure."""
    prose: list[tuple[int, int]] = []
    protected: list[tuple[int, int]] = []
    pos, fence, para_start, prev_blank = 0, None, None, True
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        start, end = pos, pos + len(line)
        pos = end
        if fence is not None:
            protected.append((start, end))
            if stripped.startswith(fence):
                fence = None
            continue
        block = (
            stripped.startswith(("```", "~~~"))
            or stripped.startswith("#")
            or stripped.startswith("|")
            or (line.startswith(("    ", "\t")) and prev_blank)
            or re.match(r"^\s*\[[^\]]+\]:\s", line) is not None
            or stripped.startswith("<")
        )
        if stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
        if block or not stripped:
            if para_start is not None:
                prose.append((para_start, start))
                para_start = None
            if block:
                protected.append((start, end))
            prev_blank = not stripped
            continue
        if para_start is None:
            para_start = start
        prev_blank = False
    if para_start is not None:
        prose.append((para_start, pos))
    return prose, protected


def _sentences(text: str, prose: list[tuple[int, int]]) -> list[Sentence]:
    out = []
    for a, b in prose:
        s = a
        for m in _SENTENCE_END.finditer(text, a, b):
            if _ABBREV.search(text[s : m.start()]):
                continue
            out.append(Sentence(s, m.start()))
            s = m.end()
        if text[s:b].strip():
            out.append(Sentence(s, b - (len(text[s:b]) - len(text[s:b].rstrip()))))
    return out


def parse(text: str, locale: str = "en-GB", fragile: bool = True) -> Document:
    """Split a report into fixed text, wording sites and (with ``fragile``) marked gaps."""
    if locale not in ("en-GB", "en-US"):
        raise UsageError(f"unsupported locale {locale!r}: use en-GB or en-US")
    if not text.strip():
        raise UsageError("the text is empty")
    source, locked, authored = _strip_alternatives(*_strip_locks(text))
    prose, protected = _prose_ranges(source)
    for rx in (_URL, _INLINE_CODE, _LINK_TARGET, _QUOTE):
        protected.extend((m.start(), m.end()) for m in rx.finditer(source))
    protected.extend(locked)
    mask = np.zeros(len(source) + 1, dtype=bool)
    for a, b in protected:
        mask[a:b] = True
    sentences = _sentences(source, prose)
    mine = _authored_sites(authored, sentences, mask)
    for site in mine:  # the rules never rewrite inside, or right beside, an author's wordings
        mask[site.start : max(site.end, site.start + 1)] = True
    sites: list[Site] = []
    for si, sent in enumerate(sentences):
        found = [
            site
            for site in _worthwhile(candidates(source, sent, si, locale))
            if not mask[site.start : site.end + 1].any() and len(set(site.forms)) == len(site.forms)
        ]
        found += [site for site in mine if site.sentence == si]
        for site in sorted(found, key=lambda x: (x.start, -x.end)):
            if sites and site.start < sites[-1].end:
                continue
            sites.append(site)
    sites = _with_context(source, sentences, sites)
    words = len(re.findall(r"[A-Za-z\u00c0-\u024f]+|\d+", source))
    gaps = choose_gaps(source, sentences, sites, mask) if fragile else []
    return Document(source, tuple(sites), tuple(sentences), words, tuple(gaps))


def _authored_sites(
    authored: list[Authored], sentences: list[Sentence], mask: np.ndarray
) -> list[Site]:
    """An author's alternatives as sites, each in the prose sentence that holds it."""
    out: list[Site] = []
    for start, end, forms, line in authored:
        where = f"the alternative {'|'.join(forms)!r} on line {line}"
        if out and start == out[-1].start:  # two insertions at one place
            raise UsageError(
                f"{where} starts where the one before it does: write them as one "
                "alternative (four wordings carry two symbols)"
            )
        if mask[start:end].any() or (start == end and mask[start]):
            raise UsageError(
                f"{where} is in a heading, code, a quotation, a link or locked text, which "
                "copies never change: put alternatives in the prose"
            )
        holder = [i for i, s in enumerate(sentences) if s.start <= start and end <= s.end]
        if not holder:
            raise UsageError(f"{where} is not inside a sentence of prose")
        out.append(Site(start, end, forms, "author", holder[0]))
    return out


def _worthwhile(found: list[Site]) -> list[Site]:
    """Drop a list-order site when the sites inside the list carry as many symbols."""
    return [
        site
        for site in found
        if site.kind not in ("list", "pair")
        or sum(
            o.bits for o in found if o is not site and site.start <= o.start and o.end <= site.end
        )
        < site.bits
    ]


def _with_context(source: str, sentences: list[Sentence], sites: list[Site]) -> list[Site]:
    """Attach the three slots on each side of every site, within its sentence.

    A slot is the next word, or a neighbouring site standing for either of its
    forms, so that dense sites still have contiguous context in a leak.
    """
    out = []
    for si, group in by_sentence(sites).items():
        slots = slots_of(source, sentences[si], group)
        items = [x for _, x, _ in slots]
        for i, (_, _, site) in enumerate(slots):
            if site is not None:
                out.append(
                    Site(
                        site.start,
                        site.end,
                        site.forms,
                        site.kind,
                        site.sentence,
                        tuple(items[max(0, i - 3) : i]),
                        tuple(items[i + 1 : i + 4]),
                    )
                )
    return sorted(out, key=lambda x: x.start)


def render(doc: Document, codeword: np.ndarray) -> str:
    """The copy carrying ``codeword``: its wording symbols, then its fragile marks."""
    word = np.asarray(codeword)
    if word.shape != (doc.symbols,):
        raise UsageError(f"codeword has shape {word.shape}, the text carries {doc.symbols} symbols")
    bits = word.tolist()
    edits: list[tuple[int, int, str]] = []
    j = 0
    for site in doc.sites:
        value = sum(int(bits[j + b]) << b for b in range(site.bits))
        j += site.bits
        edits.append((site.start, site.end, site.forms[value]))
    for at in doc.gaps:
        edits.append((at, at, FRAGILE_MARKS[int(bits[j])]))
        j += 1
    out, pos = [], 0
    for start, end, text in sorted(edits, key=lambda e: (e[0], e[1])):
        out.append(doc.source[pos:start])
        out.append(text)
        pos = end
    out.append(doc.source[pos:])
    return "".join(out)


MODEL_VERSION = 1


def to_model(doc: Document) -> dict[str, object]:
    """The document's sites and sentences as plain data, to be kept with the item.

    A copy can only be read with the very sites it was rendered from, so an
    item keeps this model from the day it is shared: later changes to the
    lexicon or the rules give new items more sites and leave old ones readable.
    """
    return {
        "version": MODEL_VERSION,
        "words": doc.words,
        "sentences": [[s.start, s.end] for s in doc.sentences],
        "sites": [[s.start, s.end, list(s.forms), s.kind, s.sentence] for s in doc.sites],
        "gaps": list(doc.gaps),
    }


def plain_source(text: str) -> str:
    """The words an original's copies start from: the author's markup (locks,
    ``{{alt:…}}`` alternatives) taken out, each alternative as its first wording."""
    return _strip_alternatives(*_strip_locks(text))[0]


def from_model(text: str, model: dict[str, object]) -> Document:
    """Rebuild the document of ``text`` from a model made by :func:`to_model`."""
    if model.get("version") != MODEL_VERSION:
        raise UsageError(f"unsupported text model version {model.get('version')!r}")
    source = plain_source(text)
    try:
        sentences = [Sentence(int(a), int(b)) for a, b in model["sentences"]]  # type: ignore[attr-defined]
        sites = [
            Site(int(a), int(b), tuple(str(f) for f in forms), str(kind), int(si))
            for a, b, forms, kind, si in model["sites"]  # type: ignore[attr-defined]
        ]
        words = int(model["words"])  # type: ignore[call-overload]
        gaps = tuple(int(g) for g in model.get("gaps", []))  # type: ignore[attr-defined]
    except (KeyError, TypeError, ValueError) as err:
        raise UsageError(f"malformed text model: {err}") from None
    if any(
        not 0 <= s.start <= s.end <= len(source) or len(s.forms) not in FORM_COUNTS for s in sites
    ):
        raise UsageError("the text model does not fit this text")
    if any(not 0 < g < len(source) for g in gaps):
        raise UsageError("the text model does not fit this text")
    with_context = tuple(_with_context(source, sentences, sites))
    return Document(source, with_context, tuple(sentences), words, gaps)
