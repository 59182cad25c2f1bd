"""Who held an item (orcon.service.knowing.who_knew): what every item page, `orcon knew`
and `item show` read from the ledger.

Two reports shared to one partner of --people people: every person is issued a copy of
the first, ten people a copy of the second. Then the time to list each item's holders
(mean of 5), which for the second item is the cost of the ledger's other events.

Usage:  python bench/knew.py [--people 2000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from _backend import use_backend
from orcon.service import directory, knowing, sharing
from orcon.service.instance import Instance
from orcon.store.home import Home

REPORT = Path(__file__).parents[1] / "tests" / "data" / "reports" / "canal-street.md"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--people", type=int, default=2000)
    args = ap.parse_args()
    use_backend("sqlite")
    inst, _ = Instance.init(Home(Path(tempfile.mkdtemp()) / "home"), "Originator")
    directory.add_org(inst, "Partner")
    csv = "email,name,org\n" + "".join(
        f"p{i}@partner.example,P {i},Partner\n" for i in range(args.people)
    )
    people = [p.email for p in directory.import_people(inst, csv.encode())]
    text = REPORT.read_bytes()
    items = [
        sharing.share(
            inst,
            body,
            title=t,
            tlp="amber",
            to=["Partner"],
            filename=f"{t}.md",
            max_recipients=args.people,
        )
        for t, body in (("every", text), ("ten", text.replace(b"the", b"The", 1)))
    ]
    for email in people:
        sharing.issue_copy(inst, items[0].id, email)
    for email in people[:10]:
        sharing.issue_copy(inst, items[1].id, email)
    far = datetime(9999, 1, 1, tzinfo=UTC)
    for item in items:
        t = time.perf_counter()
        for _ in range(5):
            holders = knowing.who_knew(inst, item.id, far)
        ms = (time.perf_counter() - t) / 5 * 1000
        print(f"{item.title}: {len(holders)} holders among {args.people + 10} copies, {ms:.1f} ms")


if __name__ == "__main__":
    main()
