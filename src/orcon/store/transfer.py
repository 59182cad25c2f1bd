"""Copying an instance's database, row for row, between SQLite and PostgreSQL.

A backup of a PostgreSQL instance is a SQLite snapshot of it, so that every backup
has one format, is checked the same way and restores without a database server; a
restore with ``ORCON_DATABASE_URL`` set copies the checked snapshot into PostgreSQL.
Rows go through the models' own column types (times stay UTC-aware, binary stays
bytes), parents before children, in batches, so a large ledger never sits in memory.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, Integer, func, inspect, select, text

from orcon.store.models import Base

BATCH = 2000


def tables_with_rows(conn: Connection) -> list[str]:
    """orcon's tables in this database that hold anything (an empty list: safe to fill)."""
    present = set(inspect(conn).get_table_names())
    return [
        t.name
        for t in Base.metadata.sorted_tables
        if t.name in present and (conn.scalar(select(func.count()).select_from(t)) or 0) > 0
    ]


def copy_rows(
    source: Connection, target: Connection, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Copy every orcon table from ``source`` into the same, empty tables of ``target``
    (both at the same schema revision), in the callers' transactions; returns the rows
    copied per table."""
    copied: dict[str, int] = {}
    for table in Base.metadata.sorted_tables:
        n = 0
        result = source.execution_options(stream_results=True, yield_per=BATCH).execute(
            select(table).order_by(*table.primary_key.columns)
        )
        for batch in result.mappings().partitions(BATCH):
            target.execute(table.insert(), [dict(row) for row in batch])
            n += len(batch)
        copied[table.name] = n
        if progress:
            progress(table.name, n)
    if target.dialect.name == "postgresql":
        _advance_sequences(target)
    return copied


def empty(conn: Connection) -> None:
    """Delete every orcon row (children first): undo a copy that failed its checks."""
    for table in reversed(Base.metadata.sorted_tables):
        conn.execute(table.delete())


def _advance_sequences(conn: Connection) -> None:
    """Rows copied with their ids leave PostgreSQL's id sequences at 1: move each past
    the largest id, so that the next row added gets a new one."""
    for table in Base.metadata.sorted_tables:
        for col in table.primary_key.columns:
            if not isinstance(col.type, Integer) or col.autoincrement is False:
                continue
            sequence = conn.scalar(
                text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": col.name}
            )
            if sequence is None:
                continue
            top = conn.scalar(select(func.max(col)))
            conn.execute(
                text("SELECT setval(CAST(:s AS regclass), :v, :called)"),
                {"s": sequence, "v": top or 1, "called": top is not None},
            )
