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
MIN_GOOD = 15
# Measured over the whole image battery on 8 photos: true matches have >= 94 RANSAC
# inliers, unrelated photos up to 42. An item is a candidate only at 50 or more.
MIN_INLIERS = 50


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
    if len(leak.descriptors) < MIN_GOOD or len(item.descriptors) < MIN_GOOD:
        return 0
    pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(leak.descriptors, item.descriptors, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < 0.8 * p[1].distance]
    if len(good) < MIN_GOOD:
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


class FeatureIndex:
    """Which shared photos might a leak come from, among 10^5: a vote over hashed descriptors.

    Locality-sensitive hashing for Hamming space (Indyk and Motwani 1998): each
    table keys a descriptor by ``BITS`` of its 256 bits, sampled with a fixed
    seed; matching ORB descriptors of a leak and its original differ in ~30
    bits (measured), so they share a key in at least one of ``TABLES`` tables
    about half the time, while unrelated descriptors rarely do. Keys sit in one
    sorted array per table with the owning item beside each key, so a query is
    a few ``searchsorted`` calls and a vote; the best-voted items then go to the
    exact RANSAC check of :func:`rank`.
    """

    TABLES = 6
    BITS = 18
    PER_ITEM = 200

    def __init__(self, items: list[tuple[str, Features]], seed: int = 20261124) -> None:
        rng = np.random.default_rng(seed)
        self.select = np.stack(
            [rng.choice(256, self.BITS, replace=False) for _ in range(self.TABLES)]
        )
        self.ids = [i for i, _ in items]
        chunks = [f.descriptors[: self.PER_ITEM] for _, f in items]
        owners = np.concatenate(
            [np.full(len(c), k, dtype=np.int32) for k, c in enumerate(chunks)]
            or [np.zeros(0, np.int32)]
        )
        desc = np.concatenate(chunks) if chunks else np.zeros((0, 32), np.uint8)
        keys = self._keys(desc)
        order = np.argsort(keys, axis=1, kind="stable")
        self.keys = np.take_along_axis(keys, order, axis=1)
        self.owners = owners[order]

    def _keys(self, desc: np.ndarray) -> np.ndarray:
        """(TABLES, k) uint32 keys, computed in chunks to bound memory."""
        out = np.empty((self.TABLES, len(desc)), dtype=np.uint32)
        weights = (1 << np.arange(self.BITS, dtype=np.uint32)).astype(np.uint32)
        for a in range(0, len(desc), 500_000):
            bits = np.unpackbits(desc[a : a + 500_000], axis=1)
            for t in range(self.TABLES):
                out[t, a : a + 500_000] = bits[:, self.select[t]].astype(np.uint32) @ weights
        return out

    def candidates(self, leaks: list[Features], top: int = 8) -> list[tuple[str, int]]:
        if not self.ids:
            return []
        hits = []
        for leak in leaks:
            if not len(leak.descriptors):
                continue
            q = self._keys(leak.descriptors)
            for t in range(self.TABLES):
                lo = np.searchsorted(self.keys[t], q[t], "left")
                hi = np.searchsorted(self.keys[t], q[t], "right")
                sizes = hi - lo
                total = int(sizes.sum())
                if total == 0:
                    continue
                # Every position in [lo, hi) for every query key, without a Python loop.
                starts = np.repeat(lo - np.concatenate([[0], np.cumsum(sizes)[:-1]]), sizes)
                hits.append(self.owners[t][starts + np.arange(total)])
        if not hits:
            return []
        votes = np.bincount(np.concatenate(hits), minlength=len(self.ids))
        best = np.argpartition(-votes, min(top, len(votes) - 1))[:top]
        best = best[np.argsort(-votes[best])]
        return [(self.ids[k], int(votes[k])) for k in best if votes[k] > 0]
