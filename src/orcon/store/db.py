"""Engine creation and schema migration (Alembic) for SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from orcon.errors import StorageError

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str, *, writer: bool = True) -> Engine:
    """An engine; on SQLite a *writer* engine opens every transaction with BEGIN IMMEDIATE,
    so two writers never read the same state and then collide (SQLAlchemy's pysqlite recipe).
    """
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": 30})

            @event.listens_for(engine, "connect")
            def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
                dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=FULL")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.close()

            @event.listens_for(engine, "begin")
            def _begin(conn):  # type: ignore[no-untyped-def]
                conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")

            return engine
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        return create_engine(url, pool_pre_ping=True)
    except (SQLAlchemyError, ImportError, ValueError) as err:
        raise StorageError(f"cannot use database URL: {err}") from None


if TYPE_CHECKING:
    from alembic.config import Config

# The newest revision under migrations/versions (a test keeps the two equal).
HEAD_REVISION = "0012"


def _alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def current_revision(engine: Engine) -> str | None:
    """The schema revision recorded in the database, or None before the first migration."""
    try:
        with engine.connect() as conn:
            value = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    except DBAPIError:
        return None
    return None if value is None else str(value)


def migrate(engine: Engine) -> None:
    """Bring the schema to the latest revision (idempotent).

    An up-to-date schema is recognised with one query, so that opening an
    instance does not load Alembic (a third of a CLI command's start-up time).
    """
    if current_revision(engine) == HEAD_REVISION:
        return
    from alembic import command

    try:
        with engine.begin() as conn:
            cfg = _alembic_config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except OperationalError as err:
        raise StorageError(f"cannot reach the database: {err.orig}") from None


def is_initialised(engine: Engine) -> bool:
    try:
        return inspect(engine).has_table("orgs")
    except OperationalError as err:
        raise StorageError(f"cannot reach the database: {err.orig}") from None


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
