"""q-ary symmetric Tardos codes with keyed, on-demand codewords.

Design (see docs/adr/0001-fingerprint-codes.md):

* Per item a secret bias vector. For q = 2 each position's probability of symbol 1
  is drawn from Nuida et al.'s discrete law for the planned coalition size
  ("An improvement of discrete Tardos fingerprinting codes", DCC 2009; the
  Gauss–Legendre nodes on [0, 1] for k = ceil(c/2), weighted like a discretised
  arcsine, as analysed by Laarhoven and de Weger, "Discrete distributions in the
  Tardos scheme, revisited", 2013), or, for items made before that default,
  from the arcsine density with cutoff ``t`` (Tardos 2003, symmetrised by
  Škorić, Katzenbeisser and Celik 2008); for q > 2 each position's symbol
  distribution follows a symmetric Dirichlet(κ) with the same cutoff, the
  q-ary generalisation of Škorić, Vladimirova, Celik and Katzenbeisser (2008).
  For c = 1 no bias is needed and every symbol is uniform: the code is then a
  plain random identification code.
* Probabilities are quantised to multiples of 2^-16 and the codeword symbol is an
  exact inverse-CDF lookup on a 16-bit uniform, so the decoder knows the
  *exact* distribution an innocent's symbol is drawn from. That exactness is
  what makes the p-values in :mod:`orcon.codes.tail` honest.
* Nothing per recipient is stored: recipient ``j``'s codeword is a pure
  function of (item secret, j).

Invariant: ``Code`` is immutable and its arrays are read-only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from orcon.codes.prf import StreamBuffer, blocks_for, derive_key, keystream_u16
from orcon.errors import UsageError

QUANT = 1 << 16
MAX_Q = 256
DIRICHLET_KAPPA = 0.5


LEGACY_CUTOFF_DIVISOR = 300.0


class BiasLaw(StrEnum):
    """How an item's per-position biases are drawn (stored with the item)."""

    GAUSS_LEGENDRE = "gauss-legendre"  # binary, Nuida et al.'s discrete law (default)
    ARCSINE = "arcsine"  # binary, Tardos' continuous law with cutoff (items before 0005)
    DIRICHLET = "dirichlet"  # q > 2


def default_bias(q: int = 2) -> BiasLaw:
    """Binary codes draw from the discrete law: at the capacity floor under
    interleaving (hard reads, n = 10^3, c = 2..4) it caught 0.87-0.93 of
    coalitions where the arcsine law caught 0.54-0.80, with the same decoders
    (BENCHMARKS.md, ADR 0001)."""
    return BiasLaw.GAUSS_LEGENDRE if q == 2 else BiasLaw.DIRICHLET


def gauss_legendre_law(c: int) -> tuple[np.ndarray, np.ndarray]:
    """Nuida et al.'s bias values and their probabilities for coalitions up to c.

    The values are the k = ceil(c/2) Gauss-Legendre nodes mapped to [0, 1]; the
    probability of node p is proportional to its quadrature weight over
    sqrt(p(1-p)), so the law converges to the arcsine density as c grows. For
    c <= 2 it is the single value 1/2.
    """
    x, w = np.polynomial.legendre.leggauss(math.ceil(c / 2))
    values = (1.0 + x) / 2.0
    weights = w / np.sqrt(values * (1.0 - values))
    return values, weights / weights.sum()


def default_cutoff(c: int, q: int = 2) -> float:
    """The bias cutoff: t = 1/(30c) for binary codes, Tardos' 1/(300c) otherwise.

    Tardos' 1/(300c) serves his proof; our accusation bound is computed for the
    item's actual biases, so the cutoff only moves the catch rate. Measured
    (bench/codes.py, ADR 0001): 1/(30c) lifts c = 2 with 25 % erasures and the
    interleaving catch at the capacity floor, and loses nothing elsewhere. Items
    shared before this default keep the cutoff they were made with (stored).
    Irrelevant for c = 1 (uniform symbols).
    """
    if q == 2:
        return 1.0 / (30.0 * c)
    return 1.0 / (LEGACY_CUTOFF_DIVISOR * c)


@dataclass(frozen=True, slots=True)
class CodeSpec:
    """The public shape of an item's code: everything but the secret."""

    length: int
    q: int = 2
    c: int = 4
    cutoff: float = field(default=-1.0)
    bias: BiasLaw | str = ""

    def __post_init__(self) -> None:
        if self.length < 1:
            raise UsageError(f"code length must be at least 1, got {self.length}")
        if not 2 <= self.q <= MAX_Q:
            raise UsageError(f"alphabet size q must be between 2 and {MAX_Q}, got {self.q}")
        if self.c < 1:
            raise UsageError(f"the coalition size c must be at least 1, got {self.c}")
        if self.cutoff < 0:
            object.__setattr__(self, "cutoff", default_cutoff(self.c, self.q))
        if not 0 < self.cutoff < 1.0 / self.q:
            raise UsageError(f"cutoff must lie in (0, 1/q), got {self.cutoff}")
        law = self.bias or default_bias(self.q)
        try:
            law = BiasLaw(law)
        except ValueError:
            names = ", ".join(b.value for b in BiasLaw)
            raise UsageError(f"unknown bias law {law!r} (known: {names})") from None
        if (law is BiasLaw.DIRICHLET) != (self.q > 2):
            raise UsageError(f"bias law {law.value!r} does not fit an alphabet of {self.q}")
        object.__setattr__(self, "bias", law)


def _quantise(probs: np.ndarray, cutoff: float) -> np.ndarray:
    """Turn rows of probabilities into integer counts summing to 2^16, each >= cutoff."""
    q = probs.shape[1]
    floor = max(1, math.ceil(cutoff * QUANT))
    free = QUANT - floor * q
    scaled = probs * free
    counts = np.floor(scaled).astype(np.int64)
    # Largest-remainder rounding keeps each row's sum exact.
    short = free - counts.sum(axis=1)
    order = np.argsort(-(scaled - counts), axis=1, kind="stable")
    ranks = np.argsort(order, axis=1, kind="stable")
    counts += ranks < short[:, None]
    return counts + floor


def _draw_biases(spec: CodeSpec, secret: bytes) -> np.ndarray:
    m, q = spec.length, spec.q
    if spec.c == 1:
        return np.full((m, q), 1.0 / q)
    seed = int.from_bytes(derive_key(secret, "orcon.codes.bias.v1"), "big")
    rng = np.random.Generator(np.random.PCG64(seed))
    if spec.bias is BiasLaw.GAUSS_LEGENDRE:
        values, weights = gauss_legendre_law(spec.c)
        p1 = rng.choice(values, size=m, p=weights)
        return np.stack([1.0 - p1, p1], axis=1)
    if spec.bias is BiasLaw.ARCSINE:
        t = spec.cutoff
        lo = math.asin(math.sqrt(t))
        r = rng.uniform(lo, math.pi / 2 - lo, size=m)
        p1 = np.sin(r) ** 2
        return np.stack([1.0 - p1, p1], axis=1)
    return rng.dirichlet(np.full(q, DIRICHLET_KAPPA), size=m)


@dataclass(frozen=True, slots=True, eq=False)
class Code:
    """An item's code: its spec, secret-derived biases and the codeword key.

    Build with :meth:`Code.derive`; the secret itself is not kept.
    """

    spec: CodeSpec
    counts: np.ndarray  # (m, q) int64, rows sum to 2^16
    _cum: np.ndarray  # (m, q-1) uint32 cumulative thresholds
    _key: bytes

    @classmethod
    def derive(cls, spec: CodeSpec, secret: bytes) -> Code:
        # The discrete law's values lie well inside (0, 1) and are used as they are;
        # the continuous laws are floored at the cutoff.
        floored = spec.c > 1 and spec.bias is not BiasLaw.GAUSS_LEGENDRE
        counts = _quantise(_draw_biases(spec, secret), spec.cutoff if floored else 0.0)
        cum = np.cumsum(counts[:, :-1], axis=1).astype(np.uint32)
        counts.setflags(write=False)
        cum.setflags(write=False)
        return cls(spec, counts, cum, derive_key(secret, "orcon.codes.codeword.v1"))

    def __repr__(self) -> str:  # never show key material
        return f"Code({self.spec!r})"

    @property
    def uniform(self) -> bool:
        """Every position draws every symbol alike (c = 1, or c <= 2 under Nuida's law)."""
        return bool(np.abs(self.counts * self.spec.q - QUANT).max() <= self.spec.q)

    @property
    def probs(self) -> np.ndarray:
        """Exact symbol probabilities per position, shape (m, q)."""
        return self.counts / QUANT

    def _uniforms(self, start: int, stop: int, buffer: StreamBuffer | None = None) -> np.ndarray:
        if not 0 <= start <= stop:
            raise UsageError(f"recipient range [{start}, {stop}) is invalid")
        m = self.spec.length
        bpr = blocks_for(m)
        u = keystream_u16(self._key, start * bpr, (stop - start) * bpr, buffer)
        return u.reshape(stop - start, bpr * 8)[:, :m]

    def ones_f32(
        self,
        start: int,
        stop: int,
        buffer: StreamBuffer | None = None,
        out: np.ndarray | None = None,
    ) -> np.ndarray:
        """Binary codes only: the codewords as float32 0/1, ready for a matrix product.

        Hot loops pass a reused ``buffer`` and ``out`` (at least (stop-start, m) float32).
        """
        if self.spec.q != 2:
            raise UsageError("ones_f32 is for binary codes")
        u = self._uniforms(start, stop, buffer)
        if out is None or out.shape[0] < u.shape[0]:
            out = np.empty(u.shape, dtype=np.float32)
        out = out[: u.shape[0]]
        np.greater_equal(u, self._cum[:, 0], out=out, casting="unsafe")
        return out

    def codewords(self, start: int, stop: int) -> np.ndarray:
        """Codewords of recipients ``start .. stop-1`` as a (stop-start, m) uint8 array."""
        u = self._uniforms(start, stop)
        if self.spec.q == 2:
            return (u >= self._cum[:, 0]).astype(np.uint8)
        sym = np.zeros(u.shape, dtype=np.uint8)
        for a in range(self.spec.q - 1):
            sym += u >= self._cum[:, a]
        return sym

    def codeword(self, index: int) -> np.ndarray:
        """The codeword of one recipient, shape (m,)."""
        return self.codewords(index, index + 1)[0]
