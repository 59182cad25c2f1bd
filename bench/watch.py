"""Leak-watch matching throughput (leak-watch issue): articles per second against 10,000 items.

Builds the watch's text index over 10,000 shared reports (synthetic 700-word
texts; their 4-gram shingles as the share step stores them) and matches 1,000
news articles of 600 words against it — shingling, the index lookup and 50
registered facts — on one core. One article in 20 quotes six sentences of a
shared report; the benchmark checks those are all found and nothing else is.

Usage:  python bench/watch.py [--items 10000] [--articles 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import time
from pathlib import Path

from orcon.marks.text.normalize import tokens
from orcon.match.text import leak_shingles
from orcon.match.watchlist import FactMatcher, TextIndex, fact_of


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=10_000)
    ap.add_argument("--articles", type=int, default=1_000)
    ap.add_argument("--out", default="bench/out/watch.json")
    args = ap.parse_args()
    rng = random.Random(7)
    # Pseudo-words of natural lengths: unlike "w1234"-style tokens, they are rarely one edit apart.
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocab = [
        "".join(rng.choices(letters, k=rng.choice([2, 3, 3, 4, 4, 5, 5, 6, 7, 8, 9, 10])))
        for _ in range(20_000)
    ]

    def prose(n: int) -> str:
        words = rng.choices(vocab, k=n)
        return " ".join(w + ("." if k % 15 == 14 else "") for k, w in enumerate(words))

    t = time.perf_counter()
    reports = [prose(700) for _ in range(args.items)]
    # Synthetic reports have no wording sites, so their stored shingles are those of all words.
    index = TextIndex([(f"itm_{i}", leak_shingles(r)) for i, r in enumerate(reports)])
    build = time.perf_counter() - t
    facts = FactMatcher([fact_of(i, f"{rng.choice(vocab)} {rng.choice(vocab)}") for i in range(50)])
    articles, truth = [], []
    for k in range(args.articles):
        body = prose(600)
        if k % 20 == 0:
            src = rng.randrange(args.items)
            sents = reports[src].split(". ")
            s = rng.randrange(0, len(sents) - 6)
            body = body + " " + ". ".join(sents[s : s + 6])
            truth.append((k, f"itm_{src}"))
        articles.append(body)
    t = time.perf_counter()
    found = []
    fact_hits = 0
    for k, text in enumerate(articles):
        cands = index.candidates(leak_shingles(text))
        if cands:
            found.append((k, cands[0][0]))
        fact_hits += len(facts.find(tokens(text)))
    elapsed = time.perf_counter() - t
    res = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "date": time.strftime("%Y-%m-%d"),
        "items": args.items,
        "articles": args.articles,
        "index_build_s": build,
        "articles_per_s": args.articles / elapsed,
        "planted_quotes": len(truth),
        "quotes_found": len(set(truth) & set(found)),
        "false_matches": len(set(found) - set(truth)),
        "fact_hits": fact_hits,
    }
    print(json.dumps(res, indent=1))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
