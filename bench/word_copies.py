"""How long a Word copy takes: the text fingerprint's copy, written back into the .docx.

Each test report is laid out as a Word document (headings, paragraphs with a few
bold words); its text is read and parsed once (what sharing does), then copies
for random codewords are rendered and written into the document (what issuing a
copy does: orcon.marks.text.render, then orcon.marks.text.word.copy, which opens
and saves the document with python-docx). A Markdown copy is the render alone.

Usage:  python bench/word_copies.py [--copies 50]
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from pathlib import Path

import docx
import numpy as np

from orcon.marks import text as text_marks
from orcon.marks.text import word

REPORTS = sorted((Path(__file__).parents[1] / "tests" / "data" / "reports").glob("*.md"))


def as_word(markdown: str) -> bytes:
    document = docx.Document()
    for block in markdown.split("\n\n"):
        block = block.strip()
        if block.startswith("#"):
            document.add_heading(block.lstrip("#").strip(), level=1)
        elif block:
            words = " ".join(block.split()).split(" ")
            para = document.add_paragraph(" ".join(words[:3]) + " ")
            para.add_run(" ".join(words[3:8]) + " ").bold = True
            para.add_run(" ".join(words[8:]))
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=50)
    args = ap.parse_args()
    rng = np.random.default_rng(1)
    print("| report | words | read and parse (once) | Word copy (median) | per 1,000 words |")
    print("|---|---|---|---|---|")
    for path in REPORTS:
        data = as_word(path.read_text())
        t = time.perf_counter()
        doc = text_marks.parse(word.source(data))
        parse = time.perf_counter() - t
        times = []
        for _ in range(args.copies):
            codeword = rng.integers(0, 2, doc.symbols)
            t = time.perf_counter()
            word.copy(data, text_marks.render(doc, codeword), "TLP:AMBER")
            times.append(time.perf_counter() - t)
        each = statistics.median(times)
        print(f"| {path.stem} | {doc.words} | {1000 * parse:.0f} ms | {1000 * each:.1f} ms | "
              f"{1e6 * each / doc.words:.1f} ms |")  # fmt: skip


if __name__ == "__main__":
    main()
