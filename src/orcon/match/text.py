"""Find the shared report a quoted or retyped excerpt came from.

Exact word 4-gram shingles over normalised text (MinHash LSH would miss short
quotes): each item keeps the hashes of the 4-grams of its *stable* words (those
no copy rewrites), and a leak matches an item when enough of its 4-grams are
among them. Six quoted sentences share dozens of 4-grams with their source;
unrelated text shares almost none.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np

from orcon.marks.text.normalize import token_spans, tokens
from orcon.marks.text.sites import Document

N = 4
MIN_SHARED = 6


def _hashes(seqs: Iterable[list[str]]) -> np.ndarray:
    out = set()
    for toks in seqs:
        for i in range(len(toks) - N + 1):
            gram = " ".join(toks[i : i + N]).encode()
            out.add(int.from_bytes(hashlib.blake2b(gram, digest_size=8).digest(), "big"))
    return np.array(sorted(out), dtype=np.uint64)


def item_shingles(doc: Document) -> np.ndarray:
    """4-gram hashes of runs of words that no site touches."""
    runs: list[list[str]] = [[]]
    sites = list(doc.sites)
    k = 0
    for t, a, _ in token_spans(doc.source):
        while k < len(sites) and sites[k].end <= a:
            k += 1
        if k < len(sites) and sites[k].start <= a < sites[k].end:
            runs.append([])
            continue
        runs[-1].append(t)
    return _hashes(runs)


def leak_shingles(text: str) -> np.ndarray:
    return _hashes([tokens(text)])


def rank(leak: np.ndarray, items: Iterable[tuple[str, np.ndarray]]) -> list[tuple[str, int]]:
    scored = [
        (item_id, int(np.intersect1d(leak, h, assume_unique=True).size)) for item_id, h in items
    ]
    return sorted([x for x in scored if x[1] >= MIN_SHARED], key=lambda x: -x[1])
