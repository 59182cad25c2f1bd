"""Every recipient's copy in one archive, and copies' file names, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import select

from orcon.errors import UsageError
from orcon.service import bundles, control, directory, knowing, sharing, tracing
from orcon.store.models import LedgerEntry

BOTH = ["Harbour City PD", "Metro Police"]


def _issued(inst) -> list[dict]:  # type: ignore[no-untyped-def]
    with inst.reading() as s:
        rows = s.scalars(select(LedgerEntry.body).where(LedgerEntry.kind == "copy.issued")).all()
    return [json.loads(b) for b in rows]


def _partners(inst) -> None:  # type: ignore[no-untyped-def]
    """Two partners whose duty officers share a mailbox name, and one more officer."""
    directory.add_org(inst, "Harbour City PD")
    directory.add_org(inst, "Metro Police")
    directory.add_person(inst, "duty@harbour.example", "Harbour City PD", "Harbour duty desk")
    directory.add_person(inst, "d.okafor@harbour.example", "Harbour City PD", "D Okafor")
    directory.add_person(inst, "duty@metro.example", "Metro Police", '=HYPERLINK("x")')


def test_copies_of_two_people_with_the_same_mailbox_name_have_different_file_names(inst, photo):
    _partners(inst)
    item = sharing.share(inst, photo, title="Scene", tlp="amber", to=BOTH)
    names = {sharing.issue_copy(inst, item.id, e).filename for e in sharing.entitled(inst, item.id)}
    assert names == {
        f"{item.id}-duty@harbour.example.jpg",
        f"{item.id}-d.okafor@harbour.example.jpg",
        f"{item.id}-duty@metro.example.jpg",
    }
    # A '/' is legal in an address; in a file name it would be a folder.
    directory.add_person(inst, "ops/night@metro.example", "Metro Police")
    odd = sharing.issue_copy(inst, item.id, "ops/night@metro.example").filename
    assert odd == f"{item.id}-ops%2Fnight@metro.example.jpg"


def test_every_copy_in_one_archive_with_its_manifest_and_the_issuer_on_record(inst, photo):
    _partners(inst)
    item = sharing.share(inst, photo, title="Scene", tlp="amber", to=BOTH)
    own = sharing.issue_copy(inst, item.id, "d.okafor@harbour.example")  # Okafor downloads first
    found = bundles.bundle(inst, item.id, by="admin@localhost")
    assert found.filename == f"{item.id}-copies.zip"
    assert [p.email for p in found.people] == [
        "d.okafor@harbour.example",
        "duty@harbour.example",
        "duty@metro.example",
    ]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(found.chunks)))
    assert archive.testzip() is None
    by_sha = {e["copy_sha256"]: e for e in _issued(inst)[1:]}  # the archive's three issues
    files = {
        name: archive.read(name)
        for name in archive.namelist()
        if name not in (bundles.MANIFEST, bundles.README)
    }
    assert len(files) == 3
    # Each file is its person's own copy: the one they download is the same, and it traces
    # to them.
    assert files[own.filename] == own.data
    for email in ("duty@harbour.example", "duty@metro.example"):
        mine = sharing.issue_copy(inst, item.id, email)
        assert files[mine.filename] == mine.data
    assert (
        files[f"{item.id}-duty@metro.example.jpg"] != files[f"{item.id}-duty@harbour.example.jpg"]
    )
    traced = tracing.trace(inst, files[f"{item.id}-duty@metro.example.jpg"])
    assert [a.person for a in traced.accused] == ["duty@metro.example"]

    rows = list(csv.DictReader(io.StringIO(archive.read(bundles.MANIFEST).decode())))
    assert [r["person"] for r in rows] == [p.email for p in found.people]
    for row in rows:
        assert hashlib.sha256(files[row["file"]]).hexdigest() == row["sha256"]
        assert by_sha[row["sha256"]]["by"] == "admin@localhost"
        assert row["not_issued"] == ""
    assert rows[2]["name"] == '\'=HYPERLINK("x")'  # not a formula in a spreadsheet
    # The partner's own downloads say no "by"; the ones issued in the archive do.
    by = "admin@localhost"
    assert [e.get("by") for e in _issued(inst)] == [None, by, by, by, None, None]
    readme = archive.read(bundles.README).decode()
    assert "TLP:AMBER" in readme and "3 copies" in readme and "admin@localhost" in readme
    assert all(i.external_attr >> 16 == 0o600 for i in archive.infolist())
    # Who knew says whose hands each copy passed through.
    held = {h.person: h for h in knowing.who_knew(inst, item.id, inst.clock() + timedelta(1))}
    assert held["d.okafor@harbour.example"].copies_in_words == (
        "1 downloaded by them, 1 issued by admin@localhost"
    )
    assert held["duty@metro.example"].to_json()["issued_by"] == ["admin@localhost"]


def test_a_partner_halted_while_the_archive_is_written_gets_no_copy_and_is_listed(inst, photo):
    _partners(inst)
    item = sharing.share(inst, photo, title="Scene", tlp="amber", to=BOTH)
    seen: list[tuple[int, int]] = []
    found = bundles.bundle(inst, item.id, by="admin@localhost", progress=lambda *a: seen.append(a))
    first = next(found.chunks)  # Okafor's copy is issued and sent
    control.halt(inst, "Metro Police", "embargo broken")
    archive = zipfile.ZipFile(io.BytesIO(first + b"".join(found.chunks)))
    assert seen == [(1, 3), (2, 3), (3, 3)]  # each person, refused or not
    assert found.tally.issued == 2
    assert [who for who, _ in found.tally.refused] == ["duty@metro.example"]
    assert "halted" in found.tally.refused[0][1]
    rows = {
        r["person"]: r for r in csv.DictReader(io.StringIO(archive.read("copies.csv").decode()))
    }
    assert rows["duty@harbour.example"]["not_issued"] == ""
    assert "halted" in rows["duty@metro.example"]["not_issued"]
    assert rows["duty@metro.example"]["file"] == ""
    assert f"{item.id}-duty@metro.example.jpg" not in archive.namelist()
    assert "1 person could not be issued a copy" in archive.read("README.txt").decode()
    assert {e["person"] for e in _issued(inst)} == {
        "d.okafor@harbour.example",
        "duty@harbour.example",
    }


def test_an_archive_for_nobody_is_refused_before_anything_is_issued(inst, photo):
    directory.add_org(inst, "Harbour City PD")
    item = sharing.share(inst, photo, title="Scene", tlp="amber", to=["Harbour City PD"])
    with pytest.raises(UsageError, match="nobody may receive"):
        bundles.bundle(inst, item.id, by="admin@localhost")
    with pytest.raises(UsageError, match="unknown item"):
        bundles.bundle(inst, "itm_nope", by="admin@localhost")
    assert _issued(inst) == []
