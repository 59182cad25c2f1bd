"""Small pictures: does enlarging a leak before its features are found help, and does
it make false matches?

A leak a few hundred pixels wide (a thumbnail, a photo printed small on a page) is
brought to 640 px before ORB looks at it (``match.extract(least=640)``, what the
trace does). Four 1600-px photos are "shared"; each is shrunk to 100–480 px wide
and looked up among them (recall); twelve other scikit-image pictures (not
data.cat, which is chelsea) at the same widths are looked up too (false
matches: any verified candidate, ≥ 50 RANSAC inliers). Both with and without
the enlargement.

Usage:  python bench/small_leaks.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
from skimage import data

sys.path.insert(0, str(Path(__file__).parent))
from image_marks import load
from orcon.match import image as match

SHARED = ("astronaut", "coffee", "chelsea", "rocket")
OTHERS = {
    "motorcycle": lambda: data.stereo_motorcycle()[0],
    "retina": data.retina,
    "hubble": data.hubble_deep_field,
    "camera": data.camera,
    "coins": data.coins,
    "ihc": data.immunohistochemistry,
    "brick": data.brick,
    "grass": data.grass,
    "gravel": data.gravel,
    "text": data.text,
    "page": data.page,
    "moon": data.moon,
}
WIDTHS = (100, 160, 240, 320, 480)


def shrink(img: np.ndarray, width: int) -> np.ndarray:
    h, w = img.shape[:2]
    return cv2.resize(img, (width, round(h * width / w)), interpolation=cv2.INTER_AREA)


def main() -> None:
    shared = {name: match.extract(load(name)) for name in SHARED}
    others = {}
    for name, fn in OTHERS.items():
        img = np.ascontiguousarray(fn())
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR) if img.ndim == 2 else img[:, :, :3]
        others[name] = cv2.resize(img, (1600, round(img.shape[0] * 1600 / img.shape[1])))
    print("| width | enlarged to 640 px | shared photos found (of 4) | false matches (12 others) |")
    print("|---|---|---|---|")
    for width in WIDTHS:
        for least in (0, 640):
            found = sum(
                1 for n in SHARED if (r := look(shared, load(n), width, least)) and r[0][0] == n
            )
            false = sum(1 for img in others.values() if look(shared, img, width, least))
            print(f"| {width} px | {'yes' if least else 'no'} | {found} | {false} |", flush=True)


def look(
    shared: dict[str, match.Features], img: np.ndarray, width: int, least: int
) -> list[tuple[str, int]]:
    """The shared photos a picture shrunk to ``width`` is verified to show."""
    small = shrink(img, width)
    variants = [match.extract(small, least=least), match.extract(cv2.flip(small, 1), least=least)]
    return match.rank(variants, shared.items())


if __name__ == "__main__":
    main()
