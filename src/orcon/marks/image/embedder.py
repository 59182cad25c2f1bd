"""Write a recipient's codeword into a photo.

Spread spectrum in luminance with a perceptual mask: the keyed pattern of
:mod:`.layout` times ±1 per cell (the recipient's symbol) times a mask that is
strong in texture and weak in flat areas (sky, skin), where the eye would see
it. Chroma is untouched. The strength is set so that the mark's RMS is
``TARGET_RMS`` grey levels (PSNR ≈ 45 dB before rounding), which the
benchmark checks against the 42 dB / SSIM 0.985 invisibility targets.
"""

from __future__ import annotations

import cv2
import numpy as np

from orcon.errors import UsageError
from orcon.marks.image.codec import decode, encode
from orcon.marks.image.layout import Layout, make_layout
from orcon.marks.image.registration import check_registrable

TARGET_RMS = 1.4
MASK_FLOOR = 0.35
MASK_CEIL = 2.5


def luminance(bgr: np.ndarray) -> np.ndarray:
    ycc = cv2.cvtColor(bgr, cv2.COLOR_BGR2YCrCb)
    return np.asarray(ycc[:, :, 0], dtype=np.float32)


def perceptual_mask(y: np.ndarray, chip: int) -> np.ndarray:
    """Relative strength per pixel from the local contrast of the original (mean 1).

    The mask is smooth at the chip scale, so it is computed on a grid a few times
    coarser than the image and interpolated back: same result, a fraction of the work.
    """
    h, w = y.shape
    f = max(1, chip // 2)
    small = cv2.resize(y, (max(1, w // f), max(1, h // f)), interpolation=cv2.INTER_AREA)
    sq = cv2.resize(y * y, (small.shape[1], small.shape[0]), interpolation=cv2.INTER_AREA)
    k = 2 * max(1, chip // f) + 1
    mean = cv2.blur(small, (k, k))
    std = np.sqrt(np.maximum(cv2.blur(sq, (k, k)) - mean * mean, 0.0))
    ref = float(np.median(std)) + 1e-3
    mask = np.clip(std / ref, MASK_FLOOR, MASK_CEIL)
    # Fade out near black and white, where clipping would eat the mark anyway.
    mask *= np.clip(np.minimum(mean, 255.0 - mean) / 24.0, 0.2, 1.0)
    mask = cv2.GaussianBlur(mask, (0, 0), max(1.0, chip / f))
    mask = cv2.resize(mask, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.asarray(mask * np.float32(1.0 / float(mask.mean())), dtype=np.float32)


def carrier(layout: Layout, y: np.ndarray) -> np.ndarray:
    """Pattern times mask: what symbol +1 adds (before scaling) — identical at read time."""
    return layout.pattern * perceptual_mask(y, layout.chip)


def signs_for(layout: Layout, codeword: np.ndarray) -> np.ndarray:
    word = np.asarray(codeword)
    if word.shape != (layout.length,):
        raise UsageError(f"codeword has shape {word.shape}, expected ({layout.length},)")
    if word.size and (word.min() < 0 or word.max() > 1):
        raise UsageError("image fingerprints carry binary codewords (symbols 0 and 1)")
    per_cell = 2.0 * word[layout.symbol_of_cell].astype(np.float32) - 1.0
    return layout.expand(per_cell)


class Embedder:
    """Everything about one original that every recipient's copy shares, computed once.

    Issuing n copies costs one layout and one mask, then n cheap sign flips.
    """

    __slots__ = ("_bgr", "_carrier", "layout")

    def __init__(self, bgr: np.ndarray, length: int, key: bytes) -> None:
        if bgr.ndim != 3 or bgr.shape[2] != 3 or bgr.dtype != np.uint8:
            raise UsageError("expected an 8-bit colour image")
        h, w = bgr.shape[:2]
        self.layout = make_layout(h, w, length, key)
        y = luminance(bgr)
        check_registrable(np.clip(y, 0, 255).astype(np.uint8))
        base = carrier(self.layout, y)
        scale = TARGET_RMS / float(np.sqrt(np.mean(np.square(base, dtype=np.float64))) + 1e-9)
        base *= np.float32(scale)
        self._carrier = base
        self._bgr = bgr

    def mark(self, codeword: np.ndarray) -> np.ndarray:
        """The marked copy for one codeword (BGR uint8, same size)."""
        delta = np.rint(self._carrier * signs_for(self.layout, codeword))
        # Adding the same delta to B, G and R moves luminance by delta and leaves
        # both chroma differences (R-Y, B-Y) unchanged. Integer delta + saturating
        # uint8 arithmetic equals clip(rint(pixel + delta)) exactly.
        up = cv2.merge([np.clip(delta, 0, 255).astype(np.uint8)] * 3)
        down = cv2.merge([np.clip(-delta, 0, 255).astype(np.uint8)] * 3)
        return np.asarray(cv2.subtract(cv2.add(self._bgr, up), down))


def embed_pixels(bgr: np.ndarray, codeword: np.ndarray, key: bytes) -> np.ndarray:
    """Return a marked copy of a BGR uint8 image (same size, chroma untouched)."""
    return Embedder(bgr, int(np.asarray(codeword).size), key).mark(codeword)


def embed(original: bytes, codeword: np.ndarray, key: bytes) -> bytes:
    """Mark an image file; the copy keeps the original's format, size and JPEG quality."""
    img = decode(original)
    marked = embed_pixels(img.pixels, codeword, key)
    return encode(marked, img.format, img.jpeg_quality)
