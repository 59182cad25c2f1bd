"""The curated lexicon of meaning-preserving alternations (shipped as data)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

from orcon.marks.text.normalize import tokens


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Word classes a context condition may name (see the header of lexicon-en.tsv).
CLASSES: dict[str, frozenset[str]] = {
    "@det": _words(
        "the a an this that these those his her their its our your my any some each every "
        "all both no another"
    ),
    "@pron": _words("he she they it we you i him them us me"),
    "@be": _words("is are was were be been being am"),
    "@have": _words("has have had having"),
    "@time": _words(
        "day days morning mornings afternoon evening night week weeks weekend month months "
        "year years hour hours minute minutes"
    ),
}
NUMBER = "@num"  # digits, or a number word
DIGITS = "@digits"  # digits only
ING = "@ing"  # a word ending in -ing ("rather than organising")
END = "@end"  # end of the sentence or a comma
WORD = "@word"  # any word (not a number, not a comma)
PARTICIPLE = "@ed"  # a past participle: a word ending in -ed, or an irregular one
_IRREGULAR_PARTICIPLES = _words(
    "found made paid sent held kept told taken given left sold bought brought run got seen "
    "caught stolen driven flown written known shown led put set cut won lost met spent built "
    "broken chosen done begun come gone hit hidden sought thrown withdrawn struck sentenced"
)
_NUMBER_WORDS = _words(
    "one two three four five six seven eight nine ten eleven twelve twenty thirty forty "
    "fifty sixty seventy eighty ninety hundred few"
)


def _member(token: str | None, names: frozenset[str]) -> bool:
    if token is None or token == ",":
        return END in names
    if NUMBER in names and (token[:1].isdigit() or token in _NUMBER_WORDS):
        return True
    if DIGITS in names and token[:1].isdigit():
        return True
    if ING in names and len(token) > 5 and token.endswith("ing"):
        return True
    if WORD in names and token.replace("'", "").isalpha():
        return True
    if PARTICIPLE in names and (
        (len(token) > 4 and token.endswith("ed")) or token in _IRREGULAR_PARTICIPLES
    ):
        return True
    return token in names or any(token in CLASSES[c] for c in names if c in CLASSES)


@dataclass(frozen=True, slots=True)
class Context:
    """Where an occurrence may be rewritten, for wordings interchangeable only in some
    contexts ("the following" means "the next" only before a time word)."""

    after: frozenset[str] | None = None  # the next token must be one of these
    not_after: frozenset[str] = frozenset()
    before: frozenset[str] | None = None  # the previous token must be one of these
    not_before: frozenset[str] = frozenset()
    start: bool = False  # only at the start of a sentence
    not_in_clause: frozenset[str] = frozenset()  # none of these earlier in the clause
    not_later: frozenset[str] = frozenset()  # none of these later in the sentence
    not_after_next: frozenset[str] = frozenset()  # the token after the next is none of these

    def fits(
        self,
        prev: str | None,
        nxt: str | None,
        clause: tuple[str, ...] = (),
        later: tuple[str, ...] = (),
    ) -> bool:
        """May an occurrence between ``prev`` and ``nxt`` (None: sentence edge) be rewritten?

        ``clause`` holds the tokens from the last comma (or the start of the sentence)
        up to the occurrence, ``later`` those after it to the end of the sentence
        (needed only by rows with ``notlater`` or ``next2not``)."""
        if self.start and prev is not None:
            return False
        if any(_member(t, self.not_in_clause) for t in clause):
            return False
        if self.not_later and any(t in self.not_later for t in later):
            return False
        if self.not_after_next and len(later) > 1 and _member(later[1], self.not_after_next):
            return False
        if self.after is not None and not _member(nxt, self.after):
            return False
        if self.before is not None and (prev is None or not _member(prev, self.before)):
            return False
        if _member(nxt, self.not_after):
            return False
        return prev is None or not _member(prev, self.not_before)


ANYWHERE = Context()


def _context(words: list[str], line: str) -> Context:
    sets: dict[str, frozenset[str]] = {}
    for word in words:
        key, _, value = word.partition("=")
        names = frozenset(value.split(","))
        known = {*CLASSES, NUMBER, DIGITS, ING, END, WORD, PARTICIPLE}
        unknown = [n for n in names if n.startswith("@") and n not in known]
        keys = ("next", "notnext", "next2not", "prev", "notprev", "notclause", "notlater")
        if word != "start" and (key not in keys or unknown):
            raise ValueError(f"lexicon condition {word!r} not understood: {line!r}")
        sets[key] = names
    return Context(
        after=sets.get("next"),
        not_after=sets.get("notnext", frozenset()),
        before=sets.get("prev"),
        not_before=sets.get("notprev", frozenset()),
        start="start" in words,
        not_in_clause=sets.get("notclause", frozenset()),
        not_later=sets.get("notlater", frozenset()),
        not_after_next=sets.get("next2not", frozenset()),
    )


@dataclass(frozen=True, slots=True)
class Pair:
    """Two or four wordings of one meaning; the i-th carries the code value i."""

    forms: tuple[tuple[str, ...], ...]  # normalised tokens per wording
    surface: tuple[str, ...]
    both: bool
    context: Context = ANYWHERE


@lru_cache(maxsize=1)
def load() -> tuple[Pair, ...]:
    pairs = []
    for line in files("orcon.data").joinpath("lexicon-en.tsv").read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        *wordings, rule = line.split("\t")
        direction, *conditions = rule.split()
        if len(wordings) not in (2, 4) or direction not in ("both", "fwd"):
            raise ValueError(f"lexicon line needs 2 or 4 wordings and a direction: {line!r}")
        surface = tuple(x.replace(" ,", ",") for x in wordings)
        forms = tuple(tuple(tokens(x)) for x in wordings)
        if len(set(forms)) != len(forms):
            raise ValueError(f"lexicon line has two wordings a reader cannot tell apart: {line!r}")
        pairs.append(Pair(forms, surface, direction == "both", _context(conditions, line)))
    return tuple(pairs)


@lru_cache(maxsize=1)
def index() -> dict[str, list[tuple[tuple[str, ...], int, int]]]:
    """First token -> [(phrase tokens, pair index, which form)], longest phrases first."""
    out: dict[str, list[tuple[tuple[str, ...], int, int]]] = {}
    for i, p in enumerate(load()):
        sides = range(len(p.forms)) if p.both else (0,)
        for side in sides:
            phrase = p.forms[side]
            out.setdefault(phrase[0], []).append((phrase, i, side))
    for v in out.values():
        v.sort(key=lambda t: -len(t[0]))
    return out
