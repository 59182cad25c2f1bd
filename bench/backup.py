"""Backing up and restoring an instance (orcon.service.backups).

An instance with --photos 1600x1068 JPEG photos and one report shared to a
partner of --recipients people, every person issued a copy of the report (a
ledger of a few thousand events); then `backup` (snapshot, ledger check of the
snapshot, archive of every file) and `restore` (every file checked against the
manifest, the instance opened, the whole ledger verified, every original
decrypted), each timed, with the peak of memory allocated (tracemalloc) and the
archive's size. --events adds that many sign-in events to the ledger (a long-lived
instance's log). On PostgreSQL (--backend postgresql) the backup copies every row
in one snapshot transaction into the archive's SQLite file; the archive is then
restored both into a SQLite home and into a new, empty PostgreSQL schema.

Then --new-photos more photos are shared and an incremental backup is taken since the
first (`orcon backup --since`), and the two are restored together.

Usage:  python bench/backup.py [--photos 100] [--recipients 1000] [--events 0] [--new-photos 10]
                               [--backend sqlite|postgresql] [--time-only]
                               [--out bench/out/backup.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
import tracemalloc
from pathlib import Path

import cv2
import numpy as np
from skimage import data

from _backend import add_sign_ins, use_backend
from orcon.service import backups, control, directory, sharing
from orcon.service.instance import Instance
from orcon.store.home import Home

REPORT = Path(__file__).parents[1] / "tests" / "data" / "reports" / "canal-street.md"


def photos(n: int) -> list[bytes]:
    """n distinct photos of the size the image benchmarks use (shifted crops of one)."""
    base = cv2.resize(cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR), (1800, 1800))
    rng = np.random.default_rng(0)
    out = []
    for _ in range(n):
        y, x = rng.integers(0, 1800 - 1068), rng.integers(0, 200)
        img = base[y : y + 1068, x : x + 1600]
        out.append(cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes())
    return out


MEMORY = True  # --time-only: no tracemalloc, which slows Python-heavy work several times


def timed(fn):  # type: ignore[no-untyped-def]
    if MEMORY:
        tracemalloc.start()
    t = time.perf_counter()
    value = fn()
    seconds = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1] if MEMORY else 0
    tracemalloc.stop()
    return value, seconds, peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--photos", type=int, default=100)
    ap.add_argument("--recipients", type=int, default=1000)
    ap.add_argument("--events", type=int, default=0)
    ap.add_argument("--new-photos", type=int, default=10, help="shared before the incremental")
    ap.add_argument("--backend", default="sqlite", choices=["sqlite", "postgresql"])
    ap.add_argument("--out", default="bench/out/backup.json")
    ap.add_argument("--time-only", action="store_true", help="time without tracemalloc")
    args = ap.parse_args()
    global MEMORY
    MEMORY = not args.time_only
    tmp = Path(tempfile.mkdtemp())
    use_backend(args.backend)
    inst, _ = Instance.init(Home(tmp / "home"), "Originator")
    directory.add_org(inst, "Partner")
    csv = "email,name,org\n" + "".join(
        f"p{i}@partner.example,P {i},Partner\n" for i in range(args.recipients)
    )
    people = [p.email for p in directory.import_people(inst, csv.encode())]
    t = time.perf_counter()
    for i, payload in enumerate(photos(args.photos)):
        sharing.share(inst, payload, title=f"photo {i}", tlp="amber", to=["Partner"])
    report = sharing.share(
        inst,
        REPORT.read_bytes(),
        title="report",
        tlp="amber",
        to=["Partner"],
        filename="r.md",
        max_recipients=args.recipients,
    )
    for email in people:
        sharing.issue_copy(inst, report.id, email)
    add_sign_ins(inst, args.events)
    setup_s = time.perf_counter() - t
    entries = control.verify_ledger(inst).entries

    made, backup_s, backup_peak = timed(lambda: backups.backup(inst, tmp / "b.tar"))
    # The next night: --new-photos more shared, then an incremental backup since b.tar.
    for i, payload in enumerate(photos(args.new_photos)):
        sharing.share(inst, payload, title=f"new photo {i}", tlp="amber", to=["Partner"])
    since = lambda: backups.backup(inst, tmp / "i.tar", since=tmp / "b.tar")  # noqa: E731
    inc, inc_s, _ = timed(since)
    inst.close()
    lite = Home(tmp / "restored").on_own_database()
    restored, restore_s, restore_peak = timed(lambda: backups.restore(tmp / "b.tar", lite))
    assert restored.ledger_root == made.ledger_root and restored.items == args.photos + 1
    chain = Home(tmp / "restored-chain").on_own_database()
    both = [tmp / "i.tar", tmp / "b.tar"]
    whole, chain_s, _ = timed(lambda: backups.restore(both, chain))
    assert whole.items == args.photos + args.new_photos + 1
    into_server: dict[str, float] = {}
    if args.backend == "postgresql":
        use_backend("postgresql")  # a new, empty schema
        again, seconds, peak = timed(lambda: backups.restore(tmp / "b.tar", Home(tmp / "pg")))
        assert again.database == "postgresql" and again.ledger_root == made.ledger_root
        into_server = {
            "restore_into_postgresql_s": round(seconds, 2),
            "restore_into_postgresql_peak_MiB": round(peak / 2**20, 1),
        }
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}",
        "photos": args.photos,
        "recipients": args.recipients,
        "ledger_entries": entries,
        "setup_s": round(setup_s, 1),
        "archive_MiB": round(made.bytes / 2**20, 1),
        "files": made.files,
        "backup_s": round(backup_s, 2),
        "backup_peak_MiB": round(backup_peak / 2**20, 1),
        "restore_s": round(restore_s, 2),
        "restore_peak_MiB": round(restore_peak / 2**20, 1),
        "backend": args.backend,
        "new_photos": args.new_photos,
        "incremental_MiB": round(inc.bytes / 2**20, 1),
        "incremental_files": inc.files,
        "incremental_carried": inc.carried,
        "incremental_backup_s": round(inc_s, 2),
        "restore_chain_s": round(chain_s, 2),
        **into_server,
    }
    print(json.dumps(result, indent=1))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
