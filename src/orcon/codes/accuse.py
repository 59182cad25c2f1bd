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

from orcon.codes.exact import exact_law
from orcon.codes.observation import Observation
from orcon.codes.prf import StreamBuffer
from orcon.codes.scores import Decoder, score_block, score_table
from orcon.codes.tail import chernoff_pvalue, refined_threshold
from orcon.codes.tardos import Code
from orcon.errors import UsageError

DEFAULT_EPSILON = 1e-6
DEFAULT_DECODERS = (Decoder.SYMMETRIC, Decoder.LOG_LIKELIHOOD, Decoder.ADAPTIVE)
_CHUNK = 2048
# How the default decoders split ε (weighted Bonferroni: the shares sum to 1, so
# the union bound still gives ε). The log-likelihood decoder is the one that
# reaches the capacity under interleaving; giving it 0.8 instead of 1/3 lifted the
# catch at the capacity floor (c = 3: 0.885 -> 0.91, c = 4: 0.93 -> 0.96, hard
# reads) and cost nothing measurable elsewhere (BENCHMARKS.md, ADR 0001).
DEFAULT_SHARES = {Decoder.LOG_LIKELIHOOD: 0.8, Decoder.SYMMETRIC: 0.1, Decoder.ADAPTIVE: 0.1}


def decoder_shares(decs: Sequence[Decoder]) -> list[float]:
    """Each decoder's share of ε: the default weights for the default set, else equal."""
    if set(decs) == set(DEFAULT_SHARES):
        return [DEFAULT_SHARES[d] for d in decs]
    return [1.0 / len(decs)] * len(decs)


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
    size the log-likelihood decoder is tuned for (default: the code's c).
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
    decs = tuple(dict.fromkeys(Decoder(d) for d in decoders))
    if code.spec.q != 2:
        decs = tuple(d for d in decs if d is not Decoder.ADAPTIVE) or (Decoder.SYMMETRIC,)
    if code.uniform and decs == DEFAULT_DECODERS:
        # Uniform symbols (c = 1, and c = 2 under Nuida's law): on hard reads the
        # log-likelihood score is an affine function of the symmetric one (the same
        # test; nearly so on soft reads, as measured: identical p-values on text
        # excerpts) and the adaptive decoder has no biases to learn from, so
        # splitting ε three ways would only cost a factor 3.
        decs = (Decoder.SYMMETRIC,)
    c = decoder_c or code.spec.c
    probs = code.probs
    tables = [score_table(d, probs, obs, c) for d in decs]
    base = dict(epsilon=epsilon, population=n, read=obs.read, erased=int(obs.erased.sum()))
    if n == 0 or obs.read == 0:
        return Verdict((), (), decoders=decs, **base)  # type: ignore[arg-type]

    scores = np.empty((len(decs), n), dtype=np.float64)
    pos = 0
    buffer = StreamBuffer()
    ones = np.empty((min(_CHUNK, n), code.spec.length), dtype=np.float32)
    for a, b in _runs(idx):
        words = code.ones_f32(a, b, buffer, ones) if code.spec.q == 2 else code.codewords(a, b)
        scores[:, pos : pos + b - a] = score_block(tables, words)
        pos += b - a

    share = decoder_shares(decs)
    # The exact innocent law where the leak's positions fall into a few classes
    # (orcon.codes.exact); elsewhere the refined Chernoff bound.
    laws = [exact_law(table, probs) for table in tables]
    shortlist: set[int] = set()
    for d, table in enumerate(tables):
        alpha = epsilon / n * share[d]
        law = laws[d]
        tau = law.threshold(alpha) if law else refined_threshold(table, probs, alpha)
        # float32 scoring may be off by ~1e-4: widen the net, then rescore exactly.
        shortlist.update(np.nonzero(scores[d] >= tau - 1e-2)[0].tolist())
        k = min(top, n)
        shortlist.update(np.argpartition(-scores[d], k - 1)[:k].tolist())

    picks = np.array(sorted(shortlist), dtype=np.int64)
    best_p = np.ones(picks.size)
    best_s = np.zeros(picks.size)
    best_d = np.zeros(picks.size, dtype=np.int64)
    rows = np.arange(code.spec.length)
    for d, table in enumerate(tables):
        rescored = np.array([table[rows, code.codeword(int(idx[j]))].sum() for j in picks])
        law = laws[d]
        tail = law.tail(rescored) if law else chernoff_pvalue(table, probs, rescored)
        p = np.minimum(1.0, tail / share[d])
        better = p < best_p
        best_p = np.where(better, p, best_p)
        best_s = np.where(better, rescored, best_s)
        best_d = np.where(better, d, best_d)
        if d == 0:
            best_s = np.where(best_p >= 1.0, rescored, best_s)

    order = np.lexsort((-best_s, best_p))
    suspects = [
        Suspect(int(idx[picks[o]]), float(best_s[o]), float(best_p[o]), decs[int(best_d[o])])
        for o in order
    ]
    bound = epsilon / n
    accused = tuple(s for s in suspects if s.p_value <= bound)
    return Verdict(accused, tuple(suspects[:top]), decoders=decs, **base)  # type: ignore[arg-type]
