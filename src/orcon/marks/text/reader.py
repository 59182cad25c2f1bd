"""Read a text fingerprint from a leaked excerpt, using the original (informed detection).

The leak may be retyped, re-wrapped, ASCII-folded, lower-cased, have typos,
drop or reorder sentences, or sit inside a longer unrelated article. For each
site we look in the leak for the site's own context — up to three stable words
before and after it in the original — around each of its two forms. Context
words tolerate one typo each (if at least five letters long); a form must match
exactly unless the two forms are far apart in spelling. A site is read when
exactly one form is found in context, and erased otherwise; a typo therefore
costs an erasure, never a wrong symbol. Sites of a kind a copy-editor brings to a
house style are erased when their reads look styled (:func:`house_styled`).
Nothing here looks at any recipient's codeword, so the p-values of
:mod:`orcon.codes` stay exact.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from orcon.codes import Observation
from orcon.marks.text.fragile import FRAGILE_MARKS, GAP_CONTEXT, gap_keys
from orcon.marks.text.normalize import token_spans, tokens, within_one_edit
from orcon.marks.text.sites import Document, Site, Slot
from orcon.marks.text.vocabulary import MONTHS

_MARK = re.compile("[" + "".join(FRAGILE_MARKS) + "]")
MISREAD = 0.03  # probability that a clearly read form is nevertheless wrong (noise floor)
_READ = np.array([[1.0 - MISREAD, MISREAD], [MISREAD, 1.0 - MISREAD]])  # likelihoods of a read 0, 1
MIN_CONTEXT = 2

# Kinds of site whose wording a copy-editor brings to a house style (US spelling, the
# serial comma, "March 14", "9:40 p.m.", "that" for "which", numbers under ten in words).
STYLE_KINDS = frozenset({"spelling", "comma", "number", "date", "time", "percent", "relative"})
STYLE_MIN_READS = 4  # fewer agree by chance too often (three: one leak in four)
_MONTH = re.compile(MONTHS)


@dataclass(frozen=True, slots=True, eq=False)
class TextReading:
    observation: Observation
    sentences_found: int
    sentences_total: int
    sites_read: int  # wording symbols read
    fragile_read: int = 0  # fragile marks read (verbatim copies only)


def _far(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Forms that no single typo can turn into each other (so a form may match fuzzily)."""
    if len(a) != len(b):
        return True
    return not any(x != y and within_one_edit(x, y) for x, y in zip(a, b, strict=True))


def _tok(word: str, want: str, fuzzy: bool) -> bool:
    return word == want or (fuzzy and len(want) >= 5 and within_one_edit(word, want))


def _forward(leak: list[str], i: int, items: tuple[Slot, ...]) -> bool:
    """Do ``items`` occur in ``leak`` starting exactly at position ``i``?"""
    if not items:
        return True
    head, rest = items[0], items[1:]
    if isinstance(head, str):
        return i < len(leak) and _tok(leak[i], head, True) and _forward(leak, i + 1, rest)
    return any(
        i + len(alt) <= len(leak)
        and all(_tok(leak[i + k], w, True) for k, w in enumerate(alt))
        and _forward(leak, i + len(alt), rest)
        for alt in dict.fromkeys(head)
    )


def _backward(leak: list[str], i: int, items: tuple[Slot, ...]) -> bool:
    """Do ``items`` occur in ``leak`` ending exactly just before position ``i``?"""
    if not items:
        return True
    head, rest = items[-1], items[:-1]
    if isinstance(head, str):
        return i > 0 and _tok(leak[i - 1], head, True) and _backward(leak, i - 1, rest)
    return any(
        i - len(alt) >= 0
        and all(_tok(leak[i - len(alt) + k], w, True) for k, w in enumerate(alt))
        and _backward(leak, i - len(alt), rest)
        for alt in dict.fromkeys(head)
    )


class _Positions:
    """Where each token of a leak occurs, so that a form is tried only where its first
    word (or, for an empty form, a context word) is found, instead of at every
    position: the same matches as a full scan, in a fraction of the time."""

    def __init__(self, leak: list[str]) -> None:
        self.leak = leak
        self.at: dict[str, list[int]] = {}
        for i, t in enumerate(leak):
            self.at.setdefault(t, []).append(i)
        self._fuzzy: dict[str, list[int]] = {}

    def of(self, want: str) -> list[int]:
        """Positions i where ``_tok(leak[i], want, True)`` holds."""
        if len(want) < 5:
            return self.at.get(want, [])
        if want not in self._fuzzy:
            self._fuzzy[want] = sorted(
                i for t, ps in self.at.items() if within_one_edit(t, want) for i in ps
            )
        return self._fuzzy[want]

    def starts(self, site: Site, form: tuple[str, ...], fuzzy: bool) -> Iterable[int]:
        """A superset of the positions where ``form`` may start in context."""
        if form:
            return self.of(form[0]) if fuzzy else self.at.get(form[0], [])
        if site.right:
            head = site.right[0]
            alts = [(head,)] if isinstance(head, str) else list(head)
            if all(alts):
                return sorted({i for alt in alts for i in self.of(alt[0])})
        elif site.left:
            tail = site.left[-1]
            alts = [(tail,)] if isinstance(tail, str) else list(tail)
            if all(alts):
                return sorted({i + 1 for alt in alts for i in self.of(alt[-1])})
        return range(len(self.leak) + 1)


def _occurs(where: _Positions, site: Site, form: tuple[str, ...], fuzzy: bool) -> bool:
    leak = where.leak
    for i in where.starts(site, form, fuzzy):
        if i + len(form) > len(leak):
            continue
        if not all(_tok(leak[i + k], w, fuzzy) for k, w in enumerate(form)):
            continue
        if _forward(leak, i + len(form), site.right) and _backward(leak, i, site.left):
            return True
    return False


@functools.lru_cache(maxsize=16)
def _gap_index(doc: Document) -> dict[tuple[str, ...], int]:
    """Locating tokens -> gap number; built once per document (documents are cached by
    the instance, and hash by identity)."""
    return gap_keys(doc)


def _read_fragile(leak_text: str, doc: Document, lik: np.ndarray, erased: np.ndarray) -> int:
    """Read the zero-width marks of a verbatim copy; each is placed by the two tokens
    on either side of it. Marks that do not point at exactly one gap, or gaps
    marked both ways, stay erased. Returns the number of gaps read."""
    if not doc.gaps or not any(mark in leak_text for mark in FRAGILE_MARKS):
        return 0
    where = _gap_index(doc)
    spans = token_spans(leak_text)
    starts = [a for _, a, _ in spans]
    seen: dict[int, set[int]] = {}
    for mark in _MARK.finditer(leak_text):
        i, ch = mark.start(), mark.group()
        k = bisect.bisect_left(starts, i)
        if k < GAP_CONTEXT or k + GAP_CONTEXT > len(spans):
            continue
        key = tuple(t for t, _, _ in spans[k - GAP_CONTEXT : k + GAP_CONTEXT])
        gap = where.get(key)
        if gap is not None:
            seen.setdefault(gap, set()).add(FRAGILE_MARKS.index(ch))
    base = doc.capacity
    for gap, values in seen.items():
        if len(values) == 1:
            bit = values.pop()
            lik[base + gap] = _READ[bit]
            erased[base + gap] = False
    return int((~erased[base:]).sum())


@functools.lru_cache(maxsize=16)
def _form_tokens(doc: Document) -> tuple[tuple[tuple[str, ...], ...], ...]:
    """Each site's forms as tokens (once per document, not on every read)."""
    return tuple(tuple(tuple(tokens(f)) for f in site.forms) for site in doc.sites)


@functools.lru_cache(maxsize=16)
def _symbol_sentences(doc: Document) -> tuple[int, ...]:
    starts = [sent.start for sent in doc.sentences]
    wording = [site.sentence for site in doc.sites for _ in range(site.bits)]
    fragile = [bisect.bisect_right(starts, at) - 1 for at in doc.gaps]
    return (*wording, *fragile)


def symbol_sentences(doc: Document) -> np.ndarray:
    """The sentence each code symbol of ``doc`` sits in (wording sites, then gaps)."""
    return np.array(_symbol_sentences(doc), dtype=np.int64)


def _shape(site: Site, value: int) -> str:
    """What a house style decides about a read wording: its form with the values taken
    out ("14 March" and "2 October" share "# M"; "organise" reads as form 0)."""
    if site.kind == "spelling":
        return str(value)
    form = site.forms[value]
    if _number_value(site) is not None:
        return "#" if form.isdigit() else "words"
    form = re.sub(r"\d+(?:st|nd|rd|th)", "#o", form)
    return _MONTH.sub("M", re.sub(r"\d+", "#", form))


def _number_value(site: Site) -> int | None:
    """The value of a number site written in digits or in words ("3" / "three")."""
    if site.kind != "number" or len(site.forms) != 2 or not site.forms[0].isdigit():
        return None
    return int(site.forms[0]) if site.forms[1].replace("-", "").isalpha() else None


def house_styled(doc: Document, values: dict[int, int]) -> set[int]:
    """Sites (indices into ``doc.sites``) whose reads look like a copy-editor's house
    style rather than a copy's wording: every read site of one kind (commas by their
    rule) in the same shape, or numbers in words exactly below ten. A copy words each
    site independently at random, so such agreement is rare by chance (2^(1-k) for k
    reads); a styled leak would otherwise be read as wrong symbols, which cost far more
    than erasures. The decision looks at the leak and the original only, never at a
    codeword, so the bound of :mod:`orcon.codes` still holds."""
    families: dict[tuple[str, ...], list[int]] = {}
    for i in values:
        site = doc.sites[i]
        if site.kind in STYLE_KINDS:
            if site.kind == "comma":  # of commas, house styles fix the serial one only
                if site.forms != (" ", ", "):
                    continue
                key: tuple[str, ...] = (site.kind,)
            else:
                key = (site.kind, str(_number_value(site) is not None))
            families.setdefault(key, []).append(i)
    styled: set[int] = set()
    for members in families.values():
        if len(members) < STYLE_MIN_READS:
            continue
        shapes = {_shape(doc.sites[i], values[i]) for i in members}
        if len(shapes) == 1:
            styled.update(members)
            continue
        # Words below ten, digits from ten (form 1 is the number in words).
        numbers = {i: _number_value(doc.sites[i]) for i in members}
        if all(v is not None for v in numbers.values()) and all(
            (values[i] == 1) == ((v or 0) < 10) for i, v in numbers.items()
        ):
            styled.update(members)
    return styled


def read_text(leak_text: str, doc: Document, house_styles: bool = True) -> TextReading:
    """Read ``doc``'s code symbols from a leak. ``house_styles=False`` keeps reads that
    look like a copy-editor's house style (for measuring what :func:`house_styled` saves)."""
    leak = tokens(leak_text)
    where = _Positions(leak)
    m = doc.symbols
    lik = np.ones((m, 2))
    erased = np.ones(m, dtype=bool)
    found_sentences: set[int] = set()
    values: dict[int, int] = {}
    offsets: list[int] = []
    j = 0
    for k, (site, forms) in enumerate(zip(doc.sites, _form_tokens(doc), strict=True)):
        offsets.append(j)
        j += site.bits
        if len(site.left) + len(site.right) < MIN_CONTEXT:
            continue
        hits = [
            _occurs(where, site, f, all(_far(f, g) for g in forms if g is not f)) for f in forms
        ]
        if sum(hits) == 1:
            values[k] = hits.index(True)
            found_sentences.add(site.sentence)
    styled = house_styled(doc, values) if house_styles else set()
    for k, value in values.items():
        if k in styled:
            continue
        for b in range(doc.sites[k].bits):
            bit = (value >> b) & 1
            lik[offsets[k] + b] = _READ[bit]
            erased[offsets[k] + b] = False
    fragile = _read_fragile(leak_text, doc, lik, erased)
    # A leak mixed from several copies takes each sentence from one of them.
    obs = Observation.soft(lik, erased).with_blocks(symbol_sentences(doc))
    read = int((~erased).sum())
    return TextReading(obs, len(found_sentences), len(doc.sentences), read - fragile, fragile)
