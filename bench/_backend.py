"""Point orcon at a benchmark database: SQLite in a temporary home, or a new PostgreSQL schema."""

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
