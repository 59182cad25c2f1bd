"""Item lookup for photos among 10^5 shared images (trace issue).

8 real photos (scikit-image samples at 1600 px) hidden among 99,992 synthetic
items (random ORB-like descriptors), 200 indexed descriptors each. Each real
photo is attacked with every attack of the image battery; a query extracts the
leak's features (and its mirror's), votes in the LSH index, and verifies the
top candidates with RANSAC. Reports recall (right photo found), false matches
and time per query on one core, excluding feature extraction of the leak,
which is reported separately.

Usage:  python bench/lookup.py [--items 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from image_marks import PHOTOS, load
from orcon.marks.image import attacks
from orcon.match import image as match


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--out", default="bench/out/lookup.json")
    args = ap.parse_args()
    rng = np.random.default_rng(3)
    real = {name: load(name) for name in PHOTOS}
    feats = {name: match.extract(img) for name, img in real.items()}
    n_fake = args.items - len(real)
    fake_desc = rng.integers(0, 256, size=(n_fake, match.FeatureIndex.PER_ITEM, 32), dtype=np.uint8)
    fake_pts = rng.uniform(0, 1024, size=(n_fake, match.FeatureIndex.PER_ITEM, 2)).astype(
        np.float32
    )
    items = [(f"fake{i}", match.Features(fake_pts[i], fake_desc[i], 1.0)) for i in range(n_fake)]
    items += [(name, f) for name, f in feats.items()]
    t = time.perf_counter()
    index = match.FeatureIndex(items)
    build = time.perf_counter() - t
    by_id = dict(items)
    found = false = 0
    q_times, x_times = [], []
    for name, img in real.items():
        for fn in attacks.SINGLE.values():
            leak = fn(img, rng)
            t = time.perf_counter()
            variants = [match.extract(leak), match.extract(cv2.flip(leak, 1))]
            x_times.append(time.perf_counter() - t)
            t = time.perf_counter()
            cands = index.candidates(variants)
            ranked = match.rank(variants, ((i, by_id[i]) for i, _ in cands))
            q_times.append(time.perf_counter() - t)
            hits = [i for i, _ in ranked]
            found += hits[:1] == [name]
            false += sum(1 for i in hits if i != name)
    total = len(real) * len(attacks.SINGLE)
    res = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "date": time.strftime("%Y-%m-%d"),
        "items": args.items,
        "index_build_s": build,
        "queries": total,
        "recall": found / total,
        "false_matches": false,
        "query_ms_median": float(np.median(q_times) * 1e3),
        "query_ms_max": float(np.max(q_times) * 1e3),
        "leak_feature_extraction_ms_median": float(np.median(x_times) * 1e3),
    }
    print(json.dumps(res, indent=1))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
