"""Backing an instance up into one file, and restoring it into a new home, checked.

An instance is its database, its blob store (the encrypted originals) and its
keys; losing any one of them loses everything shared, since copies cannot be
traced without the keys and the originals. A backup is a plain tar archive of
the home, with the SQLite database taken through SQLite's online backup API
(one consistent snapshot while the instance keeps running, never a file copied
half-written; a PostgreSQL database is copied into such a file from one snapshot
transaction) and a manifest last: the schema revision, the ledger's size and
root, and the SHA-256 of every file. Restoring checks every file against the
manifest, opens the instance (migrating an older schema), verifies the whole
ledger and decrypts every original before the new home appears under its name;
with ORCON_DATABASE_URL set, the checked database is then copied into that
(empty) PostgreSQL database.

The archive holds the keys in the clear (the originals are encrypted under
them): it is as secret as the instance itself, and is written owner-only.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import secrets
import shutil
import sqlite3
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from orcon.errors import StorageError, UsageError, VerificationError
from orcon.service.instance import Instance
from orcon.store import ledger, transfer
from orcon.store.db import current_revision, make_engine, migrate, session_factory
from orcon.store.home import ENV_DATABASE, Home
from orcon.store.ledger import EventKind, iso
from orcon.store.models import Item

FORMAT = "orcon-backup/1"  # a whole instance in one archive
PARTIAL = "orcon-backup/2"  # the database and what changed since a base backup (--since)
MANIFEST = "orcon-backup.json"
DATABASE = "orcon.db"
# Never in a backup: SQLite's journal files (the snapshot replaces them) and our temporaries.
_SKIP_SUFFIXES = ("-wal", "-shm", "-journal", ".tmp")
_CHUNK = 1 << 20
MANIFEST_MAX = 64 * 2**20

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class BackupInfo:
    path: str
    files: int
    bytes: int
    items: int
    ledger_entries: int
    ledger_root: str
    schema: str
    created: str
    sha256: str = ""  # of the archive, as the backup.taken event records it
    carried: int = 0  # files left to the base backup (an incremental one: --since)
    base: str = ""  # when the base backup was taken ("" for a whole one)


@dataclass(frozen=True, slots=True)
class RestoreInfo:
    home: str
    files: int
    items: int
    ledger_entries: int
    ledger_root: str
    schema: str
    backed_up: str
    database: str = "sqlite"  # sqlite (the home's file) | postgresql (ORCON_DATABASE_URL)


class _Hashing:
    """A file object that hashes what tarfile reads from, or writes to, it."""

    def __init__(self, fh: IO[bytes]) -> None:
        self._fh = fh
        self.sha = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        data = self._fh.read(n)
        self.sha.update(data)
        self.size += len(data)
        return data

    def write(self, data: bytes) -> int:
        self.sha.update(data)
        self.size += len(data)
        return self._fh.write(data)


def _home_files(home: Home) -> list[tuple[str, Path]]:
    """Every file of the home that belongs in a backup, as (archive name, path), sorted."""
    out = []
    for path in sorted(home.path.rglob("*")):
        rel = path.relative_to(home.path).as_posix()
        if rel in (DATABASE, MANIFEST) or not path.is_file() or path.is_symlink():
            continue
        if rel.endswith(_SKIP_SUFFIXES) or rel.startswith(f"{DATABASE}-"):
            continue
        out.append((rel, path))
    return out


def _snapshot(inst: Instance, dest: Path) -> None:
    url = inst.home.database_url()
    if not url.startswith("sqlite:///"):
        _snapshot_server(inst, dest)
        return
    source = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30)
    target = sqlite3.connect(dest)
    try:
        source.backup(target)  # one consistent snapshot, taken while writers go on
    except sqlite3.Error as err:
        raise StorageError(f"cannot take a snapshot of the database: {err}") from None
    finally:
        target.close()
        source.close()


def _snapshot_server(inst: Instance, dest: Path) -> None:
    """A PostgreSQL instance's database as a SQLite file: every row, read in one
    REPEATABLE READ transaction (one snapshot, whatever is written meanwhile)."""
    target = make_engine(f"sqlite:///{dest}")
    try:
        migrate(target)
        theirs, ours = current_revision(inst.engine), current_revision(target)
        if theirs != ours:
            raise StorageError(
                f"the database is at schema revision {theirs} and this orcon writes {ours}: "
                "back it up with the orcon version that serves it"
            )
        with inst.engine.connect() as conn:
            conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin(), target.begin() as into:
                conn.exec_driver_sql("SET TRANSACTION READ ONLY")
                transfer.copy_rows(conn, into)
    except SQLAlchemyError as err:
        raise StorageError(f"cannot take a snapshot of the database: {err}") from None
    finally:
        target.dispose()


def _snapshot_facts(inst: Instance, db: Path) -> tuple[ledger.LogReport, str, int]:
    """Verify the snapshot's own ledger (a backup of a tampered log is refused), and read
    its schema revision and how many items it holds."""
    engine = make_engine(f"sqlite:///{db}", writer=False)
    try:
        revision = current_revision(engine) or "none"
        session = session_factory(engine)()
        try:
            report = ledger.verify(session, inst.root_verifier, inst.origin)
            items = len(session.scalars(select(Item.id)).all())
        finally:
            session.close()
    finally:
        engine.dispose()
    return report, revision, items


def _member(name: str, size: int, mtime: float) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o600, int(mtime)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def backup(
    inst: Instance,
    out: Path,
    progress: Progress | None = None,
    by: str = "cli",
    since: Path | None = None,
) -> BackupInfo:
    """Write the whole instance to ``out`` (a new file, owner-only), or leave nothing; the
    ledger records that the whole instance, keys included, was copied (``backup.taken``).
    With ``since`` (an earlier backup of this instance), only the database and the files
    that changed since are written: restoring it needs that backup too."""
    base = _base_manifest(inst, since) if since is not None else None
    if out.exists():
        raise UsageError(f"{out} already exists: give a new file name")
    if not out.parent.is_dir():
        raise UsageError(f"the folder {out.parent} does not exist")
    if out.resolve().is_relative_to(inst.home.path.resolve()):
        raise UsageError("write the backup outside the instance home, which it copies")
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".orcon-backup-") as tmp:
        part = Path(tmp) / "backup.tar"
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            counted = _Hashing(fh)
            made = _write(inst, counted, Path(tmp), progress, base)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(part, out)
    return _recorded(inst, replace(made, path=str(out), bytes=counted.size), counted, by)


def backup_to(
    inst: Instance,
    stream: IO[bytes],
    progress: Progress | None = None,
    by: str = "cli",
    since: Path | None = None,
) -> BackupInfo:
    """Write the whole instance to a stream (a pipe into an encryption tool); the database
    snapshot waits in a private temporary folder until it is written."""
    base = _base_manifest(inst, since) if since is not None else None
    counted = _Hashing(stream)
    with tempfile.TemporaryDirectory(prefix=".orcon-backup-") as tmp:
        made = _write(inst, counted, Path(tmp), progress, base)
    stream.flush()
    return _recorded(inst, replace(made, path="-", bytes=counted.size), counted, by)


def _recorded(inst: Instance, made: BackupInfo, archive: _Hashing, by: str) -> BackupInfo:
    """The backup.taken event: who copied the whole instance, when, and the archive's
    SHA-256 (so a backup found later can be matched to its entry). Written after the
    snapshot, so it is not in the backup it describes."""
    digest = archive.sha.hexdigest()
    event: dict[str, object] = {
        "by": by,
        "created": made.created,
        "entries": made.ledger_entries,
        "root": made.ledger_root,
        "files": made.files,
        "bytes": made.bytes,
        "sha256": digest,
    }
    if made.base:
        event |= {"since": made.base, "carried": made.carried}
    with inst.transaction() as s:
        ledger.append(s, EventKind.BACKUP_TAKEN, event, inst.clock())
    return replace(made, sha256=digest)


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest of a backup file, found by reading only the archive's headers (the
    data of its files is skipped over, not read): what an incremental backup is made on,
    and what a restore of several backups puts in order."""
    if not path.is_file():
        raise UsageError(f"no such file: {path}")
    try:
        with tarfile.open(path, mode="r:") as tar:
            member = tar.getmember(MANIFEST)
            if not member.isfile() or member.size > MANIFEST_MAX:
                raise VerificationError(f"{path}: the backup's manifest is damaged")
            src = tar.extractfile(member)
            assert src is not None
            return _parse_manifest(src.read())
    except KeyError:
        raise VerificationError(f"{path} is not an orcon backup (it has no manifest)") from None
    except (tarfile.TarError, EOFError, OSError) as err:
        raise VerificationError(f"{path} is not a readable orcon backup: {err}") from None


def _base_manifest(inst: Instance, since: Path) -> dict[str, Any]:
    base = read_manifest(since)
    if base.get("origin") != inst.origin:
        raise UsageError(f"{since} is a backup of another instance ({base.get('org')})")
    if not base.get("id"):
        raise UsageError(
            f"{since} was written before incremental backups (an older orcon): take a whole "
            "backup first, then back up --since that one"
        )
    return base


def _unchanged(name: str, st: os.stat_result, base: dict[str, Any]) -> str | None:
    """The SHA-256 of a home file the base backup already holds as it is now, else None.
    Originals are written once and never changed, so the size and modification time
    the base recorded say so (as rsync's quick check decides)."""
    was = base["files"].get(name)
    if name == DATABASE or not isinstance(was, dict):
        return None
    if was.get("size") != st.st_size or was.get("mtime_ns") != st.st_mtime_ns:
        return None
    return str(was["sha256"])


def _write(
    inst: Instance,
    fh: Any,
    tmp: Path,
    progress: Progress | None,
    base: dict[str, Any] | None = None,
) -> BackupInfo:
    """Snapshot the database into ``tmp``, check its ledger, and write the archive to
    ``fh`` as a stream: the database first, then the home's files (with a base, only
    those it does not already hold as they are), the manifest last."""
    created = iso(inst.clock())
    db = tmp / DATABASE
    _snapshot(inst, db)
    report, revision, items = _snapshot_facts(inst, db)
    files = [(DATABASE, db), *_home_files(inst.home)]
    hashes: dict[str, dict[str, Any]] = {}
    carried = 0
    with tarfile.open(fileobj=fh, mode="w|") as tar:
        for n, (name, path) in enumerate(files, 1):
            try:
                src = path.open("rb")
            except FileNotFoundError:
                continue  # removed since it was listed (a share rolled back): not needed
            with src:
                st = os.fstat(src.fileno())
                kept = _unchanged(name, st, base) if base is not None else None
                if kept is not None:
                    hashes[name] = {
                        "size": st.st_size,
                        "sha256": kept,
                        "mtime_ns": st.st_mtime_ns,
                        "in": "base",
                    }
                    carried += 1
                    continue
                reader = _Hashing(src)
                tar.addfile(_member(name, st.st_size, st.st_mtime), reader)
            hashes[name] = {
                "size": reader.size,
                "sha256": reader.sha.hexdigest(),
                "mtime_ns": st.st_mtime_ns,
            }
            if progress:
                progress(n, len(files))
        manifest = {
            "format": FORMAT if base is None else PARTIAL,
            "id": secrets.token_hex(16),
            "origin": inst.origin,
            "org": inst.org_name,
            "created": created,
            "schema": revision,
            "items": items,
            "ledger": {"entries": report.entries, "root": report.root.hex()},
            "files": hashes,
        }
        if base is not None:
            manifest["base"] = {"id": base["id"], "created": base.get("created")}
        body = json.dumps(manifest, indent=1, sort_keys=True).encode()
        tar.addfile(_member(MANIFEST, len(body), inst.clock().timestamp()), io.BytesIO(body))
    return BackupInfo(
        "",
        len(hashes) - carried,
        0,
        items,
        report.entries,
        report.root.hex(),
        revision,
        created,
        carried=carried,
        base=str(base.get("created")) if base is not None else "",
    )


def _parse_manifest(data: bytes) -> dict[str, Any]:
    try:
        manifest = json.loads(data)
    except ValueError:
        raise VerificationError("the backup's manifest is damaged") from None
    found = manifest.get("format") if isinstance(manifest, dict) else None
    if found not in (FORMAT, PARTIAL):
        raise VerificationError(
            f"unknown backup format {found!r} (this orcon reads {FORMAT} and {PARTIAL})"
        )
    if found == PARTIAL and not isinstance(manifest.get("base"), dict):
        raise VerificationError("the backup's manifest is damaged (an incremental without base)")
    if not isinstance(manifest.get("files"), dict) or DATABASE not in manifest["files"]:
        raise VerificationError("the backup's manifest lists no database")
    return dict(manifest)


def _safe_name(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts or "\\" in name:
        raise VerificationError(f"the backup holds a file outside the home: {name!r}")
    return path


def _unpack(tar: tarfile.TarFile, into: Path, progress: Progress | None) -> dict[str, Any]:
    """Read the archive once, in order (it may be a pipe): write each file into ``into``
    while hashing it, then hold every file to the manifest, which comes last."""
    got: dict[str, tuple[int, str]] = {}
    manifest: dict[str, Any] | None = None
    for member in tar:
        if manifest is not None:
            raise VerificationError(f"the backup holds {member.name!r} after its manifest")
        if not member.isfile():
            raise VerificationError(
                f"the backup holds something that is not a file: {member.name!r}"
            )
        src = tar.extractfile(member)
        assert src is not None
        if member.name == MANIFEST:
            if member.size > MANIFEST_MAX:
                raise VerificationError("the backup's manifest is damaged")
            manifest = _parse_manifest(src.read())
            continue
        if member.name in got:
            raise VerificationError(f"the backup holds {member.name} twice")
        got[member.name] = _extract(src, member.name, into)
        if progress:
            progress(len(got), 0)  # the manifest, with the count, comes last
    if manifest is None:
        raise VerificationError("this is not an orcon backup (it has no manifest)")
    listed: dict[str, Any] = manifest["files"]
    for name, (size, sha) in got.items():
        expected = listed.get(name)
        if not isinstance(expected, dict):
            raise VerificationError(f"{name} is in the backup but not in its manifest")
        if size != expected.get("size") or sha != expected.get("sha256"):
            raise VerificationError(f"{name} in the backup is damaged (its SHA-256 differs)")
    carried = {n for n, f in listed.items() if isinstance(f, dict) and f.get("in") == "base"}
    if manifest["format"] != PARTIAL and carried:
        raise VerificationError("the backup's manifest is damaged (files in no backup)")
    missing = sorted(set(listed) - set(got) - carried)
    if missing:
        raise VerificationError(f"the backup is incomplete: {missing[0]} is missing")
    return manifest


def _extract(src: IO[bytes], name: str, into: Path) -> tuple[int, str]:
    """Write one archive member under ``into`` (each folder owner-only, as the home's
    own are), hashing it on the way: (size, SHA-256)."""
    rel = _safe_name(name)
    target = into
    for part in rel.parts[:-1]:
        target = target / part
        target.mkdir(exist_ok=True, mode=0o700)
    target = target / rel.parts[-1]
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        writer = _Hashing(out)
        while chunk := src.read(_CHUNK):
            writer.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return writer.size, writer.sha.hexdigest()


def _chain(paths: Sequence[Path]) -> list[tuple[Path, dict[str, Any]]]:
    """Several backups given to one restore, put in order: the newest (the one no other
    was made on), then its base, its base's base, down to a whole backup."""
    found = [(p, read_manifest(p)) for p in paths]
    by_id: dict[str, tuple[Path, dict[str, Any]]] = {}
    for path, m in found:
        if m.get("id") in by_id:
            raise UsageError(f"{path} and {by_id[m['id']][0]} are the same backup")
        by_id[str(m.get("id"))] = (path, m)
    bases = {m["base"]["id"] for _, m in found if m["format"] == PARTIAL}
    heads = [(p, m) for p, m in found if m.get("id") not in bases]
    if all(m["format"] == FORMAT for _, m in heads) and len(heads) > 1:
        whole = ", ".join(str(p) for p, _ in heads)
        raise UsageError(f"these backups are not one chain: {whole} are each a whole backup")
    chain = [max(heads, key=lambda pm: str(pm[1].get("created")))]  # the newest
    while chain[-1][1]["format"] == PARTIAL:
        base = chain[-1][1]["base"]
        if base["id"] not in by_id:
            raise UsageError(
                f"{chain[-1][0]} holds only what changed since the backup of "
                f"{base.get('created')}: give that backup too (and any it was made on)"
            )
        chain.append(by_id[base["id"]])
    if len(chain) != len(found):
        stray = [str(p) for p, _ in found if all(p != q for q, _ in chain)]
        raise UsageError(f"{', '.join(stray)}: not a backup the newest one was made on")
    if len({m.get("origin") for _, m in chain}) != 1:
        raise UsageError("these backups are of different instances")
    return chain


def _fill_from_bases(
    chain: list[tuple[Path, dict[str, Any]]], manifest: dict[str, Any], into: Path
) -> None:
    """Take the files the newest backup left to its bases from them, newest base first,
    each held to the newest backup's manifest (a base that was altered is refused)."""
    listed: dict[str, Any] = manifest["files"]
    needed = {n: f for n, f in listed.items() if isinstance(f, dict) and f.get("in") == "base"}
    for path, _ in chain[1:]:
        if not needed:
            break
        try:
            with tarfile.open(path, mode="r:") as tar:
                for member in tar:
                    expected = needed.get(member.name)
                    if expected is None or not member.isfile():
                        continue
                    src = tar.extractfile(member)
                    assert src is not None
                    size, sha = _extract(src, member.name, into)
                    if size != expected.get("size") or sha != expected.get("sha256"):
                        raise VerificationError(
                            f"{member.name} in {path} is not the file the newest backup "
                            "recorded (its SHA-256 differs)"
                        )
                    del needed[member.name]
        except (tarfile.TarError, EOFError, zlib.error) as err:
            raise VerificationError(f"{path} is not a readable orcon backup: {err}") from None
    if needed:
        raise VerificationError(f"the backups given are incomplete: {min(needed)} is in none")


Source = Path | IO[bytes]


def restore(
    source: Source | Sequence[Path], home: Home, progress: Progress | None = None
) -> RestoreInfo:
    """Restore a backup (a file, or a stream such as a decryption tool's output) into a
    home that does not exist yet or is empty; the home appears only once every file, the
    whole ledger and every original have been checked, and on any failure nothing is left.
    An incremental backup is restored from files, given with the backups it was made on
    (in any order)."""
    server = os.environ.get(ENV_DATABASE) if home.database is None else None
    if server:
        _refuse_filled(server)
    if home.path.exists() and (not home.path.is_dir() or any(home.path.iterdir())):
        raise UsageError(f"{home.path} already exists and is not empty: restore into a new folder")
    sources: list[Source] = list(source) if isinstance(source, Sequence) else [source]
    for each in sources:
        if isinstance(each, Path) and not each.is_file():
            raise UsageError(f"no such file: {each}")
    if not sources:
        raise UsageError("name the backup to restore")
    chain: list[tuple[Path, dict[str, Any]]] = []
    if len(sources) > 1 or isinstance(sources[0], Path):
        if not all(isinstance(each, Path) for each in sources):
            raise UsageError("several backups are restored from files, not standard input")
        chain = _chain([each for each in sources if isinstance(each, Path)])
        source = chain[0][0]
    else:
        source = sources[0]
    home.path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=home.path.parent, prefix=f".{home.path.name}.restore-"))
    try:
        with contextlib.ExitStack() as stack:
            stream = stack.enter_context(source.open("rb")) if isinstance(source, Path) else source
            try:
                tar = stack.enter_context(tarfile.open(fileobj=stream, mode="r|"))
                manifest = _unpack(tar, staging, progress)
            except (tarfile.TarError, EOFError, zlib.error) as err:
                raise VerificationError(f"this is not a readable orcon backup: {err}") from None
        if manifest["format"] == PARTIAL:
            if not chain or chain[0][1].get("id") != manifest.get("id"):
                raise UsageError(
                    "this backup holds only what changed since the backup of "
                    f"{manifest['base'].get('created')}: restore it from its file, with that "
                    "backup (orcon restore THIS BASE)"
                )
            _fill_from_bases(chain, manifest, staging)
        staged = Home(staging).on_own_database()
        info = _check_restored(staged, manifest)
        if server:
            _fill_server(staged, server)
        if home.path.exists():
            home.path.rmdir()  # empty, checked above
        os.replace(staging, home.path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return RestoreInfo(
        str(home.path),
        len(manifest["files"]),
        info[0],
        info[1],
        info[2],
        info[3],
        str(manifest.get("created")),
        "postgresql" if server else "sqlite",
    )


def check(source: Source | Sequence[Path], progress: Progress | None = None) -> RestoreInfo:
    """A backup drill: restore into a private temporary folder with every check that
    :func:`restore` makes, then remove it. A backup never restored is not yet a backup.
    It never touches a PostgreSQL database, whatever ORCON_DATABASE_URL says."""
    with tempfile.TemporaryDirectory(prefix="orcon-backup-check-") as tmp:
        done = restore(source, Home(Path(tmp) / "home").on_own_database(), progress)
    return replace(done, home="")


def _refuse_filled(url: str) -> None:
    """A restore fills an empty database only: never one that holds an instance."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            filled = transfer.tables_with_rows(conn)
    except SQLAlchemyError as err:
        raise StorageError(f"cannot reach the database {ENV_DATABASE} names: {err}") from None
    finally:
        engine.dispose()
    if filled:
        raise UsageError(
            f"the database {ENV_DATABASE} names already holds an orcon instance (rows in "
            f"{', '.join(filled[:4])}{', …' if len(filled) > 4 else ''}): restore into an "
            "empty database, or unset it to restore into a SQLite home"
        )


def _fill_server(staged: Home, url: str) -> None:
    """Copy the checked SQLite database of a staged restore into the (empty) server
    database in one transaction, check the ledger there too, and drop the SQLite file:
    the restored home then uses the server, as ORCON_DATABASE_URL says."""
    _refuse_filled(url)  # again: another restore may have filled it meanwhile
    source, target = make_engine(staged.own_database(), writer=False), make_engine(url)
    try:
        migrate(target)
        with source.connect() as src, target.begin() as into:
            transfer.copy_rows(src, into)
    except SQLAlchemyError as err:
        # Not the URL: it may carry a password.
        why = f"cannot copy the backup into the {ENV_DATABASE} database: {err}"
        raise StorageError(why) from None
    finally:
        source.dispose()
        target.dispose()
    inst = Instance.open(Home(staged.path, database=url))
    try:
        with inst.reading() as s:
            ledger.verify(s, inst.root_verifier, inst.origin)
    except BaseException:
        with inst.engine.begin() as conn:  # leave the database empty, as it was found
            transfer.empty(conn)
        raise
    finally:
        inst.close()
    for leftover in staged.path.glob(f"{DATABASE}*"):
        leftover.unlink()


def _check_restored(home: Home, manifest: dict[str, Any]) -> tuple[int, int, str, str]:
    """Open the staged home as an instance: the ledger must verify and match the manifest,
    and every item's original must decrypt."""
    inst = Instance.open(home)
    try:
        with inst.reading() as s:
            report = ledger.verify(s, inst.root_verifier, inst.origin)
            items = s.scalars(select(Item)).all()
        expected = manifest.get("ledger") or {}
        if report.entries != expected.get("entries") or report.root.hex() != expected.get("root"):
            raise VerificationError(
                "the restored ledger is not the one the backup recorded "
                f"({report.entries} entries, manifest {expected.get('entries')})"
            )
        for item in items:
            inst.blobs.get(item.id, item.wrapped_key)  # raises, naming the item
        revision = current_revision(inst.engine) or "none"
        # The restored log says it was restored, and from what (an append: partners who
        # verified the old log still find it as a prefix of the new one).
        event = {
            "backup_created": str(manifest.get("created")),
            "entries": report.entries,
            "root": report.root.hex(),
        }
        with inst.transaction() as s:
            ledger.append(s, EventKind.INSTANCE_RESTORED, event, inst.clock())
    finally:
        inst.close()
    return len(items), report.entries, report.root.hex(), revision
