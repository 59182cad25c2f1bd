"""The curated lexicon of meaning-preserving alternations (shipped as data)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

from orcon.marks.text.normalize import tokens


@dataclass(frozen=True, slots=True)
class Pair:
    forms: tuple[tuple[str, ...], tuple[str, ...]]  # normalised tokens for symbol 0 and 1
    surface: tuple[str, str]
    both: bool


@lru_cache(maxsize=1)
def load() -> tuple[Pair, ...]:
    pairs = []
    for line in files("orcon.data").joinpath("lexicon-en.tsv").read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        a, b, direction = line.split("\t")
        sa, sb = (x.replace(" ,", ",") for x in (a, b))
        pairs.append(Pair((tuple(tokens(a)), tuple(tokens(b))), (sa, sb), direction == "both"))
    return tuple(pairs)


@lru_cache(maxsize=1)
def index() -> dict[str, list[tuple[tuple[str, ...], int, int]]]:
    """First token -> [(phrase tokens, pair index, which form)], longest phrases first."""
    out: dict[str, list[tuple[tuple[str, ...], int, int]]] = {}
    for i, p in enumerate(load()):
        sides = (0, 1) if p.both else (0,)
        for side in sides:
            phrase = p.forms[side]
            out.setdefault(phrase[0], []).append((phrase, i, side))
    for v in out.values():
        v.sort(key=lambda t: -len(t[0]))
    return out
