"""The fragile layer: invisible marks in word gaps, for quotes pasted word for word.

After a space, a zero-width space carries 0 and a word joiner 1. Decoding
never depends on them (a retyped leak has none); each gap is located in a leak
by the tokens around it in every form nearby sites may take (docs/adr/0005).
"""

from __future__ import annotations

import bisect

import numpy as np

from orcon.marks.text.normalize import token_spans
from orcon.marks.text.sites import Document, Sentence, Site, Slot, Slots, by_sentence, slots_of

FRAGILE_MARKS = ("\u200b", "\u2060")
GAP_CONTEXT = 2  # words (or commas) each side that locate a gap in a leak


MAX_GAP_KEYS = 64  # wordings of nearby sites a gap's locating tokens may take, at most


def _side_keys(slots: list[Slot], need: int) -> set[tuple[str, ...]] | None:
    """Every run of ``need`` tokens that ``slots`` may start with in some copy (None if
    a copy may run out of tokens, or there are too many)."""
    runs: set[tuple[str, ...]] = {()}
    for slot in slots:
        if all(len(r) >= need for r in runs):
            break
        alts = [(slot,)] if isinstance(slot, str) else list(slot)
        runs = {r + tuple(alt) if len(r) < need else r for r in runs for alt in alts}
        if len(runs) > MAX_GAP_KEYS:
            return None
    if any(len(r) < need for r in runs):
        return None
    return {r[:need] for r in runs}


def _gap_keys(slots: Slots, i: int) -> set[tuple[str, ...]] | None:
    """The tokens that may locate the gap before the fixed token ``slots[i]``: the
    GAP_CONTEXT tokens before it and GAP_CONTEXT from it, in every copy."""
    left = _side_keys(
        [
            tuple(tuple(reversed(f)) for f in x) if not isinstance(x, str) else x
            for _, x, _ in reversed(slots[:i])
        ],
        GAP_CONTEXT,
    )
    right = _side_keys([x for _, x, _ in slots[i:]], GAP_CONTEXT)
    if left is None or right is None or len(left) * len(right) > MAX_GAP_KEYS:
        return None
    return {tuple(reversed(lk)) + rk for lk in left for rk in right}


def choose_gaps(
    source: str, sentences: list[Sentence], sites: list[Site], mask: np.ndarray
) -> list[int]:
    """Word gaps for the fragile layer, each located by the two tokens on either side.

    The gap itself is a space of the fixed text between two fixed tokens; the
    locating tokens may belong to nearby wording sites, so a gap is known by
    every form they may take in a copy (at most MAX_GAP_KEYS). A gap is used
    only when none of its keys locates another gap, so that a mark found in a
    leak points at exactly one gap, and nothing around it is protected.
    """
    covered = np.zeros(len(source) + 1, dtype=bool)
    for x in sites:
        covered[x.start : x.end] = True
    keys: dict[int, set[tuple[str, ...]]] = {}
    groups = by_sentence(sites)
    for si, sent in enumerate(sentences):
        slots = slots_of(source, sent, groups.get(si, []))
        for i, (at, _, site) in enumerate(slots):
            if site is not None or at == sent.start or source[at - 1] != " ":
                continue
            if covered[at - 1] or covered[at] or mask[max(0, at - 40) : at + 40].any():
                continue
            found = _gap_keys(slots, i)
            if found:
                keys[at] = found
    count: dict[tuple[str, ...], int] = {}
    for found in keys.values():
        for key in found:
            count[key] = count.get(key, 0) + 1
    return sorted(at for at, found in keys.items() if all(count[k] == 1 for k in found))


def gap_keys(doc: Document) -> dict[tuple[str, ...], int]:
    """Locating tokens -> gap number, for every form the nearby sites may take; a key
    that could locate two gaps (possible only for items shared before gaps were
    chosen this way) locates neither."""
    starts = [x.start for x in doc.sentences]
    groups = by_sentence(doc.sites)
    fixed: dict[int, tuple[Slots, dict[int, int]]] = {}  # sentence -> slots, offset -> index
    out: dict[tuple[str, ...], int] = {}
    for k, at in enumerate(doc.gaps):
        si = bisect.bisect_right(starts, at) - 1
        if si not in fixed:
            slots = slots_of(doc.source, doc.sentences[si], groups.get(si, []))
            fixed[si] = slots, {o: i for i, (o, _, x) in enumerate(slots) if x is None}
        slots, index = fixed[si]
        found = _gap_keys(slots, index[at]) if at in index else None
        for key in found or {gap_key(doc.source, at)}:
            out[key] = -1 if key in out and out[key] != k else k
    return {key: k for key, k in out.items() if k >= 0}


def gap_key(source: str, at: int) -> tuple[str, ...]:
    """The tokens around ``at`` in ``source``: GAP_CONTEXT before it and GAP_CONTEXT from it."""
    before = token_spans(source[max(0, at - 200) : at])[-GAP_CONTEXT:]
    after = token_spans(source[at : at + 200])[:GAP_CONTEXT]
    return tuple(t for t, _, _ in (*before, *after))
