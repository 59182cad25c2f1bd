"""From a leak's observation to a verdict that never names an innocent beyond ε.

Accusation rule (Furon and Desoubeaux, "Tardos codes for real", 2014): recipient
j is accused only when the probability that an *innocent* scores at least s_j —
computed for this item's actual biases and this leak's actual symbols, exactly
where the positions fall into a few classes (hard reads of discrete biases,
:mod:`orcon.codes.exact`), else bounded by a refined Chernoff bound — is at
most ε/n. With several decoders run side by side, each gets a share of ε
and its p-values are divided by that share (weighted Bonferroni; the shares sum
to 1), so by the union bound the chance that *any* of the n recipients is
wrongly accused is at most ε. The verdict carries ε and n.

Why it holds: an innocent's codeword is drawn independently of the colluders'
codewords (disjoint PRF blocks), so conditioned on the biases and on the leak,
its score is a sum of independent terms whose law is known exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from orcon.codes.exact import ExactLaw, exact_law
from orcon.codes.observation import Observation
from orcon.codes.planner import fewest_agreeing
from orcon.codes.prf import StreamBuffer
from orcon.codes.scores import (
    BlockLayout,
    Decoder,
    score_block,
    score_table,
    side_informed_blocks,
    side_informed_table,
)
from orcon.codes.tail import chernoff_pvalue, refined_threshold
from orcon.codes.tardos import Code
from orcon.errors import UsageError

DEFAULT_EPSILON = 1e-6
DEFAULT_DECODERS = (
    Decoder.SYMMETRIC,
    Decoder.LOG_LIKELIHOOD,
    Decoder.ADAPTIVE,
    Decoder.SIDE_INFORMED,
)
_CHUNK = 2048
# How the default decoders split ε (weighted Bonferroni: the shares sum to 1, so
# the union bound still gives ε); a subset run renormalises them. See ADR 0001
# and BENCHMARKS.md for the measurements behind the weights.
DEFAULT_SHARES = {
    Decoder.SIDE_INFORMED: 0.5,
    Decoder.LOG_LIKELIHOOD: 0.4,
    Decoder.SYMMETRIC: 0.05,
    Decoder.ADAPTIVE: 0.05,
}


# Codes with uniform biases run these two (see accuse): an even split, because there
# a single leaker read at half its symbols is caught more often with half of ε on
# the symmetric decoder than with 1/11 (c = 1, 50 % erased, soft reads: 0.93 / 0.96
# against 0.92 / 0.95 for n = 10³ / 10⁵; 0.96 / 0.975 with it alone), and text
# interleaving lost nothing measurable (ADR 0001).
UNIFORM_SHARES = {Decoder.SYMMETRIC: 0.5, Decoder.SIDE_INFORMED: 0.5}


def decoder_shares(decs: Sequence[Decoder]) -> list[float]:
    """Each decoder's share of ε: even for the pair uniform codes run, else the
    default weights renormalised over ``decs``."""
    if set(decs) == set(UNIFORM_SHARES) and len(decs) == len(UNIFORM_SHARES):
        return [UNIFORM_SHARES[Decoder(d)] for d in decs]
    weights = [DEFAULT_SHARES[Decoder(d)] for d in decs]
    total = sum(weights)
    return [w / total for w in weights]


def side_coalition(c: int) -> int:
    """The coalition the side-informed decoder assumes: the code's c, and at least two.

    Text items carry identification codes (c = 1, capacity is scarce), yet two
    people mixing their copies is the first collusion to expect; assuming a
    partner costs a single leaker nothing measurable (ADR 0001).
    """
    return max(c, 2)


def side_recipients(ranked: Sequence[int], recipient: int, c: int) -> list[int]:
    """Who the side-informed decoder takes as ``recipient``'s fellow colluders: the
    c - 1 best-ranked recipients other than itself.

    ``ranked`` orders recipients by a score that depends on each one's own
    codeword and the leak alone, so the choice for ``recipient`` never depends on
    its own codeword, and its innocent law is unchanged by it.
    """
    return [r for r in ranked if r != recipient][: c - 1]


@dataclass(frozen=True, slots=True)
class Suspect:
    """A recipient's best (Bonferroni-adjusted) p-value and the decoder that gave it."""

    index: int
    score: float
    p_value: float
    decoder: Decoder


@dataclass(frozen=True, slots=True)
class Verdict:
    accused: tuple[Suspect, ...]
    candidates: tuple[Suspect, ...]
    epsilon: float
    population: int
    read: int
    erased: int
    decoders: tuple[Decoder, ...]
    ranked: tuple[int, ...] = ()  # the side-informed decoder's ranking (see side_recipients)

    @property
    def per_person_bound(self) -> float:
        """A recipient is accused only when its p-value is at most this."""
        return self.epsilon / max(self.population, 1)


def _runs(indices: np.ndarray) -> Iterable[tuple[int, int]]:
    """Contiguous runs of sorted unique indices, cut into chunks."""
    if indices.size == 0:
        return
    breaks = np.nonzero(np.diff(indices) != 1)[0] + 1
    for run in np.split(indices, breaks):
        for a in range(0, run.size, _CHUNK):
            part = run[a : a + _CHUNK]
            yield int(part[0]), int(part[-1]) + 1


@dataclass(frozen=True, slots=True, eq=False)
class ScoreModel:
    """How a decoder scores a recipient: ``table[r, outcome]`` summed over rows r,
    where rows are code positions (outcome: the symbol) or, for the side-informed
    decoder on a leak read in blocks, blocks of positions (outcome: the pattern).
    ``law[r]`` is an innocent's chance of each outcome: all a tail needs."""

    table: np.ndarray
    law: np.ndarray
    layout: BlockLayout | None = None

    def outcomes(self, words: np.ndarray) -> np.ndarray:
        return self.layout.outcomes(words) if self.layout else np.asarray(words)

    def scores(self, words: np.ndarray) -> np.ndarray:
        """Exact (float64) scores of codewords (k, m)."""
        out = self.outcomes(np.atleast_2d(words)).astype(np.int64)
        return np.asarray(self.table[np.arange(self.table.shape[0]), out].sum(axis=1))


def decoder_model(
    code: Code,
    obs: Observation,
    decoder: Decoder,
    c: int,
    ranked: Sequence[int] = (),
    recipient: int = -1,
) -> ScoreModel:
    """How ``recipient`` is scored by ``decoder`` (tuned for coalitions of c); the
    side-informed decoder needs the verdict's ``ranked`` recipients."""
    if decoder is not Decoder.SIDE_INFORMED:
        return ScoreModel(score_table(decoder, code.probs, obs, c), code.probs)
    c = side_coalition(c)
    side = side_recipients(ranked, recipient, c)
    if not side:
        raise UsageError("the side-informed decoder needs at least one other ranked recipient")
    words = np.stack([code.codeword(r) for r in side])
    layout = BlockLayout.of(obs) if code.spec.q == 2 else None
    if layout is not None:
        table, law = side_informed_blocks(code.probs, obs, c, words, layout)
        return ScoreModel(table, law, layout)
    return ScoreModel(side_informed_table(code.probs, obs, c, words), code.probs)


class _Tails:
    """Innocent tails per model: the exact law where there is one (built once), else the bound."""

    def __init__(self) -> None:
        self.laws: dict[int, ExactLaw | None] = {}

    def _law(self, model: ScoreModel) -> ExactLaw | None:
        if id(model) not in self.laws:
            self.laws[id(model)] = exact_law(model.table, model.law)
        return self.laws[id(model)]

    def pvalues(self, model: ScoreModel, scores: np.ndarray) -> np.ndarray:
        law = self._law(model)
        return law.tail(scores) if law else chernoff_pvalue(model.table, model.law, scores)

    def threshold(self, model: ScoreModel, alpha: float) -> float:
        law = self._law(model)
        if law:
            return law.threshold(alpha)
        return refined_threshold(model.table, model.law, alpha)


class _Scorer:
    """Scores recipients (given as positions into ``idx``) against models, in blocks."""

    def __init__(self, code: Code, idx: np.ndarray) -> None:
        self.code, self.idx = code, idx
        self.buffer = StreamBuffer()
        self.ones = np.empty((min(_CHUNK, idx.size), code.spec.length), dtype=np.float32)

    def all(self, models: Sequence[ScoreModel]) -> np.ndarray:
        """float32-accurate scores of everyone: (len(models), n)."""
        out = np.empty((len(models), self.idx.size), dtype=np.float64)
        flat = [k for k, m in enumerate(models) if m.layout is None]
        grouped = [k for k, m in enumerate(models) if m.layout is not None]
        pos = 0
        for a, b in _runs(self.idx):
            code = self.code
            words = (
                code.ones_f32(a, b, self.buffer, self.ones)
                if code.spec.q == 2
                else code.codewords(a, b)
            )
            if flat:
                out[flat, pos : pos + b - a] = score_block([models[k].table for k in flat], words)
            for k in grouped:
                out[k, pos : pos + b - a] = score_block(
                    [models[k].table], models[k].outcomes(words)
                )[0]
            pos += b - a
        return out

    def exact(self, model: ScoreModel, positions: Iterable[int]) -> np.ndarray:
        at = [int(self.idx[j]) for j in positions]
        if not at:
            return np.zeros(0)
        return model.scores(np.stack([self.code.codeword(i) for i in at]))


def accuse(
    code: Code,
    obs: Observation,
    recipients: int | Sequence[int] | np.ndarray,
    *,
    epsilon: float = DEFAULT_EPSILON,
    decoders: Sequence[Decoder] = DEFAULT_DECODERS,
    decoder_c: int | None = None,
    top: int = 10,
) -> Verdict:
    """Score every recipient and accuse those whose innocence is implausible beyond ε/n.

    ``recipients`` is the number n of recipients 0..n-1, or the explicit indices
    of the recipients who were issued a copy. ``decoder_c`` is the coalition
    size the log-likelihood decoders are tuned for (default: the code's c).
    """
    if not 0 < epsilon < 1:
        raise UsageError(f"epsilon must lie in (0, 1), got {epsilon}")
    if not decoders:
        raise UsageError("at least one decoder is required")
    if obs.likelihoods.shape != code.probs.shape:
        raise UsageError(
            f"observation has {obs.length} positions of {obs.q} symbols, "
            f"the code has {code.spec.length} of {code.spec.q}"
        )
    if isinstance(recipients, int):
        idx = np.arange(recipients, dtype=np.int64)
    else:
        idx = np.unique(np.asarray(recipients, dtype=np.int64))
    if idx.size and idx[0] < 0:
        raise UsageError("recipient indices must be non-negative")
    n = int(idx.size)
    c = decoder_c or code.spec.c
    if c < 1:
        raise UsageError("the decoders' coalition size must be at least 1")
    decs = tuple(dict.fromkeys(Decoder(d) for d in decoders))
    default = set(decs) == set(DEFAULT_DECODERS)
    if code.spec.q != 2:
        decs = tuple(d for d in decs if d is not Decoder.ADAPTIVE)
    if n < 2:  # no one else to take as a fellow colluder
        decs = tuple(d for d in decs if d is not Decoder.SIDE_INFORMED)
    if code.uniform and default:
        # Uniform symbols (c = 1, and c = 2 under Nuida's law): on hard reads the
        # log-likelihood score is an affine function of the symmetric one (the same
        # test; nearly so on soft reads, as measured: identical p-values on text
        # excerpts) and the adaptive decoder has no biases to learn from, so
        # splitting ε more ways would only cost.
        decs = tuple(d for d in decs if d in (Decoder.SYMMETRIC, Decoder.SIDE_INFORMED))
        short = obs.read < 2 * fewest_agreeing(max(n, 1), epsilon, 1.0)
        if Decoder.SIDE_INFORMED in decs and short:
            # Too short for a second colluder: a mix of two copies shows each one's own
            # symbols on about half of what was read, and below twice the fewest that
            # name a single leaker a pair is named in at most 1 % of trials with either
            # set (bench/short_reads.py), while half of ε costs a single leaker one
            # symbol (read at exactly that fewest, 40-46 % of single leakers are named
            # by the symmetric decoder alone, none by the pair). The choice rests on the
            # count of read symbols and n alone, never on anyone's codeword, so the
            # bound holds for either set.
            decs = (Decoder.SYMMETRIC,)
    decs = decs or (Decoder.SYMMETRIC,)
    probs = code.probs
    plain = [d for d in decs if d is not Decoder.SIDE_INFORMED]
    side_on = Decoder.SIDE_INFORMED in decs
    # The side-informed decoder ranks recipients by the log-likelihood score.
    ranker = Decoder.LOG_LIKELIHOOD
    first = [*plain, *([ranker] if side_on and ranker not in plain else [])]
    tables = {d: ScoreModel(score_table(d, probs, obs, c), probs) for d in first}
    base = dict(epsilon=epsilon, population=n, read=obs.read, erased=int(obs.erased.sum()))
    if n == 0 or obs.read == 0:
        return Verdict((), (), decoders=decs, **base)  # type: ignore[arg-type]

    scorer = _Scorer(code, idx)
    scores = dict(zip(first, scorer.all([tables[d] for d in first]), strict=True))
    # Side information: the c best-ranked recipients (positions into idx).
    ranked: list[int] = []
    own: dict[int, ScoreModel] = {}  # side models of the recipients inside the ranking
    if side_on:
        # Ranked by the float32 score, which for each recipient is a function of its
        # own codeword and the leak only; ties go to the lower index.
        r, cs = scores[ranker], side_coalition(c)
        kth = np.partition(r, n - cs)[n - cs] if n > cs else -np.inf
        near = np.nonzero(r >= kth)[0]
        ranked = [int(j) for j in near[np.lexsort((idx[near], -r[near]))][:cs]]
        ids = [int(idx[j]) for j in ranked]
        side = Decoder.SIDE_INFORMED
        tables[side] = decoder_model(code, obs, side, c, ids)  # everyone outside the ranking
        own = {j: decoder_model(code, obs, side, c, ids, int(idx[j])) for j in ranked[: cs - 1]}
        scores[Decoder.SIDE_INFORMED] = scorer.all([tables[Decoder.SIDE_INFORMED]])[0]

    share = dict(zip(decs, decoder_shares(decs), strict=True))
    tails = _Tails()
    shortlist: set[int] = set(own)
    for d in decs:
        tau = tails.threshold(tables[d], epsilon / n * share[d])
        # float32 scoring may be off by ~1e-4: widen the net, then rescore exactly.
        shortlist.update(np.nonzero(scores[d] >= tau - 1e-2)[0].tolist())
        kk = min(top, n)
        shortlist.update(np.argpartition(-scores[d], kk - 1)[:kk].tolist())

    picks = np.array(sorted(shortlist), dtype=np.int64)
    best_p = np.ones(picks.size)
    best_s = np.zeros(picks.size)
    best_d = np.zeros(picks.size, dtype=np.int64)
    for d_i, d in enumerate(decs):
        rescored = scorer.exact(tables[d], picks)
        tail = tails.pvalues(tables[d], rescored)
        if d is Decoder.SIDE_INFORMED:
            for k_i, j in enumerate(picks.tolist()):
                if j in own:
                    rescored[k_i] = scorer.exact(own[j], [j])[0]
                    tail[k_i] = tails.pvalues(own[j], rescored[k_i : k_i + 1])[0]
        p = np.minimum(1.0, tail / share[d])
        better = p < best_p
        best_p = np.where(better, p, best_p)
        best_s = np.where(better, rescored, best_s)
        best_d = np.where(better, d_i, best_d)
        if d_i == 0:
            best_s = np.where(best_p >= 1.0, rescored, best_s)

    order = np.lexsort((-best_s, best_p))
    suspects = [
        Suspect(int(idx[picks[o]]), float(best_s[o]), float(best_p[o]), decs[int(best_d[o])])
        for o in order
    ]
    bound = epsilon / n
    accused = tuple(s for s in suspects if s.p_value <= bound)
    return Verdict(
        accused,
        tuple(suspects[:top]),
        decoders=decs,
        ranked=tuple(int(idx[j]) for j in ranked),
        **base,  # type: ignore[arg-type]
    )
