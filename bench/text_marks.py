"""Benchmark of orcon.marks.text (text-fingerprint issue).

For each fictional report under tests/data/reports, each public-domain text
under tests/data/public-domain and the author-marked report under
tests/data/authored (also quoted at its marked passage): capacity (code symbols per
word), then identification under the issue's attacks, each over many trials
with a random leaker (and random excerpt position): a whole copy retyped
(ASCII-folded, lower-cased, re-wrapped) among 100; a retyped 250-word excerpt
among 100; a six-sentence quote inside an unrelated article among 60, retyped
and pasted verbatim (where the fragile marks survive); two recipients
interleaving their copies sentence by sentence among 1,000; 4 % of words
with typos; and a 250-word excerpt of a copy a copy-editor brought to a US or a
British house style (spelling, dates, times, numbers, per cent, the serial comma;
"that" for "which" in the US) before it was retyped. Also generation and reading
time. Codes are as orcon shares text: c = 1 (uniform symbols), the wording's
symbols followed by the fragile marks'.

Usage:  python bench/text_marks.py [--trials 50] [--out bench/out/text_marks.json]
        [--only "house style"]   (only the attacks whose name holds this)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import time
import unicodedata
from pathlib import Path

import numpy as np

from orcon.codes import Code, CodeSpec, accuse
from orcon.marks.text import parse, read_text, render

DATA = Path(__file__).parents[1] / "tests" / "data"
# Fictional formal reports (what orcon is for), then public-domain prose of another era.
TEXTS = [*sorted((DATA / "reports").glob("*.md")), *sorted((DATA / "public-domain").glob("*.md"))]
# harbour-road with an author's own alternatives ({{alt:...}}) in one six-sentence passage,
# the one from "The seller, a private individual" (sparse without them: 11 wording
# symbols); also quoted on its own below, with and without the alternatives.
MARKED = DATA / "authored" / "harbour-road-marked.md"
TEXTS.append(MARKED)
FILLER = (
    "The city council met on Tuesday to discuss parking charges in the town centre. "
    "Residents raised concerns about the new bus lanes and the closure of the library. "
    "The mayor said a decision would be made next month after a public consultation. "
)


SENTENCE = re.compile(r"(?<=\.) (?=[A-Z])")


def retype(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"\s+", " ", folded)


def typos(text: str, rate: float, rng: random.Random) -> str:
    words = text.split(" ")
    for i in rng.sample(range(len(words)), k=int(len(words) * rate)):
        w = words[i]
        if len(w) > 3:
            j = rng.randrange(1, len(w) - 1)
            words[i] = w[:j] + w[j + 1 :]
    return " ".join(words)


def sentences(text: str) -> list[str]:
    body = "\n".join(ln for ln in text.splitlines() if ln and not ln.startswith(("#", ">", "**")))
    # Where a sentence ends: not at "2.20 p.m. on", which a copy may write.
    ends = r"(?<=[.!?])\s+(?=[A-Z\"\u201c(0-9])"
    return [s for s in re.split(ends, body) if len(s.split()) > 3]


def house_style(doc, word: np.ndarray, style: str = "US") -> np.ndarray:  # type: ignore[no-untyped-def]
    """The codeword a copy-editor's house style leaves.

    US: -ize spelling, "March 14", "9:40 p.m." (or 24-hour where no 12-hour form is
    offered), "that" for "which", the serial comma, "%". British: -ise spelling,
    "14 March", "9.40pm" (or "21.40"), "which" and "that" as written, no serial
    comma, "per cent". Both: numbers in words below ten and in digits from ten."""
    us = style == "US"
    out, j = word.copy(), 0
    for site in doc.sites:
        value = None
        if site.kind == "spelling":
            value = 1 if us else 0
        elif site.kind == "date":
            value = 2 if us else 0
        elif site.kind == "relative" and us:
            value = site.forms.index("that")
        elif site.kind == "percent":
            value = 0 if us else 1
        elif site.kind == "time" and len(site.forms) == 8:
            value = 7 if us else 4
        elif site.kind == "time" and site.forms[1].endswith("m."):  # "2am" / "2 a.m."
            value = 1 if us else 0
        elif site.kind == "time":
            value = 0 if us else 1
        elif site.kind == "comma" and site.forms == (" ", ", "):
            value = 1 if us else 0
        elif site.kind == "number" and site.forms[0].isdigit() and site.forms[1].isalpha():
            value = 1 if int(site.forms[0]) < 10 else 0
        if value is not None:
            out[j : j + site.bits] = [(value >> b) & 1 for b in range(site.bits)]
        j += site.bits
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=50)
    ap.add_argument("--out", default="bench/out/text_marks.json")
    ap.add_argument("--only", default="", help="run only the attacks whose name holds this")
    args = ap.parse_args()
    rng = random.Random(2026)
    results: dict[str, object] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "date": time.strftime("%Y-%m-%d"),
        "reports": {},
    }
    for path in TEXTS:
        doc = parse(path.read_text())
        row: dict[str, object] = {
            "words": doc.words,
            "symbols": doc.capacity,
            "fragile_marks": len(doc.gaps),
            "bits_per_word": round(doc.bits_per_word, 3),
        }
        code = Code.derive(CodeSpec(doc.symbols, 2, 1), rng.randbytes(32))  # as shared
        t = time.perf_counter()
        for j in range(200):
            render(doc, code.codeword(j))
        row["generate_ms_per_1000_words"] = (time.perf_counter() - t) / 200 * 1e3 * 1000 / doc.words
        scenarios = {
            "whole copy retyped, n=100": 100,
            "250-word excerpt retyped, n=100": 100,
            "6-sentence quote retyped in an article, n=60": 60,
            "6-sentence quote pasted verbatim (fragile marks), n=60": 60,
            "2 colluders interleave sentences, retyped, n=1000": 1000,
            "whole copy retyped, 4% typos, n=100": 100,
            "250-word excerpt retyped, copy-edited to a US house style, n=100": 100,
            "250-word excerpt retyped, copy-edited to a British house style, n=100": 100,
            "same, read without house-style detection, n=100": 100,
        }
        if path.stem in ("harbour-road", MARKED.stem):  # with and without the alternatives
            scenarios["the marked passage retyped in an article, n=60"] = 60
        read_times = []
        scenarios = {k: v for k, v in scenarios.items() if args.only in k}
        for name, n in scenarios.items():
            named = innocent = 0
            for _ in range(args.trials):
                j, k = rng.sample(range(n), 2)
                word = code.codeword(j)
                styled = "house" in name
                style = "British" if "British" in name else "US"
                copy = render(doc, house_style(doc, word, style) if styled else word)
                if name == "whole copy retyped, n=100":
                    leak = retype(copy)
                elif name.startswith(("250", "same")):  # also copy-edited: the copy above
                    words = retype(copy).split(" ")
                    s = rng.randrange(0, max(1, len(words) - 250))
                    leak = " ".join(words[s : s + 250])
                elif name.startswith("the marked passage"):
                    sents = sentences(copy)
                    s = next(i for i, x in enumerate(sents) if "a private" in retype(x))
                    leak = FILLER * 3 + retype(" ".join(sents[s : s + 6])) + " " + FILLER * 3
                elif name.startswith("6-sentence"):
                    sents = sentences(copy)
                    s = rng.randrange(0, len(sents) - 6)
                    quote = " ".join(sents[s : s + 6])
                    if "retyped" in name:
                        quote = retype(quote)
                    leak = FILLER * 3 + quote + " " + FILLER * 3
                elif name.startswith("2 colluders"):
                    other = render(doc, code.codeword(k))
                    # Sentence by sentence: a full stop, a space and a capital ("2 a.m. and"
                    # in one copy is "2am and" in the other, inside one sentence).
                    a, b = SENTENCE.split(copy), SENTENCE.split(other)
                    leak = retype(
                        " ".join(
                            x if i % 2 else y for i, (x, y) in enumerate(zip(a, b, strict=True))
                        )
                    )
                else:
                    leak = typos(retype(copy), 0.04, rng)
                t = time.perf_counter()
                reading = read_text(leak, doc, house_styles=not name.startswith("same"))
                read_times.append(time.perf_counter() - t)
                accused = {s.index for s in accuse(code, reading.observation, n).accused}
                guilty = {j, k} if name.startswith("2 colluders") else {j}
                named += bool(accused & guilty)
                innocent += len(accused - guilty)
            row[name] = {"named": f"{named}/{args.trials}", "innocents_accused": innocent}
            print(path.stem, name, row[name], flush=True)
        row["read_ms_median"] = float(np.median(read_times) * 1e3)
        results["reports"][path.stem] = row  # type: ignore[index]
    print(json.dumps(results, indent=1))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
