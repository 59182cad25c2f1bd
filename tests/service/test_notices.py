"""E-mail notices to recipients, against a real SMTP server on 127.0.0.1 (aiosmtpd)."""

from __future__ import annotations

import email
import json
import socket
from datetime import timedelta
from email.message import Message

import pytest
from sqlalchemy import select

from orcon.service import directory, markings, notices, sharing
from orcon.service.markings import Change
from orcon.store.models import LedgerEntry

ADMIN = "admin@localhost"


def _mails(inbox) -> list[Message]:  # type: ignore[no-untyped-def]
    return [email.message_from_bytes(m) for m in inbox.messages]


def _body(msg: Message) -> str:
    payload = msg.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode().replace("\r\n", "\n")


def _notices(inst) -> list[dict]:  # type: ignore[no-untyped-def]
    with inst.reading() as s:
        rows = s.scalars(select(LedgerEntry.body).where(LedgerEntry.kind == "notice.sent"))
        return [json.loads(b) for b in rows]


def _partners(inst) -> None:  # type: ignore[no-untyped-def]
    directory.add_org(inst, "Metro Police")
    directory.add_org(inst, "Bureau")
    for who, org in (
        ("a@metro.example", "Metro Police"),
        ("b@metro.example", "Metro Police"),
        ("c@bureau.example", "Bureau"),
    ):
        directory.add_person(inst, who, org)
    directory.suspend(inst, "b@metro.example", "named by trace 3", by=ADMIN)


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_recipients_are_told_of_a_share_and_of_a_moved_embargo(inst, clock, smtp, photo):
    ctl, inbox = smtp
    _partners(inst)
    quiet = sharing.share(inst, photo, title="Quiet", tlp="amber", to=["Metro Police"])
    assert notices.shared(inst, quiet.id) is None  # off until a mail server is set
    assert _notices(inst) == [] and inbox.messages == []

    notices.save_config(
        inst,
        notices.NoticeConfig(
            smtp_host="127.0.0.1", smtp_port=ctl.port, base_url="https://orcon.example/"
        ),
    )
    embargo = clock.now + timedelta(hours=4)
    item = sharing.share(
        inst, photo, title="Op Kestrel scene", tlp="amber", to=["Metro Police"],
        embargo_until=embargo,
    )  # fmt: skip
    told = notices.shared(inst, item.id)
    assert told is not None and told.sent == ("a@metro.example",)  # b is suspended
    assert told.in_words() == "told 1 person by e-mail"
    [mail] = _mails(inbox)
    assert mail["To"] == "a@metro.example"
    assert mail["Subject"] == "[TLP:AMBER] Northshire Constabulary shared an item with you"
    body = _body(mail)
    assert "TLP:AMBER · EMBARGOED UNTIL 2026-11-24T16:00Z" in body
    assert f"https://orcon.example/items/{item.id}" in body
    assert "Kestrel" not in body + str(mail["Subject"])  # titles are off by default

    # The embargo moves and the Bureau joins: both partners are told, with old and new.
    sharing.issue_copy(inst, item.id, "a@metro.example")
    markings.remark(
        inst,
        item.id,
        Change(embargo_until=embargo + timedelta(hours=2), add_orgs=["Bureau"],
               remove_orgs=["Metro Police"]),
        "conference moved; the Bureau leads",
        by=ADMIN,
    )  # fmt: skip
    inbox.messages.clear()
    told = notices.remarked(inst, item.id)
    # Metro was taken out, but its officer holds a copy and its embargo.
    assert told is not None and told.sent == ("a@metro.example", "c@bureau.example")
    mails = _mails(inbox)
    assert {m["Subject"] for m in mails} == {"[TLP:AMBER] The markings of an item changed"}
    assert "  now:  TLP:AMBER · EMBARGOED UNTIL 2026-11-24T18:00Z\n" in _body(mails[0])
    assert "  were: TLP:AMBER · EMBARGOED UNTIL 2026-11-24T16:00Z\n" in _body(mails[0])
    assert [(n["about"], n["told"]) for n in _notices(inst)] == [
        ("shared", ["a@metro.example"]),
        ("remarked", ["a@metro.example", "c@bureau.example"]),
    ]

    # Only the audience changes: the partner added is told as of a share, nobody else.
    directory.add_org(inst, "Coastguard")
    directory.add_person(inst, "d@coast.example", "Coastguard")
    markings.remark(inst, item.id, Change(add_orgs=["Coastguard"]), "joins", by=ADMIN)
    inbox.messages.clear()
    told = notices.remarked(inst, item.id)
    assert told is not None and told.sent == ("d@coast.example",)
    [mail] = _mails(inbox)
    assert mail["Subject"] == "[TLP:AMBER] Northshire Constabulary shared an item with you"
    assert _notices(inst)[-1]["about"] == "shared"

    cfg = notices.load_config(inst)
    cfg.titles = True
    notices.save_config(inst, cfg)
    inbox.messages.clear()
    notices.shared(inst, sharing.share(inst, photo, title="Op Heron", tlp="green").id)
    assert all("'Op Heron'" in _body(m) for m in _mails(inbox)) and inbox.messages


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_mail_server_that_is_down_is_reported_and_the_share_stands(inst, photo):
    _partners(inst)
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    notices.save_config(inst, notices.NoticeConfig(smtp_host="127.0.0.1", smtp_port=port))
    item = sharing.share(inst, photo, title="Scene", tlp="green")
    told = notices.shared(inst, item.id)
    assert told is not None and told.sent == ()
    assert told.failed == ("a@metro.example", "c@bureau.example")
    assert "ConnectionRefusedError" in told.error
    assert told.in_words().startswith("told 0 people by e-mail; 2 not reached (Connection")
    assert sharing.get_item(inst, item.id).title == "Scene"
    [event] = _notices(inst)
    assert event["not_reached"] == ["a@metro.example", "c@bureau.example"]
    assert "sign in" in _body(notices.compose(notices.load_config(inst), "X", item, "a@x")).lower()
    with pytest.raises(Exception, match="http"):
        notices.save_config(inst, notices.NoticeConfig(base_url="orcon.example"))


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_an_approved_onward_request_tells_the_partner_it_reaches(inst, smtp, photo):
    from orcon.service import control

    ctl, inbox = smtp
    _partners(inst)
    item = sharing.share(inst, photo, title="Scene", tlp="amber", to=["Metro Police"])
    notices.save_config(inst, notices.NoticeConfig(smtp_host="127.0.0.1", smtp_port=ctl.port))
    request = control.request_onward(inst, item.id, "a@metro.example", "Bureau", "joint op")
    decided = control.decide_request(inst, request.id, approve=True)
    told = notices.approved(inst, decided.item, decided.to_org)
    assert told is not None and told.sent == ("c@bureau.example",)
    [mail] = _mails(inbox)
    assert mail["Subject"] == "[TLP:AMBER] Northshire Constabulary shared an item with you"
