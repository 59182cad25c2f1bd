"""Geometric registration of a leaked photo to the original.

Keypoints (ORB, with SIFT as fallback) matched with Lowe's ratio test give a
RANSAC homography — which covers crop, rescale, rotation and the perspective of
a phone photo of a screen; a horizontally flipped leak is tried when the direct
match fails. The homography is then refined densely: phase correlation
(Kuglin and Hines 1975) of tiles of the warped leak against the original gives
sub-pixel residual shifts, insensitive to brightness, contrast and gamma, and a
RANSAC fit of those shifts corrects the homography. We tried ECC (Evangelidis
and Psarakis, PAMI 2008) first: a caption bar or logo inside the leak pulls its
global correlation off, whereas occluded tiles simply drop out here.

Result: H maps leak pixel coordinates to original pixel coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from orcon.errors import CapacityError, MatchError

FEATURE_SIDE = 1024
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


TILE = 96
MIN_RESPONSE = 0.08


def _refine(
    leak: np.ndarray, orig: np.ndarray, hom: np.ndarray, rounds: int = 2
) -> tuple[np.ndarray, bool]:
    """Dense sub-pixel refinement by phase correlation on tiles.

    Warp the leak into the original's frame, measure the residual shift of each
    tile against the original (phase correlation: insensitive to brightness,
    contrast and gamma; tiles under captions or logos give weak peaks and are
    dropped), then fit a correcting homography to the tile shifts with RANSAC.
    """
    h, w = orig.shape
    o = orig.astype(np.float32)
    window = cv2.createHanningWindow((TILE, TILE), cv2.CV_32F)
    refined = False
    for _ in range(rounds):
        warped = cv2.warpPerspective(leak.astype(np.float32), hom, (w, h), flags=cv2.INTER_LINEAR)
        inside = cv2.warpPerspective(
            np.ones(leak.shape, np.uint8), hom, (w, h), flags=cv2.INTER_NEAREST
        )
        src, dst = [], []
        for y in range(0, h - TILE + 1, TILE // 2):
            for x in range(0, w - TILE + 1, TILE // 2):
                if inside[y : y + TILE, x : x + TILE].min() == 0:
                    continue
                a = o[y : y + TILE, x : x + TILE]
                b = warped[y : y + TILE, x : x + TILE]
                if a.std() < 4.0 or b.std() < 4.0:
                    continue
                # Copies: with a window, OpenCV 5 applies it to its inputs in place, and
                # these tiles are views that overlap their neighbours (and the next round).
                (dx, dy), resp = cv2.phaseCorrelate(a.copy(), b.copy(), window)
                if resp < MIN_RESPONSE or abs(dx) > TILE / 8 or abs(dy) > TILE / 8:
                    continue
                cx, cy = x + TILE / 2, y + TILE / 2
                src.append((cx + dx, cy + dy))
                dst.append((cx, cy))
        if len(src) < 8:
            break
        corr, mask = cv2.findHomography(
            np.array(src, dtype=np.float32), np.array(dst, dtype=np.float32), cv2.RANSAC, 0.75
        )
        if corr is None or mask is None or int(mask.sum()) < 8:
            break
        new = corr @ hom
        new = new / new[2, 2]
        # A refinement is a small correction; anything larger is a bad fit: keep what we had.
        lh, lw = leak.shape
        corners = np.array([[0, 0], [lw, 0], [lw, lh], [0, lh]], np.float32).reshape(-1, 1, 2)
        moved = np.abs(
            cv2.perspectiveTransform(corners, new) - cv2.perspectiveTransform(corners, hom)
        )
        if not np.isfinite(moved).all() or moved.max() > TILE / 4:
            break
        hom = new
        refined = True
    return hom, refined


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
