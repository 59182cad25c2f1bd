"""Photo copies that leak as AVIF, HEIC or GIF: found, and whose copy was it?

orcon reads these formats (ADR 0006) but its image battery (bench/image_marks.py)
recompresses as JPEG only. A news site's image service sends AVIF, often at low
quality; an iPhone saves HEIC; a forum may turn a picture into a 256-colour GIF.
For each of the eight battery photos (1600 px, shared as JPEG 92 with 100
people), three people's copies each leak in every format below, straight or
after the newspaper attack (crop, shrink to 1000 px, caption, JPEG 80) and then
saved in that format; each leak is traced through the service (lookup among the
eight photos, then the code among 100 at epsilon = 1e-6).

Usage:  python bench/leak_formats.py [--photos 8] [--leakers 3]
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import pillow_heif
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))
from _backend import partner_instance
from image_marks import PHOTOS, load
from orcon.marks.image import attacks
from orcon.service import sharing, tracing

PEOPLE = 100
FORMATS: dict[str, tuple[str, dict[str, object]]] = {
    "AVIF q80": ("AVIF", {"quality": 80}),
    "AVIF q50": ("AVIF", {"quality": 50}),
    "AVIF q30": ("AVIF", {"quality": 30}),
    "HEIC q70": ("HEIF", {"quality": 70}),
    "HEIC q40": ("HEIF", {"quality": 40}),
    "GIF 256 colours": ("GIF", {}),
}


@dataclass
class Row:
    found: int = 0
    named: int = 0
    innocent: int = 0
    seconds: list[float] = field(default_factory=list)
    kib: list[float] = field(default_factory=list)


def saved(pixels: np.ndarray, fmt: str, options: dict[str, object]) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels[:, :, ::-1])).save(buf, fmt, **options)
    return buf.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--photos", type=int, default=len(PHOTOS))
    ap.add_argument("--leakers", type=int, default=3)
    args = ap.parse_args()
    pillow_heif.register_heif_opener()
    inst, _ = partner_instance(PEOPLE)
    people = [f"p{i}@partner.example" for i in range(PEOPLE)]
    items = {}
    for name in list(PHOTOS)[: args.photos]:
        jpeg = cv2.imencode(".jpg", load(name), [cv2.IMWRITE_JPEG_QUALITY, 92])[1].tobytes()
        items[name] = sharing.share(inst, jpeg, title=name, tlp="amber", to=["Partner"],
                                    max_recipients=PEOPLE).id  # fmt: skip
    rng = np.random.default_rng(7)
    rows: dict[str, Row] = {}
    for name, item in items.items():
        for leaker in rng.choice(people, args.leakers, replace=False):
            copy = sharing.issue_copy(inst, item, str(leaker)).data
            pixels = cv2.imdecode(np.frombuffer(copy, np.uint8), cv2.IMREAD_COLOR)
            paper = attacks.newspaper(pixels, rng)
            for label, (fmt, options) in FORMATS.items():
                for how, source in (("copy", pixels), ("newspaper, then", paper)):
                    leak = saved(source, fmt, options)
                    t = time.perf_counter()
                    result = tracing.trace(inst, leak)
                    named = [a.person for a in result.accused]
                    row = rows.setdefault(f"{how} {label}", Row())
                    row.seconds.append(time.perf_counter() - t)
                    row.kib.append(len(leak) / 1024)
                    row.found += result.item == item
                    row.named += named == [leaker]
                    row.innocent += any(p != leaker for p in named)
        print(f"{name}: done", flush=True)
    print("\n| leak | size (median) | item found | holder named | innocent named | trace |")
    print("|---|---|---|---|---|---|")
    for label, row in rows.items():
        n = len(row.seconds)
        print(
            f"| {label} | {np.median(row.kib):.0f} KiB | {row.found}/{n} | {row.named}/{n} "
            f"| {row.innocent} | {np.median(row.seconds):.2f} s |"
        )
    inst.close()


if __name__ == "__main__":
    main()
