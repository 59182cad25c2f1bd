"""Reading the ledger's events out (orcon.service.events): what `orcon ledger events`
and GET /api/ledger/events cost on a large log.

A log of --events events (sign-ins of 1,000 people, written 1,000 to a transaction),
then: the newest page, a page from a cursor in the middle, a page filtered by kind and
text, and the whole log exported oldest first in batches as JSON lines, as
`orcon ledger events --all --jsonl` writes them (events per second, then in a second
pass the peak Python allocation, by tracemalloc).

Usage:  python bench/events.py [--events 200000] [--backend sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import tracemalloc
from pathlib import Path

from _backend import add_sign_ins, use_backend
from orcon.service import events
from orcon.service.events import Filter
from orcon.service.instance import Instance
from orcon.store.home import Home


def _timed(fn, repeat: int = 5) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    for _ in range(repeat):
        out = fn()
    return (time.perf_counter() - t) / repeat * 1000, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--backend", default="sqlite", choices=["sqlite", "postgresql"])
    args = ap.parse_args()
    use_backend(args.backend)
    inst, _ = Instance.init(Home(Path(tempfile.mkdtemp()) / "home"), "Originator")
    t = time.perf_counter()
    add_sign_ins(inst, args.events)
    print(f"{args.backend}: wrote {args.events:,} events in {time.perf_counter() - t:.1f} s")

    ms, _ = _timed(lambda: events.page(inst, Filter(), 100))
    print(f"newest 100: {ms:.1f} ms")
    middle = args.events // 2
    ms, _ = _timed(lambda: events.page(inst, Filter(start=middle), 1000))
    print(f"1,000 from a cursor in the middle (seq {middle:,}): {ms:.1f} ms")
    ms, _ = _timed(lambda: events.page(inst, Filter(kinds=["item.remarked"]), 100))
    print(f"a rare kind, none in the log (what an item page's markings history asks): {ms:.1f} ms")
    f = Filter(kinds=["login"], text="p7@partner.example")
    ms, found = _timed(lambda: events.page(inst, f, 100))
    print(f"newest 100 sign-ins of one person (kind + text): {ms:.1f} ms ({len(found)} found)")  # type: ignore[arg-type]

    t = time.perf_counter()
    count = sum(len(json.dumps(e.to_json())) > 0 for e in events.every(inst, Filter()))
    took = time.perf_counter() - t
    # Memory in a second pass: tracemalloc slows every allocation down several times.
    tracemalloc.start()
    for _ in events.every(inst, Filter()):
        pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(
        f"export of all {count:,} events as JSON lines: {took:.1f} s "
        f"({count / took:,.0f} events/s); peak Python allocation {peak / 2**20:.1f} MiB"
    )


if __name__ == "__main__":
    main()
