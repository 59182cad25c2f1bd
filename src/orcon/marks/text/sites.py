"""Site, Sentence, Document: what a report's copies are made from.

A site is a place where 2, 4 or 8 wordings mean the same; a copy is the fixed
text with every site in the recipient's wording (docs/adr/0005). The rules that
find sites (:mod:`orcon.marks.text.rules`), the fragile layer
(:mod:`orcon.marks.text.fragile`) and the reader all work on these types, and on
a sentence seen as *slots*: its fixed tokens and its sites in order.
"""

from __future__ import annotations

from dataclasses import dataclass

from orcon.marks.text.normalize import token_spans, tokens

FORM_COUNTS = (2, 4, 8)  # wordings a site may have: one, two or three code symbols
# A context slot: a plain word, or a neighbouring site (any of its forms' tokens).
Slot = str | tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class Site:
    """A place with 2^k wordings (k = 1, 2 or 3); form i carries the code value i.

    A site of 2^k forms carries k binary code symbols (value = b0 + 2·b1 + 4·b2),
    so reading it yields all of them or none.
    """

    start: int
    end: int
    forms: tuple[str, ...]
    kind: str
    sentence: int
    left: tuple[Slot, ...] = ()
    right: tuple[Slot, ...] = ()

    @property
    def bits(self) -> int:
        return len(self.forms).bit_length() - 1


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int
    end: int


@dataclass(frozen=True, slots=True, eq=False)
class Document:
    """A report's fixed text, its wording sites and its fragile gaps.

    Code symbols are laid out as the wording sites' bits first, then one bit per
    fragile gap. Only the wording survives retyping, so :attr:`capacity` (what
    authors are shown and what sharing is planned on) counts the wording alone;
    :attr:`symbols` is the whole code length.
    """

    source: str
    sites: tuple[Site, ...]
    sentences: tuple[Sentence, ...]
    words: int
    gaps: tuple[int, ...] = ()  # offsets where a fragile mark goes (after a space)

    @property
    def capacity(self) -> int:
        """Code symbols carried by the wording (they survive retyping)."""
        return sum(s.bits for s in self.sites)

    @property
    def symbols(self) -> int:
        """The code length: wording symbols, then one per fragile gap."""
        return self.capacity + len(self.gaps)

    def words_for(self, symbols: int) -> int:
        """About how many words of this document carry ``symbols`` wording symbols, at its
        own rate (to the nearest ten, at least ten)."""
        return max(10, int(round(symbols * self.words / max(self.capacity, 1), -1)))

    @property
    def bits_per_word(self) -> float:
        return self.capacity / max(self.words, 1)


# A sentence as slots: (offset, slot, the site it stands for, or None for a fixed token).
Slots = list[tuple[int, Slot, "Site | None"]]


def by_sentence(sites: list[Site] | tuple[Site, ...]) -> dict[int, list[Site]]:
    out: dict[int, list[Site]] = {}
    for site in sites:
        out.setdefault(site.sentence, []).append(site)
    return out


def slots_of(source: str, sent: Sentence, group: list[Site]) -> Slots:
    """The sentence in order: each fixed token, and each of its sites (``group``) as the
    tokens of each of its forms. Site contexts and fragile-gap keys are read off it."""
    spans = [(t, sent.start + a) for t, a, _ in token_spans(source[sent.start : sent.end])]
    out: Slots = []
    pending = sorted(group, key=lambda x: x.start)
    k = 0
    for t, at in [*spans, ("", sent.end + 1)]:
        while k < len(pending) and pending[k].start <= at:
            site = pending[k]
            out.append((site.start, tuple(tuple(tokens(f)) for f in site.forms), site))
            k += 1
        if t and not any(x.start <= at < x.end for x in group):
            out.append((at, t, None))
    return out
