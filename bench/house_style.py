"""How many alike reads should make the reader take a kind of site for a house style.

On the same 150 retyped 250-word excerpts (among 100 recipients) of four reports,
counts the leakers named: unstyled and read without the detection, unstyled and
read with it, and copy-edited to a US house style (bench/text_marks.py's
``house_style``) and read with it, for STYLE_MIN_READS = 3, 4 and 5. Unstyled
reads lose where a copy's own wordings happen to look styled; styled reads gain.

Usage:  python bench/house_style.py [--trials 150]
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import orcon.marks.text.reader as reader
from orcon.codes import Code, CodeSpec, accuse
from orcon.marks.text import parse, read_text, render
from text_marks import DATA, house_style, retype

REPORTS = ["port-seizure", "water-sector-phishing", "riverside-fraud", "canal-street"]


def run(min_reads: int, trials: int) -> dict[str, list[int]]:
    reader.STYLE_MIN_READS = min_reads
    rng = random.Random(7)
    out = {}
    for name in REPORTS:
        doc = parse((DATA / "reports" / f"{name}.md").read_text())
        code = Code.derive(CodeSpec(doc.symbols, 2, 1), rng.randbytes(32))
        named = [0, 0, 0]
        for t in range(trials):
            j = rng.randrange(100)
            word = code.codeword(j)
            cells = ((word, False), (word, True), (house_style(doc, word), True))
            for k, (w, detect) in enumerate(cells):
                words = retype(render(doc, w)).split(" ")
                s = random.Random(t).randrange(0, len(words) - 250)
                leak = " ".join(words[s : s + 250])
                obs = read_text(leak, doc, house_styles=detect).observation
                accused = {x.index for x in accuse(code, obs, 100).accused}
                if accused - {j}:
                    raise SystemExit(f"innocent accused: {name}")
                named[k] += accused == {j}
        out[name] = named
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=150)
    args = ap.parse_args()
    print("min reads | report: unstyled without / unstyled with / styled with detection")
    for m in (3, 4, 5):
        print(m, run(m, args.trials), flush=True)


if __name__ == "__main__":
    main()
