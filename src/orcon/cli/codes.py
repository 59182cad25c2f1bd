"""``orcon codes``: size a fingerprint code, or watch one catch a simulated coalition."""

from __future__ import annotations

import argparse
import json
import os
from typing import TYPE_CHECKING

from orcon.cli.args import number, positive
from orcon.cli.lazy import Later
from orcon.errors import UsageError

if TYPE_CHECKING:
    import numpy as np

    from orcon import codes as fp
else:  # imported when a command runs: see orcon.cli.lazy
    np = Later("numpy")
    fp = Later("orcon.codes")

ATTACKS = ("interleave", "majority", "minority", "coin", "all0", "all1")
# The values of orcon.codes.BiasLaw for binary codes (a test holds them equal), named
# here so that building the parser does not import the code maths.
BINARY_BIAS_LAWS = ("gauss-legendre", "arcsine")


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    codes = sub.add_parser("codes", help="fingerprint codes: size them, try them")
    csub = codes.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = csub.add_parser("plan", help="code length for a population and coalition size")
    p.add_argument("--n", type=positive, required=True, help="number of recipients")
    p.add_argument("--c", type=positive, default=4, help="largest coalition to resist (default 4)")
    p.add_argument("--eps", type=number, default=1e-6, help="false-accusation bound (default 1e-6)")
    p.add_argument("--q", type=positive, default=2, help="alphabet size (default 2)")
    p.add_argument("--erasure", type=number, default=0.0, help="expected fraction lost (default 0)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=_cmd_plan, needs_instance=False)
    d = csub.add_parser("demo", help="simulate a leak by a coalition and show the verdict")
    d.add_argument("--n", type=positive, default=1000, help="number of recipients (default 1000)")
    d.add_argument("--c", type=positive, default=3, help="colluders (default 3)")
    d.add_argument("--attack", choices=ATTACKS, default="interleave")
    d.add_argument("--erasure", type=number, default=0.25, help="fraction of symbols lost")
    d.add_argument(
        "--length",
        type=positive,
        default=None,
        help="code length (default: the planned length; try 2c²ln(n/ε) for the capacity floor)",
    )
    d.add_argument(
        "--bias",
        choices=BINARY_BIAS_LAWS,
        default=BINARY_BIAS_LAWS[0],
        help="bias law (default gauss-legendre; arcsine: items shared before schema 0005)",
    )
    d.add_argument("--seed", type=int, default=None, help="seed for a reproducible run")
    d.add_argument("--json", action="store_true", help="print JSON")
    d.set_defaults(run=_cmd_demo, needs_instance=False)


def _leak(words: np.ndarray, attack: str, rng: np.random.Generator) -> np.ndarray:
    c, m = words.shape
    ones = words.sum(axis=0)
    fixed = (ones == 0) | (ones == c)
    choices = {
        "interleave": words[rng.integers(0, c, m), np.arange(m)],
        "majority": 2 * ones > c,
        "minority": np.where(fixed, words[0], 2 * ones < c),
        "coin": np.where(fixed, words[0], rng.random(m) < 0.5),
        "all0": np.where(fixed, words[0], 0),
        "all1": np.where(fixed, words[0], 1),
    }
    return np.asarray(choices[attack], dtype=np.int64)


def _cmd_plan(args: argparse.Namespace) -> int:
    length = fp.plan(args.n, args.c, args.eps, args.q, args.erasure)
    if args.json:
        print(
            json.dumps(
                {
                    "n": args.n,
                    "c": args.c,
                    "eps": args.eps,
                    "q": args.q,
                    "erasure_rate": args.erasure,
                    "length": length,
                }
            )
        )
    else:
        print(
            f"{length} symbols of {args.q} values: {args.n} recipients, coalitions up to "
            f"{args.c}, ε = {args.eps:g}, {args.erasure:.0%} of symbols lost"
        )
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    if args.c > args.n:
        raise UsageError(f"--c ({args.c}) cannot exceed --n ({args.n})")
    if not 0 <= args.erasure < 1:
        raise UsageError(f"--erasure must lie in [0, 1), got {args.erasure}")
    rng = np.random.default_rng(args.seed)
    m = args.length or fp.plan(args.n, args.c, erasure_rate=args.erasure)
    code = fp.Code.derive(
        fp.CodeSpec(m, 2, args.c, bias=fp.BiasLaw(args.bias)),
        rng.bytes(32) if args.seed is not None else os.urandom(32),
    )
    colluders = np.sort(rng.choice(args.n, size=args.c, replace=False))
    y = _leak(code.codewords(0, args.n)[colluders], args.attack, rng)
    y = np.where(rng.random(m) < args.erasure, -1, y)
    verdict = fp.accuse(code, fp.Observation.hard(y, 2), args.n)
    accused = [s.index for s in verdict.accused]
    if args.json:
        print(
            json.dumps(
                {
                    "length": m,
                    "bias": args.bias,
                    "colluders": colluders.tolist(),
                    "accused": [
                        {
                            "recipient": s.index,
                            "score": s.score,
                            "p_value": s.p_value,
                            "decoder": str(s.decoder),
                        }
                        for s in verdict.accused
                    ],
                    "ranked_for_side_information": list(verdict.ranked),
                    "false_accusation_bound": verdict.epsilon,
                    "symbols": {"read": verdict.read, "erased": verdict.erased},
                }
            )
        )
        return 0
    print(
        f"Code: {m} binary symbols for {args.n} recipients (coalitions up to {args.c}; "
        f"biases: {args.bias})."
    )
    print(
        f"Colluders (secret to the decoder): {', '.join(map(str, colluders))}; "
        f"attack: {args.attack}; {verdict.erased} of {m} symbols erased."
    )
    if not accused:
        print("Verdict: inconclusive - nobody accused.")
    for s in verdict.accused:
        tag = "colluder" if s.index in colluders else "INNOCENT"
        print(f"Accused recipient {s.index} ({tag}): p = {s.p_value:.2e} by the {s.decoder} score")
    if any(s.decoder is fp.Decoder.SIDE_INFORMED for s in verdict.accused):
        print(
            "The side-informed score took the best-ranked other recipients among "
            f"{', '.join(map(str, verdict.ranked))} as each one's partners; "
            "being ranked accuses nobody."
        )
    print(
        f"Nobody is accused unless p <= ε/n = {verdict.per_person_bound:.1e} "
        f"(ε = {verdict.epsilon:g} for all {verdict.population} recipients together)."
    )
    return 0
