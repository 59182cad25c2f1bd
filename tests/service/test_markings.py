"""Changing an item's markings after it is shared, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest
from sqlalchemy import func, select

from orcon.errors import PolicyDenied, UsageError
from orcon.marks.image import attacks
from orcon.service import directory, markings, sharing, tracing
from orcon.service.markings import Change
from orcon.store.models import LedgerEntry

REPORT = (Path(__file__).parents[1] / "data" / "reports" / "harbour-road.md").read_bytes()
ADMIN = "admin@localhost"


def _people(inst, org: str, n: int, domain: str) -> list[str]:  # type: ignore[no-untyped-def]
    directory.add_org(inst, org)
    return [
        directory.add_person(inst, f"officer{i}@{domain}", org, f"Officer {i}").email
        for i in range(n)
    ]


def _entries(inst) -> int:  # type: ignore[no-untyped-def]
    with inst.reading() as s:
        return int(s.scalar(select(func.count()).select_from(LedgerEntry)) or 0)


def _remarks(inst) -> list[dict]:  # type: ignore[no-untyped-def]
    with inst.reading() as s:
        rows = s.scalars(select(LedgerEntry.body).where(LedgerEntry.kind == "item.remarked")).all()
    return [json.loads(b) for b in rows]


def test_releasing_a_report_widens_its_audience_and_later_copies_carry_the_new_banner(inst, clock):
    metro = _people(inst, "Metro Police", 1, "metro.example")
    bureau = _people(inst, "Bureau", 1, "bureau.example")
    item = sharing.share(
        inst, REPORT, title="Harbour Road", tlp="amber", to=["Metro Police"], filename="h.md"
    )
    before = sharing.issue_copy(inst, item.id, metro[0]).data.decode()
    assert before.startswith("> **TLP:AMBER**")
    with pytest.raises(PolicyDenied):
        sharing.issue_copy(inst, item.id, bureau[0])

    clock.advance(days=1)
    embargo = clock.now + timedelta(hours=2)
    info = markings.remark(
        inst,
        item.id,
        Change(tlp="clear", embargo_until=embargo),
        "released at the press conference",
        by=ADMIN,
    )
    assert info.markings == "TLP:CLEAR · EMBARGOED UNTIL 2026-11-25T14:00Z"
    # Bureau was never a recipient; a CLEAR item reaches every partner.
    assert sharing.issue_copy(inst, item.id, bureau[0]).person == bureau[0]
    after = sharing.issue_copy(inst, item.id, metro[0]).data.decode()
    assert after.startswith("> **TLP:CLEAR · EMBARGOED UNTIL 2026-11-25T14:00Z**")
    # Only the banner differs: the wording (the fingerprint) is the person's, as before.
    assert after.split("\n", 2)[2] == before.split("\n", 2)[2]
    leak = " ".join(after.split("\n", 2)[2].encode("ascii", "ignore").decode().lower().split())
    result = tracing.trace(inst, leak.encode())
    assert [a.person for a in result.accused] == metro

    [event] = _remarks(inst)
    assert event["reason"] == "released at the press conference" and event["by"] == ADMIN
    assert event["changed"] == {
        "tlp": ["AMBER", "CLEAR"],
        "embargo_until": [None, "2026-11-25T14:00:00.000000Z"],
    }
    assert event["before"]["to"] == event["after"]["to"] == ["Metro Police"]


def test_a_refused_change_changes_nothing_and_says_why(inst, clock, photo):
    metro = _people(inst, "Metro Police", 2, "metro.example")
    directory.add_org(inst, "Bureau")
    item = sharing.share(inst, photo, title="Scene", tlp="amber", to=["Metro Police"])
    red = sharing.share(
        inst, photo, title="Source", tlp="red", to=["Metro Police"], named=[metro[0]]
    )
    entries = _entries(inst)
    past = clock.now - timedelta(minutes=1)
    refusals = [
        (item.id, Change(tlp="amber"), "already has these markings: nothing to change"),
        (item.id, Change(tlp="purple"), "invalid TLP"),
        (item.id, Change(tlp="red"), "TLP:RED goes only to the people named"),
        (item.id, Change(remove_orgs=["Metro Police"]), "would reach nobody"),
        (item.id, Change(expires_at=past), r"already past \(to lift it, use --no-expiry\)"),
        (item.id, Change(embargo_until=past), "use --no-embargo"),
        (item.id, Change(add_orgs=["Metro Police"]), "Metro Police already receives"),
        (item.id, Change(add_orgs=["Northshire Constabulary"]), "is the originator"),
        (item.id, Change(add_orgs=["Nobody"]), "unknown organisation"),
        (item.id, Change(remove_orgs=["Bureau"]), "Bureau is not a recipient"),
        (item.id, Change(remove_named=[metro[1]]), "is not named as a recipient"),
        (red.id, Change(remove_named=[metro[0]]), "would reach nobody"),
        (red.id, Change(add_named=[metro[0]]), "already named"),
        ("itm_missing", Change(tlp="clear"), "unknown item"),
    ]
    for item_id, change, says in refusals:
        with pytest.raises(UsageError, match=says):
            markings.remark(inst, item_id, change, "a reason", by=ADMIN)
    with pytest.raises(UsageError, match="reason is required"):
        markings.remark(inst, item.id, Change(tlp="green"), " ", by=ADMIN)
    assert _entries(inst) == entries
    assert sharing.get_item(inst, item.id).markings == "TLP:AMBER"
    assert sharing.get_item(inst, item.id).recipient_orgs == ("Metro Police",)


def test_taking_a_partner_out_stops_its_copies_and_keeps_the_old_ones_traceable(inst, clock, photo):
    metro = _people(inst, "Metro Police", 2, "metro.example")
    bureau = _people(inst, "Bureau", 1, "bureau.example")
    item = sharing.share(inst, photo, title="Scene", tlp="amber", to=["Metro Police"])
    held = sharing.issue_copy(inst, item.id, metro[1]).data
    clock.advance(hours=1)
    info = markings.remark(
        inst,
        item.id,
        Change(add_orgs=["Bureau"], remove_orgs=["Metro Police"], no_onward=True),
        "the operation moved to the Bureau",
        by=ADMIN,
    )
    assert info.recipient_orgs == ("Bureau",) and info.no_onward
    with pytest.raises(PolicyDenied, match="not a recipient"):
        sharing.issue_copy(inst, item.id, metro[0])
    assert sharing.entitled(inst, item.id) == bureau
    # A photo's copy carries no banner: the same person gets the same bytes as before.
    markings.remark(inst, item.id, Change(add_orgs=["Metro Police"]), "back", by=ADMIN)
    assert sharing.issue_copy(inst, item.id, metro[1]).data == held
    pixels = cv2.imdecode(np.frombuffer(held, np.uint8), cv2.IMREAD_COLOR)
    result = tracing.trace(inst, cv2.imencode(".jpg", attacks.jpeg(pixels, 75))[1].tobytes())
    assert [a.person for a in result.accused] == [metro[1]]


def test_whether_a_publication_broke_the_markings_it_had_then(inst, clock, photo):
    _people(inst, "Metro Police", 1, "metro.example")
    press = sharing.share(
        inst,
        photo,
        title="Press release",
        tlp="clear",
        embargo_until=clock.now + timedelta(hours=3),
    )
    start = clock.now
    early = markings.publication_at(inst, press.id, start + timedelta(hours=2))
    assert early.breach and early.why == "public before its embargo lifted at 2026-11-24 15:00Z"
    late = markings.publication_at(inst, press.id, start + timedelta(hours=4))
    assert not late.breach and late.why == "TLP:CLEAR, public after its embargo lifted"

    report = sharing.share(inst, photo, title="Scene", tlp="amber", to=["Metro Police"])
    clock.advance(days=1)
    released = clock.now
    markings.remark(inst, report.id, Change(tlp="clear"), "released", by=ADMIN)
    clock.advance(days=1)
    # Printed before the release: a breach, though the item is CLEAR today.
    then = markings.publication_at(inst, report.id, released - timedelta(hours=1))
    assert then.breach and then.why == "TLP:AMBER is not for public disclosure"
    assert then.markings_then == "TLP:AMBER"
    now = markings.publication_at(inst, report.id, released + timedelta(hours=1))
    assert not now.breach and now.markings_then == "TLP:CLEAR"
