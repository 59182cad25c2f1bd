"""Exact innocent tails when a leak's positions fall into a few classes.

The accusation rule asks for P(innocent score >= s) for this item's biases and
this leak's symbols (Furon and Desoubeaux, "Tardos codes for real", 2014: exact
where it can be had, a provable bound otherwise). For a binary code a position
adds ``lo`` or ``hi`` to an innocent's score, ``hi`` with probability ``π``.
When the biases take a few values (Nuida et al.'s discrete law; the uniform
codes of c = 1 and c = 2) and the symbols are read hard, positions share a few
(π, lo, hi) classes, and the score is

    S = base + Σ_g d_g K_g,   K_g ~ Binomial(n_g, π_g) independent,  d_g = hi_g - lo_g

whose tail is a finite sum: the law of all but the last class is enumerated,
the last one's binomial tail is looked up. Soft reads give every position its
own class; then this module declines (returns None) and the Chernoff bound of
:mod:`orcon.codes.tail` is used alone.

Why the answer is never below the truth: classes are formed with a small
tolerance and each takes the largest ``lo``, ``hi`` and ``π`` of its members, so
the modelled score is pointwise at least the true one under a coupling;
lattice points within a rounding tolerance below ``s`` are counted as reaching
it; the result is multiplied by (1 + 1e-9) for rounding in the sums.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MAX_CLASSES = 3
MAX_SUPPORT = 2_000_000
_REL_TOL = 1e-9
_FLOOR = 1e-300


@dataclass(frozen=True, slots=True)
class _Class:
    n: int
    pi: float  # probability of the symbol that scores ``hi``
    d: float  # hi - lo > 0


def _classes(table: np.ndarray, probs: np.ndarray) -> tuple[float, list[_Class]] | None:
    if table.ndim != 2 or table.shape[1] != 2:
        return None
    f0, f1 = table[:, 0].astype(np.float64), table[:, 1].astype(np.float64)
    lo, hi = np.minimum(f0, f1), np.maximum(f0, f1)
    pi = np.where(f1 >= f0, probs[:, 1], probs[:, 0]).astype(np.float64)
    d = hi - lo
    scale = max(1.0, float(np.abs(table).max(initial=0.0)))
    moving = d > _REL_TOL * scale
    base = float(lo.sum() + d[~moving].sum())  # constant positions at their maximum
    if not moving.any():
        return base, []
    keys = np.stack([pi[moving], lo[moving], d[moving]], axis=1)
    # Tolerant grouping: sort, then start a new class wherever a key jumps.
    order = np.lexsort(keys.T[::-1])
    k = keys[order]
    tol = np.array([1e-9, _REL_TOL * scale, _REL_TOL * scale])
    jump = np.any(np.abs(np.diff(k, axis=0)) > tol, axis=1)
    starts = np.r_[0, np.nonzero(jump)[0] + 1]
    if starts.size > MAX_CLASSES:
        return None
    out: list[_Class] = []
    for a, b in zip(starts, np.r_[starts[1:], k.shape[0]], strict=True):
        block = k[a:b]
        lo_max = float(block[:, 1].max())
        hi_max = float((block[:, 1] + block[:, 2]).max())
        # Each member scores at most lo_max or hi_max: base gains (lo_max - lo) per member.
        base += float((lo_max - block[:, 1]).sum())
        out.append(_Class(int(b - a), min(1.0, float(block[:, 0].max())), hi_max - lo_max))
    return base, out


def _binomial_pmf(n: int, pi: float) -> np.ndarray:
    k = np.arange(n + 1, dtype=np.float64)
    log_fact = np.r_[0.0, np.cumsum(np.log(np.arange(1, n + 1, dtype=np.float64)))]
    with np.errstate(divide="ignore"):
        logpmf = log_fact[n] - log_fact[: n + 1] - log_fact[::-1]
        logpmf = logpmf + k * math.log(pi) + (n - k) * (math.log1p(-pi) if pi < 1 else -np.inf)
    if pi >= 1.0:
        logpmf = np.where(k == n, 0.0, -np.inf)
    return np.exp(logpmf)


@dataclass(frozen=True, slots=True)
class ExactLaw:
    """The innocent score law of one leak: values + weights of all classes but the
    last, then the last class's binomial tail ``sf`` (sf[k] = P(K >= k))."""

    base: float
    top: float
    slack: float
    values: np.ndarray
    weights: np.ndarray
    step: float
    sf: np.ndarray

    def tail(self, s: np.ndarray) -> np.ndarray:
        """P(innocent score >= s) for each s."""
        out = np.empty_like(s)
        last = self.sf.size - 2
        for i, si in enumerate(s):
            need = np.ceil((si - self.slack - self.base - self.values) / self.step)
            idx = np.clip(need, 0, last + 1).astype(np.int64)
            out[i] = float(np.dot(self.weights, self.sf[idx]))
        out = np.minimum(1.0, out * (1.0 + 1e-9))
        reachable = s <= self.top + self.slack
        out[reachable] = np.maximum(out[reachable], _FLOOR)
        out[~reachable] = 0.0
        return out

    def threshold(self, alpha: float) -> float:
        """A score τ with tail <= α, within 1e-6 of the score range above the
        smallest such score. It shortlists recipients, who are then given their
        own p-values."""
        lo, hi = self.base, self.top + 2 * self.slack
        for _ in range(60):
            if hi - lo <= 1e-6 * max(1.0, self.top - self.base):
                break
            mid = 0.5 * (lo + hi)
            if self.tail(np.array([mid]))[0] <= alpha:
                hi = mid
            else:
                lo = mid
        return hi


def exact_law(table: np.ndarray, probs: np.ndarray) -> ExactLaw | None:
    """The exact innocent law for this score table, or None when the positions do
    not fall into at most MAX_CLASSES classes (then use the Chernoff bound)."""
    found = _classes(np.asarray(table), np.asarray(probs))
    if found is None:
        return None
    base, classes = found
    top = base + sum(c.n * c.d for c in classes)
    slack = _REL_TOL * max(1.0, abs(top), abs(base))
    if not classes:  # every innocent scores base: a point mass
        return ExactLaw(base, top, slack, np.zeros(1), np.ones(1), 1.0, np.array([1.0, 0.0]))
    values = np.zeros(1)
    weights = np.ones(1)
    for c in classes[:-1]:
        pmf = _binomial_pmf(c.n, c.pi)
        keep = pmf > 0
        values = (values[:, None] + c.d * np.arange(c.n + 1)[keep][None, :]).ravel()
        weights = (weights[:, None] * pmf[keep][None, :]).ravel()
        if values.size > MAX_SUPPORT:
            return None
    last = classes[-1]
    # Summed from the top, so that small tails keep their relative precision.
    pmf = _binomial_pmf(last.n, last.pi)
    sf = np.r_[np.cumsum(pmf[::-1])[::-1], 0.0]
    return ExactLaw(base, top, slack, values, weights, last.d, sf)


def exact_pvalue(table: np.ndarray, probs: np.ndarray, scores: np.ndarray) -> np.ndarray | None:
    """P(innocent score >= s) for each s, exactly (see the module note), or None."""
    law = exact_law(table, probs)
    return None if law is None else law.tail(np.atleast_1d(np.asarray(scores, np.float64)))


def exact_threshold(table: np.ndarray, probs: np.ndarray, alpha: float) -> float | None:
    """:meth:`ExactLaw.threshold`, or None where the law is not exact."""
    law = exact_law(table, probs)
    return None if law is None else law.threshold(alpha)
