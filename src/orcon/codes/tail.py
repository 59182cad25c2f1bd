"""How likely is an innocent to score this high? Bounds and estimates.

Given a score table ``F`` (m, q) and the exact symbol probabilities ``P`` (m, q),
an innocent recipient's score is ``S = sum_i F[i, X_i]`` with independent
``X_i ~ P[i]``. Its cumulant generating function is exact and cheap:

    K(λ) = sum_i log sum_x P[i, x] exp(λ F[i, x])

* :func:`chernoff_pvalue` returns a *provable* upper bound on P(S >= s). It
  starts from the exact identity, for any λ >= 0,

      P(S >= s) = exp(K(λ) - λ s) · E_λ[exp(-λ (S - s)) 1{S >= s}]

  (E_λ is the exponentially tilted law). Chernoff (1952) bounds the expectation
  by 1. We bound it more tightly, still rigorously, with the Berry–Esseen
  inequality for independent non-identical summands (constant 0.5600,
  Shevtsova 2010): the tilted law of S is within δ = 0.56·Σρ_i/σ³ of a normal
  law in Kolmogorov distance, so the expectation is at most the normal one,
  exp(-λd + λ²σ²/2)·Φ(d/σ - λσ), plus 2δ (d = K'(λ) - s). The result is never
  above the Chernoff bound and typically 5–20 times below it. Any λ gives a
  valid bound, so an imprecise optimiser only makes the bound looser.
* :func:`chernoff_threshold` inverts it: the smallest τ with bound <= α.
* :func:`importance_pvalue` estimates P(S >= s) itself by sampling S under the
  exponentially tilted law (the rare-event method of Furon and Desoubeaux,
  "Tardos codes for real", 2014). Every weighted sample is at most the Chernoff
  bound, so the estimate is never above it; it is reported alongside the bound
  to show how conservative the bound is.

All functions are pure; randomness comes in as a ``numpy.random.Generator``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

_ITER = 60
_TOP_TOL = 1e-9
_FLOOR = 1e-300


BERRY_ESSEEN = 0.5600  # Shevtsova (2010), non-identically distributed summands
_ERFC = np.frompyfunc(math.erfc, 1, 1)
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _log_ndtr_upper(x: np.ndarray) -> np.ndarray:
    """An upper bound on log Φ(x), exact (to rounding) for x >= -5.

    Below -5 it uses the Mills-ratio bound Φ(x) <= φ(x)/|x| (at most 4 % above
    Φ there), so the Berry–Esseen factor it feeds can only grow: the p-value
    stays a proof. Written with math.erfc rather than scipy.special, whose
    import costs a CLI command a third of a second.
    """
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    near = x >= -5.0
    with np.errstate(divide="ignore"):
        out[near] = np.log(0.5 * np.asarray(_ERFC(-x[near] / math.sqrt(2.0)), dtype=np.float64))
    far = ~near
    out[far] = -0.5 * x[far] ** 2 - _HALF_LOG_2PI - np.log(-x[far])
    return out


def _third(table: np.ndarray, logp: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Σ_i E_λ|X_i - E_λ X_i|³ under the tilted law, for a vector of λ."""
    z = logp[None, :, :] + lam[:, None, None] * table[None, :, :]
    e = np.exp(z - z.max(axis=2, keepdims=True))
    w = e / e.sum(axis=2, keepdims=True)
    mean = (w * table[None]).sum(axis=2, keepdims=True)
    return (w * np.abs(table[None] - mean) ** 3).sum(axis=(1, 2))


def _tilted(
    table: np.ndarray, logp: np.ndarray, lam: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """K(λ), K'(λ) and K''(λ) for a vector of λ, shape (k,)."""
    if table.shape[1] == 2:  # binary codes, the hot path: closed forms per position
        d = table[:, 1] - table[:, 0]
        z0 = logp[None, :, 0] + lam[:, None] * table[None, :, 0]
        z1 = logp[None, :, 1] + lam[:, None] * table[None, :, 1]
        with np.errstate(invalid="ignore"):
            w1 = np.exp(z1 - np.logaddexp(z0, z1))  # tilted probability of symbol 1
        w1 = np.nan_to_num(w1, nan=0.0)
        k2 = np.logaddexp(z0, z1).sum(axis=1)
        mean2 = (table[None, :, 0] + w1 * d).sum(axis=1)
        var2 = (w1 * (1.0 - w1) * d * d).sum(axis=1)
        return k2, mean2, var2
    z = logp[None, :, :] + lam[:, None, None] * table[None, :, :]  # (k, m, q)
    zmax = z.max(axis=2, keepdims=True)
    e = np.exp(z - zmax)
    tot = e.sum(axis=2)
    k = (np.log(tot) + zmax[:, :, 0]).sum(axis=1)
    mean = (e * table[None]).sum(axis=2) / tot
    second = (e * (table * table)[None]).sum(axis=2) / tot
    return k, mean.sum(axis=1), (second - mean * mean).sum(axis=1)


def _logp(probs: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(probs)


def _solve(
    fn: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]], start: np.ndarray
) -> np.ndarray:
    """Roots of increasing functions of λ >= 0 by bracketed (safeguarded) Newton steps.

    ``fn(lam, which)`` returns (value, derivative) for the elements ``which``.
    Converged elements leave the active set. Precision only affects tightness:
    any λ yields a valid Chernoff bound.
    """
    lam = start.astype(np.float64).copy()
    lo = np.zeros_like(lam)
    hi = np.full_like(lam, np.inf)
    act = np.arange(lam.size)
    for _ in range(_ITER):
        if act.size == 0:
            break
        val, der = fn(lam[act], act)
        neg = val < 0
        lo[act] = np.where(neg, lam[act], lo[act])
        hi[act] = np.where(neg, hi[act], lam[act])
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            step = lam[act] - val / der
        bounded = np.isfinite(hi[act])
        bisect = np.where(bounded, 0.5 * (lo[act] + hi[act]), 2.0 * lam[act] + 1.0)
        ok = np.isfinite(step) & (step > lo[act]) & (step < hi[act])
        new = np.where(ok, step, bisect)
        done = np.abs(new - lam[act]) <= 1e-9 * np.maximum(1.0, lam[act])
        done |= bounded & (hi[act] - lo[act] <= 1e-9 * np.maximum(1.0, hi[act]))
        lam[act] = new
        act = act[~done]
    return np.where(np.isfinite(hi), np.minimum(lam, hi), lam)


def _solve_lambda(table: np.ndarray, logp: np.ndarray, s: np.ndarray) -> np.ndarray:
    """λ >= 0 with K'(λ) = s (the saddle point)."""

    def fn(lam: np.ndarray, which: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        _, kp, kpp = _tilted(table, logp, lam)
        return kp - s[which], kpp

    return _solve(fn, np.full_like(s, 0.1))


def chernoff_pvalue(table: np.ndarray, probs: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Provable upper bounds on P(innocent score >= s) for each s in ``scores``."""
    s = np.atleast_1d(np.asarray(scores, dtype=np.float64))
    logp = _logp(probs)
    mean = float((probs * table).sum())
    top = float(table.max(axis=1).sum())
    out = np.ones_like(s)
    # At the very top the saddle point runs off to infinity and the bound loses
    # all precision; there the exact answer is simple. Any score within _TOP_TOL
    # of the top needs every position within _TOP_TOL of its row's maximum, an
    # event of probability P_top (a product over positions): a proof, and exact.
    rows_top = table.max(axis=1, keepdims=True)
    p_top = float(np.exp(np.log(np.where(table >= rows_top - _TOP_TOL, probs, 0.0).sum(1)).sum()))
    near_top = (s >= top - _TOP_TOL) & (s <= top + _TOP_TOL)
    out[s > top + _TOP_TOL] = 0.0
    out[near_top] = min(1.0, p_top)
    live = (s > mean) & (s < top - _TOP_TOL)
    if live.any():
        sl = s[live]
        lam = _solve_lambda(table, logp, sl)
        k, kp, kpp = _tilted(table, logp, lam)
        sigma = np.sqrt(np.maximum(kpp, 1e-300))
        d = kp - sl
        # A degenerate tilted law (σ -> 0) gives δ = inf, i.e. factor 1: plain Chernoff.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            delta = BERRY_ESSEEN * _third(table, logp, lam) / sigma**3
            log_normal = (
                -lam * d + 0.5 * (lam * sigma) ** 2 + _log_ndtr_upper(d / sigma - lam * sigma)
            )
        factor = np.minimum(1.0, np.exp(np.minimum(log_normal, 0.0)) + 2.0 * delta)
        factor = np.where(np.isfinite(factor), factor, 1.0)
        with np.errstate(over="ignore", invalid="ignore"):
            bound = np.minimum(1.0, np.exp(k - lam * sl) * factor)
        out[live] = np.minimum(np.where(np.isnan(bound), 1.0, bound), 1.0)
    # A reachable score is never reported as impossible: tails below 1e-300
    # (floating-point underflow) are reported as 1e-300, still an upper bound.
    reachable = s <= top + _TOP_TOL
    out[reachable] = np.maximum(out[reachable], _FLOOR)
    return out


def refined_threshold(table: np.ndarray, probs: np.ndarray, alpha: float) -> float:
    """A score τ with :func:`chernoff_pvalue`(τ) <= α, found below the Chernoff
    threshold. Used to shortlist recipients, who are then given exact bounds; a
    small margin keeps the shortlist a superset.

    The log of the bound is smooth and nearly linear in the score, so a
    bracketed secant search (the Illinois variant of regula falsi) needs a
    handful of evaluations where bisection needed forty; the bracket's upper end
    always satisfies the bound, so stopping early only widens the shortlist.
    """
    hi = chernoff_threshold(table, probs, alpha)
    mean = float((probs * table).sum())
    lo = mean
    if not np.isfinite(hi) or hi <= lo:
        return hi
    log_alpha = float(np.log(alpha))

    def f(x: float) -> float:
        p = float(chernoff_pvalue(table, probs, np.array([x]))[0])
        return (float(np.log(p)) if p > 0 else -745.0) - log_alpha

    f_lo, f_hi = -log_alpha, f(hi)  # the bound is 1 at the mean
    if f_hi > 0:  # cannot happen (refined <= Chernoff), but never return the wrong side
        return hi
    side = 0
    tol = 1e-4 * (hi - mean)
    for _ in range(40):
        if hi - lo <= tol:
            break
        x = hi - f_hi * (hi - lo) / (f_hi - f_lo) if f_lo != f_hi else 0.5 * (lo + hi)
        if not lo < x < hi:
            x = 0.5 * (lo + hi)
        fx = f(x)
        if fx <= 0:
            hi, f_hi = x, fx
            if side == -1:
                f_lo *= 0.5
            side = -1
        else:
            lo, f_lo = x, fx
            if side == 1:
                f_hi *= 0.5
            side = 1
    return hi - 0.02 * (hi - mean)


def chernoff_threshold(table: np.ndarray, probs: np.ndarray, alpha: float) -> float:
    """The smallest τ = min_λ (K(λ) + ln 1/α)/λ; an innocent reaches τ with probability <= α."""
    logp = _logp(probs)
    log_inv = np.log(1.0 / alpha)

    def fn(lam: np.ndarray, _which: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # g(λ) = λK'(λ) - K(λ) - ln(1/α) is increasing with g'(λ) = λK''(λ).
        k, kp, kpp = _tilted(table, logp, lam)
        return lam * kp - k - log_inv, lam * kpp

    lam = _solve(fn, np.array([0.1]))
    lam = np.maximum(lam, 1e-12)
    k, _, _ = _tilted(table, logp, lam)
    tau = float((k[0] + log_inv) / lam[0])
    return min(tau, float(table.max(axis=1).sum()) + 1e-9)


@dataclass(frozen=True, slots=True)
class TailEstimate:
    estimate: float
    std_error: float
    bound: float


def importance_pvalue(
    table: np.ndarray,
    probs: np.ndarray,
    score: float,
    rng: np.random.Generator,
    samples: int = 4000,
) -> TailEstimate:
    """Importance-sampled P(S >= score) under the tilted law centred on ``score``."""
    bound = float(chernoff_pvalue(table, probs, np.array([score]))[0])
    if bound >= 1.0 or bound == 0.0:
        return TailEstimate(bound, 0.0, bound)
    logp = _logp(probs)
    lam = _solve_lambda(table, logp, np.array([score]))
    k, _, _ = _tilted(table, logp, lam)
    z = logp + lam[0] * table
    z -= z.max(axis=1, keepdims=True)
    tilt = np.exp(z)
    tilt /= tilt.sum(axis=1, keepdims=True)
    cum = np.cumsum(tilt, axis=1)[:, :-1]
    m = table.shape[0]
    rows = np.arange(m)
    total = np.empty(samples)
    step = max(1, 2_000_000 // max(m, 1))
    for a in range(0, samples, step):
        b = min(samples, a + step)
        u = rng.random((b - a, m))
        sym = (u[:, :, None] >= cum[None, :, :]).sum(axis=2)
        total[a:b] = table[rows[None, :], sym].sum(axis=1)
    w = np.where(total >= score, np.exp(k[0] - lam[0] * total), 0.0)
    est = float(w.mean())
    err = float(w.std(ddof=1) / np.sqrt(samples))
    return TailEstimate(min(est, bound), err, bound)
