"""Find the shared photo a leak came from, by local features.

Global hashes (pHash, PDQ) fail after a 10 % crop; local ORB features with
RANSAC geometric verification survive crops, rescales and rotations. Each
item keeps its descriptors (computed at share time on a ≤1024-px version);
a leak's descriptors are matched against each item's with Lowe's ratio test
and the survivors verified by a RANSAC homography. This linear scan is exact
and fast for thousands of items; above that, tracing first votes in an LSH index
over the same descriptors (FeatureIndex) and verifies only the best-voted items
(10^5 photos: bench/lookup.py).
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


def extract(bgr_or_gray: np.ndarray, count: int = FEATURES, least: int = 0) -> Features:
    """ORB features of a picture brought to at most SIDE pixels on its larger side, and
    (for a leak) to at least ``least``: a photo printed small, a few hundred pixels
    wide, is then within the reach of ORB's scale pyramid (eight levels of 1.2, a
    factor of 3.6) from the 1,024-px features a shared photo keeps."""
    gray = bgr_or_gray if bgr_or_gray.ndim == 2 else cv2.cvtColor(bgr_or_gray, cv2.COLOR_BGR2GRAY)
    h, w = gray.shape
    f = min(1.0, SIDE / max(h, w))
    if least and max(h, w) < least:
        f = least / max(h, w)
    small = (
        gray
        if f == 1.0
        else cv2.resize(
            gray,
            (round(w * f), round(h * f)),
            interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_CUBIC,
        )
    )
    orb = cv2.ORB.create(nfeatures=count, fastThreshold=10)
    kps, desc = orb.detectAndCompute(small, None)
    if desc is None:
        return Features(np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8), f)
    pts = np.array([k.pt for k in kps], dtype=np.float32)
    return Features(pts, desc, f)


_NONE = np.zeros((0, 2), np.float32)


def _verified(leak: Features, item: Features) -> tuple[int, np.ndarray | None, np.ndarray]:
    """RANSAC-verified matches from a leak to an item, the homography (leak's feature
    image to the item's) they agree on, and the leak's points among them."""
    if len(leak.descriptors) < MIN_GOOD or len(item.descriptors) < MIN_GOOD:
        return 0, None, _NONE
    pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(leak.descriptors, item.descriptors, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < 0.8 * p[1].distance]
    if len(good) < MIN_GOOD:
        return 0, None, _NONE
    src = leak.keypoints[[m.queryIdx for m in good]]
    dst = item.keypoints[[m.trainIdx for m in good]]
    homography, mask = cv2.findHomography(src, dst, cv2.RANSAC, 5.0)
    if mask is None or homography is None:
        return 0, None, _NONE
    kept = src[mask.ravel() == 1]
    if not _plausible(homography, kept):
        return 0, None, _NONE
    return int(mask.sum()), homography, kept


MAX_SQUASH = 8.0  # a true match stretches one way at most this much more than the other
SCALES = (1 / 32, 32)  # and scales the leak to the photo within these


def _plausible(homography: np.ndarray, points: np.ndarray) -> bool:
    """Whether a homography could carry a leak onto its photo: near its matches it must
    keep orientation (a mirrored leak is matched through its mirror image, never through a
    reflection), not squash one way far more than the other, and scale within reason. A
    chance alignment of many similar corners (a page of type) can pass RANSAC with a
    degenerate map; a crop, resize, rotation or photo of a screen cannot fail this."""
    if not len(points):
        return False
    x, y = points.mean(axis=0)
    h = homography / homography[2, 2] if homography[2, 2] else homography
    w = h[2, 0] * x + h[2, 1] * y + 1.0
    if abs(w) < 1e-9:
        return False
    u = (h[0, 0] * x + h[0, 1] * y + h[0, 2]) / w
    v = (h[1, 0] * x + h[1, 1] * y + h[1, 2]) / w
    jac = (
        np.array(
            [
                [h[0, 0] - u * h[2, 0], h[0, 1] - u * h[2, 1]],
                [h[1, 0] - v * h[2, 0], h[1, 1] - v * h[2, 1]],
            ]
        )
        / w
    )
    det = float(np.linalg.det(jac))
    if det <= 0:
        return False
    sv = np.linalg.svd(jac, compute_uv=False)
    scale = float(np.sqrt(det))
    return bool(sv[0] <= MAX_SQUASH * sv[1] and SCALES[0] <= scale <= SCALES[1])


def inliers(leak: Features, item: Features) -> int:
    """RANSAC-verified matches between a leak and an item (0 when unrelated)."""
    return _verified(leak, item)[0]


PLAUSIBLE_SPREAD = 6.0  # a photo's frame this many times the box of its matches is doubted


def footprint(
    shape: tuple[int, ...],
    variants: list[Features],
    item: Features,
    size: tuple[int, int],
    margin: float = 0.01,
) -> np.ndarray:
    """Where in a leak picture a shared photo was found: a mask (uint8, 255 inside) of
    the photo's frame (``size``: its width and height) carried into the leak by the
    verified homography, widened by ``margin`` of the picture's larger side.

    A leak may hold more than the photo (a newspaper page, a briefing pack's page with
    the photo and quoted text): what lies outside the footprint is looked at again, for
    another shared photo or for text. ``variants`` are the features of the picture of
    ``shape`` and of its mirror image, as :func:`rank` is given them."""
    h, w = shape[:2]
    mask = np.zeros((h, w), np.uint8)
    best: tuple[int, np.ndarray | None, Features | None, bool, np.ndarray] = (
        0, None, None, False, _NONE
    )  # fmt: skip
    for flip, variant in zip((False, True), variants, strict=False):
        verified, found, points = _verified(variant, item)
        if verified > best[0]:
            best = (verified, found, variant, flip, points)
    count, homography, feats, flipped, points = best
    if count < MIN_INLIERS or homography is None or feats is None:
        return mask
    points = points / feats.scale
    if flipped:
        points[:, 0] = w - 1 - points[:, 0]
    (px0, py0), (px1, py1) = points.min(axis=0), points.max(axis=0)
    fw, fh = size[0] * item.scale, size[1] * item.scale  # in the item's feature image
    frame = np.array([[0, 0], [fw, 0], [fw, fh], [0, fh]], np.float32).reshape(-1, 1, 2)
    try:
        corners = cv2.perspectiveTransform(frame, np.linalg.inv(homography)).reshape(-1, 2)
    except np.linalg.LinAlgError:
        return mask
    corners = np.clip(corners / feats.scale, -4.0 * max(h, w), 5.0 * max(h, w))
    if flipped:
        corners[:, 0] = w - 1 - corners[:, 0]
    quad = np.round(corners).astype(np.int32)
    spread = max((px1 - px0) * (py1 - py0), 1.0)
    if not cv2.isContourConvex(quad) or cv2.contourArea(quad) > PLAUSIBLE_SPREAD * spread:
        # A homography from few or clustered matches can throw the frame far off: then
        # only the box the matches themselves span (a tenth wider) is taken as the photo.
        gx, gy = 0.1 * (px1 - px0), 0.1 * (py1 - py0)
        quad = np.round(
            [[px0 - gx, py0 - gy], [px1 + gx, py0 - gy], [px1 + gx, py1 + gy], [px0 - gx, py1 + gy]]
        ).astype(np.int32)
    cv2.fillConvexPoly(mask, quad, 255)
    grow = max(1, int(margin * max(h, w)))
    return cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_RECT, (2 * grow + 1,) * 2))


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
