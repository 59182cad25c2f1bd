"""Backing an instance up into one file, and restoring it into a new home, checked.

An instance is its database, its blob store (the encrypted originals) and its
keys; losing any one of them loses everything shared, since copies cannot be
traced without the keys and the originals. A backup is a plain tar archive of
the home, with the SQLite database taken through SQLite's online backup API
(one consistent snapshot while the instance keeps running, never a file copied
half-written) and a manifest last: the schema revision, the ledger's size and
root, and the SHA-256 of every file. Restoring checks every file against the
manifest, opens the instance (migrating an older schema), verifies the whole
ledger and decrypts every original before the new home appears under its name.

The archive holds the keys in the clear (the originals are encrypted under
them): it is as secret as the instance itself, and is written owner-only.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from sqlalchemy import select

from orcon.errors import StorageError, UsageError, VerificationError
from orcon.service.instance import Instance
from orcon.store import ledger
from orcon.store.db import current_revision, make_engine, session_factory
from orcon.store.home import ENV_DATABASE, Home
from orcon.store.ledger import iso
from orcon.store.models import Item

FORMAT = "orcon-backup/1"
MANIFEST = "orcon-backup.json"
DATABASE = "orcon.db"
# Never in a backup: SQLite's journal files (the snapshot replaces them) and our temporaries.
_SKIP_SUFFIXES = ("-wal", "-shm", "-journal", ".tmp")
_CHUNK = 1 << 20

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


@dataclass(frozen=True, slots=True)
class RestoreInfo:
    home: str
    files: int
    items: int
    ledger_entries: int
    ledger_root: str
    schema: str
    backed_up: str


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
        raise UsageError(
            f"this instance's database is not SQLite ({ENV_DATABASE} is set): back the "
            "database up with its own tools (pg_dump), and the home folder "
            f"{inst.home.path} (keys, blobs) with it"
        )
    source = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30)
    target = sqlite3.connect(dest)
    try:
        source.backup(target)  # one consistent snapshot, taken while writers go on
    except sqlite3.Error as err:
        raise StorageError(f"cannot take a snapshot of the database: {err}") from None
    finally:
        target.close()
        source.close()


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


def backup(inst: Instance, out: Path, progress: Progress | None = None) -> BackupInfo:
    """Write the whole instance to ``out`` (a new file, owner-only), or leave nothing."""
    if out.exists():
        raise UsageError(f"{out} already exists: give a new file name")
    if not out.parent.is_dir():
        raise UsageError(f"the folder {out.parent} does not exist")
    if out.resolve().is_relative_to(inst.home.path.resolve()):
        raise UsageError("write the backup outside the instance home, which it copies")
    created = iso(inst.clock())
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".orcon-backup-") as tmp:
        db = Path(tmp) / DATABASE
        _snapshot(inst, db)
        report, revision, items = _snapshot_facts(inst, db)
        files = [(DATABASE, db), *_home_files(inst.home)]
        hashes: dict[str, dict[str, Any]] = {}
        part = Path(tmp) / "backup.tar"
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh, tarfile.open(fileobj=fh, mode="w") as tar:
            for n, (name, path) in enumerate(files, 1):
                try:
                    src = path.open("rb")
                except FileNotFoundError:
                    continue  # removed since it was listed (a share rolled back): not needed
                with src:
                    stat = os.fstat(src.fileno())
                    reader = _Hashing(src)
                    tar.addfile(_member(name, stat.st_size, stat.st_mtime), reader)
                hashes[name] = {"size": reader.size, "sha256": reader.sha.hexdigest()}
                if progress:
                    progress(n, len(files))
            manifest = {
                "format": FORMAT,
                "origin": inst.origin,
                "org": inst.org_name,
                "created": created,
                "schema": revision,
                "items": items,
                "ledger": {"entries": report.entries, "root": report.root.hex()},
                "files": hashes,
            }
            body = json.dumps(manifest, indent=1, sort_keys=True).encode()
            tar.addfile(_member(MANIFEST, len(body), inst.clock().timestamp()), io.BytesIO(body))
            fh.flush()
            os.fsync(fh.fileno())
        size = part.stat().st_size
        os.replace(part, out)
    return BackupInfo(
        str(out),
        len(hashes),
        size,
        items,
        report.entries,
        report.root.hex(),
        revision,
        created,
    )


def _read_manifest(tar: tarfile.TarFile) -> dict[str, Any]:
    try:
        member = tar.getmember(MANIFEST)
    except KeyError:
        raise VerificationError("this is not an orcon backup (it has no manifest)") from None
    fh = tar.extractfile(member)
    if fh is None or member.size > 64 * 2**20:
        raise VerificationError("the backup's manifest is damaged")
    try:
        manifest = json.loads(fh.read())
    except ValueError:
        raise VerificationError("the backup's manifest is damaged") from None
    found = manifest.get("format") if isinstance(manifest, dict) else None
    if found != FORMAT:
        raise VerificationError(f"unknown backup format {found!r} (this orcon reads {FORMAT})")
    return dict(manifest)


def _safe_name(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts or "\\" in name:
        raise VerificationError(f"the backup holds a file outside the home: {name!r}")
    return path


def _extract(
    tar: tarfile.TarFile, manifest: dict[str, Any], into: Path, progress: Progress | None
) -> int:
    files: dict[str, Any] = manifest.get("files") or {}
    if DATABASE not in files:
        raise VerificationError("the backup holds no database")
    seen: set[str] = set()
    members = [m for m in tar.getmembers() if m.name != MANIFEST]
    for n, member in enumerate(members, 1):
        if not member.isfile():
            raise VerificationError(
                f"the backup holds something that is not a file: {member.name!r}"
            )
        rel = _safe_name(member.name)
        expected = files.get(member.name)
        if expected is None or member.name in seen:
            raise VerificationError(f"{member.name} is in the backup but not in its manifest")
        seen.add(member.name)
        target = into
        for part in rel.parts[:-1]:  # each folder owner-only, as the home's own are
            target = target / part
            target.mkdir(exist_ok=True, mode=0o700)
        target = target / rel.parts[-1]
        src = tar.extractfile(member)
        assert src is not None
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            writer = _Hashing(out)
            while chunk := src.read(_CHUNK):
                writer.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if writer.size != expected.get("size") or writer.sha.hexdigest() != expected.get("sha256"):
            raise VerificationError(f"{member.name} in the backup is damaged (its SHA-256 differs)")
        if progress:
            progress(n, len(members))
    missing = sorted(set(files) - seen)
    if missing:
        raise VerificationError(f"the backup is incomplete: {missing[0]} is missing")
    return len(seen)


@contextmanager
def _open_archive(archive: Path) -> Iterator[tarfile.TarFile]:
    if not archive.is_file():
        raise UsageError(f"no such file: {archive}")
    try:
        with tarfile.open(archive, mode="r:") as tar:
            yield tar
    except (tarfile.TarError, EOFError) as err:
        raise VerificationError(f"{archive} is not a readable orcon backup: {err}") from None


def restore(archive: Path, home: Home, progress: Progress | None = None) -> RestoreInfo:
    """Restore a backup into a home that does not exist yet; it appears only once every
    file, the whole ledger and every original have been checked."""
    if os.environ.get(ENV_DATABASE):
        raise UsageError(
            f"a backup restores into a SQLite home: unset {ENV_DATABASE} for `orcon restore`"
        )
    if home.path.exists() and (not home.path.is_dir() or any(home.path.iterdir())):
        raise UsageError(f"{home.path} already exists and is not empty: restore into a new folder")
    home.path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=home.path.parent, prefix=f".{home.path.name}.restore-"))
    try:
        with _open_archive(archive) as tar:
            manifest = _read_manifest(tar)
            files = _extract(tar, manifest, staging, progress)
        info = _check_restored(Home(staging), manifest)
        if home.path.exists():
            home.path.rmdir()  # empty, checked above
        os.replace(staging, home.path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return RestoreInfo(
        str(home.path), files, info[0], info[1], info[2], info[3], str(manifest.get("created"))
    )


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
    finally:
        inst.close()
    return len(items), report.entries, report.root.hex(), revision
