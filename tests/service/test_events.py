"""Reading ledger events out for scripts and collectors, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from orcon.errors import UsageError
from orcon.service import directory, events
from orcon.service.events import Filter
from orcon.store.models import LedgerEntry


def _org(inst, name: str) -> None:  # type: ignore[no-untyped-def]
    directory.add_org(inst, name)


def test_a_collector_polling_with_a_cursor_gets_every_event_once(inst, clock):
    for i in range(7):
        _org(inst, f"Partner {i}")
        clock.advance(minutes=1)
    newest = events.page(inst, Filter(), limit=3)
    assert [e.kind for e in newest] == ["org.added"] * 3
    assert [e.seq for e in newest] == sorted((e.seq for e in newest), reverse=True)

    collected: list[int] = []
    start = 0
    for round_ in range(6):
        got = events.page(inst, Filter(start=start), limit=4)
        collected += [e.seq for e in got]
        start = got[-1].seq + 1 if got else start
        if round_ == 1:  # events written between two polls are in the next one
            _org(inst, "Late partner")
    with inst.reading() as s:
        size = s.scalar(select(func.count()).select_from(LedgerEntry))
    assert collected == list(range(size))
    # The whole log in small batches: the same events, in order.
    assert [e.seq for e in events.every(inst, Filter(), batch=3)] == collected


def test_filters_and_what_an_exported_event_proves(inst, clock):
    first = clock.now
    _org(inst, "Harbour City PD")
    clock.advance(hours=1)
    directory.add_person(inst, "d.okafor@harbour.example", "Harbour City PD", "D Okafor")
    clock.advance(hours=1)
    _org(inst, "Federal Bureau")

    people = events.page(inst, Filter(kinds=["person.added"]))
    assert [json.loads(e.body)["person"] for e in people] == ["d.okafor@harbour.example"]
    assert [e.kind for e in events.page(inst, Filter(text="Harbour City"))] == [
        "person.added",
        "org.added",
    ]
    window = Filter(since=first + timedelta(minutes=30), until=first + timedelta(minutes=90))
    assert [e.kind for e in events.page(inst, window)] == ["person.added"]
    # % and _ are literal, as everywhere orcon searches.
    assert events.page(inst, Filter(text="%")) == []

    [event] = people
    out = event.to_json()
    # The canonical body and its RFC 9162 leaf hash: checkable against a receipt.
    assert out["leaf_hash"] == hashlib.sha256(b"\x00" + out["body"].encode()).hexdigest()
    assert out["event"] == json.loads(out["body"]) and out["event"]["seq"] == out["seq"]

    for f, limit, says in (
        (Filter(kinds=["copy.issued", "copy.stolen"]), 10, "'copy.stolen': no such event kind"),
        (Filter(since=first, until=first), 10, "--since must be before --until"),
        (Filter(start=-1), 10, "0 or more"),
        (Filter(), 0, "the limit must be 1..1000"),
        (Filter(), 1001, "use a cursor for more"),
    ):
        with pytest.raises(UsageError, match=says):
            events.page(inst, f, limit)
