"""API tokens people make for themselves (Your account, on the web)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from orcon.errors import PolicyDenied, UsageError
from orcon.service import directory
from orcon.store.models import LedgerEntry

WHO, PASSWORD = "d.okafor@harbour.example", "correct horse battery"


def _partner(inst) -> None:  # type: ignore[no-untyped-def]
    directory.add_org(inst, "Harbour City PD")
    directory.add_person(inst, WHO, "Harbour City PD", password=PASSWORD)


def test_a_token_of_ones_own_needs_the_password_and_always_expires(inst, clock):
    _partner(inst)
    for days in (0, 366):
        with pytest.raises(UsageError, match="lasts 1 to 365 days"):
            directory.create_own_token(inst, WHO, PASSWORD, days)
    with pytest.raises(PolicyDenied, match="the password is wrong"):
        directory.create_own_token(inst, WHO, "wrong password", 30)
    token = directory.create_own_token(inst, WHO, PASSWORD, 30)
    assert directory.authenticate_token(inst, token).email == WHO
    clock.advance(days=31)
    with pytest.raises(PolicyDenied, match="expired"):
        directory.authenticate_token(inst, token)


def test_wrong_passwords_lock_the_account_and_a_suspended_person_makes_none(inst, clock):
    _partner(inst)
    for _ in range(directory.LOCKOUT_AFTER):
        with pytest.raises(PolicyDenied):
            directory.create_own_token(inst, WHO, "wrong password", 30)
    with pytest.raises(PolicyDenied, match="locked"):  # the right one, while locked out
        directory.create_own_token(inst, WHO, PASSWORD, 30)
    clock.advance(minutes=16)
    directory.suspend(inst, WHO, "named by trace 3", by="admin@localhost")
    with pytest.raises(PolicyDenied, match="suspended"):
        directory.create_own_token(inst, WHO, PASSWORD, 30)
    assert directory.account(inst, WHO).live_tokens == 0


def test_a_read_only_token_reads_and_changes_nothing(inst):
    _partner(inst)
    reader = directory.create_own_token(inst, WHO, PASSWORD, 30, scope="read")
    assert directory.authenticate_token(inst, reader, writes=False).email == WHO
    with pytest.raises(PolicyDenied, match="read-only: it may read"):
        directory.authenticate_token(inst, reader)
    full = directory.create_token(inst, WHO, by="admin@localhost")
    assert directory.authenticate_token(inst, full).email == WHO
    with pytest.raises(UsageError, match="access is full or read"):
        directory.create_token(inst, WHO, scope="write")
    with inst.reading() as s:
        bodies = [json.loads(b) for b in s.scalars(
            select(LedgerEntry.body).where(LedgerEntry.kind == "token.created"))]  # fmt: skip
    mine = [b for b in bodies if b["person"] == WHO]
    assert [(b.get("scope"), b["by"]) for b in mine] == [("read", WHO), (None, "admin@localhost")]


def test_one_token_is_listed_and_ended_by_its_number_the_others_go_on(inst, clock):
    _partner(inst)
    first = directory.create_token(inst, WHO, by="cli")
    second = directory.create_own_token(inst, WHO, PASSWORD, 90, scope="read")
    brief = directory.create_token(inst, WHO, days=1, by="cli")
    listed = directory.live_tokens(inst, WHO)
    assert [t.scope for t in listed] == ["full", "read", "full"]  # the newest first
    assert listed[1].expires_at is not None and listed[2].expires_at is None
    directory.revoke_token(inst, WHO, listed[1].id, by=WHO)
    with pytest.raises(PolicyDenied, match="revoked"):
        directory.authenticate_token(inst, second, writes=False)
    assert directory.authenticate_token(inst, first).email == WHO
    with pytest.raises(UsageError, match=f"unknown API token {listed[1].id} of {WHO}"):
        directory.revoke_token(inst, WHO, listed[1].id, by=WHO)  # ended already
    directory.add_person(inst, "other@harbour.example", "Harbour City PD")
    with pytest.raises(UsageError, match="unknown API token"):  # not theirs
        directory.revoke_token(inst, "other@harbour.example", listed[2].id, by="cli")
    with pytest.raises(UsageError, match="unknown API token"):
        directory.revoke_token(inst, WHO, 2**70, by="cli")
    clock.advance(days=2)  # the brief one has stopped by itself: no longer listed
    assert [t.id for t in directory.live_tokens(inst, WHO)] == [listed[2].id]
    assert directory.authenticate_token(inst, first).email == WHO and brief
    with inst.reading() as s:
        ended = [json.loads(b) for b in s.scalars(
            select(LedgerEntry.body).where(LedgerEntry.kind == "tokens.revoked"))]  # fmt: skip
    assert ended == [{**ended[0], "by": WHO, "person": WHO, "tokens": 1, "token": listed[1].id}]


def test_a_tokens_last_use_is_noted_at_most_every_ten_minutes(inst, clock):
    _partner(inst)
    token = directory.create_token(inst, WHO, by="cli")
    [fresh] = directory.live_tokens(inst, WHO)
    assert fresh.last_used_at is None
    directory.authenticate_token(inst, token)
    first = clock.now
    clock.advance(minutes=9)
    directory.authenticate_token(inst, token, writes=False)
    assert directory.live_tokens(inst, WHO)[0].last_used_at == first  # not written again
    clock.advance(minutes=2)
    directory.authenticate_token(inst, token)
    assert directory.live_tokens(inst, WHO)[0].last_used_at == clock.now
    with pytest.raises(PolicyDenied):
        directory.authenticate_token(inst, "orc_not-a-token")
