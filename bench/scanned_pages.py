"""A long scanned dossier read with ``orcon trace --pages N``: how long, and is the holder named?

A scanned PDF has no text layer, so its words are read by OCR, a few seconds a
page; a trace reads the first eight pages unless asked for more (ADR 0006). This
shares a report with 100 people, prints one person's copy as pages of text
(35 lines a page, as a scanner gives them at 100 dpi), puts those pages at the
end of a dossier of PAGES pages (the pages before them are the other fictional
reports, never shared on this instance, and public-domain prose, printed the same
way and repeated as needed, so every page holds text to read), and traces it through
the CLI in a new process, as it is and with ``--pages PAGES``: the time is the whole command's.

Usage:  python bench/scanned_pages.py [--pages 10 20 30]
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).parent))
from _backend import partner_instance
from orcon.service import sharing

DATA = Path(__file__).parents[1] / "tests" / "data"
REPORT = DATA / "reports" / "harbour-road.md"
PEOPLE = 100


def pages_of(copy: str) -> list[Image.Image]:
    """The copy's paragraphs drawn as pages of about 35 lines (markings and headings out)."""
    font = ImageFont.load_default(size=20)
    lines: list[str] = []
    for para in copy.replace("\u200b", "").replace("\u2060", "").split("\n\n"):
        if para.startswith(("#", ">", "**")):
            continue
        lines += [*textwrap.wrap(" ".join(para.split()), 78), ""]
    out = []
    for at in range(0, len(lines), 35):
        img = Image.new("RGB", (900, 1200), "white")
        draw = ImageDraw.Draw(img)
        for i, line in enumerate(lines[at : at + 35]):
            draw.text((40, 40 + 30 * i), line, fill=(20, 20, 20), font=font)
        out.append(img)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pages", type=int, nargs="+", default=[10, 20, 30])
    args = ap.parse_args()
    inst, home = partner_instance(PEOPLE)
    item = sharing.share(
        inst, REPORT.read_bytes(), title="Kestrel", tlp="amber", to=["Partner"], filename="k.md"
    )
    for i in range(PEOPLE):
        sharing.issue_copy(inst, item.id, f"p{i}@partner.example")
    leaker = "p7@partner.example"
    mine = pages_of(sharing.issue_copy(inst, item.id, leaker).data.decode())
    inst.close()
    with tempfile.TemporaryDirectory() as tmp:
        others = [
            f for f in sorted(DATA.glob("*/*.md")) if f != REPORT and f.parent.name != "authored"
        ]
        filler = [p for f in others for p in pages_of(f.read_text())]
        print(f"{'pages':>5}  {'trace':<11}  {'seconds':>8}  {'verdict':<12}  accused")
        for n in args.pages:
            before = [filler[k % len(filler)] for k in range(max(n - len(mine), 0))]
            dossier = [*before, *mine]
            buf = io.BytesIO()
            dossier[0].save(buf, "PDF", save_all=True, append_images=dossier[1:], resolution=100)
            leak = Path(tmp) / f"dossier-{n}.pdf"
            leak.write_bytes(buf.getvalue())
            for asked in ([], ["--pages", str(n)]):
                start = time.perf_counter()
                run = subprocess.run(
                    [sys.executable, "-m", "orcon", "--home", str(home), "trace", str(leak),
                     "--json", *asked],
                    capture_output=True, text=True, check=True,
                )  # fmt: skip
                seconds = time.perf_counter() - start
                verdict = json.loads(run.stdout)
                accused = [a["person"] for a in verdict["accused"]]
                how = " ".join(asked) or "(default)"
                print(
                    f"{n:>5}  {how:<11}  {seconds:>8.1f}  {verdict['verdict']:<12}  {accused} "
                    f"(leaker {leaker})"
                )


if __name__ == "__main__":
    main()
