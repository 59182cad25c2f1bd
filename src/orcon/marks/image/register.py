"""Geometric registration of a leaked photo to the original.

Keypoints (ORB, with SIFT as fallback) matched with Lowe's ratio test give a
RANSAC homography — which covers crop, rescale, rotation and the perspective of
a phone photo of a screen; a horizontally flipped leak is tried when the direct
match fails. The homography is then refined by ECC (Evangelidis and Psarakis,
"Parametric image alignment using enhanced correlation coefficient
maximization", PAMI 2008), which is invariant to brightness and contrast and
brings the alignment to sub-pixel accuracy, as reading the fingerprint needs.

Result: H maps leak pixel coordinates to original pixel coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from orcon.errors import CapacityError, MatchError

FEATURE_SIDE = 1024
ECC_SIDE = 900
MIN_INLIERS = 12


@dataclass(frozen=True, slots=True, eq=False)
class Registration:
    homography: np.ndarray  # 3x3 float64, leak -> original
    inliers: int
    flipped: bool
    method: str
    refined: bool


def _small(gray: np.ndarray, side: int) -> tuple[np.ndarray, float]:
    h, w = gray.shape
    f = min(1.0, side / max(h, w))
    if f == 1.0:
        return gray, 1.0
    return cv2.resize(gray, (round(w * f), round(h * f)), interpolation=cv2.INTER_AREA), f


def _scale(f: float) -> np.ndarray:
    return np.diag([f, f, 1.0])


def _match(
    a: np.ndarray, b: np.ndarray, detector: cv2.Feature2D, norm: int
) -> tuple[np.ndarray | None, int]:
    """Homography mapping image a to image b, with its RANSAC inlier count."""
    ka, da = detector.detectAndCompute(a, None)
    kb, db = detector.detectAndCompute(b, None)
    if da is None or db is None or len(ka) < MIN_INLIERS or len(kb) < MIN_INLIERS:
        return None, 0
    pairs = cv2.BFMatcher(norm).knnMatch(da, db, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < 0.8 * p[1].distance]
    if len(good) < MIN_INLIERS:
        return None, 0
    src = np.array([ka[m.queryIdx].pt for m in good], dtype=np.float32)
    dst = np.array([kb[m.trainIdx].pt for m in good], dtype=np.float32)
    hom, inl = cv2.findHomography(src, dst, cv2.RANSAC, 4.0, maxIters=4000, confidence=0.999)
    if hom is None or inl is None:
        return None, 0
    return hom, int(inl.sum())


def _plausible(hom: np.ndarray, leak_shape: tuple[int, int]) -> bool:
    """Reject degenerate homographies (folded, collapsed or exploded maps)."""
    h, w = leak_shape
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32).reshape(-1, 1, 2)
    out = cv2.perspectiveTransform(corners, hom).reshape(-1, 2)
    area = cv2.contourArea(out)
    return bool(cv2.isContourConvex(out.astype(np.float32)) and area > 64.0)


def _misalignment(tpl: np.ndarray, inp: np.ndarray, h_small: np.ndarray) -> float:
    """Robust alignment error: median |difference| of standardised images (ignores overlays)."""
    warped = cv2.warpPerspective(inp, h_small, (tpl.shape[1], tpl.shape[0]), flags=cv2.INTER_LINEAR)
    inside = (
        cv2.warpPerspective(
            np.ones(inp.shape, np.uint8),
            h_small,
            (tpl.shape[1], tpl.shape[0]),
            flags=cv2.INTER_NEAREST,
        )
        > 0
    )
    if inside.sum() < 100:
        return float("inf")
    a, b = tpl[inside], warped[inside]
    a = (a - np.median(a)) / (np.percentile(a, 75) - np.percentile(a, 25) + 1e-6)
    b = (b - np.median(b)) / (np.percentile(b, 75) - np.percentile(b, 25) + 1e-6)
    return float(np.median(np.abs(a - b)))


def _refine(leak: np.ndarray, orig: np.ndarray, hom: np.ndarray) -> tuple[np.ndarray, bool]:
    """ECC refinement at moderate resolution; returns the input on failure."""
    o, fo = _small(orig, ECC_SIDE)
    scale_leak = min(1.0, ECC_SIDE / max(leak.shape))
    lk = (
        leak
        if scale_leak == 1.0
        else cv2.resize(
            leak,
            (round(leak.shape[1] * scale_leak), round(leak.shape[0] * scale_leak)),
            interpolation=cv2.INTER_AREA,
        )
    )
    h_small = _scale(fo) @ hom @ np.linalg.inv(_scale(scale_leak))
    # ECC's warp maps template (original) coordinates to input (leak) coordinates.
    warp = np.linalg.inv(h_small).astype(np.float32)
    warp /= warp[2, 2]
    tpl = cv2.GaussianBlur(o.astype(np.float32), (0, 0), 1.0)
    inp = cv2.GaussianBlur(lk.astype(np.float32), (0, 0), 1.0)
    mask = cv2.warpPerspective(
        np.full(lk.shape, 255, np.uint8), h_small, (o.shape[1], o.shape[0]), flags=cv2.INTER_NEAREST
    )
    mask = cv2.erode(mask, np.ones((5, 5), np.uint8))
    if mask.mean() < 255 * 0.05:
        return hom, False
    crit = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 60, 1e-5)
    try:
        _, found = cv2.findTransformECC(tpl, inp, warp, cv2.MOTION_HOMOGRAPHY, crit, mask, 3)
    except cv2.error:
        return hom, False
    new_small = np.linalg.inv(np.asarray(found, dtype=np.float64))
    # ECC can drift towards a strong false edge (a caption bar): keep it only if it helps.
    if _misalignment(tpl, inp, new_small) > _misalignment(tpl, inp, h_small):
        return hom, False
    refined = np.linalg.inv(_scale(fo)) @ new_small @ _scale(scale_leak)
    return refined / refined[2, 2], True


MIN_KEYPOINTS = 60


def check_registrable(gray: np.ndarray) -> None:
    """Refuse originals too flat to be found again in a leak (few distinctive features)."""
    small, _ = _small(gray, FEATURE_SIDE)
    found = len(cv2.ORB.create(nfeatures=500, fastThreshold=10).detect(small, None))
    if found < MIN_KEYPOINTS:
        raise CapacityError(
            f"the image is too flat to carry a fingerprint: {found} distinctive features "
            f"found, at least {MIN_KEYPOINTS} are needed to recognise a leaked copy"
        )


def register(leak: np.ndarray, orig: np.ndarray) -> Registration:
    """Register grey-level ``leak`` onto grey-level ``orig``; raise MatchError if impossible."""
    ls, fl = _small(leak, FEATURE_SIDE)
    os_, fo = _small(orig, FEATURE_SIDE)
    w = ls.shape[1]
    flip = np.array([[-1.0, 0.0, w - 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    attempts = [
        ("orb", cv2.ORB.create(nfeatures=5000, fastThreshold=10), cv2.NORM_HAMMING),
        ("sift", cv2.SIFT.create(nfeatures=4000), cv2.NORM_L2),
    ]
    best: tuple[np.ndarray, int, bool, str] | None = None
    for name, det, norm in attempts:
        for flipped in (False, True):
            src = cv2.flip(ls, 1) if flipped else ls
            hom, inl = _match(src, os_, det, norm)
            if hom is None or inl < MIN_INLIERS:
                continue
            if flipped:
                hom = hom @ flip
            if not _plausible(hom, ls.shape):
                continue
            if best is None or inl > best[1]:
                best = (hom, inl, flipped, name)
            if inl >= 40:
                break
        if best is not None and best[1] >= 40:
            break
    if best is None:
        raise MatchError(
            "the leak could not be registered to the original (too few matching features)"
        )
    hom_small, inliers, flipped, method = best
    hom = np.linalg.inv(_scale(fo)) @ hom_small @ _scale(fl)
    hom, refined = _refine(leak, orig, hom / hom[2, 2])
    return Registration(hom, inliers, flipped, method, refined)
