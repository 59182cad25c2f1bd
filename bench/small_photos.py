"""How often is a newspaper-style leak of a small photo named, over many instance keys?

One trial = a fresh instance (fresh keys), the photo shared with the people of one
partner (--recipients, default 2), a copy issued to each, the last one's leaked
with the newspaper attack of the CLI story test (crop to 60 % of the area, halve,
JPEG 60) or one of the image battery's attacks, and traced at service level. A
benchmark table with one trial per photo and attack hides a rate of a few per
cent; this measures it, and how far below the bound the leaker's p-value lies.

Usage:  python bench/small_photos.py --width 1000 --trials 120 [--attack newspaper]
        (--attack front-page: the demo's chain, newspaper then a 12 % caption and JPEG 70;
        --attack thumb200: a JPEG 85 thumbnail 200 px wide;
        any name of orcon.marks.image.attacks.SINGLE)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
from skimage import data

from orcon.marks.image import attacks
from orcon.service import directory, sharing, tracing
from orcon.service.instance import Instance
from orcon.store.home import Home


def photo(width: int) -> bytes:
    img = cv2.cvtColor(data.coffee(), cv2.COLOR_RGB2BGR)  # type: ignore[no-untyped-call]
    h, w = img.shape[:2]
    img = cv2.resize(img, (width, round(h * width / w)), interpolation=cv2.INTER_AREA)
    return bytes(cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 90])[1])


def leak(copy: bytes, attack: str, rng: np.random.Generator) -> bytes:
    img = cv2.imdecode(np.frombuffer(copy, np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError("the issued copy does not decode")
    if attack == "newspaper":
        out = attacks.newspaper(img, rng)
    elif attack == "front-page":  # the demo's chain: newspaper, then a caption, JPEG 70
        out = attacks.caption(attacks.newspaper(img, rng), 0.12, "EXCLUSIVE")
    elif attack.startswith("thumb"):  # a thumbnail this many pixels wide, JPEG 85
        width = int(attack.removeprefix("thumb"))
        h, w = img.shape[:2]
        size = (width, round(h * width / w))
        out = np.asarray(cv2.resize(img, size, interpolation=cv2.INTER_AREA))
    else:
        out = attacks.SINGLE[attack](img, rng)
    quality = 70 if attack == "front-page" else 85 if attack.startswith("thumb") else 95
    return bytes(cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, quality])[1])


def trial(
    image: bytes, attack: str, seed: int, recipients: int = 2
) -> tuple[str, bool, int, float, int]:
    """(verdict, leaker named, innocents accused, leaker's p-value, symbols read)."""
    with tempfile.TemporaryDirectory() as tmp:
        inst, _ = Instance.init(Home(Path(tmp) / "home"), "Bench Constabulary")
        try:
            directory.add_org(inst, "Harbour City PD")
            people = [
                directory.add_person(inst, f"p{i}@harbour.example", "Harbour City PD", f"P {i}")
                for i in range(recipients)
            ]
            item = sharing.share(inst, image, title="Scene", tlp="amber", to=["Harbour City PD"])
            copies = [sharing.issue_copy(inst, item.id, p.email) for p in people]
            rng = np.random.default_rng(seed)
            result = tracing.trace(inst, leak(copies[-1].data, attack, rng))
        finally:
            inst.close()
    leaker = people[-1].email
    named = [a.person for a in result.accused]
    p = next((c.p_value for c in result.candidates if c.person == leaker), 1.0)
    return result.verdict, leaker in named, sum(x != leaker for x in named), p, result.read


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--width", type=int, default=1000)
    ap.add_argument("--trials", type=int, default=120)
    ap.add_argument("--attack", default="newspaper")
    ap.add_argument(
        "--recipients", type=int, default=2, help="people issued a copy; the last leaks"
    )
    ap.add_argument("--out", default="bench/out/small_photos.json")
    args = ap.parse_args()
    image = photo(args.width)
    verdicts: Counter[str] = Counter()
    named = innocents = 0
    missed: list[dict[str, float]] = []
    pvalues: list[float] = []
    t0 = time.perf_counter()
    for t in range(args.trials):
        verdict, ok, wrong, p, read = trial(image, args.attack, t, args.recipients)
        verdicts[verdict] += 1
        named += ok
        innocents += wrong
        pvalues.append(p)
        if not ok:
            missed.append({"trial": t, "p_value": p, "read": read})
        if (t + 1) % 10 == 0:
            print(f"{t + 1}/{args.trials}: named {named}, innocents {innocents}", flush=True)
    out = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "date": time.strftime("%Y-%m-%d"),
        "width": args.width,
        "attack": args.attack,
        "recipients": args.recipients,
        "trials": args.trials,
        "named": named,
        "innocents_accused": innocents,
        "verdicts": dict(verdicts),
        "missed": missed,
        # How far the leaker's p-value lies below what naming needs (1e-6 / recipients).
        "leaker_p_median": float(np.median(pvalues)),
        "leaker_p_worst": max(pvalues),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    print(json.dumps(out, indent=1))
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
