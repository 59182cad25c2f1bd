"""Point orcon at a benchmark database: SQLite in a temporary home, or a new PostgreSQL schema;
and the instance most benchmarks start from."""

from __future__ import annotations

import os

PG = os.environ.get("ORCON_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def use_backend(backend: str) -> None:
    """Set ORCON_DATABASE_URL for the next Instance.init (a new, empty schema on PostgreSQL)."""
    if backend != "postgresql":
        os.environ.pop("ORCON_DATABASE_URL", None)
        return
    import psycopg

    schema = "orcon_bench_" + os.urandom(4).hex()
    with psycopg.connect(PG.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    os.environ["ORCON_DATABASE_URL"] = f"{PG}?options=-csearch_path%3D{schema}"


def partner_instance(people: int):  # type: ignore[no-untyped-def]
    """(a fresh SQLite instance, its home) with one partner, "Partner", and ``people``
    people at it, p0@partner.example … (what the trace benchmarks share with)."""
    import tempfile
    from pathlib import Path

    from orcon.service import directory
    from orcon.service.instance import Instance
    from orcon.store.home import Home

    home = Path(tempfile.mkdtemp()) / "home"
    use_backend("sqlite")
    inst, _ = Instance.init(Home(home), "Originator")
    directory.add_org(inst, "Partner")
    rows = "".join(f"p{i}@partner.example,P {i},Partner\n" for i in range(people))
    directory.import_people(inst, ("email,name,org\n" + rows).encode())
    return inst, home


def add_sign_ins(inst, events: int) -> None:  # type: ignore[no-untyped-def]
    """``events`` sign-in events of 1,000 people, 1,000 to a transaction: a long-lived
    instance's ledger."""
    from datetime import UTC, datetime, timedelta

    from orcon.store import ledger
    from orcon.store.ledger import EventKind

    start = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(0, events, 1000):
        with inst.transaction() as s:
            batch = [
                (EventKind.LOGIN, {"person": f"p{(n + i) % 1000}@partner.example"})
                for i in range(min(1000, events - n))
            ]
            ledger.append_many(s, batch, start + timedelta(seconds=n))
