"""What OCR's space recovery costs a trace when many texts are shared.

A picture of text is read by OCR, and the spaces small type loses are put back
with the words of every shared text (tracing._shared_words, gathered once per
process and cached until another text is shared; kept, encrypted, for the next
process). Shares ``--items`` copies of the ten test reports (each made distinct
by a line of its own) and times that gathering in a fresh instance, as the
first OCR trace of an ``orcon trace`` process pays it: with nothing kept, with
the words kept by the process before, and with one text shared since.

Usage:  python bench/shared_words.py [--items 2000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _backend import partner_instance
from orcon.service import sharing, tracing
from orcon.service.instance import Instance
from orcon.store.home import Home

REPORTS = sorted((Path(__file__).parents[1] / "tests" / "data" / "reports").glob("*.md"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=2000)
    args = ap.parse_args()
    inst, home = partner_instance(5)
    t = time.perf_counter()
    ids = []
    for k in range(args.items):
        body = REPORTS[k % len(REPORTS)].read_bytes() + f"\n\nReference {k}.\n".encode()
        item = sharing.share(inst, body, title=f"r{k}", tlp="amber", to=["Partner"],
                             filename="r.md", max_recipients=20)  # fmt: skip
        ids.append(item.id)
        if (k + 1) % 500 == 0:
            print(f"shared {k + 1} ({time.perf_counter() - t:.0f} s)", flush=True)
    inst.close()
    kept = Home(home).blobs / "derived" / f"{tracing.VOCABULARY}.sealed"
    for k in (len(ids) // 4, len(ids)):
        kept.unlink(missing_ok=True)  # nothing kept yet: every text is gathered
        for label in ("first process", "next process"):
            fresh = Instance.open(Home(home))  # a new process's empty caches
            t = time.perf_counter()
            words = tracing._shared_words(fresh, ids[:k])
            dt = time.perf_counter() - t
            print(f"{k} texts, {label}: {dt:.3f} s ({1000 * dt / k:.3f} ms a text), "
                  f"{len(words)} words")  # fmt: skip
            fresh.close()
    print(f"kept words: {kept.stat().st_size / 2**20:.1f} MiB")
    # One more text shared: the next process gathers only it.
    fresh = Instance.open(Home(home))
    body = REPORTS[0].read_bytes() + b"\n\nOne more.\n"
    item = sharing.share(fresh, body, title="new", tlp="amber", to=["Partner"], filename="r.md",
                         max_recipients=20)  # fmt: skip
    fresh.close()
    fresh = Instance.open(Home(home))
    t = time.perf_counter()
    tracing._shared_words(fresh, [*ids, item.id])
    print(f"{len(ids) + 1} texts, one shared since: {time.perf_counter() - t:.3f} s")
    fresh.close()


if __name__ == "__main__":
    main()
