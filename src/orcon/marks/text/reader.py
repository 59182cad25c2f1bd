"""Read a text fingerprint from a leaked excerpt, using the original (informed detection).

The leak may be retyped, re-wrapped, ASCII-folded, lower-cased, have typos,
drop or reorder sentences, or sit inside a longer unrelated article. For each
site we look in the leak for the site's own context — up to three stable words
before and after it in the original — around each of its two forms. Context
words tolerate one typo each (if at least five letters long); a form must match
exactly unless the two forms are far apart in spelling. A site is read when
exactly one form is found in context, and erased otherwise; a typo therefore
costs an erasure, never a wrong symbol. Nothing here looks at any recipient's
codeword, so the p-values of :mod:`orcon.codes` stay exact.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from orcon.codes import Observation
from orcon.marks.text.document import (
    FRAGILE_MARKS,
    GAP_CONTEXT,
    Document,
    Site,
    Slot,
    gap_keys,
)
from orcon.marks.text.normalize import token_spans, tokens, within_one_edit

_MARK = re.compile("[" + "".join(FRAGILE_MARKS) + "]")
MISREAD = 0.03  # probability that a clearly read form is nevertheless wrong (noise floor)
_READ = np.array([[1.0 - MISREAD, MISREAD], [MISREAD, 1.0 - MISREAD]])  # likelihoods of a read 0, 1
MIN_CONTEXT = 2


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
def _symbol_sentences(doc: Document) -> tuple[int, ...]:
    starts = [sent.start for sent in doc.sentences]
    wording = [site.sentence for site in doc.sites for _ in range(site.bits)]
    fragile = [bisect.bisect_right(starts, at) - 1 for at in doc.gaps]
    return (*wording, *fragile)


def symbol_sentences(doc: Document) -> np.ndarray:
    """The sentence each code symbol of ``doc`` sits in (wording sites, then gaps)."""
    return np.array(_symbol_sentences(doc), dtype=np.int64)


def read_text(leak_text: str, doc: Document) -> TextReading:
    leak = tokens(leak_text)
    where = _Positions(leak)
    m = doc.symbols
    lik = np.ones((m, 2))
    erased = np.ones(m, dtype=bool)
    found_sentences: set[int] = set()
    j = 0
    for site in doc.sites:
        at, j = j, j + site.bits
        if len(site.left) + len(site.right) < MIN_CONTEXT:
            continue
        forms = [tuple(tokens(f)) for f in site.forms]
        hits = [
            _occurs(where, site, f, all(_far(f, g) for g in forms if g is not f)) for f in forms
        ]
        if sum(hits) != 1:
            continue
        value = hits.index(True)
        for b in range(site.bits):
            bit = (value >> b) & 1
            lik[at + b] = _READ[bit]
            erased[at + b] = False
        found_sentences.add(site.sentence)
    fragile = _read_fragile(leak_text, doc, lik, erased)
    # A leak mixed from several copies takes each sentence from one of them.
    obs = Observation.soft(lik, erased).with_blocks(symbol_sentences(doc))
    read = int((~erased).sum())
    return TextReading(obs, len(found_sentences), len(doc.sentences), read - fragile, fragile)
