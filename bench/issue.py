"""Copy issuance end to end through the service layer (foundation issue).

A 1600x1068 JPEG photo shared to one partner; time to issue (policy check,
codeword, fingerprint, JPEG encode, ledger event and signed checkpoint, commit):
the first copy (includes preparing the item's layout and mask), a repeat copy,
and copies for 100 recipients (--recipients); then every copy as one ZIP archive
(orcon.service.bundles, what the web's "Download every copy" sends), timed, and
again under tracemalloc for the peak of memory allocated while it is written
(NumPy's arrays included), against the archive's size. On SQLite, and on
PostgreSQL when reachable.

Usage:  python bench/issue.py [--recipients N] [--out bench/out/issue.json]
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
from skimage import data

from _backend import use_backend
from orcon.service import bundles, directory, sharing
from orcon.service.instance import Instance
from orcon.store.home import Home


def photo() -> bytes:
    img = cv2.resize(cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR), (1600, 1600))[:1068]
    return cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()


REPORT = Path(__file__).parents[1] / "tests" / "data" / "reports" / "canal-street.md"


def run(backend: str, n: int) -> dict[str, object]:
    tmp = Path(tempfile.mkdtemp())
    use_backend(backend)
    inst, _ = Instance.init(Home(tmp / "home"), "Originator")
    directory.add_org(inst, "Partner")
    csv = "email,name,org\n" + "".join(f"p{i}@partner.example,P {i},Partner\n" for i in range(n))
    directory.import_people(inst, csv.encode())
    out: dict[str, object] = {}
    for kind, payload in (("photo", photo()), ("report", REPORT.read_bytes())):
        item = sharing.share(
            inst,
            payload,
            title="bench",
            tlp="amber",
            to=["Partner"],
            filename="r.md" if kind == "report" else None,
        )
        t = time.perf_counter()
        sharing.issue_copy(inst, item.id, "p0@partner.example")
        first = time.perf_counter() - t
        t = time.perf_counter()
        sharing.issue_copy(inst, item.id, "p0@partner.example")
        repeat = time.perf_counter() - t
        t = time.perf_counter()
        for i in range(n):
            sharing.issue_copy(inst, item.id, f"p{i}@partner.example")
        many = time.perf_counter() - t
        t = time.perf_counter()
        size = sum(len(c) for c in bundles.bundle(inst, item.id, by="bench").chunks)
        archive = time.perf_counter() - t
        tracemalloc.start()
        for _ in bundles.bundle(inst, item.id, by="bench").chunks:
            pass
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        out[kind] = {
            "first_copy_s": first,
            "repeat_copy_s": repeat,
            f"copies_{n}_s": many,
            "per_copy_ms": many / n * 1e3,
            f"archive_{n}_s": archive,
            "archive_mib": size / 2**20,
            "archive_peak_alloc_mib": peak / 2**20,
        }
    inst.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="bench/out/issue.json")
    ap.add_argument("--recipients", type=int, default=100)
    args = ap.parse_args()
    res: dict[str, object] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "date": time.strftime("%Y-%m-%d"),
        "photo": "1600x1068 JPEG q90",
        "report": "canal-street.md, 694 words (~750 tokens)",
    }
    res["sqlite"] = run("sqlite", args.recipients)
    try:
        res["postgresql"] = run("postgresql", args.recipients)
    except Exception as err:
        res["postgresql"] = f"skipped: {err}"
    print(json.dumps(res, indent=1))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
