"""Per-position score tables: what symbol x in a recipient's codeword is worth.

Both decoders reduce to a table ``F[i, x]`` so that recipient j's score is
``S_j = sum_i F[i, X_ji]``. Because an innocent's symbols are independent of the
leak and drawn from the exact (quantised) biases, ``F`` and the biases fully
determine the innocent score distribution: that is what
:mod:`orcon.codes.tail` bounds.

* Symmetric score (Škorić, Katzenbeisser, Celik 2008; q-ary form of Škorić et
  al. 2008): g(x, y) = sqrt((1-p_y)/p_y) if x = y else -sqrt(p_y/(1-p_y)).
  Soft input averages g over the posterior of y. Mean 0 for an innocent.
* Adaptive log-likelihood score (binary codes): the collusion strategy
  θ_k = P(leak shows 1 | k of the c colluders hold 1) is estimated from the
  leak and the biases alone by expectation-maximisation (the "learn the
  attack" idea of Furon and Pérez-Freire 2009), then each position is scored
  by the exact likelihood ratio under that strategy. The table never looks at
  any recipient's codeword, so the innocent-score law, and hence every p-value,
  stays exact.
* Log-likelihood score against interleaving (Laarhoven 2014, "Capacities and
  capacity-achieving decoders for various fingerprinting games"): the log of
  P(observation | recipient in a c-coalition that interleaves) over
  P(observation | innocent), which for likelihoods L reads
  ln(1 - 1/c + L_x / (c * sum_y L_y p_y)). For c = 1 it is the plain
  likelihood-ratio identification score.
* Side-informed log-likelihood score (the "single decoder with side
  information" of Meerwald and Furon, "Toward practical joint decoding of
  binary Tardos fingerprinting codes", 2012): the same likelihood ratio, but
  with up to c - 1 *other* recipients' codewords taken as known fellow
  colluders, which sharpens the model of what the leak shows at each position
  (two known colluders both holding 0 and a leak showing 1 point hard at the
  third). The table depends on those other recipients' codewords and the leak,
  never on the scored recipient's own, so the scored recipient's innocent law,
  and every p-value, stays exact whoever the side recipients are; choosing the
  wrong ones only costs power. :mod:`orcon.codes.accuse` picks them.

Erased positions score 0 for everyone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from orcon.codes.observation import Observation
from orcon.errors import UsageError


class Decoder(StrEnum):
    SYMMETRIC = "symmetric"
    LOG_LIKELIHOOD = "log-likelihood"
    ADAPTIVE = "adaptive"
    SIDE_INFORMED = "side-informed"


def _check(probs: np.ndarray, obs: Observation) -> None:
    if probs.shape != obs.likelihoods.shape:
        raise UsageError(
            f"observation has shape {obs.likelihoods.shape} but the code has {probs.shape}"
        )


def symmetric_table(probs: np.ndarray, obs: Observation) -> np.ndarray:
    _check(probs, obs)
    lik = obs.likelihoods
    post = lik / lik.sum(axis=1, keepdims=True)
    hit = np.sqrt((1.0 - probs) / probs)  # g(x=y, y) indexed by y
    miss = -np.sqrt(probs / (1.0 - probs))  # g(x!=y, y) indexed by y
    # F[i,x] = sum_y post[y] * (hit[y] if x == y else miss[y])
    table = (post * miss).sum(axis=1, keepdims=True) + post * (hit - miss)
    table[obs.erased] = 0.0
    return table


def log_likelihood_table(probs: np.ndarray, obs: Observation, c: int) -> np.ndarray:
    _check(probs, obs)
    if c < 1:
        raise UsageError("the decoder's coalition size must be at least 1")
    lik = obs.likelihoods
    base = (lik * probs).sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore"):
        table = np.log((1.0 - 1.0 / c) + lik / (c * base))
    table[obs.erased] = 0.0
    # A hard zero-likelihood symbol with c = 1 would give -inf; floor it so the
    # table stays finite (it only lowers scores, which is conservative).
    return np.maximum(table, np.log(1e-12))


# The side-informed model mixes interleaving with this much of "the leak shows a
# symbol drawn from the biases", so that a position the side recipients cannot
# explain (they may be innocent) costs a bounded amount instead of -inf.
SIDE_SLACK = 0.05


def _side_words(side: np.ndarray, c: int, m: int) -> tuple[np.ndarray, int]:
    """The side codewords as an (s, m) array and s, checked against c and the code."""
    words = np.atleast_2d(np.asarray(side, dtype=np.int64))
    s = words.shape[0] if words.size else 0
    if c < 2 or s > c - 1:
        raise UsageError(f"side information needs 1 <= s <= c - 1 fellow colluders (c={c}, s={s})")
    if s and words.shape[1] != m:
        raise UsageError(f"side codewords have {words.shape[1]} symbols, the code has {m}")
    return words, s


def side_informed_table(
    probs: np.ndarray, obs: Observation, c: int, side: np.ndarray
) -> np.ndarray:
    """Log-likelihood table for a recipient given ``side`` (s, m): the codewords of
    s <= c - 1 other recipients assumed to be fellow colluders.

    Model: the leak shows, at each position, the symbol of one of the c colluders
    picked at random; the c - 1 - s unknown ones hold symbols drawn from the
    biases. Innocent: the scored recipient is not one of them, so c - s unknown.
    """
    _check(probs, obs)
    m, q = probs.shape
    side, s = _side_words(side, c, m)
    held = np.zeros((m, q))
    for word in side[:s]:
        held[np.arange(m), word] += 1.0
    lik = obs.likelihoods
    guilty_rest = (held + (c - 1 - s) * probs) / c  # P(y | x_j not y), up to the 1/c for x_j = y
    innocent = (held + (c - s) * probs) / c
    mix = SIDE_SLACK * probs
    seen_innocent = (lik * ((1 - SIDE_SLACK) * innocent + mix)).sum(axis=1, keepdims=True)
    seen_rest = (lik * ((1 - SIDE_SLACK) * guilty_rest + mix)).sum(axis=1, keepdims=True)
    # x_j = a adds (1 - slack)/c to P(y = a): the leak's likelihood of a, scaled.
    seen_guilty = seen_rest + (1 - SIDE_SLACK) * lik / c
    table = np.log(seen_guilty / seen_innocent)
    table[obs.erased] = 0.0
    return table


MAX_BLOCK = 10  # read symbols per block: its 2^10 patterns are enumerated


@dataclass(frozen=True, slots=True, eq=False)
class BlockLayout:
    """Read positions grouped into blocks: ``pos[b]`` lists block b's positions, -1 pads."""

    pos: np.ndarray  # (B, L) int64

    @classmethod
    def of(cls, obs: Observation) -> BlockLayout | None:
        """The read positions of ``obs`` by block, long blocks cut into MAX_BLOCK pieces."""
        if obs.blocks is None:
            return None
        read = np.nonzero(~obs.erased)[0]
        groups: dict[int, list[int]] = {}
        for i in read.tolist():
            groups.setdefault(int(obs.blocks[i]), []).append(i)
        rows = [g[a : a + MAX_BLOCK] for g in groups.values() for a in range(0, len(g), MAX_BLOCK)]
        width = max((len(r) for r in rows), default=1)
        pos = np.full((max(len(rows), 1), width), -1, dtype=np.int64)
        for b, r in enumerate(rows):
            pos[b, : len(r)] = r
        return cls(pos)

    def outcomes(self, words: np.ndarray) -> np.ndarray:
        """(k, m) binary codewords -> (k, B) block patterns (bit t: the symbol at pos[b, t])."""
        w = np.asarray(words)
        valid = self.pos >= 0
        bits = w[:, np.where(valid, self.pos, 0)].astype(np.int64) * valid
        return (bits << np.arange(self.pos.shape[1], dtype=np.int64)).sum(axis=2)


def side_informed_blocks(
    probs: np.ndarray, obs: Observation, c: int, side: np.ndarray, layout: BlockLayout
) -> tuple[np.ndarray, np.ndarray]:
    """The side-informed model over blocks taken whole from one copy: (table, law),
    both (B, 2^L), where law[b, a] is an innocent's chance of pattern a in block b.

    Model: each block of the leak is one colluder's block, picked at random; the
    c - 1 - s unknown colluders hold symbols drawn from the biases. With blocks of
    one position it is :func:`side_informed_table`.
    """
    _check(probs, obs)
    if probs.shape[1] != 2:
        raise UsageError("block side information is defined for binary codes")
    side, s = _side_words(side, c, probs.shape[0])
    lik = obs.likelihoods
    blocks, width = layout.pos.shape
    table = np.zeros((blocks, 1 << width))
    law = np.zeros((blocks, 1 << width))
    for b in range(blocks):
        at = layout.pos[b][layout.pos[b] >= 0]
        if at.size == 0:
            law[b, 0] = 1.0
            continue
        patterns = (np.arange(1 << at.size)[:, None] >> np.arange(at.size)) & 1  # (2^l, l)
        cols = np.arange(at.size)
        seen = lik[at][cols, patterns].prod(axis=1)  # P(leak block | that copy's pattern)
        unknown = (lik[at] * probs[at]).sum(axis=1).prod()  # ... | a copy drawn from the biases
        partners = sum(float(lik[at, w[at]].prod()) for w in side[:s])
        mix = SIDE_SLACK * unknown
        innocent = (1 - SIDE_SLACK) * (partners + (c - s) * unknown) / c + mix
        guilty = (1 - SIDE_SLACK) * (seen + partners + (c - 1 - s) * unknown) / c + mix
        table[b, : patterns.shape[0]] = np.log(guilty / innocent)
        law[b, : patterns.shape[0]] = probs[at][cols, patterns].prod(axis=1)
    return table, law


def _binomial_pmf(p: np.ndarray, c: int) -> np.ndarray:
    """(m, c+1) array of P(k of c independent Bernoulli(p) are 1)."""
    k = np.arange(c + 1)
    comb = np.array([math.comb(c, j) for j in k], dtype=np.float64)
    return comb * p[:, None] ** k * (1.0 - p[:, None]) ** (c - k)


def estimate_strategy(probs: np.ndarray, obs: Observation, c: int, rounds: int = 60) -> np.ndarray:
    """EM estimate of θ_0..θ_c for a binary code, with θ_0 = 0 and θ_c = 1 (marking assumption)."""
    keep = ~obs.erased
    lik = obs.likelihoods[keep]
    lik = lik / lik.sum(axis=1, keepdims=True)
    prior = _binomial_pmf(probs[keep, 1], c)
    theta = np.arange(c + 1) / c  # start from interleaving
    if lik.shape[0] == 0 or c == 1:
        return theta
    for _ in range(rounds):
        one = lik[:, 1:2] * theta
        zero = lik[:, 0:1] * (1.0 - theta)
        post = prior * (one + zero)
        post /= post.sum(axis=1, keepdims=True)
        said_one = one / np.maximum(one + zero, 1e-300)
        theta = (post * said_one).sum(axis=0) / np.maximum(post.sum(axis=0), 1e-300)
        theta = np.clip(theta, 0.005, 0.995)
        theta[0], theta[-1] = 0.0, 1.0
    return theta


def adaptive_table(probs: np.ndarray, obs: Observation, c: int) -> np.ndarray:
    _check(probs, obs)
    if obs.q != 2:
        raise UsageError("the adaptive decoder is defined for binary codes")
    theta = estimate_strategy(probs, obs, c)
    p1 = probs[:, 1]
    inn = _binomial_pmf(p1, c) @ theta
    others = _binomial_pmf(p1, c - 1) if c > 1 else np.ones((p1.size, 1))
    guilty0 = others @ theta[:-1]
    guilty1 = others @ theta[1:]
    lik = obs.likelihoods / obs.likelihoods.sum(axis=1, keepdims=True)

    def seen(p_one: np.ndarray) -> np.ndarray:
        return lik[:, 1] * p_one + lik[:, 0] * (1.0 - p_one)

    with np.errstate(divide="ignore"):
        table = np.log(np.stack([seen(guilty0), seen(guilty1)], axis=1) / seen(inn)[:, None])
    table[obs.erased] = 0.0
    return np.maximum(table, np.log(1e-12))


def score_table(decoder: Decoder, probs: np.ndarray, obs: Observation, c: int) -> np.ndarray:
    """The table of a decoder that needs nothing but the leak (not the side-informed one)."""
    if decoder is Decoder.SIDE_INFORMED:
        raise UsageError("the side-informed decoder needs its side recipients: see accuse()")
    if decoder is Decoder.SYMMETRIC:
        return symmetric_table(probs, obs)
    if decoder is Decoder.ADAPTIVE:
        return adaptive_table(probs, obs, c)
    return log_likelihood_table(probs, obs, c)


def score_codewords(table: np.ndarray, codewords: np.ndarray) -> np.ndarray:
    """Scores of a block of codewords (k, m) against a table (m, q), vectorised."""
    return score_block([table], codewords)[0]


def score_block(tables: Sequence[np.ndarray], codewords: np.ndarray) -> np.ndarray:
    """Scores (len(tables), k) of a block of codewords (k, m) against several tables at once.

    Binary codewords may be passed as float32 0/1 (see ``Code.ones_f32``) so that
    all decoders are one matrix product (float32: error ~1e-4 on a score, which
    callers re-check exactly for anyone near a threshold).
    """
    m, q = tables[0].shape
    if q == 2:
        base = np.array([t[:, 0].sum() for t in tables])
        diff = np.stack([t[:, 1] - t[:, 0] for t in tables], axis=1).astype(np.float32)
        ones = codewords if codewords.dtype == np.float32 else codewords.astype(np.float32)
        return (ones @ diff).T + base[:, None]
    offs = np.arange(m, dtype=np.int64) * q
    sym = codewords.astype(np.int64) + offs
    return np.stack([t.ravel()[sym].sum(axis=1) for t in tables])
