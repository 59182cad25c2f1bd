"""Leaks that hold several shared items: is each part traced to its own source?

A newspaper page prints a partner's copy of an evidence photo beside a quote from
another partner's copy of the report; a briefing pack (Word, or PDF printed by
Chromium) holds one person's copy of the report and another's copy of a photo; a
post puts two photos side by side; a news article with a photo and a retyped
250-word quote is saved by Chromium as one file (.mhtml); a Word file holds a
screenshot of 250 words of one copy and another's photo. Each trial draws fresh people among the
recipients, and counts for every part whether its source was named and whether
anyone innocent was. The newspaper page is tried with the photo printed at
several widths (the 1,600-px copy scaled to 100 %, 60 %, 40 % and 25 %) beside
about 200 words of the report in 20 px type; the page and the collage are saved
as JPEG 85. Traced in one process (``tracing.trace``), so the times leave out the
CLI's start.

Usage:  python bench/composite.py [--trials 5] [--people 100] [--scales 1,0.6,0.4,0.25]
                                  [--only-pages] [--cases LABEL-PART] [--out FILE]
"""

from __future__ import annotations

import argparse
import base64
import html
import io
import json
import os
import platform
import random
import shutil
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).parent))
from _backend import partner_instance
from image_marks import load
from orcon.service import sharing, tracing

REPORT = Path(__file__).parents[1] / "tests" / "data" / "reports" / "harbour-road.md"
PHOTOS = ("coffee", "rocket", "astronaut")
SCALES = (1.0, 0.6, 0.4, 0.25)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def prose(copy: str, words: int, start: int) -> list[str]:
    """About ``words`` words of the copy's paragraphs from paragraph ``start`` on, as a
    reader sees them (no headings, markings or invisible marks)."""
    shown = copy.replace("\u200b", "").replace("\u2060", "")
    paras = [" ".join(p.split()) for p in shown.split("\n\n") if not p.startswith(("#", ">", "**"))]
    out: list[str] = []
    for para in paras[start:] + paras[:start]:
        out.append(para)
        if sum(len(p.split()) for p in out) >= words:
            break
    return out


def jpeg(pixels: np.ndarray, quality: int = 85) -> bytes:
    return bytes(cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, quality])[1])


def newspaper_page(photo: np.ndarray, paras: list[str]) -> bytes:
    h, w = photo.shape[:2]
    page = Image.new("RGB", (w + 920, max(h + 100, 1300)), "white")
    page.paste(Image.fromarray(photo[:, :, ::-1]), (20, 70))
    draw = ImageDraw.Draw(page)
    font = ImageFont.load_default(size=20)
    draw.text((20, 20), "EXCLUSIVE: what the police briefing says", fill=(0, 0, 0), font=font)
    y = 70
    for para in paras:
        for line in textwrap.wrap(para, 72):
            draw.text((w + 50, y), line, fill=(20, 20, 20), font=font)
            y += 30
        y += 14
    return jpeg(np.array(page)[:, :, ::-1].copy())


def collage(a: np.ndarray, b: np.ndarray, width: int = 800) -> bytes:
    def fit(x: np.ndarray) -> np.ndarray:
        return cv2.resize(x, (width, round(x.shape[0] * width / x.shape[1])), cv2.INTER_AREA)

    a, b = fit(a), fit(b)
    canvas = np.full((max(len(a), len(b)), 2 * width + 24, 3), 250, np.uint8)
    canvas[: len(a), :width] = a
    canvas[: len(b), width + 24 :] = b
    return jpeg(canvas)


def word_pack(paras: list[str], photo: bytes, as_picture: bool = False) -> bytes:
    """The report's paragraphs typed in (or pasted as a screenshot) and a photo."""
    import docx

    document = docx.Document()
    if as_picture:
        sys.path.insert(0, str(Path(__file__).parent))
        from ocr_screenshots import draw_text

        document.add_paragraph("The briefing, as it was sent to us:")
        document.add_picture(io.BytesIO(bytes(cv2.imencode(".png", draw_text(paras))[1])))
    else:
        for para in paras:
            document.add_paragraph(para)
    document.add_picture(io.BytesIO(photo))
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def chromium(page_html: str, save_as: str) -> bytes:
    """A page as Chromium saves it: printed to PDF ("pdf"), or as one file ("mhtml")."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        page.set_content(page_html)
        if save_as == "pdf":
            data = page.pdf(format="A4")
        else:
            cdp = page.context.new_cdp_session(page)
            data = str(cdp.send("Page.captureSnapshot", {"format": "mhtml"})["data"]).encode()
        browser.close()
    return data


def pdf_pack(paras: list[str], photo: bytes) -> bytes:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paras)
    picture = base64.b64encode(photo).decode()
    return chromium(
        "<html><body style='font-family:serif'><h1>Briefing</h1>"
        f"<img src='data:image/jpeg;base64,{picture}' style='width:100%'>{body}</body></html>",
        "pdf",
    )


def mhtml_page(paras: list[str], photo: bytes) -> bytes:
    """A news article with the photo, saved by Chromium as one file (.mhtml)."""
    quote = " ".join(" ".join(paras).encode("ascii", "ignore").decode().split())
    picture = base64.b64encode(photo).decode()
    return chromium(
        "<html><body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav><article>"
        "<h1>What the briefing says</h1>"
        f"<figure><img src='data:image/jpeg;base64,{picture}' width='800'></figure>"
        f"<p>{html.escape(quote)}</p></article><footer>Cookies</footer></body></html>",
        "mhtml",
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--people", type=int, default=100)
    ap.add_argument("--scales", default=",".join(map(str, SCALES)), help="photo widths on the page")
    ap.add_argument("--only-pages", action="store_true", help="only the newspaper pages")
    ap.add_argument("--cases", default="", help="only the cases whose label holds this")
    ap.add_argument("--out", default="bench/out/composite.json")
    args = ap.parse_args()
    rng = random.Random(5)
    inst, _home = partner_instance(args.people)
    people = [f"p{i}@partner.example" for i in range(args.people)]
    report = sharing.share(inst, REPORT.read_bytes(), title="report", tlp="amber",
                           to=["Partner"], filename="r.md")  # fmt: skip
    items = {"report": report.id}
    copies: dict[str, dict[str, bytes]] = {}
    t = time.perf_counter()
    copies["report"] = {e: sharing.issue_copy(inst, report.id, e).data for e in people}
    for name in PHOTOS:
        item = sharing.share(inst, jpeg(load(name), 92), title=name, tlp="amber", to=["Partner"])
        items[name] = item.id
        copies[name] = {e: sharing.issue_copy(inst, item.id, e).data for e in people}
    print(f"shared and issued in {time.perf_counter() - t:.0f} s", flush=True)

    def pixels(name: str, who: str) -> np.ndarray:
        return cv2.imdecode(np.frombuffer(copies[name][who], np.uint8), cv2.IMREAD_COLOR)

    def text(who: str, words: int = 200) -> list[str]:
        return prose(copies["report"][who].decode(), words, rng.randrange(8))

    cases: list[tuple[str, Callable[[], tuple[bytes, dict[str, str]]]]] = []
    for scale in [float(x) for x in args.scales.split(",")]:

        def page(scale: float = scale) -> tuple[bytes, dict[str, str]]:
            photo, a, b = rng.choice(PHOTOS), *rng.sample(people, 2)
            shown = pixels(photo, a)
            w = round(shown.shape[1] * scale)
            shown = cv2.resize(shown, (w, round(shown.shape[0] * w / shown.shape[1])),
                               interpolation=cv2.INTER_AREA)  # fmt: skip
            return newspaper_page(shown, text(b)), {photo: a, "report": b}

        cases.append((f"newspaper page, photo at {scale:.0%} beside 200 words", page))

    def two_photos() -> tuple[bytes, dict[str, str]]:
        (p, q), (a, b) = rng.sample(PHOTOS, 2), rng.sample(people, 2)
        return collage(pixels(p, a), pixels(q, b)), {p: a, q: b}

    Leak = Callable[[], tuple[bytes, dict[str, str]]]

    def report_and_photo(build: Callable[[list[str], bytes], bytes], words: int) -> Leak:
        """Leaks that hold one person's words of the report and another's photo copy."""

        def make() -> tuple[bytes, dict[str, str]]:
            photo, a, b = rng.choice(PHOTOS), *rng.sample(people, 2)
            return build(text(a, words), copies[photo][b]), {"report": a, photo: b}

        return make

    def shot_pack(paras: list[str], photo: bytes) -> bytes:
        return word_pack(paras, photo, as_picture=True)

    if not args.only_pages:
        cases += [
            ("two photos side by side (800 px each)", two_photos),
            ("Word pack", report_and_photo(word_pack, 2000)),
            ("Word file: a screenshot of 250 words and a photo", report_and_photo(shot_pack, 250)),
        ]
    if CHROMIUM and not args.only_pages:
        cases.append(("PDF pack (Chromium)", report_and_photo(pdf_pack, 2000)))
        cases.append(
            (
                "news page saved by Chromium as .mhtml, 250 words retyped",
                report_and_photo(mhtml_page, 250),
            )
        )
    cases = [c for c in cases if args.cases in c[0]]
    rows = []
    for label, make in cases:
        for _ in range(args.trials):
            data, truth = make()
            t = time.perf_counter()
            res = tracing.trace(inst, data)
            dt = time.perf_counter() - t
            found = {p.item: [a.person for a in p.accused] for p in (res, *res.others)}
            verdicts = {p.item: p.verdict for p in (res, *res.others)}
            parts = {}
            for name, who in truth.items():
                named = found.get(items[name], [])
                parts[name] = {
                    "named": named == [who],
                    "innocents": len(set(named) - {who}),
                    "verdict": verdicts.get(items[name], "not found"),
                }
            rows.append({"case": label, "parts": parts, "seconds": dt,
                         "extra_items": len(set(found) - {items[n] for n in truth})})  # fmt: skip
            print(label, {k: v["named"] for k, v in parts.items()}, f"{dt:.1f}s", flush=True)
    print("\n| leak | parts named | innocents | median s |\n|---|---|---|---|")
    for label, _ in cases:
        mine = [r for r in rows if r["case"] == label]
        named = sum(p["named"] for r in mine for p in r["parts"].values())
        total = sum(len(r["parts"]) for r in mine)
        bad = sum(p["innocents"] for r in mine for p in r["parts"].values())
        med = float(np.median([r["seconds"] for r in mine]))
        print(f"| {label} | {named}/{total} | {bad} | {med:.1f} |")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"machine": platform.platform(), "cpus": os.cpu_count(), "people": args.people,
            "date": time.strftime("%Y-%m-%d")}  # fmt: skip
    out.write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    inst.close()


if __name__ == "__main__":
    main()
