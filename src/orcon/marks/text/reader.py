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

from dataclasses import dataclass

import numpy as np

from orcon.codes import Observation
from orcon.marks.text.document import Document, Site, Slot
from orcon.marks.text.normalize import tokens, within_one_edit

MISREAD = 0.03  # probability that a clearly read form is nevertheless wrong (noise floor)
MIN_CONTEXT = 2


@dataclass(frozen=True, slots=True, eq=False)
class TextReading:
    observation: Observation
    sentences_found: int
    sentences_total: int
    sites_read: int


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


def _occurs(leak: list[str], site: Site, form: tuple[str, ...], fuzzy: bool) -> bool:
    for i in range(len(leak) + 1):
        if i + len(form) > len(leak):
            break
        if not all(_tok(leak[i + k], w, fuzzy) for k, w in enumerate(form)):
            continue
        if _forward(leak, i + len(form), site.right) and _backward(leak, i, site.left):
            return True
    return False


def read_text(leak_text: str, doc: Document) -> TextReading:
    leak = tokens(leak_text)
    m = doc.capacity
    lik = np.ones((m, 2))
    erased = np.ones(m, dtype=bool)
    found_sentences: set[int] = set()
    j = 0
    for site in doc.sites:
        at, j = j, j + site.bits
        if len(site.left) + len(site.right) < MIN_CONTEXT:
            continue
        forms = [tuple(tokens(f)) for f in site.forms]
        hits = [_occurs(leak, site, f, all(_far(f, g) for g in forms if g is not f)) for f in forms]
        if sum(hits) != 1:
            continue
        value = hits.index(True)
        for b in range(site.bits):
            bit = (value >> b) & 1
            lik[at + b] = (1.0 - MISREAD, MISREAD) if bit == 0 else (MISREAD, 1.0 - MISREAD)
            erased[at + b] = False
        found_sentences.add(site.sentence)
    obs = Observation.soft(lik, erased)
    return TextReading(obs, len(found_sentences), len(doc.sentences), int((~erased).sum()))
