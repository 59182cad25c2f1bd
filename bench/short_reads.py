"""Which decoders to run on a short read of a uniform (c = 1) code: the pair
(symmetric and side-informed, ε split evenly) or the symmetric decoder alone.

For n recipients and k read symbols (the rest erased, 3 % of the read ones
flipped, as a retyped quote's misreads), a single leaker's copy and a mix of
two copies (each symbol from either, at random) are scored both ways; the table
gives how often anyone guilty is accused, and every trial checks that no
innocent is. k runs from m = ⌈log2(n/ε)⌉, the fewest all-agreeing symbols that
accuse at ε/n, to 3m. ``accuse`` runs the symmetric decoder alone below 2m.

Usage:  python bench/short_reads.py [--trials 200] [--out bench/out/short_reads.json]
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import time

import numpy as np

from orcon.codes import Code, CodeSpec, Decoder, Observation, accuse

EPS = 1e-6
LENGTH = 400
FLIPS = 0.03
DECODERS = {
    "pair": [Decoder.SYMMETRIC, Decoder.SIDE_INFORMED],
    "symmetric": [Decoder.SYMMETRIC],
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--ns", default="60,1000")
    ap.add_argument("--out", default="bench/out/short_reads.json")
    args = ap.parse_args()
    code = Code.derive(CodeSpec(LENGTH, 2, 1), b"short-read bench secret, 32 bytes")
    rng = np.random.default_rng(0)
    rows = []
    for n in map(int, args.ns.split(",")):
        m = math.ceil(math.log2(n / EPS))
        for k in sorted({m, m + 2, m + 6, 2 * m - 4, 2 * m, 2 * m + 20, 3 * m}):
            caught = {(leak, dec): 0 for leak in ("one", "two") for dec in DECODERS}
            t0 = time.perf_counter()
            for _ in range(args.trials):
                a, b = (int(x) for x in rng.choice(n, 2, replace=False))
                first, second = code.codeword(a), code.codeword(b)
                leaks = {
                    "one": (first, {a}),
                    "two": (np.where(rng.random(LENGTH) < 0.5, first, second), {a, b}),
                }
                erased = np.ones(LENGTH, bool)
                erased[rng.choice(LENGTH, k, replace=False)] = False
                for leak, (word, guilty) in leaks.items():
                    misread = np.where(rng.random(LENGTH) < FLIPS, 1 - word, word)
                    obs = Observation.hard(misread, 2, erased)
                    for dec, decoders in DECODERS.items():
                        accused = {s.index for s in accuse(code, obs, n, decoders=decoders).accused}
                        if accused - guilty:
                            raise SystemExit(f"innocent accused: n={n} k={k} {leak} {dec}")
                        caught[(leak, dec)] += bool(accused)
            row = {"n": n, "m": m, "read": k, "trials": args.trials}
            row.update({f"{leak} {dec}": v for (leak, dec), v in caught.items()})
            rows.append(row)
            print(row, f"{time.perf_counter() - t0:.1f}s", flush=True)
    out = {
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d"),
        "epsilon": EPS,
        "flips": FLIPS,
        "rows": rows,
    }
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
