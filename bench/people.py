"""The People table on a large directory: what the Partners page and its search cost.

A directory of --people people in 50 partner organisations (imported from a CSV, as
`orcon person import` does), then, the mean of 5: the first page of 100 with the
count of everyone, a search for one address, for one organisation's name, and for a
name part that most people share.

Usage:  python bench/people.py [--people 20000] [--backend sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _backend import use_backend
from orcon.service import directory
from orcon.service.instance import Instance
from orcon.store.home import Home

PAGE = 100  # orcon.web.app.PEOPLE_SHOWN


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--people", type=int, default=20_000)
    ap.add_argument("--backend", default="sqlite", choices=["sqlite", "postgresql"])
    args = ap.parse_args()
    use_backend(args.backend)
    inst, _ = Instance.init(Home(Path(tempfile.mkdtemp()) / "home"), "Originator")
    for i in range(50):
        directory.add_org(inst, f"Partner {i:02}")
    rows = "".join(
        f"p{i}@partner{i % 50}.example,Officer {i},Partner {i % 50:02}\n"
        for i in range(args.people)
    )
    t = time.perf_counter()
    directory.import_people(inst, ("email,name,org\n" + rows).encode())
    print(f"{args.backend}: imported {args.people:,} people in {time.perf_counter() - t:.1f} s")
    for label, query in [
        ("first page, everyone counted", ""),
        ("one address", f"p{args.people // 2}@"),
        ("one organisation", "partner 07"),
        ("a name part most share", "officer 1"),
    ]:
        t = time.perf_counter()
        for _ in range(5):
            shown = directory.accounts(inst, query, PAGE)
            found = directory.count_accounts(inst, query)
        ms = (time.perf_counter() - t) / 5 * 1000
        print(f"{label} ({query!r}): {len(shown)} shown of {found:,} in {ms:.1f} ms")


if __name__ == "__main__":
    main()
