"""Read soft code symbols from a leaked photo, using the original (informed detection).

1. Register the leak onto the original (:mod:`.register`).
2. Simulate the leak's resampling on the original and on the carrier (original
   → leak geometry → back), so that both lose the same detail the leak lost.
3. Photometric normalisation: map original grey levels to the leak's by their
   conditional mean (handles levels, gamma, contrast, brightness, grayscale).
4. Residual = leak − normalised original, low-passed at the pattern's scale;
   pixels where the residual is far beyond the mark's strength (captions,
   logos, stickers) are masked out.
5. Per cell, correlate the residual with the carrier (and, to measure noise,
   with an independent decoy carrier). Cells mostly outside the leak or under
   an overlay are erased.
6. Per symbol, a Gaussian log-likelihood ratio from the pooled correlation,
   its gain and the decoy-measured noise.

Everything depends only on the leak, the original and the item key — never on
a recipient's codeword — so :mod:`orcon.codes` p-values stay exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from orcon.codes import Observation
from orcon.errors import MatchError
from orcon.marks.image.codec import decode
from orcon.marks.image.embedder import carrier, luminance, perceptual_mask
from orcon.marks.image.layout import Layout, make_layout
from orcon.marks.image.registration import Registration, register

MIN_VALID = 0.5
LLR_CAP = 30.0


@dataclass(frozen=True, slots=True, eq=False)
class ImageReading:
    observation: Observation
    registration: Registration
    coverage: float  # fraction of the original's area present in the leak
    cells_read: int
    cells_total: int
    snr: float  # mark amplitude over noise per cell, as measured
    valid_cells: np.ndarray  # (rows, cols) bool map of cells that were read


def _warp(
    img: np.ndarray, hom: np.ndarray, shape: tuple[int, int], nearest: bool = False
) -> np.ndarray:
    flags = cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR
    return cv2.warpPerspective(img, hom, (shape[1], shape[0]), flags=flags, borderValue=0)


def _tone_map(src: np.ndarray, dst: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Monotone-free lookup f with f(src) ≈ dst, by conditional means over 64 bins."""
    bins = 64
    idx = np.clip((src[valid] * (bins / 256.0)).astype(np.int64), 0, bins - 1)
    cnt = np.bincount(idx, minlength=bins).astype(np.float64)
    tot = np.bincount(idx, dst[valid].astype(np.float64), minlength=bins)
    centers = (np.arange(bins) + 0.5) * (256.0 / bins)
    ok = cnt >= 20
    if ok.sum() < 2:
        a = float(dst[valid].mean() - src[valid].mean()) if valid.any() else 0.0
        return src + a
    table = np.interp(centers, centers[ok], tot[ok] / cnt[ok])
    lut = np.interp(np.arange(256), centers, table).astype(np.float32)
    return np.asarray(lut[np.clip(src, 0, 255).astype(np.uint8)], dtype=np.float32)


def read_pixels(leak: np.ndarray, original: np.ndarray, key: bytes, length: int) -> ImageReading:
    h, w = original.shape[:2]
    layout: Layout = make_layout(h, w, length, key)
    y_orig = luminance(original)
    y_leak = luminance(leak) if leak.ndim == 3 else leak.astype(np.float32)
    reg = register(
        np.clip(y_leak, 0, 255).astype(np.uint8), np.clip(y_orig, 0, 255).astype(np.uint8)
    )
    hom = reg.homography
    inv = np.linalg.inv(hom)
    lshape = y_leak.shape[:2]

    valid = _warp(np.ones(lshape, np.uint8), hom, (h, w), nearest=True) > 0
    if valid.mean() < 0.01:
        raise MatchError("the registered leak covers less than 1% of the original")
    yl = _warp(y_leak, hom, (h, w))
    # Send the original and the carriers along the leak's resampling path and back.
    yo = _warp(_warp(y_orig, inv, lshape), hom, (h, w))
    base = carrier(layout, y_orig)
    decoy = (layout.decoy() * perceptual_mask(y_orig, layout.chip)).astype(np.float32)
    car = _warp(_warp(base, inv, lshape), hom, (h, w))
    dec = _warp(_warp(decoy, inv, lshape), hom, (h, w))

    edge = max(3, layout.chip)
    valid = cv2.erode(valid.astype(np.uint8), np.ones((2 * edge + 1, 2 * edge + 1), np.uint8)) > 0
    sigma = max(0.8, 0.35 * layout.chip)
    resid = cv2.GaussianBlur(yl - _tone_map(yo, yl, valid), (0, 0), sigma)
    spread = 1.4826 * float(np.median(np.abs(resid[valid]))) if valid.any() else 0.0
    overlay = (np.abs(resid) > max(6.0 * spread, 10.0)) & valid
    if overlay.any():
        # Captions, logos, stickers: drop them, then refit the tone map without them.
        grow = 4 * layout.chip + 1
        overlay = cv2.dilate(overlay.astype(np.uint8), np.ones((grow, grow), np.uint8)) > 0
        valid &= ~overlay
        resid = cv2.GaussianBlur(yl - _tone_map(yo, yl, valid), (0, 0), sigma)
    car = cv2.GaussianBlur(car, (0, 0), sigma)
    dec = cv2.GaussianBlur(dec, (0, 0), sigma)

    n_cells = layout.cells
    vmask = valid.astype(np.float64)
    area = np.outer(np.diff(layout.row_edges), np.diff(layout.col_edges)).ravel()
    nv = layout.cell_sums(vmask)
    frac = nv / area
    resid64 = resid.astype(np.float64)

    def correlate(pattern: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p = pattern.astype(np.float64) * vmask
        # Centre the pattern per cell over valid pixels: immune to local offsets.
        p -= layout.expand(layout.cell_sums(p) / np.maximum(nv, 1.0)) * vmask
        return layout.cell_sums(p * resid64), layout.cell_sums(p * p)

    num, den = correlate(car)
    dnum, dden = correlate(dec)
    use = (frac >= MIN_VALID) & (den > 0) & (dden > 0)
    sym = layout.symbol_of_cell
    s_num = np.bincount(sym[use], num[use], minlength=length)
    s_den = np.bincount(sym[use], den[use], minlength=length)
    read = s_den > 0
    if not use.any():
        raise MatchError("no fingerprint cell of the original survives in the leak")

    z_decoy = dnum[use] / np.sqrt(dden[use])
    tau2 = float(np.mean(z_decoy**2)) + 1e-12
    z_cell = num[use] / np.sqrt(den[use])
    gain2 = max(float(np.mean(z_cell**2)) - tau2, 0.0) / float(np.mean(den[use]))
    gain = float(np.sqrt(gain2))
    z = np.zeros(length)
    z[read] = s_num[read] / np.sqrt(s_den[read])
    llr = np.clip(2.0 * gain * np.sqrt(s_den) * z / tau2, -LLR_CAP, LLR_CAP)
    lik = np.stack([np.exp(-0.5 * llr), np.exp(0.5 * llr)], axis=1)
    obs = Observation.soft(lik, ~read)
    snr = gain * float(np.sqrt(np.mean(den[use]))) / float(np.sqrt(tau2))
    return ImageReading(
        obs,
        reg,
        float(valid.mean()),
        int(use.sum()),
        n_cells,
        snr,
        use.reshape(layout.rows, layout.cols),
    )


def read(leak: bytes, original: bytes, key: bytes, length: int) -> ImageReading:
    """Read a leaked image file against the original image file."""
    return read_pixels(decode(leak).pixels, decode(original).pixels, key, length)
