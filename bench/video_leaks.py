"""Photo copies shown in a video (a television report, a clip posted online): found, and
whose copy was it?

The eight battery photos (1600 px, shared as JPEG 92 with 100 people); for each, two
people's copies are each shown in a clip as a news channel would: a title card, then
the photo full height for two seconds under a caption bar, zooming slowly (to 110 %),
encoded as MP4 (OpenCV's mp4v, 10 frames a second) at 720p and at 480p. Each clip is
traced through the service (24 frames looked at, the best-matching one read).

Usage:  python bench/video_leaks.py [--photos 8] [--leakers 2]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _backend import partner_instance
from image_marks import PHOTOS, load
from orcon.service import sharing, tracing

PEOPLE = 100
SIZES = {"720p": (1280, 720), "480p": (854, 480)}


def clip(photo: np.ndarray, size: tuple[int, int]) -> bytes:
    width, height = size
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "clip.mp4"
        out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, size)
        for k in range(30):
            frame = np.full((height, width, 3), 30, np.uint8)
            if k >= 10:
                zoom = 1.0 + 0.005 * (k - 10)
                h = int(height * zoom)
                w = min(width, int(photo.shape[1] * h / photo.shape[0]))
                shown = cv2.resize(photo, (w, h), interpolation=cv2.INTER_AREA)
                top = (h - height) // 2
                frame[:, (width - w) // 2 : (width - w) // 2 + w] = shown[top : top + height]
                bar = int(height * 0.83)
                cv2.rectangle(frame, (0, bar), (width, bar + height // 9), (20, 20, 160), -1)
            out.write(frame)
        out.release()
        return path.read_bytes()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--photos", type=int, default=len(PHOTOS))
    ap.add_argument("--leakers", type=int, default=2)
    args = ap.parse_args()
    inst, _ = partner_instance(PEOPLE)
    people = [f"p{i}@partner.example" for i in range(PEOPLE)]
    rng = np.random.default_rng(11)
    rows: dict[str, list[tuple[bool, bool, int, float]]] = {k: [] for k in SIZES}
    for name in list(PHOTOS)[: args.photos]:
        jpeg = cv2.imencode(".jpg", load(name), [cv2.IMWRITE_JPEG_QUALITY, 92])[1].tobytes()
        item = sharing.share(inst, jpeg, title=name, tlp="amber", to=["Partner"],
                             max_recipients=PEOPLE).id  # fmt: skip
        for leaker in rng.choice(people, args.leakers, replace=False):
            copy = sharing.issue_copy(inst, item, str(leaker)).data
            pixels = cv2.imdecode(np.frombuffer(copy, np.uint8), cv2.IMREAD_COLOR)
            for label, size in SIZES.items():
                t = time.perf_counter()
                result = tracing.trace(inst, clip(pixels, size))
                named = [a.person for a in result.accused]
                innocent = sum(p != leaker for p in named)
                rows[label].append((result.item == item, named == [leaker], innocent,
                                    time.perf_counter() - t))  # fmt: skip
                if named != [leaker]:
                    print(f"  {name} {label}: {result.verdict}, {result.read} symbols read, "
                          f"{result.erased} lost", flush=True)  # fmt: skip
        print(f"{name}: done", flush=True)
    print("\n| clip | item found | holder named | innocents named | trace (median) |")
    print("|---|---|---|---|---|")
    for label, got in rows.items():
        n = len(got)
        print(f"| {label} | {sum(g[0] for g in got)}/{n} | {sum(g[1] for g in got)}/{n} | "
              f"{sum(g[2] for g in got)} | {np.median([g[3] for g in got]):.2f} s |")  # fmt: skip
    inst.close()


if __name__ == "__main__":
    main()
