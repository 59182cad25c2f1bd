"""Backing an instance up and restoring it: the restored instance is the same instance."""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import stat
import tarfile
import tempfile
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from orcon.errors import UsageError, VerificationError
from orcon.service import backups, control, directory, sharing, tracing
from orcon.service.instance import Instance
from orcon.store.db import HEAD_REVISION
from orcon.store.home import Home
from orcon.store.models import LedgerEntry

REPORT = (Path(__file__).parents[1] / "data" / "reports" / "harbour-road.md").read_bytes()
sqlite_only = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


def _shared(inst: Instance, photo: bytes) -> tuple[str, str, list[str]]:
    directory.add_org(inst, "Harbour City PD")
    people = [
        directory.add_person(inst, f"o{i}@harbour.example", "Harbour City PD").email
        for i in range(3)
    ]
    pic = sharing.share(inst, photo, title="Scene", tlp="amber", to=["Harbour City PD"])
    report = sharing.share(
        inst, REPORT, title="Kestrel", tlp="amber", to=["Harbour City PD"], filename="k.md"
    )
    return pic.id, report.id, people


def _events(inst: Instance, kind: str) -> list[dict]:  # type: ignore[type-arg]
    with inst.reading() as s:
        rows = s.scalars(select(LedgerEntry.body).where(LedgerEntry.kind == kind)).all()
    return [json.loads(b) for b in rows]


def _rewrite(archive: Path, out: Path, change, extra=None) -> None:  # type: ignore[no-untyped-def]
    """Copy a backup, letting ``change(name, data)`` return new bytes (or None to drop),
    with ``extra`` (name, data) added just before the manifest."""
    with tarfile.open(archive) as src, tarfile.open(out, "w") as dst:
        for member in src.getmembers():
            if member.name == backups.MANIFEST and extra is not None:
                info = tarfile.TarInfo(extra[0])
                info.size = len(extra[1])
                dst.addfile(info, io.BytesIO(extra[1]))
            data = src.extractfile(member).read()  # type: ignore[union-attr]
            data = change(member.name, data)
            if data is None:
                continue
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))


@sqlite_only
def test_a_restored_instance_issues_the_same_copies_and_traces_them(inst, photo, tmp_path):
    pic, report, people = _shared(inst, photo)
    copies = {e: sharing.issue_copy(inst, report, e).data for e in people}
    photo_copy = sharing.issue_copy(inst, pic, people[0]).data
    directory.suspend(inst, people[2], "named by trace 3", by="admin@localhost")
    seen: list[tuple[int, int]] = []
    done = backups.backup(inst, tmp_path / "nightly.tar", lambda n, total: seen.append((n, total)))
    assert (done.items, done.schema) == (2, HEAD_REVISION)
    assert seen[-1][0] == seen[-1][1] == done.files
    assert stat.S_IMODE((tmp_path / "nightly.tar").stat().st_mode) == 0o600
    # The instance records that it was copied whole: by whom, and the archive's SHA-256.
    [taken] = _events(inst, "backup.taken")
    archive = hashlib.sha256((tmp_path / "nightly.tar").read_bytes()).hexdigest()
    assert (taken["by"], taken["sha256"], taken["bytes"]) == ("cli", archive, done.bytes)
    assert done.sha256 == archive and taken["entries"] == done.ledger_entries
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    directory.add_org(inst, "After the backup")  # not in the backup

    home = Home(tmp_path / "restored")
    restored = backups.restore(tmp_path / "nightly.tar", home)
    assert (restored.items, restored.ledger_entries) == (2, done.ledger_entries)
    assert restored.ledger_root == done.ledger_root
    again = Instance.open(home)
    try:
        # The same keys and originals: every copy is the very file issued before.
        assert sharing.issue_copy(again, report, people[0]).data == copies[people[0]]
        assert sharing.issue_copy(again, pic, people[0]).data == photo_copy
        leak = " ".join(copies[people[1]].decode().encode("ascii", "ignore").decode().split())
        traced = tracing.trace(again, leak.encode())
        assert [a.person for a in traced.accused] == [people[1]]
        standing = directory.person_status(again, people[2])
        assert standing is not None and standing.suspended == "named by trace 3"
        assert "After the backup" not in [o["name"] for o in directory.list_orgs(again)]
        # The restored log is the backed-up one plus instance.restored; then the 3 above.
        assert control.verify_ledger(again).entries == done.ledger_entries + 1 + 3
        [restored_event] = _events(again, "instance.restored")
        assert restored_event["root"] == done.ledger_root
        assert restored_event["backup_created"] == done.created
    finally:
        again.close()
    for path in [home.path, *home.path.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), path


@sqlite_only
def test_a_damaged_or_foreign_backup_is_refused_and_leaves_nothing(inst, photo, tmp_path):
    _shared(inst, photo)
    good = tmp_path / "good.tar"
    backups.backup(inst, good)
    with tarfile.open(good) as archive:
        names = archive.getnames()
    blob = next(n for n in names if n.startswith("blobs/") and "derived" not in n)

    def flip(name: str, data: bytes) -> bytes:
        return data[:-1] + bytes([data[-1] ^ 1]) if name == blob else data

    cases = {
        "flipped.tar": (lambda f: _rewrite(good, f, flip), f"{blob} in the backup is damaged"),
        "no-key.tar": (
            lambda f: _rewrite(good, f, lambda n, d: None if n == "keys/master.key" else d),
            "incomplete: keys/master.key is missing",
        ),
        "no-manifest.tar": (
            lambda f: _rewrite(good, f, lambda n, d: None if n == backups.MANIFEST else d),
            "not an orcon backup",
        ),
        "junk.tar": (lambda f: f.write_bytes(b"not a tar archive at all" * 40), "not a readable"),
    }

    def escape(name: str, data: bytes) -> bytes:
        if name != backups.MANIFEST:
            return data
        manifest = json.loads(data)
        manifest["files"]["../outside"] = {"size": 3, "sha256": "0" * 64}
        return json.dumps(manifest).encode()

    cases["escape.tar"] = (
        lambda f: _rewrite(good, f, escape, ("../outside", b"bad")),
        "a file outside the home: '../outside'",
    )

    def after(f: Path) -> None:  # anything after the manifest is refused, listed or not
        _rewrite(good, f, lambda n, d: d)
        with tarfile.open(f, "a") as tar:
            info = tarfile.TarInfo("keys/extra.key")
            info.size = 3
            tar.addfile(info, io.BytesIO(b"bad"))

    cases["after.tar"] = (after, "'keys/extra.key' after its manifest")
    drill = backups.check(good)  # the good one passes the drill, and nothing is kept
    assert drill.home == "" and drill.items == 2
    leftovers = [p for p in Path(tempfile.gettempdir()).glob("orcon-backup-check-*")]
    assert leftovers == []
    for name, (make, says) in cases.items():
        make(tmp_path / name)
        target = tmp_path / "restores" / name.removesuffix(".tar")
        with pytest.raises(VerificationError, match=says.replace("(", r"\(").replace(")", r"\)")):
            backups.restore(tmp_path / name, Home(target))
        assert not target.exists()
        assert list((tmp_path / "restores").iterdir()) == []  # no staging folder left behind
        with pytest.raises(VerificationError):
            backups.check(tmp_path / name)
    assert list(Path(tempfile.gettempdir()).glob("orcon-backup-check-*")) == []
    assert not (tmp_path / "outside").exists()


@sqlite_only
def test_backups_refuse_what_would_lose_or_overwrite_data(inst, photo, tmp_path):
    _shared(inst, photo)
    (tmp_path / "taken.tar").write_bytes(b"someone's file")
    with pytest.raises(UsageError, match="already exists"):
        backups.backup(inst, tmp_path / "taken.tar")
    assert (tmp_path / "taken.tar").read_bytes() == b"someone's file"
    with pytest.raises(UsageError, match="outside the instance home"):
        backups.backup(inst, inst.home.path / "inside.tar")
    with pytest.raises(UsageError, match="does not exist"):
        backups.backup(inst, tmp_path / "no-such-folder" / "b.tar")
    backups.backup(inst, tmp_path / "b.tar")
    with pytest.raises(UsageError, match="not empty"):
        backups.restore(tmp_path / "b.tar", inst.home)
    with pytest.raises(UsageError, match="no such file"):
        backups.restore(tmp_path / "missing.tar", Home(tmp_path / "r"))
    # A ledger tampered with in the database is not backed up as if it were sound.
    with sqlite3.connect(inst.home.path / "orcon.db") as db:
        db.execute("UPDATE ledger_entries SET body = replace(body, 'Harbour', 'Harb0ur')")
    with pytest.raises(VerificationError):
        backups.backup(inst, tmp_path / "after-tampering.tar")
    assert not (tmp_path / "after-tampering.tar").exists()


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_a_postgresql_instance_is_backed_up_and_restored_into_sqlite_or_postgresql(
    inst, photo, tmp_path, monkeypatch, empty_postgresql
):
    """The backup of a PostgreSQL instance is a SQLite snapshot of it, checked as any
    other; it restores into a SQLite home, or (ORCON_DATABASE_URL set) into an empty
    PostgreSQL database, where the instance carries on: same copies, new rows get ids."""
    pic, report, people = _shared(inst, photo)
    copies = {e: sharing.issue_copy(inst, report, e).data for e in people}
    photo_copy = sharing.issue_copy(inst, pic, people[0]).data
    done = backups.backup(inst, tmp_path / "pg.tar")
    assert done.items == 2 and done.schema == HEAD_REVISION
    with tarfile.open(tmp_path / "pg.tar") as tar:
        assert backups.DATABASE in tar.getnames()

    monkeypatch.setenv("ORCON_DATABASE_URL", inst.home.database_url())
    with pytest.raises(UsageError, match="already holds an orcon instance"):
        backups.restore(tmp_path / "pg.tar", Home(tmp_path / "over-the-original"))
    assert not (tmp_path / "over-the-original").exists()
    assert backups.check(tmp_path / "pg.tar").ledger_root == done.ledger_root  # drill: no server

    monkeypatch.delenv("ORCON_DATABASE_URL")
    lite = Home(tmp_path / "in-sqlite")
    backups.restore(tmp_path / "pg.tar", lite)
    assert (lite.path / backups.DATABASE).is_file()
    again = Instance.open(lite)
    try:
        assert sharing.issue_copy(again, report, people[1]).data == copies[people[1]]
    finally:
        again.close()

    monkeypatch.setenv("ORCON_DATABASE_URL", empty_postgresql)
    # A copy that fails its last check (the ledger, read back from PostgreSQL) leaves
    # the database empty and no home, so the restore can simply be run again.
    checked = backups.ledger.verify

    def fails_on_the_server(session, *args):  # type: ignore[no-untyped-def]
        if session.get_bind().dialect.name == "postgresql":
            raise VerificationError("simulated: the copied ledger does not verify")
        return checked(session, *args)

    monkeypatch.setattr(backups.ledger, "verify", fails_on_the_server)
    served = Home(tmp_path / "in-postgresql")
    with pytest.raises(VerificationError, match="simulated"):
        backups.restore(tmp_path / "pg.tar", served)
    assert not served.path.exists()
    monkeypatch.setattr(backups.ledger, "verify", checked)
    restored = backups.restore(tmp_path / "pg.tar", served)
    assert restored.ledger_root == done.ledger_root
    assert not list(served.path.glob("orcon.db*"))  # the home uses PostgreSQL
    again = Instance.open(served)
    try:
        assert again.engine.dialect.name == "postgresql"
        assert sharing.issue_copy(again, report, people[2]).data == copies[people[2]]
        assert sharing.issue_copy(again, pic, people[0]).data == photo_copy
        directory.add_org(again, "After the restore")  # its id comes after the copied ones
        directory.add_person(again, "n@after.example", "After the restore")
        assert control.verify_ledger(again).entries == done.ledger_entries + 1 + 2 + 2
    finally:
        again.close()
    with pytest.raises(UsageError, match="already holds an orcon instance"):
        backups.restore(tmp_path / "pg.tar", Home(tmp_path / "twice"))


def test_a_backup_streamed_while_copies_are_issued_restores_to_a_consistent_instance(
    inst, photo, tmp_path, monkeypatch
):
    """Backups are taken from a running instance: each is one snapshot whose ledger
    verifies, whatever is written meanwhile (SQLite's backup API; on PostgreSQL one
    REPEATABLE READ transaction); and they stream (into a pipe to gpg)."""
    _, report, people = _shared(inst, photo)
    stop, issued = threading.Event(), []

    def issue() -> None:
        while not stop.is_set():
            for email in people:
                sharing.issue_copy(inst, report, email)
                issued.append(email)

    writer = threading.Thread(target=issue)
    writer.start()
    try:
        streams = []
        for _ in range(3):
            stream = io.BytesIO()
            streams.append((stream, backups.backup_to(inst, stream)))
    finally:
        stop.set()
        writer.join()
    assert issued
    final = control.verify_ledger(inst).entries
    monkeypatch.delenv("ORCON_DATABASE_URL", raising=False)  # restore into SQLite homes
    for n, (stream, made) in enumerate(streams):
        assert made.path == "-" and made.bytes == len(stream.getvalue())
        stream.seek(0)
        restored = backups.restore(stream, Home(tmp_path / f"restored-{n}"))
        assert restored.ledger_entries == made.ledger_entries <= final
        assert restored.ledger_root == made.ledger_root
