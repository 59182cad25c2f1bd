"""In-memory lookups for the watch: shared texts by shingle, and registered facts.

The text index keeps every item's 4-gram hashes in one sorted array with the
item beside each hash, so an article is looked up with one ``searchsorted``
however many items there are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orcon.marks.text.normalize import tokens, within_one_edit
from orcon.match.text import MIN_SHARED


class TextIndex:
    def __init__(self, items: list[tuple[str, np.ndarray]]) -> None:
        self.ids = [i for i, _ in items]
        if items:
            hashes = np.concatenate([h for _, h in items])
            owner = np.concatenate(
                [np.full(len(h), k, dtype=np.int32) for k, (_, h) in enumerate(items)]
            )
            order = np.argsort(hashes, kind="stable")
            self.hashes, self.owner = hashes[order], owner[order]
        else:
            self.hashes, self.owner = np.zeros(0, np.uint64), np.zeros(0, np.int32)

    def candidates(self, leak: np.ndarray) -> list[tuple[str, int]]:
        if not len(self.hashes) or not len(leak):
            return []
        lo = np.searchsorted(self.hashes, leak, "left")
        hi = np.searchsorted(self.hashes, leak, "right")
        hit = hi > lo
        if not hit.any():
            return []
        owners = np.concatenate([self.owner[a:b] for a, b in zip(lo[hit], hi[hit], strict=True)])
        counts = np.bincount(owners, minlength=len(self.ids))
        found = np.nonzero(counts >= MIN_SHARED)[0]
        return sorted(((self.ids[k], int(counts[k])) for k in found), key=lambda x: -x[1])


@dataclass(frozen=True, slots=True)
class Fact:
    id: int
    text: str
    words: tuple[str, ...]


def find_fact(fact: Fact, article_tokens: list[str]) -> bool:
    """Is the fact's word sequence in the article, allowing one typo per word of 5+ letters?"""
    n = len(fact.words)
    return n > 0 and any(
        all(
            article_tokens[i + k] == w
            or (len(w) >= 5 and within_one_edit(article_tokens[i + k], w))
            for k, w in enumerate(fact.words)
        )
        for i in range(len(article_tokens) - n + 1)
    )


def fact_of(fid: int, text: str) -> Fact:
    return Fact(fid, text, tuple(tokens(text)))


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


class FactMatcher:
    """All registered facts at once, in one pass over an article.

    Symmetric-deletion index (the SymSpell idea): two words are within one edit
    only if one is a one-character deletion of the other or both share one, so
    each article word needs a handful of dictionary lookups instead of a
    comparison with every fact; the rare hits are then checked word by word.
    """

    def __init__(self, facts: list[Fact]) -> None:
        self.facts = [f for f in facts if f.words]
        self.first: dict[str, list[int]] = {}
        for k, f in enumerate(self.facts):
            w = f.words[0]
            for key in {w} | (_deletions(w) if len(w) >= 5 else set()):
                self.first.setdefault(key, []).append(k)

    def find(self, words: list[str]) -> set[int]:
        hits: set[int] = set()
        for p, t in enumerate(words):
            keys = {t} | (_deletions(t) if len(t) >= 4 else set())
            for key in keys:
                for k in self.first.get(key, ()):
                    f = self.facts[k]
                    if (
                        f.id not in hits
                        and p + len(f.words) <= len(words)
                        and all(
                            words[p + j] == w or (len(w) >= 5 and within_one_edit(words[p + j], w))
                            for j, w in enumerate(f.words)
                        )
                    ):
                        hits.add(f.id)
        return hits
