"""Where each code symbol lives in a photo, and the keyed pattern that carries it.

The photo is cut into a grid of cells; cell k carries symbol ``perm[k] mod m``
(a keyed permutation, so an attacker cannot tell which cell holds which
symbol, and spare cells repeat symbols). Inside the whole image lies one keyed
pseudo-random ±1 field of *chips* (squares of ``chip`` pixels), smoothly
interpolated so the pattern has no edges: energy sits in low and middle
spatial frequencies, which survive downscaling, blur and strong JPEG.

The layout is a pure function of (image size, code length, item key): the
same original always gives the same cells and pattern, for every recipient.
Only the *signs* differ between recipients (symbol 1 → +pattern, 0 → −pattern).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from orcon.codes.prf import derive_key
from orcon.errors import CapacityError

MIN_CELL = 12  # pixels: smaller cells carry too little energy to read
MIN_SIDE = 64


def chip_size(height: int, width: int) -> int:
    """Chip side in pixels, growing with the image so the pattern stays low-frequency.

    At least 4: with 3-pixel chips, a small photo (under ~1 MP) cropped and
    halved for the web kept too little of the pattern (1 failure in 16 measured).
    """
    return max(4, round(math.sqrt(height * width) / 280))


@dataclass(frozen=True, slots=True, eq=False)
class Layout:
    height: int
    width: int
    length: int  # code symbols m
    rows: int
    cols: int
    chip: int
    row_edges: np.ndarray  # (rows+1,) pixel rows where cell rows start
    col_edges: np.ndarray  # (cols+1,)
    symbol_of_cell: np.ndarray  # (rows*cols,) int64
    pattern: np.ndarray  # (h, w) float32, unit RMS, zero mean per cell
    key: bytes = field(repr=False)

    def expand(self, grid: np.ndarray) -> np.ndarray:
        """A (rows, cols) array blown up to one value per pixel."""
        g = np.asarray(grid).reshape(self.rows, self.cols)
        return np.repeat(np.repeat(g, np.diff(self.row_edges), 0), np.diff(self.col_edges), 1)

    def cell_sums(self, values: np.ndarray) -> np.ndarray:
        """Sum of a per-pixel array over each cell, flattened to (rows*cols,)."""
        v = np.add.reduceat(values, self.row_edges[:-1], axis=0)
        return np.add.reduceat(v, self.col_edges[:-1], axis=1).ravel()

    def decoy(self) -> np.ndarray:
        """An independent pattern of the same law: correlating with it measures pure noise."""
        raw = _field(self.key, "orcon.marks.image.decoy.v1", self._chips, self.height, self.width)
        return _normalise(self, raw)

    @property
    def _chips(self) -> tuple[int, int]:
        return (math.ceil(self.height / self.chip) + 1, math.ceil(self.width / self.chip) + 1)

    @property
    def cells(self) -> int:
        return self.rows * self.cols


def minimum_size(length: int, aspect: float = 1.5) -> tuple[int, int]:
    """Smallest (width, height) that carries ``length`` symbols at this aspect ratio."""
    side = MIN_CELL * math.ceil(math.sqrt(length))
    w = max(MIN_SIDE, math.ceil(side * math.sqrt(aspect)))
    h = max(MIN_SIDE, math.ceil(side / math.sqrt(aspect)))
    return w, h


def _field(key: bytes, label: str, shape: tuple[int, int], height: int, width: int) -> np.ndarray:
    seed = int.from_bytes(derive_key(key, label), "big")
    rng = np.random.Generator(np.random.PCG64(seed))
    chips = (rng.integers(0, 2, size=shape, dtype=np.int8) * 2 - 1).astype(np.float32)
    return np.asarray(cv2.resize(chips, (width, height), interpolation=cv2.INTER_CUBIC))


def _normalise(layout: Layout, f: np.ndarray) -> np.ndarray:
    """Zero mean per cell (a brightness change cannot bias a symbol), unit RMS overall."""
    area = np.outer(np.diff(layout.row_edges), np.diff(layout.col_edges)).ravel()
    means = (layout.cell_sums(f.astype(np.float64)) / area).astype(np.float32)
    f = f - layout.expand(means)
    f *= np.float32(1.0 / np.sqrt(np.mean(np.square(f, dtype=np.float64))))
    return f


def make_layout(height: int, width: int, length: int, key: bytes) -> Layout:
    if height < MIN_SIDE or width < MIN_SIDE:
        w, h = minimum_size(length, width / max(height, 1))
        raise CapacityError(
            f"image of {width}x{height} pixels is too small: at least {w}x{h} is needed "
            f"to carry {length} code symbols"
        )
    cols = max(1, math.ceil(math.sqrt(length * width / height)))
    rows = max(1, math.ceil(length / cols))
    if height // rows < MIN_CELL or width // cols < MIN_CELL:
        w, h = minimum_size(length, width / height)
        raise CapacityError(
            f"image of {width}x{height} pixels is too small: at least {w}x{h} is needed "
            f"to carry {length} code symbols"
        )
    chip = chip_size(height, width)
    shape = (math.ceil(height / chip) + 1, math.ceil(width / chip) + 1)
    row_edges = -(-np.arange(rows + 1) * height // rows)
    col_edges = -(-np.arange(cols + 1) * width // cols)
    seed = int.from_bytes(derive_key(key, "orcon.marks.image.cells.v1"), "big")
    perm = np.random.Generator(np.random.PCG64(seed)).permutation(rows * cols)
    raw = _field(key, "orcon.marks.image.pattern.v1", shape, height, width)
    layout = Layout(
        height, width, length, rows, cols, chip, row_edges, col_edges, perm % length, raw, key
    )
    pattern = _normalise(layout, raw)
    pattern.setflags(write=False)
    object.__setattr__(layout, "pattern", pattern)
    return layout
