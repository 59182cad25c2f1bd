"""An open orcon instance: database, blob store, secrets and a clock."""

from __future__ import annotations

import secrets as pysecrets
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from orcon.errors import OrconError, StorageError, UsageError
from orcon.ledger.note import Verifier
from orcon.store import ledger
from orcon.store.blobs import BlobStore
from orcon.store.db import is_initialised, make_engine, migrate, session_factory
from orcon.store.home import Home, Secrets
from orcon.store.ledger import EventKind
from orcon.store.models import Org, Person

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Credentials:
    """The first administrator's login, shown once at initialisation."""

    email: str
    password: str
    token: str


class Instance:
    """Everything a service needs; create with :meth:`open` or :meth:`init`."""

    def __init__(
        self,
        home: Home,
        engine: Engine,
        secrets: Secrets,
        info: dict[str, str],
        clock: Clock = utcnow,
    ) -> None:
        self.home = home
        self.engine = engine
        self.secrets = secrets
        self.origin = info["origin"]
        self.org_name = info["org"]
        self.verifier = Verifier.from_vkey(info["verifier_key"])  # current signing key
        # The pinned root of the key chain that auditors trust (older homes: the current key).
        self.root_verifier = Verifier.from_vkey(info.get("root_key", info["verifier_key"]))
        self.blobs = BlobStore(home.blobs, secrets.master_key)
        self.clock = clock
        self._sessions: sessionmaker[Session] = session_factory(engine)
        url = home.database_url()
        self._reader = make_engine(url, writer=False) if url.startswith("sqlite") else engine
        self._read_sessions: sessionmaker[Session] = session_factory(self._reader)
        # Per-original state shared by every copy (layout, mask): small LRU.
        self.embedders: OrderedDict[str, Any] = OrderedDict()

    @classmethod
    def open(cls, home: Home, clock: Clock = utcnow) -> Instance:
        info = home.info()
        secrets = home.secrets()
        engine = make_engine(home.database_url())
        migrate(engine)
        return cls(home, engine, secrets, info, clock)

    @classmethod
    def init(
        cls, home: Home, org: str, admin_email: str = "admin@localhost", clock: Clock = utcnow
    ) -> tuple[Instance, Credentials]:
        org = org.strip()
        if not org:
            raise UsageError("the organisation name must not be empty")
        if home.exists():
            raise UsageError(f"an orcon instance already exists at {home.path}")
        home.path.mkdir(parents=True, exist_ok=True, mode=0o700)
        engine = make_engine(home.database_url())
        if is_initialised(engine):
            with engine.connect() as conn:
                has_orgs = conn.exec_driver_sql("SELECT count(*) FROM orgs").scalar()
            if has_orgs:
                raise UsageError("the database already holds an orcon instance")
        secrets, info = home.create(org)
        migrate(engine)
        inst = cls(home, engine, secrets, info, clock)
        password = pysecrets.token_urlsafe(12)
        from orcon.service import directory  # local import: directory uses Instance

        with inst.transaction() as s:
            now = inst.clock()
            own = Org(name=org, is_originator=True, created_at=now)
            s.add(own)
            s.flush()
            admin = Person(
                email=admin_email,
                name="Administrator",
                org_id=own.id,
                role="admin",
                password_hash=PasswordHasher().hash(password),
                created_at=now,
            )
            s.add(admin)
            s.flush()
            ledger.append(
                s,
                EventKind.INSTANCE_CREATED,
                {"org": org, "origin": inst.origin, "verifier_key": info["verifier_key"]},
                now,
            )
            token = directory.new_token(s, admin, now)
        return inst, Credentials(admin_email, password, token)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commits with a sealed checkpoint, or rolls back entirely."""
        session = self._sessions()
        try:
            yield session
            ledger.seal(session, self.secrets.signer, self.origin, self.clock())
            session.commit()
        except OrconError:
            session.rollback()
            raise
        except IntegrityError as err:
            session.rollback()
            raise StorageError(f"the change conflicts with existing data: {err.orig}") from None
        except OperationalError as err:
            session.rollback()
            raise StorageError(f"database error: {err.orig}") from None
        except SQLAlchemyError as err:
            session.rollback()
            raise StorageError(f"database error: {err}") from None
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        session = self._read_sessions()
        try:
            yield session
        finally:
            session.close()  # detaches objects, keeping what was loaded (rollback would expire it)

    def close(self) -> None:
        self.engine.dispose()
        self._reader.dispose()
