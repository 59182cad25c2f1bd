"""An open orcon instance: database, blob store, secrets and a clock."""

from __future__ import annotations

import secrets as pysecrets
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

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


class Caches:
    """Derived state an instance keeps in memory, never authoritative: one small LRU
    per kind, so that a burst of one kind (text reports) cannot evict another
    (photo embedders, which are costlier to rebuild).

    Kinds: ``embedder`` (a photo's layout and mask, shared by every copy),
    ``text`` (a report's parsed sites), ``feature-index`` (the LSH index over
    shared photos), ``shared-words`` (the shared texts' vocabulary, for OCR),
    ``photo-size`` (a shared photo's width and height) and ``ledger-tree`` (the
    Merkle tree of the ledger).
    """

    LIMITS: ClassVar[dict[str, int]] = {
        "embedder": 4,
        "text": 8,
        "feature-index": 1,
        "shared-words": 1,
        "photo-size": 64,
        "ledger-tree": 1,
    }

    def __init__(self) -> None:
        self._lru: dict[str, OrderedDict[Hashable, Any]] = {k: OrderedDict() for k in self.LIMITS}

    def get(self, kind: str, key: Hashable) -> Any:
        lru = self._lru[kind]
        if key not in lru:
            return None
        lru.move_to_end(key)
        return lru[key]

    def put(self, kind: str, key: Hashable, value: Any) -> Any:
        lru = self._lru[kind]
        lru[key] = value
        lru.move_to_end(key)
        while len(lru) > self.LIMITS[kind]:
            lru.popitem(last=False)
        return value

    def drop(self, kind: str) -> None:
        self._lru[kind].clear()

    def clear(self) -> None:
        for lru in self._lru.values():
            lru.clear()


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
        # Reads see one snapshot: a verifier reading the log's entries and then its
        # checkpoints must not see a writer's commit land in between (on PostgreSQL's
        # default READ COMMITTED each statement sees the newest commit; a checkpoint
        # would then cover entries the verifier had not read, and look like tampering).
        self._reader = (
            make_engine(url, writer=False)
            if url.startswith("sqlite")
            else engine.execution_options(isolation_level="REPEATABLE READ")
        )
        self._read_sessions: sessionmaker[Session] = session_factory(self._reader)
        self.cache = Caches()

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
