"""Incremental backups (`orcon backup --since BASE`): the database and what changed, then
restored with the backups they were made on."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import select

from orcon.errors import UsageError, VerificationError
from orcon.service import backups, control, directory, sharing
from orcon.service.instance import Instance
from orcon.store.home import Home
from orcon.store.models import LedgerEntry

REPORT = (Path(__file__).parents[1] / "data" / "reports" / "harbour-road.md").read_bytes()
sqlite_only = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


def _names(archive: Path) -> list[str]:
    with tarfile.open(archive) as tar:
        return [m.name for m in tar.getmembers()]


def _share(inst: Instance, data: bytes, title: str, filename: str | None = None) -> str:
    return sharing.share(
        inst, data, title=title, tlp="amber", to=["Harbour City PD"], filename=filename
    ).id


def _events(inst: Instance, kind: str) -> list[dict]:  # type: ignore[type-arg]
    with inst.reading() as s:
        rows = s.scalars(select(LedgerEntry.body).where(LedgerEntry.kind == kind)).all()
    return [json.loads(b) for b in rows]


@sqlite_only
def test_a_chain_of_incrementals_holds_only_what_changed_and_restores_whole(inst, photo, tmp_path):
    directory.add_org(inst, "Harbour City PD")
    who = directory.add_person(inst, "o1@harbour.example", "Harbour City PD").email
    first = _share(inst, photo, "Scene")
    full = backups.backup(inst, tmp_path / "sunday.tar")
    blobs_then = {n for n in _names(tmp_path / "sunday.tar") if n.startswith("blobs/")}
    assert blobs_then and full.carried == 0 and full.base == ""

    second = _share(inst, REPORT, "Kestrel", "k.md")
    monday = backups.backup(inst, tmp_path / "monday.tar", since=tmp_path / "sunday.tar")
    held = set(_names(tmp_path / "monday.tar"))
    assert backups.DATABASE in held and not held & blobs_then  # nothing it already had
    assert {n for n in held if n.startswith("blobs/")}, "the new report's original"
    assert monday.carried >= len(blobs_then) and monday.base == full.created
    taken = _events(inst, "backup.taken")[-1]
    assert (taken["since"], taken["carried"]) == (full.created, monday.carried)

    directory.add_org(inst, "Federal Bureau")  # the database alone changes
    tuesday = backups.backup(inst, tmp_path / "tuesday.tar", since=tmp_path / "monday.tar")
    assert [n for n in _names(tmp_path / "tuesday.tar") if n.startswith("blobs/")] == []
    assert tuesday.files < monday.files

    # Any order; the restored home is the instance as on Tuesday.
    home = Home(tmp_path / "restored")
    given = [tmp_path / "sunday.tar", tmp_path / "tuesday.tar", tmp_path / "monday.tar"]
    done = backups.restore(given, home)
    assert (done.items, done.ledger_root) == (2, tuesday.ledger_root)
    again = Instance.open(home)
    try:
        assert (
            sharing.issue_copy(again, first, who).data == sharing.issue_copy(inst, first, who).data
        )
        assert (
            sharing.issue_copy(again, second, who).data
            == sharing.issue_copy(inst, second, who).data
        )
        assert "Federal Bureau" in [o["name"] for o in directory.list_orgs(again)]
        assert control.verify_ledger(again).entries >= tuesday.ledger_entries
    finally:
        again.close()
    drill = backups.check(
        [tmp_path / "tuesday.tar", tmp_path / "monday.tar", tmp_path / "sunday.tar"]
    )
    assert drill.ledger_root == tuesday.ledger_root and drill.home == ""


@sqlite_only
def test_an_incremental_without_its_bases_or_with_the_wrong_ones_is_refused(inst, photo, tmp_path):
    directory.add_org(inst, "Harbour City PD")
    _share(inst, photo, "Scene")
    backups.backup(inst, tmp_path / "sunday.tar")
    _share(inst, REPORT, "Kestrel", "k.md")
    backups.backup(inst, tmp_path / "monday.tar", since=tmp_path / "sunday.tar")
    backups.backup(inst, tmp_path / "tuesday.tar", since=tmp_path / "monday.tar")
    target = Home(tmp_path / "restored")
    with pytest.raises(UsageError, match="holds only what changed since the backup of"):
        backups.restore(tmp_path / "monday.tar", target)
    with pytest.raises(UsageError, match="give that backup too"):
        backups.restore([tmp_path / "tuesday.tar", tmp_path / "sunday.tar"], target)
    with (
        pytest.raises(UsageError, match="restore it from its file"),
        (tmp_path / "monday.tar").open("rb") as piped,
    ):
        backups.restore(piped, target)
    with pytest.raises(UsageError, match="are the same backup"):
        backups.restore([tmp_path / "monday.tar", tmp_path / "monday.tar"], target)
    backups.backup(inst, tmp_path / "other-sunday.tar")  # a second whole backup
    with pytest.raises(UsageError, match="not one chain"):
        backups.restore([tmp_path / "sunday.tar", tmp_path / "other-sunday.tar"], target)
    assert not target.path.exists()
    with pytest.raises(UsageError, match="no such file"):
        backups.backup(inst, tmp_path / "x.tar", since=tmp_path / "nope.tar")
    (tmp_path / "junk.tar").write_bytes(b"not a tar at all" * 100)
    with pytest.raises(VerificationError, match=r"not a readable orcon backup|not an orcon"):
        backups.backup(inst, tmp_path / "x.tar", since=tmp_path / "junk.tar")
    assert not (tmp_path / "x.tar").exists()


@sqlite_only
def test_a_base_altered_after_the_incremental_was_made_is_refused(inst, photo, tmp_path):
    directory.add_org(inst, "Harbour City PD")
    _share(inst, photo, "Scene")
    backups.backup(inst, tmp_path / "sunday.tar")
    directory.add_org(inst, "Federal Bureau")
    backups.backup(inst, tmp_path / "monday.tar", since=tmp_path / "sunday.tar")
    # Sunday's archive, its original swapped for other bytes of the same size.
    with (
        tarfile.open(tmp_path / "sunday.tar") as src,
        tarfile.open(tmp_path / "bad.tar", "w") as dst,
    ):
        for member in src.getmembers():
            data = src.extractfile(member).read()  # type: ignore[union-attr]
            if member.name.startswith("blobs/"):
                data = bytes(b ^ 0xFF for b in data)
            dst.addfile(member, io.BytesIO(data))
    target = Home(tmp_path / "restored")
    with pytest.raises(VerificationError, match="not the file the newest backup recorded"):
        backups.restore([tmp_path / "monday.tar", tmp_path / "bad.tar"], target)
    assert (
        not target.path.exists() and [p for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    )


@sqlite_only
def test_a_backup_of_another_instance_is_no_base(inst, tmp_path):
    other, _ = Instance.init(Home(tmp_path / "other"), "Another Force")
    try:
        backups.backup(other, tmp_path / "theirs.tar")
    finally:
        other.close()
    with pytest.raises(UsageError, match="a backup of another instance"):
        backups.backup(inst, tmp_path / "mine.tar", since=tmp_path / "theirs.tar")


@sqlite_only
def test_a_backup_written_before_incrementals_is_no_base(inst, tmp_path):
    backups.backup(inst, tmp_path / "new.tar")
    with tarfile.open(tmp_path / "new.tar") as src, tarfile.open(tmp_path / "old.tar", "w") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == backups.MANIFEST:
                manifest = json.loads(data)
                del manifest["id"]
                data = json.dumps(manifest).encode()
                member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    with pytest.raises(UsageError, match="written before incremental backups"):
        backups.backup(inst, tmp_path / "x.tar", since=tmp_path / "old.tar")
    assert backups.restore(tmp_path / "old.tar", Home(tmp_path / "r")).items == 0  # still whole


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_a_postgresql_instance_backs_up_incrementally_and_restores_anywhere(inst, photo, tmp_path):
    directory.add_org(inst, "Harbour City PD")
    _share(inst, photo, "Scene")
    backups.backup(inst, tmp_path / "sunday.tar")
    _share(inst, REPORT, "Kestrel", "k.md")
    monday = backups.backup(inst, tmp_path / "monday.tar", since=tmp_path / "sunday.tar")
    assert monday.carried > 0 and backups.DATABASE in _names(tmp_path / "monday.tar")
    home = Home(tmp_path / "restored").on_own_database()
    done = backups.restore([tmp_path / "monday.tar", tmp_path / "sunday.tar"], home)
    assert (done.items, done.ledger_root, done.database) == (2, monday.ledger_root, "sqlite")
