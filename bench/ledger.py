"""Benchmark of the ledger's pure core (issue: tamper-evident ledger).

Measures in-memory appends/s, inclusion and consistency proof time and length
at large sizes, and full verification (recompute every leaf hash and the root).
If pymerkle is installed it is timed in the same run for the in-memory tree.

Usage:  python bench/ledger.py --size 10000000 --out bench/out/ledger.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import time

from _backend import use_backend
from orcon.ledger import MerkleTree, leaf_hash, verify_consistency, verify_inclusion


def durable(backend: str, total: int, batch: int) -> dict[str, float]:
    """Events appended and committed (with a signed checkpoint per commit) per second."""
    import tempfile
    from pathlib import Path

    from orcon.service import control
    from orcon.service.instance import Instance
    from orcon.store import ledger as store_ledger
    from orcon.store.home import Home
    from orcon.store.ledger import EventKind

    use_backend(backend)
    inst, _ = Instance.init(Home(Path(tempfile.mkdtemp()) / "home"), "Bench")
    t = time.perf_counter()
    for b in range(total // batch):
        with inst.transaction() as s:
            store_ledger.append_many(
                s,
                [
                    (
                        EventKind.COPY_ISSUED,
                        {"item": "itm_bench", "person": f"p{b}-{j}@x.example", "index": j},
                    )
                    for j in range(batch)
                ],
                inst.clock(),
            )
    rate = total / (time.perf_counter() - t)
    t = time.perf_counter()
    report = control.verify_ledger(inst)
    verify_s = time.perf_counter() - t
    t = time.perf_counter()
    for j in range(200):
        with inst.transaction() as s:
            store_ledger.append(
                s, EventKind.LOGIN, {"person": f"single{j}@x.example"}, inst.clock()
            )
    single = 200 / (time.perf_counter() - t)
    inst.close()
    return {
        "events": report.entries,
        "batch": batch,
        "events_per_s_batched": rate,
        "events_per_s_one_per_commit": single,
        "verify_all_s": verify_s,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=10_000_000)
    ap.add_argument("--verify-size", type=int, default=1_000_000)
    ap.add_argument("--durable", type=int, default=1_000_000, help="events for the durable test")
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--out", default="bench/out/ledger.json")
    args = ap.parse_args()
    res: dict[str, object] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "date": time.strftime("%Y-%m-%d"),
    }

    events = [f'{{"kind":"copy.issued","seq":{i}}}'.encode() for i in range(args.verify_size)]
    tree = MerkleTree()
    t = time.perf_counter()
    for e in events:
        tree.append(e)
    dt = time.perf_counter() - t
    res["append_per_s_orcon"] = args.verify_size / dt

    try:
        from pymerkle import InmemoryTree  # type: ignore[import-not-found]

        pm = InmemoryTree(algorithm="sha256")
        t = time.perf_counter()
        for e in events[:200_000]:
            pm.append_entry(e)
        res["append_per_s_pymerkle"] = 200_000 / (time.perf_counter() - t)
    except ImportError:
        res["append_per_s_pymerkle"] = None

    # Full verification: recompute every leaf hash and the root from the entries.
    root = tree.root()
    t = time.perf_counter()
    check = MerkleTree([leaf_hash(e) for e in events])
    assert check.root() == root
    res["full_verify_s"] = time.perf_counter() - t
    res["full_verify_entries"] = args.verify_size
    del check, events

    # Grow to --size with synthetic leaf hashes, then time proofs.
    t = time.perf_counter()
    for i in range(tree.size, args.size):
        tree.append_hash(i.to_bytes(32, "big"))
    res["grow_s"] = time.perf_counter() - t
    n = tree.size
    rng = random.Random(1)
    root = tree.root()
    inc, con, inc_len, con_len = [], [], 0, 0
    for _ in range(1000):
        i = rng.randrange(n)
        t = time.perf_counter()
        proof = tree.inclusion_proof(i)
        inc.append(time.perf_counter() - t)
        inc_len = max(inc_len, len(proof))
        verify_inclusion(i, n, tree.leaf(i), proof, root)
        old = rng.randrange(1, n)
        t = time.perf_counter()
        cproof = tree.consistency_proof(old)
        con.append(time.perf_counter() - t)
        con_len = max(con_len, len(cproof))
    verify_consistency(old, n, cproof, tree.root(old), root)
    inc.sort()
    con.sort()
    res.update(
        size=n,
        inclusion_ms_median=inc[500] * 1e3,
        inclusion_ms_p99=inc[990] * 1e3,
        inclusion_max_hashes=inc_len,
        consistency_ms_median=con[500] * 1e3,
        consistency_ms_p99=con[990] * 1e3,
        consistency_max_hashes=con_len,
        ceil_log2_n=(n - 1).bit_length(),
    )
    for backend in ("sqlite", "postgresql"):
        try:
            res[f"durable_{backend}"] = durable(backend, args.durable, args.batch)
        except Exception as err:  # PostgreSQL absent: say so
            res[f"durable_{backend}"] = f"skipped: {err}"
        print(backend, res[f"durable_{backend}"], flush=True)
    print(json.dumps(res, indent=1))
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump(res, fh, indent=1)


if __name__ == "__main__":
    main()
