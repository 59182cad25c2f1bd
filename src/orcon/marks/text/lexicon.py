"""The curated lexicon of meaning-preserving alternations (shipped as data)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

from orcon.marks.text.normalize import tokens


@dataclass(frozen=True, slots=True)
class Pair:
    """Two or four wordings of one meaning; the i-th carries the code value i."""

    forms: tuple[tuple[str, ...], ...]  # normalised tokens per wording
    surface: tuple[str, ...]
    both: bool


@lru_cache(maxsize=1)
def load() -> tuple[Pair, ...]:
    pairs = []
    for line in files("orcon.data").joinpath("lexicon-en.tsv").read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        *wordings, direction = line.split("\t")
        if len(wordings) not in (2, 4) or direction not in ("both", "fwd"):
            raise ValueError(f"lexicon line needs 2 or 4 wordings and a direction: {line!r}")
        surface = tuple(x.replace(" ,", ",") for x in wordings)
        forms = tuple(tuple(tokens(x)) for x in wordings)
        pairs.append(Pair(forms, surface, direction == "both"))
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
