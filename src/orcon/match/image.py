"""Find the shared photo a leak came from, by local features.

Global hashes (pHash, PDQ) fail after a 10 % crop; local ORB features with
RANSAC geometric verification survive crops, rescales and rotations. Each
item keeps its descriptors (computed at share time on a ≤1024-px version);
a leak's descriptors are matched against each item's with Lowe's ratio test
and the survivors verified by a RANSAC homography. This linear scan is exact
and fast for thousands of items; a visual-word index for 10^5 items is the
next step (see the trace issue).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import cv2
import numpy as np

SIDE = 1024
FEATURES = 1500
MIN_INLIERS = 15


@dataclass(frozen=True, slots=True, eq=False)
class Features:
    keypoints: np.ndarray  # (k, 2) float32
    descriptors: np.ndarray  # (k, 32) uint8
    scale: float


def extract(bgr_or_gray: np.ndarray, count: int = FEATURES) -> Features:
    gray = bgr_or_gray if bgr_or_gray.ndim == 2 else cv2.cvtColor(bgr_or_gray, cv2.COLOR_BGR2GRAY)
    h, w = gray.shape
    f = min(1.0, SIDE / max(h, w))
    small = (
        gray
        if f == 1.0
        else cv2.resize(gray, (round(w * f), round(h * f)), interpolation=cv2.INTER_AREA)
    )
    orb = cv2.ORB.create(nfeatures=count, fastThreshold=10)
    kps, desc = orb.detectAndCompute(small, None)
    if desc is None:
        return Features(np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8), f)
    pts = np.array([k.pt for k in kps], dtype=np.float32)
    return Features(pts, desc, f)


def inliers(leak: Features, item: Features) -> int:
    """RANSAC-verified matches between a leak and an item (0 when unrelated)."""
    if len(leak.descriptors) < MIN_INLIERS or len(item.descriptors) < MIN_INLIERS:
        return 0
    pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(leak.descriptors, item.descriptors, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < 0.8 * p[1].distance]
    if len(good) < MIN_INLIERS:
        return 0
    src = leak.keypoints[[m.queryIdx for m in good]]
    dst = item.keypoints[[m.trainIdx for m in good]]
    _, mask = cv2.findHomography(src, dst, cv2.RANSAC, 5.0)
    return int(mask.sum()) if mask is not None else 0


def rank(leaks: list[Features], items: Iterable[tuple[str, Features]]) -> list[tuple[str, int]]:
    """Items with at least MIN_INLIERS verified matches to any leak variant, best first.

    Pass the leak and its mirror image: ORB descriptors are not flip-invariant.
    """
    scored = [(item_id, max(inliers(v, feats) for v in leaks)) for item_id, feats in items]
    return sorted([x for x in scored if x[1] >= MIN_INLIERS], key=lambda x: -x[1])
