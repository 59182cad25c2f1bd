"""The outbox: notices and alerts the mail server did not take are kept and sent later,
against a real SMTP server on 127.0.0.1 (aiosmtpd) that is down, then up."""

from __future__ import annotations

import email
import email.utils
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from orcon.errors import UsageError
from orcon.service import directory, mail, notices, outbox, sharing, watching
from orcon.store.models import Alert, LedgerEntry
from orcon.watch.fetch import Fetcher

ADMIN = "admin@localhost"


def _events(inst, kind: str) -> list[dict]:  # type: ignore[no-untyped-def]
    with inst.reading() as s:
        rows = s.scalars(select(LedgerEntry.body).where(LedgerEntry.kind == kind))
        return [json.loads(b) for b in rows]


def _partners(inst) -> None:  # type: ignore[no-untyped-def]
    directory.add_org(inst, "Metro Police")
    directory.add_org(inst, "Bureau")
    for who, org in (("a@metro.example", "Metro Police"), ("c@bureau.example", "Bureau")):
        directory.add_person(inst, who, org)


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_notices_wait_while_the_mail_server_is_down_and_go_out_when_it_is_back(
    inst, clock, smtp_later, photo
):
    port, start, inbox = smtp_later
    _partners(inst)
    notices.save_config(inst, notices.NoticeConfig(smtp_host="127.0.0.1", smtp_port=port))
    shared_at = clock.now
    item = sharing.share(inst, photo, title="Scene", tlp="green")
    told = notices.shared(inst, item.id)
    assert told is not None and told.sent == ()
    assert told.queued == told.failed == ("a@metro.example", "c@bureau.example")
    assert told.in_words().endswith("2 will be tried again (orcon outbox)")
    [event] = _events(inst, "notice.sent")
    assert event["queued"] == ["a@metro.example", "c@bureau.example"]
    waiting = outbox.waiting(inst)
    assert [(w.to, w.about, w.item, w.attempts) for w in waiting] == [
        ("a@metro.example", "shared", item.id, 1),
        ("c@bureau.example", "shared", item.id, 1),
    ]
    assert "ConnectionRefusedError" in waiting[0].last_error
    assert waiting[0].next_try_at == shared_at + timedelta(minutes=1)

    # Still down a minute later: each waits longer.
    assert not outbox.due(inst)
    clock.advance(minutes=1)
    assert outbox.due(inst)
    again = outbox.retry(inst)
    assert again.sent == () and len(again.waiting) == 2 and "Connection" in again.error
    assert [w.attempts for w in outbox.waiting(inst)] == [2, 2]
    assert outbox.waiting(inst)[0].next_try_at == clock.now + timedelta(minutes=2)
    assert outbox.retry(inst) == outbox.Retried()  # nothing due yet

    start()
    clock.advance(minutes=2)
    done = outbox.retry(inst)
    assert len(done.sent) == 2 and done.waiting == () and outbox.waiting(inst) == []
    assert done.in_words() == "2 sent"
    mails = [email.message_from_bytes(m) for m in inbox.messages]
    assert sorted(m["To"] for m in mails) == ["a@metro.example", "c@bureau.example"]
    # Dated when written, not when the relay came back.
    assert {email.utils.parsedate_to_datetime(m["Date"]) for m in mails} == {shared_at}
    late = _events(inst, "notice.sent")[-1]
    assert late["retried"] is True and late["told"] == ["a@metro.example", "c@bureau.example"]
    assert outbox.retry(inst, everything=True).in_words() == "nothing waits to be sent"


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_late_notice_is_not_sent_to_someone_suspended_or_no_longer_entitled(
    inst, clock, smtp_later, photo
):
    port, start, inbox = smtp_later
    _partners(inst)
    notices.save_config(inst, notices.NoticeConfig(smtp_host="127.0.0.1", smtp_port=port))
    item = sharing.share(inst, photo, title="Scene", tlp="green")
    notices.shared(inst, item.id)
    other = sharing.share(inst, photo, title="Other", tlp="green")
    notices.shared(inst, other.id)
    directory.suspend(inst, "a@metro.example", "named by trace 3", by=ADMIN)
    sharing.withdraw(inst, other.id, "sent in error", by=ADMIN)
    start()
    done = outbox.retry(inst, everything=True)  # before the pause is over: "try now"
    assert len(done.sent) == 1 and len(done.dropped) == 3
    [mail_] = [email.message_from_bytes(m) for m in inbox.messages]
    assert mail_["To"] == "c@bureau.example"
    reasons = sorted((e["to"], e["item"], e["reason"]) for e in _events(inst, "mail.dropped"))
    assert reasons == sorted(
        [
            ("a@metro.example", item.id, "the person has been suspended since"),
            ("a@metro.example", other.id, "the person has been suspended since"),
            ("c@bureau.example", other.id, "the person may no longer receive the item"),
        ]
    )
    assert outbox.waiting(inst) == []


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_an_address_the_server_refuses_for_good_is_not_kept_one_it_defers_is(inst, smtp, photo):
    ctl, inbox = smtp
    _partners(inst)
    inbox.refuse = {"a@metro.example": "550 5.1.1 no such user"}
    inbox.refuse["c@bureau.example"] = "451 4.3.0 mailbox busy, try later"
    notices.save_config(inst, notices.NoticeConfig(smtp_host="127.0.0.1", smtp_port=ctl.port))
    item = sharing.share(inst, photo, title="Scene", tlp="green")
    told = notices.shared(inst, item.id)
    assert told is not None
    assert told.failed == ("a@metro.example", "c@bureau.example")
    assert told.queued == ("c@bureau.example",)
    assert [w.to for w in outbox.waiting(inst)] == ["c@bureau.example"]

    inbox.refuse["c@bureau.example"] = "550 5.2.1 mailbox disabled"
    done = outbox.retry(inst, everything=True)
    assert len(done.refused) == 1 and outbox.waiting(inst) == [] and inbox.messages == []
    last = _events(inst, "notice.sent")[-1]
    assert last["not_reached"] == ["c@bureau.example"] and "mailbox disabled" in last["error"]


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_an_administrator_drops_mail_and_the_ledger_keeps_it(inst, photo, smtp_later):
    port, _, _ = smtp_later
    _partners(inst)
    notices.save_config(inst, notices.NoticeConfig(smtp_host="127.0.0.1", smtp_port=port))
    item = sharing.share(inst, photo, title="Scene", tlp="green")
    notices.shared(inst, item.id)
    first, second = outbox.waiting(inst)
    with pytest.raises(UsageError, match="unknown outbox mail 999"):
        outbox.drop(inst, [first.id, 999], by=ADMIN)
    assert len(outbox.waiting(inst)) == 2  # nothing dropped by a refused request
    [gone] = outbox.drop(inst, [first.id], by=ADMIN, reason="told by phone")
    assert gone.to == "a@metro.example" and outbox.waiting(inst) == [second]
    [event] = _events(inst, "mail.dropped")
    assert {k: v for k, v in event.items() if k not in ("kind", "seq", "time")} == {
        "mail": first.id, "about": "shared", "item": item.id, "to": "a@metro.example",
        "by": ADMIN, "reason": "told by phone",
    }  # fmt: skip
    notices.save_config(inst, notices.NoticeConfig())  # notices switched off: it waits
    kept = outbox.retry(inst, everything=True)
    assert kept.waiting == (second.id,) and kept.error == "notices are switched off"
    assert len(outbox.drop(inst, None, by=ADMIN)) == 1 and outbox.count(inst) == 0


def test_claimed_mail_is_not_sent_twice(inst, photo, smtp):
    ctl, inbox = smtp
    _partners(inst)
    item = sharing.share(inst, photo, title="Scene", tlp="green")
    cfg = notices.NoticeConfig(smtp_host="127.0.0.1", smtp_port=ctl.port)
    with inst.transaction() as s:
        for to in ("a@metro.example", "c@bureau.example"):
            msg = notices.compose(cfg, inst.org_name, item, to, "TLP:AMBER", inst.clock())
            mail.keep(s, "notify", "remarked", msg, inst.clock(), "earlier", item=item.id)
    notices.save_config(inst, cfg)
    claimed = outbox._claim(inst, inst.clock(), everything=True)  # another worker's try
    assert len(claimed) == 2
    assert outbox.retry(inst, everything=True) == outbox.Retried()
    assert inbox.messages == []


def test_pauses_double_from_a_minute_to_at_most_an_hour() -> None:
    assert [mail.pause(n) for n in (1, 2, 3, 6, 7, 50)] == [
        timedelta(minutes=m) for m in (1, 2, 4, 32, 60, 60)
    ]


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_leak_alert_the_relay_did_not_take_is_sent_from_the_outbox(inst, clock, smtp_later):
    port, start, inbox = smtp_later
    watching.save_config(
        inst,
        watching.WatchConfig(
            smtp_host="127.0.0.1", smtp_port=port, mail_to=["duty@northshire.example"]
        ),
    )
    watcher = watching.Watcher(inst, Fetcher(min_interval=0))
    payload = watcher._alert("fact", "https://feed.example/rss", "https://news.example/a",
                             None, None, {"fact": "Daniel Whitcombe"})  # fmt: skip
    with inst.reading() as s:
        alert = s.scalars(select(Alert)).one()
    assert alert.delivery.startswith("e-mail failed: ConnectionRefusedError; waiting in the outbox")
    [w] = outbox.waiting(inst)
    assert (w.about, w.alert, w.to) == ("alert", payload["alert"], "duty@northshire.example")
    start()
    clock.advance(minutes=1)
    assert len(outbox.retry(inst).sent) == 1
    [sent] = [email.message_from_bytes(m) for m in inbox.messages]
    assert sent["Subject"] == "orcon leak alert: fact on https://news.example/a"
    with inst.reading() as s:
        delivery = s.scalars(select(Alert.delivery)).one()
    assert delivery.endswith(f"e-mail sent from the outbox at {clock.now:%Y-%m-%dT%H:%M:%S.%f}Z")


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_the_servers_worker_sends_what_is_due_by_itself(inst, clock, smtp_later, photo):
    import time

    from orcon.api.serve import _start_outbox

    port, start, inbox = smtp_later
    _partners(inst)
    notices.save_config(inst, notices.NoticeConfig(smtp_host="127.0.0.1", smtp_port=port))
    notices.shared(inst, sharing.share(inst, photo, title="Scene", tlp="green").id)
    start()
    stop = _start_outbox(inst, every=0.05)
    try:
        time.sleep(0.3)
        assert inbox.messages == []  # the pause is not over
        clock.advance(minutes=1)
        deadline = time.monotonic() + 20
        # Sent, then settled: the mail server has both before the outbox is emptied.
        while (len(inbox.messages) < 2 or outbox.count(inst)) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
    assert len(inbox.messages) == 2 and outbox.count(inst) == 0
