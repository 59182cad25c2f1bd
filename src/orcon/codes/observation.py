"""What a media reader tells the decoder about a leak.

A reader rarely knows a symbol for sure. It reports, per code position, a
*likelihood* for each symbol value: ``L[i, a]`` proportional to
P(what we saw at position i | the leaked copy carried symbol a). Positions the
leak did not contain (cropped away, not quoted, under a caption) are *erased*.
Hard decisions are the special case of one-hot rows.

Invariant: likelihood rows are finite, non-negative and not all zero; erased
rows are uniform and flagged in ``erased``.

A reader may also say which positions a leak is likely to take *together* from
one copy (``blocks``: a group number per position, e.g. the sentence a text
site sits in: a person mixing two copies sentence by sentence takes a whole
sentence from one of them). Only the side-informed decoder uses it; it never
affects whom the bound protects, only how sharply colluders are scored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from orcon.errors import UsageError


@dataclass(frozen=True, slots=True, eq=False)
class Observation:
    likelihoods: np.ndarray  # (m, q) float64
    erased: np.ndarray  # (m,) bool
    blocks: np.ndarray | None = None  # (m,) int64 group per position, or None

    @classmethod
    def soft(cls, likelihoods: np.ndarray, erased: np.ndarray | None = None) -> Observation:
        """Build from per-position likelihoods; NaN or all-zero rows and ``erased`` are erasures."""
        lik = np.array(likelihoods, dtype=np.float64, copy=True)
        if lik.ndim != 2 or lik.shape[1] < 2:
            raise UsageError(f"likelihoods must have shape (m, q) with q >= 2, got {lik.shape}")
        bad: np.ndarray = np.asarray(np.isnan(lik).any(axis=1))
        if np.isinf(lik).any() or (lik[~bad] < 0).any():
            raise UsageError("likelihoods must be finite and non-negative")
        gone = bad | (np.where(bad[:, None], 0.0, lik).sum(axis=1) == 0)
        if erased is not None:
            er = np.asarray(erased, dtype=bool)
            if er.shape != gone.shape:
                raise UsageError(f"erasure mask has shape {er.shape}, expected {gone.shape}")
            gone = gone | er
        lik[gone] = 1.0
        lik /= lik.max(axis=1, keepdims=True)
        lik.setflags(write=False)
        gone.setflags(write=False)
        return cls(lik, gone)

    @classmethod
    def hard(cls, symbols: np.ndarray, q: int, erased: np.ndarray | None = None) -> Observation:
        """Build from definite symbols (``-1`` or ``erased`` for a missing position)."""
        sym = np.asarray(symbols, dtype=np.int64)
        if sym.ndim != 1:
            raise UsageError("hard symbols must be one-dimensional")
        if ((sym >= q) | (sym < -1)).any():
            raise UsageError(f"symbols must lie in 0..{q - 1} (or -1 for erased)")
        lik = np.zeros((sym.size, q))
        ok = sym >= 0
        lik[np.nonzero(ok)[0], sym[ok]] = 1.0
        lik[~ok] = np.nan
        return cls.soft(lik, erased)

    def with_blocks(self, blocks: np.ndarray) -> Observation:
        """The same observation, with positions grouped (see the module note)."""
        b = np.array(blocks, dtype=np.int64, copy=True)
        if b.shape != self.erased.shape:
            raise UsageError(f"blocks have shape {b.shape}, expected {self.erased.shape}")
        b.setflags(write=False)
        return Observation(self.likelihoods, self.erased, b)

    @property
    def length(self) -> int:
        return int(self.likelihoods.shape[0])

    @property
    def q(self) -> int:
        return int(self.likelihoods.shape[1])

    @property
    def read(self) -> int:
        return int((~self.erased).sum())


def combined(observations: Sequence[Observation]) -> Observation:
    """Several reads of one leaked copy made one: the frames of a video that show the same
    photo. Their likelihoods multiply (summed in logs, per position, where a read saw
    it), which is exact when the reads' noise is independent and otherwise overconfident
    about the leaked copy's symbols; the false-accusation bound holds whatever the
    observation is (it is computed for this observation against innocents' codewords,
    which no read depends on). A position is erased only where every read erased it."""
    if not observations:
        raise UsageError("no observations to combine")
    shape = observations[0].likelihoods.shape
    if any(o.likelihoods.shape != shape for o in observations):
        raise UsageError("observations of different lengths cannot be combined")
    logs = np.zeros(shape)
    for obs in observations:
        seen = ~obs.erased
        with np.errstate(divide="ignore"):
            logs[seen] += np.log(np.maximum(obs.likelihoods[seen], 1e-300))
    logs -= logs.max(axis=1, keepdims=True)
    erased = np.logical_and.reduce([o.erased for o in observations])
    return Observation.soft(np.exp(logs), erased)
