"""Screenshots of a text report's copy, read by OCR and traced.

A copy's paragraphs (about 250 words from a random paragraph on) are drawn as a
screen shows them, by headless Chromium in several fonts and sizes (and once by
Pillow's own font), saved as JPEG 80 (and, in 14 px sans-serif, photographed off
the screen with a phone, recompressed at JPEG 20 or blurred: the image battery's
screen-photo, jpeg20 and blur1.5; and once as a newspaper page in two columns), and:

1. read by OCR with the lines brought to each of several heights first
   (orcon.match.ocr.OCR_LINE_PX was chosen from this table): the share of the
   original's words read back in order;
2. traced through orcon.service.tracing among 100 recipients at the chosen
   height: the leaker named?, innocents accused, seconds per trace.

Needs Chromium (apt-get install chromium).
Usage:  python bench/ocr_screenshots.py [--trials 5] [--out bench/out/ocr_screenshots.json]
"""

from __future__ import annotations

import argparse
import difflib
import html
import json
import os
import platform
import random
import shutil
import textwrap
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont
from playwright.sync_api import sync_playwright

import orcon.match.ocr as ocr
from _backend import partner_instance
from orcon.marks.image import attacks
from orcon.service import sharing, tracing

REPORT = Path(__file__).parents[1] / "tests" / "data" / "reports" / "harbour-road.md"
N = 100
STYLES = [  # (font family, px, device pixels per CSS pixel)
    ("serif", 14, 1),
    ("sans-serif", 14, 1),
    ("Arial", 12, 1),
    ("sans-serif", 11, 1),
    ("serif", 18, 1),
    ("sans-serif", 16, 2),
    ("monospace", 13, 1),
]
COLUMNS = ("serif in two columns", 15, 1)
TARGETS = (32, 40, 48, 56, 64)
# The 14 px sans-serif screenshot after the image battery's attacks a picture of a
# page meets: photographed off the screen with a phone, recompressed hard, blurred.
ATTACKED = ("screen-photo", "jpeg20", "blur1.5")


def paragraphs(copy: str, start: int, words: int = 250) -> list[str]:
    shown = copy.replace("\u200b", "").replace("\u2060", "")  # a screen draws them as nothing
    prose = [" ".join(p.split()) for p in shown.split("\n\n") if not p.startswith(("#", ">", "**"))]
    out: list[str] = []
    for p in prose[start:]:
        out.append(p)
        if sum(len(x.split()) for x in out) >= words:
            break
    return out


def chromium_shot(browser, paras: list[str], family: str, px: int, scale: int) -> bytes:  # type: ignore[no-untyped-def]
    """``family`` "... in two columns": a newspaper's page, 900 px wide in two columns."""
    columns = family.endswith(" in two columns")
    family = family.removesuffix(" in two columns")
    width = 900 if columns else 600
    page = browser.new_page(
        viewport={"width": width + 40, "height": 600}, device_scale_factor=scale
    )
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paras)
    layout = "column-count:2;column-gap:40px;" if columns else ""
    page.set_content(
        f"<html><body style='font-family:{family};font-size:{px}px;width:{width}px;"
        f"margin:12px;{layout}'>{body}</body></html>"
    )
    shot = page.screenshot(full_page=True, type="jpeg", quality=80)
    page.close()
    return bytes(shot)


def draw_text(paras: list[str], size: int = 20, words: int = 10**9) -> np.ndarray:
    """About ``words`` words of paragraphs as a screen shows them (the invisible marks
    take no space), in Pillow's own font (BGR)."""
    shown: list[str] = []
    for para in paras:
        shown.append(" ".join(para.replace("\u200b", "").replace("\u2060", "").split()))
        if sum(len(x.split()) for x in shown) >= words:
            break
    font = ImageFont.load_default(size=size)
    step = round(1.5 * size)
    lines = [ln for p in shown for ln in [*textwrap.wrap(p, 78 * 20 // size), ""]]
    img = Image.new("RGB", (900, step * len(lines) + 40), "white")
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        draw.text((20, 20 + step * i), line, fill=(20, 20, 20), font=font)
    return np.array(img)[:, :, ::-1].copy()


def pillow_shot(paras: list[str]) -> bytes:
    return bytes(cv2.imencode(".jpg", draw_text(paras), [cv2.IMWRITE_JPEG_QUALITY, 80])[1])


def words_read(truth: list[str], text: str) -> float:
    sm = difflib.SequenceMatcher(a=truth, b=text.split(), autojunk=False)
    return sum(m.size for m in sm.get_matching_blocks()) / len(truth)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--out", default="bench/out/ocr_screenshots.json")
    args = ap.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("needs Chromium (apt-get install chromium)")
    rng = random.Random(5)
    inst, _ = partner_instance(N)
    item = sharing.share(
        inst, REPORT.read_bytes(), title="report", tlp="amber", to=["Partner"], filename="r.md"
    )
    people = sharing.entitled(inst, item.id)
    for e in people:  # everyone is issued a copy: all of them are scored
        sharing.issue_copy(inst, item.id, e)
    prose_count = len(paragraphs(REPORT.read_text(), 0, 10**6))
    calibration: dict[str, dict[int, float]] = {}
    traces = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        runs = [(st, "") for st in [*STYLES, ("pillow", 20, 1)]]
        runs += [(("sans-serif", 14, 1), attack) for attack in ATTACKED]
        runs += [(COLUMNS, "")]
        for style, attack in runs:
            name = f"{style[0]} {style[1]}px x{style[2]}" + (f", then {attack}" if attack else "")
            calibration[name] = {}
            for t in range(args.trials):
                leaker = people[rng.randrange(N)]
                copy = sharing.issue_copy(inst, item.id, leaker).data.decode()
                paras = paragraphs(copy, rng.randrange(max(1, prose_count - 3)))
                shot = (
                    pillow_shot(paras)
                    if style[0] == "pillow"
                    else chromium_shot(browser, paras, *style)
                )
                truth = " ".join(paras).split()
                pixels = cv2.imdecode(np.frombuffer(shot, np.uint8), cv2.IMREAD_COLOR)
                if attack:
                    pixels = attacks.SINGLE[attack](pixels, np.random.default_rng(t))
                    shot = bytes(cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, 90])[1])
                if t == 0:  # the height table, on the first screenshot of each style
                    chosen = ocr.OCR_LINE_PX
                    for target in TARGETS:
                        ocr.OCR_LINE_PX = target
                        calibration[name][target] = round(
                            words_read(truth, ocr.picture_text(pixels)), 3
                        )
                    ocr.OCR_LINE_PX = chosen
                start = time.perf_counter()
                res = tracing.trace(inst, shot)
                dt = time.perf_counter() - start
                accused = [a.person for a in res.accused]
                row = {
                    "style": name,
                    "words": len(truth),
                    "verdict": res.verdict,
                    "named": accused == [leaker],
                    "innocents": len(set(accused) - {leaker}),
                    "symbols_read": res.read,
                    "seconds": round(dt, 2),
                }
                traces.append(row)
                print(row, flush=True)
            print(name, calibration[name], flush=True)
        browser.close()
    summary = {
        name: {
            "named": sum(r["named"] for r in traces if r["style"] == name),
            "trials": sum(1 for r in traces if r["style"] == name),
            "innocents": sum(int(r["innocents"]) for r in traces if r["style"] == name),
            "median_seconds": float(
                np.median([float(r["seconds"]) for r in traces if r["style"] == name])
            ),
        }
        for name in calibration
    }
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "date": time.strftime("%Y-%m-%d"),
        "recipients": N,
        "line_px": ocr.OCR_LINE_PX,
        "calibration_words_read": calibration,
        "summary": summary,
        "traces": traces,
    }
    print(json.dumps({"calibration": calibration, "summary": summary}, indent=1))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
