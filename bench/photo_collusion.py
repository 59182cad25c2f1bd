"""How often copies mixed by two or three recipients name one of them (photos).

bench/image_marks.py tries each collusion once per photo; this repeats them with
a fresh key, fresh colluders and fresh copies per trial, so a rate can be told
from luck: two copies averaged, or three cut into a mosaic of tiles, then JPEG
80, among 1,000 recipients, coalitions of 3 planned, ε = 10⁻⁶, on the eight
1600-px photos of bench/image_marks.py. With --issued-jpeg Q the copies are
first encoded as JPEG at quality Q, as orcon issues copies of a JPEG original
(at the original's quality; bench/trace.py shares JPEG 92), so the leak has
been compressed twice.

Usage:  python bench/photo_collusion.py [--trials 5] [--issued-jpeg 92] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from image_marks import EPS, PHOTOS, C, N, load
from orcon.codes import Code, CodeSpec, accuse, plan
from orcon.marks.image import Embedder, read_pixels
from orcon.marks.image import attacks as A


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--issued-jpeg", type=int, default=0, help="JPEG quality of the copies")
    ap.add_argument("--out", default="bench/out/photo_collusion.json")
    args = ap.parse_args()
    rng = np.random.default_rng(77)
    m = plan(N, C)
    rows = []
    for name in PHOTOS:
        img = load(name)
        for _ in range(args.trials):
            key = rng.bytes(32)
            code = Code.derive(CodeSpec(m, 2, C), key)
            emb = Embedder(img, m, key)
            pool = sorted(rng.choice(N, 3, replace=False).tolist())
            copies = [emb.mark(code.codeword(j)) for j in pool]
            if args.issued_jpeg:
                copies = [A.jpeg(c, args.issued_jpeg) for c in copies]
            for attack, leak, guilty in (
                ("average2+jpeg80", A.jpeg(A.average(copies[:2]), 80), set(pool[:2])),
                ("mosaic3+jpeg80", A.jpeg(A.mosaic(copies), 80), set(pool)),
            ):
                reading = read_pixels(leak, img, key, m)
                verdict = accuse(code, reading.observation, N, epsilon=EPS)
                accused = {s.index for s in verdict.accused}
                row = {
                    "photo": name,
                    "attack": attack,
                    "named": len(accused & guilty),
                    "innocents": len(accused - guilty),
                    "snr": reading.snr,
                }
                rows.append(row)
                print(row, flush=True)
    summary = {}
    for attack in ("average2+jpeg80", "mosaic3+jpeg80"):
        cells = [r for r in rows if r["attack"] == attack]
        summary[attack] = {
            "trials": len(cells),
            "at_least_one_named": sum(bool(r["named"]) for r in cells),
            "colluders_named": sum(int(r["named"]) for r in cells),  # type: ignore[call-overload]
            "innocents": sum(int(r["innocents"]) for r in cells),  # type: ignore[call-overload]
            "missed": sorted({str(r["photo"]) for r in cells if not r["named"]}),
        }
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "date": time.strftime("%Y-%m-%d"),
        "issued_jpeg": args.issued_jpeg,
        "summary": summary,
        "rows": rows,
    }
    print(json.dumps(summary, indent=1))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
