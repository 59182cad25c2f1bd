"""Copy issuance end to end through the service layer (foundation issue).

A 1600x1068 JPEG photo shared to one partner; time to issue (policy check,
codeword, fingerprint, JPEG encode, ledger event and signed checkpoint, commit):
the first copy (includes preparing the item's layout and mask), a repeat copy,
and copies for 100 recipients. On SQLite, and on PostgreSQL when reachable.

Usage:  python bench/issue.py [--out bench/out/issue.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import cv2
from skimage import data

from _backend import use_backend
from orcon.service import directory, sharing
from orcon.service.instance import Instance
from orcon.store.home import Home


def photo() -> bytes:
    img = cv2.resize(cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR), (1600, 1600))[:1068]
    return cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()


REPORT = Path(__file__).parents[1] / "tests" / "data" / "reports" / "canal-street.md"


def run(backend: str) -> dict[str, object]:
    tmp = Path(tempfile.mkdtemp())
    use_backend(backend)
    inst, _ = Instance.init(Home(tmp / "home"), "Originator")
    directory.add_org(inst, "Partner")
    csv = "email,name,org\n" + "".join(f"p{i}@partner.example,P {i},Partner\n" for i in range(100))
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
        for i in range(100):
            sharing.issue_copy(inst, item.id, f"p{i}@partner.example")
        hundred = time.perf_counter() - t
        out[kind] = {
            "first_copy_s": first,
            "repeat_copy_s": repeat,
            "copies_100_s": hundred,
            "per_copy_ms": hundred / 100 * 1e3,
        }
    inst.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="bench/out/issue.json")
    args = ap.parse_args()
    res: dict[str, object] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "date": time.strftime("%Y-%m-%d"),
        "photo": "1600x1068 JPEG q90",
        "report": "canal-street.md, 694 words (~750 tokens)",
    }
    res["sqlite"] = run("sqlite")
    try:
        res["postgresql"] = run("postgresql")
    except Exception as err:
        res["postgresql"] = f"skipped: {err}"
    print(json.dumps(res, indent=1))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
