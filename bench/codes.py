"""Simulation benchmark for orcon.codes (issue: collusion-secure codes).

For every cell (n, c, attack, erasure rate) it runs independent trials, each with
a fresh item secret, and records: catch rate (at least one colluder accused),
innocents accused (all innocents scored for n = 10^3; a random sample of
``--innocents`` for n = 10^5), and a calibration count (innocents above the
Chernoff thresholds for α = 1e-2, 1e-3, 1e-4). A separate pass measures speed.

Usage:  python bench/codes.py --trials 200 --budget 1200 --out bench/out/codes.json
        --only floor|ldw|over runs one kind of cell; --bias arcsine measures the law of
        items shared before the discrete one.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass

import numpy as np

from orcon.codes import Code, CodeSpec, Decoder, Observation, accuse, plan
from orcon.codes.prf import StreamBuffer
from orcon.codes.scores import score_block, score_codewords, score_table
from orcon.codes.tail import chernoff_threshold

SIDE = Decoder.SIDE_INFORMED
ATTACKS = ["interleave", "majority", "minority", "coin", "all0", "all1", "average"]
EPS = 1e-6
SOFT_NOISE = 0.5
CALIB = (1e-2, 1e-3, 1e-4)


@dataclass
class Cell:
    n: int
    c: int
    attack: str
    erasure: float
    length_rule: str
    length: int
    noise: str = "soft"  # soft: σ = SOFT_NOISE on every symbol; hard: exact symbols
    coalition: int = 0  # colluders (0: c); more than c measures a code past its design
    bias: str = "gauss-legendre"
    trials: int = 0
    caught: int = 0
    innocents_scored: int = 0
    innocents_accused: int = 0
    calib_hits: tuple[int, ...] = (0, 0, 0)
    seconds: float = 0.0


def ldw_length(n: int, c: int) -> int:
    return plan(n, c, EPS)


def floor_length(n: int, c: int) -> int:
    return math.ceil(2 * c * c * math.log(n / EPS))


def leak(words: np.ndarray, attack: str, rng: np.random.Generator) -> np.ndarray:
    """Return the pirate's real-valued channel signal in [-1, 1] per position (before noise)."""
    c, m = words.shape
    ones = words.sum(axis=0)
    undetectable = (ones == 0) | (ones == c)
    if attack == "interleave":
        y = words[rng.integers(0, c, m), np.arange(m)]
    elif attack == "majority":
        y = (2 * ones > c) | ((2 * ones == c) & (rng.random(m) < 0.5))
    elif attack == "minority":
        y = np.where(undetectable, words[0], 2 * ones < c)
    elif attack == "coin":
        y = np.where(undetectable, words[0], rng.random(m) < 0.5)
    elif attack in ("all0", "all1"):
        y = np.where(undetectable, words[0], attack == "all1")
    elif attack == "average":
        return (2.0 * ones / c) - 1.0
    else:
        raise ValueError(attack)
    return 2.0 * np.asarray(y, dtype=float) - 1.0


def observe(
    signal: np.ndarray, erasure: float, rng: np.random.Generator, noise: str = "soft"
) -> Observation:
    if noise == "hard":
        lik = np.stack([signal < 0, signal > 0], axis=1).astype(float)
        return Observation.soft(lik, rng.random(signal.size) < erasure)
    r = signal + rng.normal(0.0, SOFT_NOISE, signal.size)
    v = 2 * SOFT_NOISE**2
    lik = np.stack([np.exp(-((r + 1) ** 2) / v), np.exp(-((r - 1) ** 2) / v)], axis=1)
    lik /= lik.max(axis=1, keepdims=True)
    return Observation.soft(lik, rng.random(signal.size) < erasure)


def run_cell(cell: Cell, trials: int, innocents: int, seed: int, end: float, share: float) -> Cell:
    """Run up to ``trials``; the cell's time is its ``share`` of what is left until ``end``,
    so cells that reach their trial cap early leave their time to the longer ones."""
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    deadline = time.time() + max(1.0, (end - time.time()) / share)
    hits = [0, 0, 0]
    for t in range(trials):
        if time.time() > deadline:
            break
        secret = rng.bytes(32)
        code = Code.derive(CodeSpec(cell.length, 2, cell.c, bias=cell.bias), secret)
        kc = cell.coalition or cell.c
        colluders = code.codewords(0, kc)
        obs = observe(leak(colluders, cell.attack, rng), cell.erasure, rng, cell.noise)
        # Innocents: the rest of the population (n = 1e3) or a fresh random block.
        k = min(cell.n - kc, innocents)
        start = kc if k == cell.n - kc else int(rng.integers(kc, cell.n - k))
        verdict = accuse(code, obs, np.r_[np.arange(kc), np.arange(start, start + k)])
        # The verdict's population is c + k; the rule for the real population n is ε/n.
        bound = EPS / cell.n
        accused = [s for s in verdict.accused if s.p_value <= bound]
        cell.caught += any(s.index < kc for s in accused)
        cell.innocents_accused += sum(s.index >= kc for s in accused)
        cell.innocents_scored += k
        if cell.attack == "interleave" and cell.erasure == 0.0 and cell.noise == "soft":
            table = score_table(Decoder.SYMMETRIC, code.probs, obs, cell.c)
            inn = score_codewords(table, code.codewords(start, start + k)).astype(np.float64)
            for i, a in enumerate(CALIB):
                hits[i] += int((inn >= chernoff_threshold(table, code.probs, a)).sum())
        cell.trials = t + 1
    cell.calib_hits = tuple(hits)
    cell.seconds = time.perf_counter() - t0
    return cell


def speed() -> dict[str, float]:
    """Median of 5 runs each; single process (one core)."""
    code = Code.derive(CodeSpec(2048, 2, 4), os.urandom(32))
    obs = Observation.hard(code.codeword(3), 2)
    tables = [score_table(d, code.probs, obs, 4) for d in Decoder if d is not Decoder.SIDE_INFORMED]

    def timed(fn: object, reps: int = 5) -> float:
        out = []
        for _ in range(reps):
            t = time.perf_counter()
            fn()  # type: ignore[operator]
            out.append(time.perf_counter() - t)
        return float(np.median(out))

    def one_codeword() -> None:
        for j in range(1000):
            code.codeword(j)

    def score_all(k: int) -> None:
        buf, ones = StreamBuffer(), np.empty((2048, 2048), dtype=np.float32)
        for a in range(0, 100_000, 2048):
            score_block(tables[:k], code.ones_f32(a, min(100_000, a + 2048), buf, ones))

    verdict = accuse(code, obs, 100_000)
    assert [s.index for s in verdict.accused] == [3]
    return {
        "codeword_one_recipient_ms": timed(one_codeword) / 1000 * 1e3,
        "score_1e5x2048_one_decoder_s": timed(lambda: score_all(1)),
        "score_1e5x2048_three_decoders_s": timed(lambda: score_all(3)),
        "accuse_1e5x2048_full_verdict_s": timed(lambda: accuse(code, obs, 100_000)),
        "accuse_1e5x2048_without_side_information_s": timed(
            lambda: accuse(code, obs, 100_000, decoders=[d for d in Decoder if d != SIDE])
        ),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--innocents", type=int, default=2000, help="innocents scored per trial")
    ap.add_argument("--budget", type=float, default=1800, help="seconds for the whole grid")
    ap.add_argument("--ns", default="1000,100000")
    ap.add_argument("--cs", default="1,2,3,4,5,6")
    ap.add_argument("--only", default="", help="only this rule: ldw, floor, over (c+2 colluders)")
    ap.add_argument("--bias", default="gauss-legendre", help="bias law (arcsine: before 0005)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--out", default="bench/out/codes.json")
    args = ap.parse_args()

    cells: list[Cell] = []
    for n in map(int, args.ns.split(",")):
        for c in map(int, args.cs.split(",")):
            attacks = ATTACKS if c > 1 else ["single"]
            for attack in attacks:
                for er in (0.0, 0.25, 0.5):
                    cells.append(
                        Cell(
                            n,
                            c,
                            attack if c > 1 else "interleave",
                            er,
                            "ldw",
                            ldw_length(n, c),
                            bias=args.bias,
                        )
                    )
            if c > 1:
                for noise in ("soft", "hard"):
                    floor = floor_length(n, c)
                    cells.append(Cell(n, c, "interleave", 0.0, "floor", floor, noise, 0, args.bias))
            if c in (2, 4) and n == 1000:
                # Two colluders more than the code was planned for (outside its promise).
                ldw = ldw_length(n, c)
                cells.append(Cell(n, c, "interleave", 0.0, "over", ldw, "soft", c + 2, args.bias))
    if args.only:
        cells = [cell for cell in cells if cell.length_rule == args.only]
    # Cheap cells first: their leftover time goes to the expensive ones.
    cells.sort(key=lambda cell: (cell.length, cell.n))
    end = time.time() + args.budget
    print(
        f"{len(cells)} cells, up to {args.trials} trials each, budget {args.budget:.0f}s",
        flush=True,
    )
    out: list[Cell] = []
    with ProcessPoolExecutor(args.workers) as pool:
        futs = [
            pool.submit(
                run_cell,
                cell,
                args.trials,
                args.innocents,
                1000 + i,
                end,
                max(1.0, (len(cells) - i) / args.workers),
            )
            for i, cell in enumerate(cells)
        ]
        for i, f in enumerate(futs):
            cell = f.result()
            out.append(cell)
            print(
                f"[{i + 1}/{len(cells)}] n={cell.n} c={cell.c} {cell.attack:10s} "
                f"er={cell.erasure:.2f} "
                f"{cell.length_rule}:{cell.length} {cell.noise} "
                f"coalition={cell.coalition or cell.c} "
                f"trials={cell.trials} "
                f"catch={cell.caught / max(cell.trials, 1):.4f} innocents={cell.innocents_accused}",
                flush=True,
            )
    sp = speed()
    print(json.dumps(sp, indent=2))
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump(
            {
                "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
                "date": time.strftime("%Y-%m-%d"),
                "epsilon": EPS,
                "soft_noise_sigma": SOFT_NOISE,
                "bias": args.bias,
                "cells": [asdict(c) for c in out],
                "speed": sp,
            },
            fh,
            indent=1,
        )


if __name__ == "__main__":
    main()
