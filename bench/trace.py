"""End-to-end tracing through the real CLI (trace issue).

An instance with 1,000 recipients of a 1600×1068 photo and of a report; each
leak of the image battery, two collusions per photo (two copies averaged, three
as a mosaic) and the text leaks (single leakers and pairs mixing their copies
sentence by sentence; the text also as a saved news page, a screenshot, a scanned
PDF, a Word document and a PDF printed by Chromium) is written to a file and traced
with ``orcon trace FILE --json`` in a fresh process, as an analyst would.
Reports the verdict, whether the right person was named, innocents accused,
and wall time per trace (process start and instance open included).

Usage:  python bench/trace.py [--photos astronaut,coffee,rocket] [--excerpts 10] [--mixes 10]
        [--out bench/out/trace.json]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import docx
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))
from _backend import partner_instance
from image_marks import load
from ocr_screenshots import draw_text
from orcon.marks.image import attacks
from orcon.service import sharing

SENTENCE = re.compile(r"(?<=\.) (?=[A-Z])")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def print_pdf(paras: list[str]) -> bytes:
    """The copy's paragraphs printed to PDF by headless Chromium (a text layer)."""
    import html

    from playwright.sync_api import sync_playwright

    body = "".join(f"<p>{html.escape(p)}</p>" for p in paras)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        page.set_content(f"<html><body style='font-family:serif'>{body}</body></html>")
        pdf = page.pdf(format="A4")
        browser.close()
    return bytes(pdf)


REPORT = Path(__file__).parents[1] / "tests" / "data" / "reports" / "canal-street.md"
N = 1000


def trace(home: Path, data: bytes, suffix: str) -> tuple[dict[str, object], float]:
    with tempfile.NamedTemporaryFile(suffix=suffix, delete=False) as f:
        f.write(data)
    t = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "orcon", "--home", str(home), "trace", f.name, "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    dt = time.perf_counter() - t
    os.unlink(f.name)
    if out.returncode != 0:
        return {"verdict": "error", "error": out.stderr.strip()[-200:], "accused": []}, dt
    return json.loads(out.stdout), dt


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--photos", default="astronaut,coffee,rocket")
    ap.add_argument("--excerpts", type=int, default=10, help="retyped 250-word excerpts to trace")
    ap.add_argument("--mixes", type=int, default=10, help="pairs mixing their retyped copies")
    ap.add_argument("--out", default="bench/out/trace.json")
    args = ap.parse_args()
    rng = random.Random(11)
    inst, home = partner_instance(N)
    rows: list[dict[str, object]] = []
    for name in [x for x in args.photos.split(",") if x]:  # --photos "": text leaks only
        img = load(name)
        item = sharing.share(
            inst,
            cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 92])[1].tobytes(),
            title=name,
            tlp="amber",
            to=["Partner"],
        )
        copies: dict[str, bytes] = {}
        t = time.perf_counter()
        for i in range(N):
            copies[f"p{i}@partner.example"] = sharing.issue_copy(
                inst, item.id, f"p{i}@partner.example"
            ).data
        issue_s = time.perf_counter() - t

        def pixels(e: str, copies: dict[str, bytes] = copies) -> np.ndarray:
            return cv2.imdecode(np.frombuffer(copies[e], np.uint8), cv2.IMREAD_COLOR)

        leaks: list[tuple[str, np.ndarray, int, set[str]]] = []
        for attack, fn in attacks.SINGLE.items():
            leaker = f"p{rng.randrange(N)}@partner.example"
            leak = fn(pixels(leaker), np.random.default_rng(rng.randrange(2**31)))
            leaks.append((attack, leak, 95, {leaker}))
        # Collusion: copies of two (averaged) or three (mosaic of tiles) recipients mixed.
        for attack, k in (("average2+jpeg80", 2), ("mosaic3+jpeg80", 3)):
            pool = [f"p{i}@partner.example" for i in rng.sample(range(N), k)]
            mix = attacks.average if attack.startswith("average") else attacks.mosaic
            leaks.append((attack, mix([pixels(e) for e in pool]), 80, set(pool)))
        for attack, leak, quality, guilty in leaks:
            jpeg = cv2.imencode(".jpg", leak, [cv2.IMWRITE_JPEG_QUALITY, quality])[1].tobytes()
            res, dt = trace(home, jpeg, ".jpg")
            accused = [a["person"] for a in res.get("accused", [])]  # type: ignore[union-attr]
            rows.append(
                {
                    "media": "photo",
                    "photo": name,
                    "attack": attack,
                    "verdict": res["verdict"],
                    "named": bool(accused) and set(accused) <= guilty,
                    "innocents": len(set(accused) - guilty),
                    "item_right": res.get("item") == item.id,
                    "seconds": dt,
                }
            )
            print(name, attack, res["verdict"], accused, f"{dt:.2f}s", flush=True)
        rows.append(
            {"media": "photo", "photo": name, "attack": "(issue 1,000 copies)", "seconds": issue_s}
        )
    report = sharing.share(
        inst,
        REPORT.read_bytes(),
        title="report",
        tlp="amber",
        to=["Partner"],
        filename="r.md",
        max_recipients=N,
    )
    texts = {
        f"p{i}@partner.example": sharing.issue_copy(
            inst, report.id, f"p{i}@partner.example"
        ).data.decode()
        for i in range(N)
    }

    def retyped(text: str) -> str:
        """ASCII only (the invisible marks are gone), lower case, re-wrapped."""
        return " ".join(text.encode("ascii", "ignore").decode().lower().split())

    labels = ["whole copy retyped"] + ["250-word excerpt retyped"] * args.excerpts
    labels += ["6-sentence quote retyped", "3-sentence quote pasted verbatim", "unrelated article"]
    labels += ["2 copies mixed sentence by sentence, retyped"] * args.mixes
    # The same text leaked as something other than text (docs/trace.md, "What a leak may be").
    labels += [
        "250-word excerpt in a saved news page (.html)",
        "screenshot of about 250 words (.png, 14 px)",
        "copy scanned to PDF (.pdf, no text layer)",
        "copy pasted into Word (.docx)",
    ]
    if CHROMIUM:
        labels += ["copy printed to PDF by Chromium (.pdf)"]
    for label in labels:
        leaker = f"p{rng.randrange(N)}@partner.example"
        guilty = {leaker}
        body = retyped(texts[leaker])
        if label.startswith("2 copies"):
            others = [e for e in texts if e != leaker]
            other = others[rng.randrange(len(others))]
            guilty.add(other)
            # Split where a sentence ends (not at "2.20 p.m. on"), as bench/text_marks.py does.
            pairs = zip(SENTENCE.split(texts[leaker]), SENTENCE.split(texts[other]), strict=True)
            body = retyped(" ".join(a if i % 2 else b for i, (a, b) in enumerate(pairs)))
        elif label.startswith("250-word"):
            words = body.split(" ")
            s = rng.randrange(0, len(words) - 250)
            body = " ".join(words[s : s + 250])
        elif label.startswith("6-sentence"):
            # Six whole sentences of the copy, cut where sentences end (not at "p.m. on"),
            # then retyped.
            prose = " ".join(
                p for p in texts[leaker].split("\n\n") if not p.startswith(("#", ">", "**"))
            )
            sentences = [x for x in SENTENCE.split(prose) if len(x.split()) > 3]
            s = rng.randrange(0, len(sentences) - 6)
            quote = retyped(" ".join(sentences[s : s + 6]))
            body = f"city news. the council met on tuesday. {quote} the mayor did not comment."
        elif label.startswith("3-sentence"):
            paragraph = next(p for p in texts[leaker].split("\n\n") if p.startswith("Detectives"))
            quote = " ".join(SENTENCE.split(paragraph)[:3])
            body = f"City news. The council met on Tuesday. {quote} The mayor did not comment."
        elif label == "unrelated article":
            body = "The council met on Tuesday to discuss parking charges and the library. " * 30
            leaker = "nobody"
        data, suffix = body.encode(), ".txt"
        copy = texts.get(leaker, "")
        paras = [p for p in copy.split("\n\n") if not p.startswith(("#", ">", "**"))]
        if label.endswith("(.html)"):  # the 250-word excerpt cut above, in a page
            page = (
                "<!DOCTYPE html><html><body><nav>Home News Sport</nav><article>"
                f"<h1>Market disorder</h1><p>{body}</p></article>"
                "<footer>Cookie settings</footer></body></html>"
            )
            data, suffix = page.encode(), ".html"
        elif label.startswith(("screenshot", "copy scanned")):
            start = rng.randrange(0, len(paras) - 3)
            size = 14 if label.startswith("screenshot") else 18
            picture = draw_text(paras[start:], size, words=250)
            if label.startswith("screenshot"):
                data, suffix = cv2.imencode(".png", picture)[1].tobytes(), ".png"
            else:
                buf = io.BytesIO()
                Image.fromarray(picture[:, :, ::-1]).save(buf, "PDF", resolution=100)
                data, suffix = buf.getvalue(), ".pdf"
        elif label.endswith("(.docx)"):
            document = docx.Document()
            for para in paras:
                document.add_paragraph(" ".join(para.split()))
            buf = io.BytesIO()
            document.save(buf)
            data, suffix = buf.getvalue(), ".docx"
        elif label.endswith("Chromium (.pdf)"):
            data, suffix = print_pdf(paras), ".pdf"
        res, dt = trace(home, data, suffix)
        accused = [a["person"] for a in res.get("accused", [])]  # type: ignore[union-attr]
        rows.append(
            {
                "media": "text",
                "attack": label,
                "verdict": res["verdict"],
                "item_right": res.get("item") == (None if leaker == "nobody" else report.id),
                "named": bool(accused) and set(accused) <= guilty,
                "innocents": len(set(accused) - guilty),
                "seconds": dt,
            }
        )
        print("text", label, res["verdict"], accused, f"{dt:.2f}s", flush=True)
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "date": time.strftime("%Y-%m-%d"),
        "recipients": N,
        "rows": rows,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
