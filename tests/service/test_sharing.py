"""Use cases through the service layer, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from sqlalchemy import select, text

from orcon.errors import CapacityError, PolicyDenied, StorageError, UsageError, VerificationError
from orcon.marks.image import attacks
from orcon.marks.image.codec import sniff
from orcon.service import control, directory, knowing, sharing, tracing
from orcon.store import ledger
from orcon.store.models import Item, LedgerEntry

REPORT = (Path(__file__).parents[1] / "data" / "reports" / "harbour-road.md").read_bytes()


def _people(inst, org: str, n: int, domain: str) -> list[str]:  # type: ignore[no-untyped-def]
    directory.add_org(inst, org)
    return [
        directory.add_person(inst, f"officer{i}@{domain}", org, f"Officer {i}").email
        for i in range(n)
    ]


def _events(inst, kind: str) -> list[dict]:  # type: ignore[no-untyped-def]
    with inst.reading() as s:
        rows = s.scalars(select(LedgerEntry.body).where(LedgerEntry.kind == kind)).all()
    return [json.loads(b) for b in rows]


def test_share_issue_copies_and_record_them(inst, photo):
    metro = _people(inst, "Metro Police", 3, "metro.example")
    item = sharing.share(
        inst, photo, title="Scene", tlp="amber", to=["Metro Police"], no_onward=True
    )
    assert item.markings == "TLP:AMBER · NO ONWARD DISSEMINATION"
    assert sharing.entitled(inst, item.id) == sorted(metro)
    a = sharing.issue_copy(inst, item.id, metro[0])
    again = sharing.issue_copy(inst, item.id, metro[0])
    b = sharing.issue_copy(inst, item.id, metro[1])
    assert a.data == again.data and a.data != b.data  # deterministic per person, distinct across
    assert (a.index, b.index) == (0, 1)
    issued = _events(inst, "copy.issued")
    assert [(e["person"], e["index"]) for e in issued] == [
        (metro[0], 0),
        (metro[0], 0),
        (metro[1], 1),
    ]
    assert all(len(e["codeword_commitment"]) == 64 for e in issued)
    assert control.verify_ledger(inst).entries >= 9


def test_tlp_red_reaches_only_named_people(inst, photo):
    metro = _people(inst, "Metro Police", 2, "metro.example")
    item = sharing.share(
        inst, photo, title="Source", tlp="red", to=["Metro Police"], named=[metro[0]]
    )
    sharing.issue_copy(inst, item.id, metro[0])
    with pytest.raises(PolicyDenied, match="TLP:RED"):
        sharing.issue_copy(inst, item.id, metro[1])
    assert _events(inst, "access.denied")[0]["person"] == metro[1]


def test_amber_strict_and_onward_dissemination(inst, photo):
    metro = _people(inst, "Metro Police", 1, "metro.example")
    bureau = _people(inst, "Bureau", 1, "bureau.example")
    strict = sharing.share(inst, photo, title="Strict", tlp="amber+strict", to=["Metro Police"])
    with pytest.raises(PolicyDenied):
        sharing.issue_copy(inst, strict.id, bureau[0])
    with pytest.raises(PolicyDenied, match="never leaves"):
        control.request_onward(inst, strict.id, metro[0], "Bureau")
    amber = sharing.share(inst, photo, title="Amber", tlp="amber", to=["Metro Police"])
    with pytest.raises(PolicyDenied):
        sharing.issue_copy(inst, amber.id, bureau[0])  # nothing flows without approval
    req = control.request_onward(inst, amber.id, metro[0], "Bureau", "joint operation")
    assert req.status == "pending"
    with pytest.raises(PolicyDenied):
        sharing.issue_copy(inst, amber.id, bureau[0])
    control.decide_request(inst, req.id, approve=True)
    assert sharing.issue_copy(inst, amber.id, bureau[0]).person == bureau[0]
    with pytest.raises(UsageError, match="already approved"):
        control.decide_request(inst, req.id, approve=False)


def test_an_approval_is_decided_again_on_the_world_as_it_is_then(inst, photo):
    """A request filed last week may be approved only if it could still be filed now;
    a refused approval leaves the request pending, and it can always be refused."""
    metro = _people(inst, "Metro Police", 2, "metro.example")
    bureau = _people(inst, "Bureau", 1, "bureau.example")
    amber = sharing.share(inst, photo, title="Amber", tlp="amber", to=["Metro Police"])
    first = control.request_onward(inst, amber.id, metro[0], "Bureau", "joint operation")
    second = control.request_onward(inst, amber.id, metro[1], "Bureau", "same operation")
    control.decide_request(inst, first.id, approve=True)
    # Bureau already receives it: the second approval is refused, not a database error.
    with pytest.raises(PolicyDenied, match=r"already receives this item.*stays pending"):
        control.decide_request(inst, second.id, approve=True)
    assert [r.status for r in control.list_requests(inst)] == ["approved", "pending"]
    assert control.decide_request(inst, second.id, approve=False).status == "refused"

    def withdraw(item_id: str) -> None:
        sharing.withdraw(inst, item_id, "shared by mistake", by="admin@localhost")

    def halt(_: str) -> None:
        control.halt(inst, "Bureau", "leak")

    def suspend(_: str) -> None:
        directory.suspend(inst, metro[0], "named by trace 4", by="admin@localhost")

    for says, change in (
        ("withdrawn this item: shared by mistake", withdraw),
        ("sharing with Bureau is halted", halt),
        ("officer0@metro.example is suspended by the originator: named by trace 4", suspend),
    ):
        item = sharing.share(inst, photo, title="Later", tlp="amber", to=["Metro Police"])
        req = control.request_onward(inst, item.id, metro[0], "Bureau")
        change(item.id)
        with pytest.raises(PolicyDenied, match=f"cannot be approved now: .*{says}"):
            control.decide_request(inst, req.id, approve=True)
        with pytest.raises(PolicyDenied):
            sharing.issue_copy(inst, item.id, bureau[0])
    assert len(_events(inst, "onward.approved")) == 1
    assert [r.status for r in control.list_requests(inst)][2:] == ["pending"] * 3


def test_halt_stops_everything_at_once_and_resume_restores(inst, photo):
    metro = _people(inst, "Metro Police", 1, "metro.example")
    item = sharing.share(inst, photo, title="Scene", tlp="green")
    token = directory.create_token(inst, metro[0])
    for reason, says in (("", "reason is required to halt"), ("a\nb", "on one line")):
        with pytest.raises(UsageError, match=says):
            control.halt(inst, "Metro Police", reason)
    control.halt(inst, "Metro Police", "leak under investigation")
    with pytest.raises(PolicyDenied, match="halted"):
        sharing.issue_copy(inst, item.id, metro[0])
    with pytest.raises(PolicyDenied, match="halted"):
        directory.authenticate_token(inst, token)
    assert sharing.list_items_for(inst, metro[0]) == []
    with pytest.raises(UsageError, match="already halted"):
        control.halt(inst, "Metro Police", "again")
    control.resume(inst, "Metro Police")
    assert sharing.issue_copy(inst, item.id, metro[0]).person == metro[0]
    assert [e["reason"] for e in _events(inst, "org.halted")] == ["leak under investigation"]
    with pytest.raises(UsageError, match="cannot be halted"):
        control.halt(inst, "Northshire Constabulary", "no")


def test_suspending_one_person_stops_them_alone_and_keeps_their_copy_traceable(inst, clock):
    report = REPORT
    metro = _people(inst, "Metro Police", 3, "metro.example")
    directory.add_org(inst, "Bureau")
    item = sharing.share(
        inst, report, title="Kestrel", tlp="amber", to=["Metro Police"], filename="k.md"
    )
    copies = {e: sharing.issue_copy(inst, item.id, e).data.decode() for e in metro}
    leaker = metro[1]
    directory.set_password(inst, leaker, "her password is long", by="cli")
    token = directory.create_token(inst, leaker)
    clock.advance(hours=1)
    with pytest.raises(UsageError, match="reason is required"):
        directory.suspend(inst, leaker, "  ", by="admin@localhost")
    info = directory.suspend(inst, leaker, "named by trace 12", by="admin@localhost")
    assert info.suspended and info.org == "Metro Police"

    # Every way in is closed to her, each saying why ...
    why = "suspended by the originator: named by trace 12"
    with pytest.raises(PolicyDenied, match=why):
        sharing.issue_copy(inst, item.id, leaker)
    with pytest.raises(PolicyDenied, match=why):
        directory.authenticate_token(inst, token)
    with pytest.raises(PolicyDenied, match=why):
        directory.login(inst, leaker, "her password is long")
    refused = [e for e in _events(inst, "login.failed") if e["person"] == leaker]
    assert [e.get("refused") for e in refused] == [f"your account is {why}"]
    assert not [e for e in _events(inst, "login") if e["person"] == leaker]
    with pytest.raises(PolicyDenied, match="suspended"):
        control.request_onward(inst, item.id, leaker, "Bureau", "joint operation")
    assert sharing.list_items_for(inst, leaker) == []
    standing = directory.person_status(inst, leaker)
    assert standing is not None and standing.suspended == "named by trace 12"
    assert standing.halted is None
    # ... while her colleagues carry on, and the copies sent to everyone leave her out.
    assert sharing.entitled(inst, item.id) == [metro[0], metro[2]]
    assert sharing.issue_copy(inst, item.id, metro[2]).person == metro[2]
    account = {a.email: a for a in directory.accounts(inst)}[leaker]
    orgs = {o["name"]: o for o in directory.list_orgs(inst)}
    assert (orgs["Metro Police"]["suspended"], orgs["Bureau"]["suspended"]) == (1, 0)
    # The People table's search: any part of an address, name or organisation, any case.
    assert [a.email for a in directory.accounts(inst, " METRO police ")] == metro
    assert [a.email for a in directory.accounts(inst, "officer 1")] == [leaker]
    assert directory.accounts(inst, "bureau") == []
    assert (account.suspended_at, account.suspend_reason) == (clock.now, "named by trace 12")

    # Her copy, leaked after the suspension, is still traced to her.
    leak = " ".join(copies[leaker].encode("ascii", "ignore").decode().lower().split())
    result = tracing.trace(inst, leak.encode())
    assert result.verdict == "accused" and [a.person for a in result.accused] == [leaker]

    # Refusals that protect the originator, and those that name a mistake.
    with pytest.raises(UsageError, match="already suspended"):
        directory.suspend(inst, leaker, "again", by="cli")
    with pytest.raises(UsageError, match="cannot suspend yourself"):
        directory.suspend(inst, "admin@localhost", "leaving", by="admin@localhost")
    with pytest.raises(UsageError, match="only administrator left"):
        directory.suspend(inst, "admin@localhost", "leaving", by="cli")
    with pytest.raises(UsageError, match="at most 500"):
        directory.suspend(inst, metro[0], "x" * 501, by="cli")
    with pytest.raises(UsageError, match="unknown person"):
        directory.suspend(inst, "nobody@metro.example", "who", by="cli")
    with pytest.raises(UsageError, match="is not suspended"):
        directory.reinstate(inst, metro[0], by="cli")
    directory.add_person(inst, "deputy@localhost", "Northshire Constabulary", role="admin")
    directory.suspend(inst, "admin@localhost", "on leave", by="deputy@localhost")  # one is left
    directory.reinstate(inst, "admin@localhost", by="deputy@localhost")

    # Reinstated: her password and her token work again, as before.
    directory.reinstate(inst, leaker, by="admin@localhost")
    assert directory.authenticate_token(inst, token).email == leaker
    assert directory.login(inst, leaker, "her password is long").email == leaker
    assert sharing.issue_copy(inst, item.id, leaker).data.decode() == copies[leaker]
    # What she held, for the investigator: the report, twice (one refused in between).
    sharing.issue_copy(inst, item.id, leaker, by="admin@localhost")
    [held] = knowing.held_by(inst, leaker)
    assert (held.item, held.title, held.copies, held.by_others) == (item.id, "Kestrel", 3, 1)
    assert held.markings == item.markings and not held.withdrawn
    assert knowing.held_by(inst, "deputy@localhost") == []
    assert directory.account(inst, leaker).suspended_at is None
    with pytest.raises(UsageError, match="unknown person"):
        knowing.held_by(inst, "nobody@metro.example")
    events = [(e["person"], e["by"]) for e in _events(inst, "person.suspended")]
    assert events == [(leaker, "admin@localhost"), ("admin@localhost", "deputy@localhost")]
    assert _events(inst, "person.suspended")[0]["reason"] == "named by trace 12"
    assert [e["person"] for e in _events(inst, "person.reinstated")] == ["admin@localhost", leaker]
    assert control.verify_ledger(inst).entries > 0


def test_a_withdrawn_item_reaches_nobody_and_its_copies_stay_traceable(inst, photo):
    metro = _people(inst, "Metro Police", 2, "metro.example")
    directory.add_org(inst, "Bureau")
    item = sharing.share(inst, REPORT, title="Kestrel", tlp="amber", to=["Metro Police"],
                         filename="k.md")  # fmt: skip
    other = sharing.share(inst, photo, title="Scene", tlp="amber", to=["Metro Police"])
    copy = sharing.issue_copy(inst, item.id, metro[0]).data.decode()
    with pytest.raises(UsageError, match="reason is required"):
        sharing.withdraw(inst, item.id, "", by="admin@localhost")
    with pytest.raises(UsageError, match="is a photo"):
        sharing.item_wording(inst, other.id)
    assert sharing.item_wording(inst, item.id)["marked"]
    info = sharing.withdraw(inst, item.id, "shared to the wrong partner", by="admin@localhost")
    assert info.withdraw_reason == "shared to the wrong partner" and info.withdrawn_at
    assert info.markings == item.markings  # not a marking: copies are unchanged

    why = "the originator has withdrawn this item: shared to the wrong partner"
    for email in (metro[1], metro[0], "admin@localhost"):  # partners and staff alike
        with pytest.raises(PolicyDenied, match=why):
            sharing.issue_copy(inst, item.id, email)
    with pytest.raises(PolicyDenied, match="withdrawn"):
        control.request_onward(inst, item.id, metro[0], "Bureau", "joint operation")
    assert [i.id for i in sharing.list_items_for(inst, metro[0])] == [other.id]
    assert sharing.entitled(inst, item.id) == []
    assert not sharing.visible_to(inst, item.id, metro[0])
    listed = {i.id: i for i, _ in sharing.list_items(inst)}
    assert listed[item.id].withdrawn_at is not None and listed[other.id].withdrawn_at is None
    assert sharing.get_item(inst, item.id).to_json()["withdraw_reason"] == info.withdraw_reason
    # The copy issued before, retyped and leaked after the withdrawal, still names its holder.
    leak = " ".join(copy.encode("ascii", "ignore").decode().lower().split())
    result = tracing.trace(inst, leak.encode())
    assert result.item == item.id and [a.person for a in result.accused] == [metro[0]]

    with pytest.raises(UsageError, match="already withdrawn"):
        sharing.withdraw(inst, item.id, "again", by="cli")
    with pytest.raises(UsageError, match="unknown item"):
        sharing.withdraw(inst, "itm_nope", "x", by="cli")
    with pytest.raises(UsageError, match="is not withdrawn"):
        sharing.reinstate(inst, other.id, by="cli")
    sharing.reinstate(inst, item.id, by="cli")
    assert sharing.issue_copy(inst, item.id, metro[0]).data.decode() == copy
    assert sharing.entitled(inst, item.id) == metro
    withdrawn = _events(inst, "item.withdrawn")
    assert [(e["item"], e["by"], e["reason"]) for e in withdrawn] == [
        (item.id, "admin@localhost", "shared to the wrong partner")
    ]
    assert [(e["item"], e["by"]) for e in _events(inst, "item.reinstated")] == [(item.id, "cli")]


def test_the_register_is_searched_by_title_or_id_with_wildcards_taken_literally(inst, photo, clock):
    _people(inst, "Metro Police", 1, "metro.example")
    titles = ["Kestrel 50% interim", "Kestrel_2 scene", "Harbour Road", "Kestrel X2 scene"]
    ids = {}
    for t in titles:  # shared a minute apart: the register lists the newest first
        ids[t] = sharing.share(inst, photo, title=t, tlp="green").id
        clock.advance(minutes=1)

    def found(query: str, limit: int | None = None) -> list[str]:
        return [i.title for i, _ in sharing.list_items(inst, limit, query)]

    assert found("KESTREL") == ["Kestrel X2 scene", "Kestrel_2 scene", "Kestrel 50% interim"]
    assert found("50%") == ["Kestrel 50% interim"]
    assert found("l_2") == ["Kestrel_2 scene"]  # not "l" then any one character
    assert found(ids["Harbour Road"][-8:].upper()) == ["Harbour Road"]
    assert found("kestrel", limit=1) == ["Kestrel X2 scene"]
    assert found("nothing like it") == []
    assert [sharing.count_items(inst, q) for q in ("", "kestrel", "%", "zzz")] == [4, 3, 1, 0]


def test_expired_item_goes_to_nobody(inst, photo, clock):
    metro = _people(inst, "Metro Police", 1, "metro.example")
    item = sharing.share(
        inst, photo, title="Brief", tlp="green", expires_at=clock.now.replace(hour=13)
    )
    sharing.issue_copy(inst, item.id, metro[0])
    clock.advance(hours=2)
    with pytest.raises(PolicyDenied, match="expired"):
        sharing.issue_copy(inst, item.id, metro[0])
    # Gone from the inbox, still in the originator's register with its one holder.
    assert sharing.list_items_for(inst, metro[0]) == []
    assert [(i.id, n) for i, n in sharing.list_items(inst)] == [(item.id, 1)]
    assert [(i.id, n) for i, n in sharing.list_items(inst, limit=1)] == [(item.id, 1)]


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        (dict(tlp="mauve", to=["Metro Police"]), "invalid TLP"),
        (dict(tlp="amber", to=["Nobody"]), "unknown organisation"),
        (dict(tlp="amber", to=[]), "needs at least one recipient"),
        (dict(tlp="amber", to=["Metro Police"], filename="../etc/passwd"), "path separators"),
        (dict(tlp="red", to=["Metro Police"], named=["ghost@x.example"]), "unknown person"),
        (dict(tlp="red", to=["Metro Police"]), "TLP:RED goes only to the people named"),
    ],
)
def test_bad_share_requests_leave_nothing_behind(inst, photo, kwargs, needle):
    _people(inst, "Metro Police", 1, "metro.example")
    before = control.verify_ledger(inst).entries
    with pytest.raises(UsageError, match=needle):
        sharing.share(inst, photo, title="x", **kwargs)
    assert control.verify_ledger(inst).entries == before
    assert not any(Path(inst.home.blobs).rglob("*.blob"))


def test_an_iphone_photo_is_shared_as_it_came_and_copied_as_jpeg(inst, photo):
    """An officer's phone saves HEIC (a GIF or AVIF likewise): orcon keeps the original as
    it came, writes each copy as a JPEG (PNG for a GIF) and traces them."""
    import io

    import pillow_heif
    from PIL import Image

    pillow_heif.register_heif_opener()
    metro = _people(inst, "Metro Police", 3, "metro.example")
    for fmt, copies_as in (("HEIF", "jpeg"), ("AVIF", "jpeg"), ("GIF", "png")):
        buf = io.BytesIO()
        Image.open(io.BytesIO(photo)).save(buf, fmt, **({} if fmt == "GIF" else {"quality": 85}))
        item = sharing.share(inst, buf.getvalue(), title=fmt, tlp="amber", to=["Metro Police"])
        copy = sharing.issue_copy(inst, item.id, metro[1])
        assert copy.filename.endswith(".jpg" if copies_as == "jpeg" else ".png")
        assert sniff(copy.data).value == copies_as
        assert inst.blobs.get(item.id, _wrapped(inst, item.id)) == buf.getvalue()
        result = tracing.trace(inst, copy.data)
        assert result.item == item.id and [a.person for a in result.accused] == [metro[1]]


def _wrapped(inst, item_id: str) -> bytes:  # type: ignore[no-untyped-def]
    with inst.reading() as s:
        return s.get(Item, item_id).wrapped_key  # type: ignore[no-any-return, union-attr]


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        (b"", "empty"),
        (b"%PDF-1.7 not an image", "unsupported file"),
        (b"GIF89a" + bytes(40), "the GIF image is corrupt"),
        (b"\xff\xd8\xff\xe0" + bytes(64), "corrupt or truncated"),
    ],
)
def test_bad_files_are_refused(inst, payload, needle):
    with pytest.raises(UsageError, match=needle):
        sharing.share(inst, payload, title="x", tlp="clear")


def test_oversized_upload_and_tiny_photo(inst, photo, monkeypatch):
    monkeypatch.setattr(sharing, "MAX_UPLOAD", 1000)
    with pytest.raises(UsageError, match="upload limit"):
        sharing.share(inst, photo, title="x", tlp="clear")
    monkeypatch.undo()
    tiny = cv2.imencode(".png", np.random.default_rng(0).integers(0, 255, (90, 120, 3), np.uint8))[
        1
    ]
    with pytest.raises(CapacityError, match="too small"):
        sharing.share(inst, tiny.tobytes(), title="x", tlp="clear")


def test_people_import_is_all_or_nothing_with_line_numbers(inst):
    directory.add_org(inst, "Metro Police")
    good = b"email,name,org\na@metro.example,Ann,Metro Police\nb@metro.example,Bo,Metro Police\n"
    assert len(directory.import_people(inst, good)) == 2
    bad = b"email,name,org\nc@metro.example,Cy,Metro Police\nd@metro.example,Di,Atlantis\n"
    with pytest.raises(UsageError, match="line 3: unknown organisation"):
        directory.import_people(inst, bad)
    assert [p.email for p in directory.list_people(inst, "Metro Police")] == [
        "a@metro.example",
        "b@metro.example",
    ]
    with pytest.raises(UsageError, match=r"line 2: .*already exists"):
        directory.import_people(inst, b"email,name,org\na@metro.example,Ann,Metro Police\n")
    with pytest.raises(UsageError, match="header"):
        directory.import_people(inst, b"mail,name\nx@y.z,x\n")
    with pytest.raises(UsageError, match="line 2: expected 3 fields"):
        directory.import_people(inst, b"email,name,org\nx@y.example,x\n")
    with pytest.raises(UsageError, match="invalid e-mail"):
        directory.add_person(inst, "not-an-email", "Metro Police")
    with pytest.raises(UsageError, match="already exists"):
        directory.add_person(inst, "A@metro.example", "Metro Police")


def test_a_large_import_is_checked_whole_before_anyone_is_added(inst):
    """Addresses are looked up in batches: one taken, far down a long file, still stops
    the import; a file of 1,200 new people is added with one ledger event each."""
    directory.add_org(inst, "Metro Police")
    directory.add_person(inst, "p1100@metro.example", "Metro Police")
    rows = "".join(f"p{i}@metro.example,P {i},metro police\n" for i in range(1200))
    with pytest.raises(UsageError, match=r"line 1102: a person with e-mail p1100@metro\.example"):
        directory.import_people(inst, ("email,name,org\n" + rows).encode())
    twice = "email,name,org\nq@metro.example,Q,Metro Police\nQ@Metro.example,Q2,Metro Police\n"
    with pytest.raises(UsageError, match=r"line 3: q@metro\.example appears twice in the file"):
        directory.import_people(inst, twice.encode())
    assert len(directory.list_people(inst)) == 2  # the administrator and p1100
    rows = "".join(f"r{i}@metro.example,R {i},metro police\n" for i in range(1200))
    added = directory.import_people(inst, ("email,name,org\n" + rows).encode())
    assert [p.email for p in added] == [f"r{i}@metro.example" for i in range(1200)]
    assert {p.org for p in added} == {"Metro Police"}
    events = [e for e in _events(inst, "person.added") if e["person"].startswith("r")]
    assert [e["person"] for e in events] == [p.email for p in added]
    with inst.reading() as s:
        ledger.verify(s, inst.root_verifier, inst.origin)


def test_people_import_reads_what_spreadsheets_save(inst):
    """Semicolons (Excel where the comma is the decimal mark) and tabs are read as the
    header shows; a legacy encoding is refused naming the line and what to save instead."""
    directory.add_org(inst, "Metro Police")
    semicolons = "\ufeffemail;name;org\r\ne@metro.example;Zo\u00eb Smith, Jr;Metro Police\r\n"
    (zoe,) = directory.import_people(inst, semicolons.encode())
    assert (zoe.email, zoe.name) == ("e@metro.example", "Zo\u00eb Smith, Jr")
    tabs = b"email\tname\torg\nf@metro.example\tFi\tMetro Police\n"
    assert [p.email for p in directory.import_people(inst, tabs)] == ["f@metro.example"]
    legacy = "email,name,org\ng@metro.example,Ga\u00eblle,Metro Police\n".encode("cp1252")
    with pytest.raises(UsageError, match=r"line 2: the CSV file is not UTF-8 .*CSV UTF-8"):
        directory.import_people(inst, legacy)
    assert [p.email for p in directory.list_people(inst, "Metro Police")] == [
        "e@metro.example",
        "f@metro.example",
    ]


def test_login_locks_out_after_repeated_failures(inst, clock):
    directory.add_org(inst, "Metro Police")
    directory.add_person(
        inst, "ann@metro.example", "Metro Police", password="correct horse battery"
    )
    assert (
        directory.login(inst, "ann@metro.example", "correct horse battery").email
        == "ann@metro.example"
    )
    for _ in range(5):
        with pytest.raises(PolicyDenied):
            directory.login(inst, "ann@metro.example", "wrong")
    with pytest.raises(PolicyDenied):
        directory.login(inst, "ann@metro.example", "correct horse battery")  # locked
    [ann] = [a for a in directory.accounts(inst) if a.email == "ann@metro.example"]
    assert ann.locked_until is not None and ann.locked_until > clock.now
    clock.advance(minutes=16)
    assert [a.locked_until for a in directory.accounts(inst) if a.email == ann.email] == [None]
    assert directory.login(inst, "ann@metro.example", "correct horse battery")


def test_passwords_are_changed_by_their_owner_and_reset_by_the_operator(inst, clock):
    directory.add_org(inst, "Metro Police")
    ann = "ann@metro.example"
    with pytest.raises(UsageError, match="at least 10 characters"):
        directory.add_person(inst, ann, "Metro Police", password="short")
    assert ann not in [p.email for p in directory.list_people(inst)]  # not added without it
    directory.add_person(inst, ann, "Metro Police", password="first password given")
    before = directory.person_status(inst, ann)
    assert before is not None
    # Her own change needs the current password; a wrong one counts towards the lockout.
    with pytest.raises(UsageError, match="same as the current"):
        directory.change_password(inst, ann, "first password given", "first password given")
    with pytest.raises(UsageError, match="at most 1024"):
        directory.change_password(inst, ann, "first password given", "x" * 1025)
    for _ in range(4):
        with pytest.raises(PolicyDenied, match="current password is wrong"):
            directory.change_password(inst, ann, "a guess at it", "her own password")
    stamp = directory.change_password(inst, ann, "first password given", "her own password")
    after = directory.person_status(inst, ann)
    assert after is not None and after.stamp == stamp != before.stamp  # old sessions end
    assert directory.login(inst, ann, "her own password").email == ann
    with pytest.raises(PolicyDenied):
        directory.login(inst, ann, "first password given")
    # Locked out by guesses at the form, then reset by the operator: the lock ends.
    for _ in range(5):
        with pytest.raises(PolicyDenied):
            directory.change_password(inst, ann, "another guess", "something else again")
    with pytest.raises(PolicyDenied):
        directory.login(inst, ann, "her own password")  # locked
    directory.set_password(inst, ann, "reset by the desk", by="cli")
    assert directory.login(inst, ann, "reset by the desk").email == ann
    # The ledger records who set each password, never the password.
    assert [{k: e[k] for k in ("by", "person")} for e in _events(inst, "password.set")] == [
        {"by": ann, "person": ann},
        {"by": "cli", "person": ann},
    ]
    with inst.reading() as s:
        bodies = " ".join(s.scalars(select(LedgerEntry.body)).all())
    assert "her own password" not in bodies and "reset by the desk" not in bodies
    assert len(_events(inst, "login.failed")) == 4 + 5 + 1 + 1


def test_revoking_ends_every_api_token_of_a_person(inst):
    directory.add_org(inst, "Metro Police")
    directory.add_person(inst, "ann@metro.example", "Metro Police")
    tokens = [directory.create_token(inst, "ann@metro.example") for _ in range(2)]
    assert {directory.authenticate_token(inst, t).email for t in tokens} == {"ann@metro.example"}
    listed = {a.email: a for a in directory.accounts(inst)}
    assert list(listed) == ["admin@localhost", "ann@metro.example"]  # staff first
    ann = listed["ann@metro.example"]
    assert (ann.live_tokens, ann.has_password, ann.locked_until) == (2, False, None)
    assert directory.revoke_tokens(inst, "ann@metro.example", by="admin@localhost") == 2
    for t in tokens:
        with pytest.raises(PolicyDenied, match="invalid or revoked"):
            directory.authenticate_token(inst, t)
    assert directory.revoke_tokens(inst, "ann@metro.example", by="cli") == 0  # none left
    fresh = directory.create_token(inst, "ann@metro.example")
    assert directory.authenticate_token(inst, fresh).email == "ann@metro.example"
    revoked = _events(inst, "tokens.revoked")
    assert [(e["person"], e["by"], e["tokens"]) for e in revoked] == [
        ("ann@metro.example", "admin@localhost", 2)
    ]
    with pytest.raises(UsageError, match="unknown"):
        directory.revoke_tokens(inst, "nobody@metro.example", by="cli")


def test_a_token_given_a_lifetime_stops_by_itself(inst, clock):
    directory.add_org(inst, "Metro Police")
    directory.add_person(inst, "ann@metro.example", "Metro Police")
    for days in (0, directory.TOKEN_DAYS_MAX + 1):
        with pytest.raises(UsageError, match="lifetime is 1 to 3650 days"):
            directory.create_token(inst, "ann@metro.example", days)
    brief = directory.create_token(inst, "ann@metro.example", 30)
    lasting = directory.create_token(inst, "ann@metro.example")
    assert directory.account(inst, "ann@metro.example").live_tokens == 2
    clock.advance(days=29, hours=23)
    assert directory.authenticate_token(inst, brief).email == "ann@metro.example"
    clock.advance(hours=1)
    with pytest.raises(PolicyDenied, match="expired on 2026-12-24T12:00Z"):
        directory.authenticate_token(inst, brief)
    assert directory.authenticate_token(inst, lasting).email == "ann@metro.example"
    assert directory.account(inst, "ann@metro.example").live_tokens == 1  # the People table
    assert directory.revoke_tokens(inst, "ann@metro.example", by="cli") == 1
    created = [e for e in _events(inst, "token.created") if e["person"] == "ann@metro.example"]
    assert [e.get("expires_at") for e in created] == ["2026-12-24T12:00:00.000000Z", None]


def test_trace_names_the_leaker_and_nobody_for_the_original(
    inst, large_photo, other_photo, unrelated_photo
):
    # The newspaper chain (crop to 60 %, halve the area, JPEG 60) of the 1600 px photo:
    # named under 200 of 200 random instance keys with these six people, the leaker's
    # p-value at most 1e-94 (BENCHMARKS.md).
    photo = large_photo
    metro = _people(inst, "Metro Police", 6, "metro.example")
    item = sharing.share(inst, photo, title="Scene", tlp="amber", to=["Metro Police"])
    sharing.share(inst, other_photo, title="Other", tlp="amber", to=["Metro Police"])
    copies = {e: sharing.issue_copy(inst, item.id, e) for e in metro}
    pixels = cv2.imdecode(np.frombuffer(copies[metro[4]].data, np.uint8), cv2.IMREAD_COLOR)
    leak = attacks.newspaper(pixels, np.random.default_rng(2))
    result = tracing.trace(inst, cv2.imencode(".jpg", leak)[1].tobytes())
    assert result.verdict == "accused" and result.item == item.id
    assert [a.person for a in result.accused] == [metro[4]]
    assert result.to_json()["accused"][0]["p_value"] <= 1e-6 / 6
    assert tracing.trace(inst, photo).verdict == "inconclusive"  # the unmarked original
    nothing = tracing.trace(inst, unrelated_photo)
    assert nothing.verdict == "no-match" and nothing.item is None
    assert [e["verdict"] for e in _events(inst, "trace.run")] == [
        "accused",
        "inconclusive",
        "no-match",
    ]


def test_tampering_with_the_stored_ledger_is_detected(inst, photo):
    _people(inst, "Metro Police", 2, "metro.example")
    with inst.engine.begin() as conn:
        body = conn.execute(text("SELECT body FROM ledger_entries WHERE seq = 3")).scalar_one()
        forged = body.replace("officer0", "officer9")
        assert forged != body
        conn.execute(text("UPDATE ledger_entries SET body = :b WHERE seq = 3"), {"b": forged})
    with pytest.raises(VerificationError, match="entry 3 was altered"):
        control.verify_ledger(inst)


def test_a_consistent_rewrite_is_caught_by_the_signed_checkpoints(inst):
    from orcon.ledger.merkle import leaf_hash

    _people(inst, "Metro Police", 3, "metro.example")
    with inst.engine.begin() as conn:
        body = conn.execute(text("SELECT body FROM ledger_entries WHERE seq = 4")).scalar_one()
        forged = body.replace("officer1", "officer7")
        assert forged != body
        conn.execute(
            text("UPDATE ledger_entries SET body = :b, leaf_hash = :h WHERE seq = 4"),
            {"b": forged, "h": leaf_hash(forged.encode())},
        )
    with pytest.raises(VerificationError, match=r"entries \d+\.\.\d+ were rewritten"):
        control.verify_ledger(inst)


def test_unknown_things_are_named(inst):
    with pytest.raises(UsageError, match="unknown item"):
        sharing.issue_copy(inst, "itm_nope", "a@b.c")
    with pytest.raises(UsageError, match="unknown organisation"):
        control.halt(inst, "Atlantis", "x")
    with pytest.raises(UsageError, match="already exists"):
        directory.add_org(inst, "northshire constabulary")
    assert StorageError  # the hierarchy is importable for callers


def test_text_reports_share_copy_and_trace(inst):
    report = REPORT
    people = _people(inst, "Metro Police", 8, "metro.example")
    item = sharing.share(
        inst,
        report,
        title="Kestrel",
        tlp="amber",
        to=["Metro Police"],
        filename="kestrel.md",
        max_recipients=100,
        no_onward=True,
    )
    assert item.kind == "text" and item.format == "markdown" and item.code_length >= 60
    copies = {e: sharing.issue_copy(inst, item.id, e).data.decode() for e in people}
    assert copies[people[0]].startswith("> **TLP:AMBER · NO ONWARD DISSEMINATION**")
    # Retyped: ASCII only (no invisible marks), lower case, re-wrapped.
    leak = " ".join(copies[people[5]].encode("ascii", "ignore").decode().lower().split())
    result = tracing.trace(inst, leak.encode())
    assert result.verdict == "accused" and [a.person for a in result.accused] == [people[5]]
    with pytest.raises(CapacityError, match=r"more words .* \{\{alt:first\|second\}\}"):
        sharing.share(
            inst, b"A short note. Officers stated that it was observed.", title="n", tlp="clear"
        )
    with pytest.raises(UsageError, match="UTF-8"):
        sharing.share(inst, b"caf\xe9 report text", title="n", tlp="clear")


def test_key_rotation_is_in_the_log_and_old_checkpoints_still_verify(inst):
    from orcon.ledger.note import Signer, sign_note, split_note
    from orcon.store.models import LedgerCheckpoint

    _people(inst, "Metro Police", 2, "metro.example")
    old = inst.verifier.vkey
    new = control.rotate_ledger_key(inst)
    assert new != old and inst.home.info()["root_key"] == old
    directory.add_org(inst, "Bureau")  # sealed with the new key
    report = control.verify_ledger(inst)
    assert report.entries >= 7
    rotated = _events(inst, "key.rotated")
    assert rotated == [{**rotated[0], "old_key": old, "new_key": new}]
    # A checkpoint after the rotation signed with the *old* key is refused.
    with inst.reading() as s:
        last = s.scalars(select(LedgerCheckpoint).order_by(LedgerCheckpoint.size.desc())).first()
    body, _ = split_note(last.note)
    from orcon.store.home import Home

    forged = sign_note(
        body, [Signer(inst.origin, Home(inst.home.path).secrets().signer.private_key)]
    )
    assert forged == last.note  # the current key signed it
    with inst.engine.begin() as conn:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        rogue = sign_note(body, [Signer(inst.origin, Ed25519PrivateKey.generate())])
        conn.execute(
            text("UPDATE ledger_checkpoints SET note = :n WHERE size = :s"),
            {"n": rogue, "s": last.size},
        )
    with pytest.raises(VerificationError, match="not validly signed"):
        control.verify_ledger(inst)


def test_who_knew_before_a_time(inst, photo, clock):
    people = _people(inst, "Metro Police", 3, "metro.example")
    item = sharing.share(inst, photo, title="Scene", tlp="amber", to=["Metro Police"])
    sharing.issue_copy(inst, item.id, people[0])
    clock.advance(hours=1)
    cutoff = clock.now
    clock.advance(minutes=1)
    sharing.issue_copy(inst, item.id, people[1])
    sharing.issue_copy(inst, item.id, people[0])
    assert [h.person for h in knowing.who_knew(inst, item.id, cutoff)] == [people[0]]
    later = knowing.who_knew(inst, item.id, clock.now.replace(hour=23))
    assert [(h.person, h.copies) for h in later] == [(people[0], 2), (people[1], 1)]


def test_large_instances_look_photos_up_through_the_index(inst, photo, other_photo, monkeypatch):
    people = _people(inst, "Metro Police", 3, "metro.example")
    monkeypatch.setattr(tracing, "INDEX_ABOVE", 1)  # force the LSH path with two photos
    item = sharing.share(inst, photo, title="Scene", tlp="amber", to=["Metro Police"])
    sharing.share(inst, other_photo, title="Other", tlp="amber", to=["Metro Police"])
    copy = sharing.issue_copy(inst, item.id, people[2]).data
    result = tracing.trace(inst, copy)
    assert result.item == item.id and [a.person for a in result.accused] == [people[2]]


def test_the_words_of_a_shared_text_come_from_its_model_as_from_its_document(inst):
    """OCR's lost spaces are put back with every word any copy may hold; read from the
    item's stored model (fast) they are the same as from its rebuilt document."""
    from collections import Counter

    from orcon.marks.text.normalize import tokens
    from orcon.store.models import Item

    _people(inst, "Metro Police", 2, "metro.example")
    marked = Path(__file__).parents[1] / "data" / "authored" / "harbour-road-marked.md"
    source = marked.read_bytes().replace(
        b"The seller assisted", b"{{lock}}The seller assisted{{/lock}}", 1
    )
    assert b"{{lock}}" in source
    shared = sharing.share(inst, source, title="K", tlp="amber", to=["Metro Police"],
                           filename="k.md")  # fmt: skip
    with inst.reading() as s:
        item = s.get(Item, shared.id)
    inst.cache.put("text", item.id, None)  # as in a new process: read from the model
    fast = Counter(sharing.text_words(inst, item))
    doc = sharing.text_document(inst, item)
    slow = Counter(tokens(doc.source))
    for site in doc.sites:
        for form in site.forms:
            slow.update(tokens(form))
    assert fast == slow
    assert "lock" not in fast and "alt" not in fast  # the author's markup is no word
    assert fast["vendor"] >= 1  # a wording the author wrote for one copy in two


def test_the_shared_texts_words_are_kept_for_the_next_process(inst, monkeypatch):
    """Gathering every shared text's words costs about a millisecond a text, paid by each
    new process before its first picture of text: they are kept, encrypted, and a new
    process gathers only the texts shared since."""
    from orcon.service.instance import Instance

    _people(inst, "Metro Police", 2, "metro.example")
    reports = sorted((Path(__file__).parents[1] / "data" / "reports").glob("*.md"))
    ids = [
        sharing.share(inst, r.read_bytes(), title=r.stem, tlp="amber", to=["Metro Police"],
                      filename="r.md", max_recipients=20).id
        for r in reports[:3]
    ]  # fmt: skip
    first = tracing._shared_words(inst, ids)
    kept = inst.home.blobs / "derived" / f"{tracing.VOCABULARY}.sealed"
    raw = kept.read_bytes()
    long_words = [w for w in first if len(w) > 7]
    assert long_words and not any(w.encode() in raw for w in long_words)  # encrypted

    gathered: list[str] = []
    real = tracing.text_words

    def counting(instance, item):  # type: ignore[no-untyped-def]
        gathered.append(item.id)
        return real(instance, item)

    monkeypatch.setattr(tracing, "text_words", counting)
    fresh = Instance.open(inst.home)  # a new process: empty caches
    assert tracing._shared_words(fresh, ids) == first and gathered == []
    fresh.close()
    another = sharing.share(
        inst, reports[3].read_bytes(), title="d", tlp="amber", to=["Metro Police"],
        filename="r.md", max_recipients=20,
    )  # fmt: skip
    ids.append(another.id)
    fresh = Instance.open(inst.home)
    grown = tracing._shared_words(fresh, ids)
    fresh.close()
    assert gathered == [ids[-1]]  # only the text shared since
    kept.write_bytes(kept.read_bytes()[:-1] + b"\x00")  # damaged: gathered afresh, the same
    fresh = Instance.open(inst.home)
    assert tracing._shared_words(fresh, ids) == grown and sorted(gathered[1:]) == sorted(ids)
    fresh.close()
    # Kept words of a text no longer listed are not used: all are gathered again.
    fresh = Instance.open(inst.home)
    gathered.clear()
    assert tracing._shared_words(fresh, ids[:2]) != grown and sorted(gathered) == sorted(ids[:2])
    fresh.close()


def test_the_most_text_recipients_is_the_largest_number_sharing_accepts():
    assert sharing.max_text_recipients(0) == 0
    for capacity in range(1, 90):
        most = sharing.max_text_recipients(capacity)
        if most:
            assert sharing.text_symbols_needed(most) <= capacity
        assert sharing.text_symbols_needed(most + 1) > capacity, capacity
    assert sharing.max_text_recipients(400) == sharing.MOST_TEXT_RECIPIENTS


def test_an_inconclusive_text_leak_is_reported_on_the_item_whose_copies_are_out(inst):
    """A report shared twice (a draft never copied, then the one sent out), and a leak that
    quotes one short passage and holds another report's text besides: the trace speaks of
    the item partners hold, and says how little of the leak is that item's."""
    reports = Path(__file__).parents[1] / "data" / "reports"
    harbour = (reports / "harbour-road.md").read_bytes()
    people = _people(inst, "Metro Police", 4, "metro.example")
    shared = [
        sharing.share(
            inst,
            harbour,
            title=t,
            tlp="amber",
            to=["Metro Police"],
            filename="h.md",
            max_recipients=20,
        ).id
        for t in ("Kestrel draft", "Kestrel")
    ]
    for e in people:
        sharing.issue_copy(inst, shared[1], e)
    # canal-street.md shares two stock sentences with harbour-road.md, word for word.
    leak = (reports / "canal-street.md").read_bytes()
    result = tracing.trace(inst, leak)
    assert result.verdict == "inconclusive" and result.item == shared[1]
    assert not any("no copy of this item has been issued" in n for n in result.notes)
    words = len(leak.decode().split())
    note = next(n for n in result.notes if "readable wording symbols" in n)
    assert f"of the leak's {words} words are this item's" in note
    # A retyped copy of the item itself draws no such remark.
    whole = sharing.issue_copy(inst, shared[1], people[2]).data.decode()
    retyped = " ".join(whole.encode("ascii", "ignore").decode().split()).encode()
    named = tracing.trace(inst, retyped)
    assert [a.person for a in named.accused] == [people[2]]
    assert not any("words are this item's" in n for n in named.notes)
