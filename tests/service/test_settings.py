"""Changing the notices' and the watch's settings is on record in the ledger."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from orcon.errors import UsageError
from orcon.policy import partner_may_read
from orcon.service import notices, watching
from orcon.store import ledger
from orcon.store.models import LedgerEntry


def _changes(inst) -> list[dict]:  # type: ignore[no-untyped-def]
    with inst.reading() as s:
        rows = s.scalars(select(LedgerEntry.body).where(LedgerEntry.kind == "settings.changed"))
        return [json.loads(b) for b in rows]


def _bodies(inst) -> str:  # type: ignore[no-untyped-def]
    with inst.reading() as s:
        return "\n".join(s.scalars(select(LedgerEntry.body)))


def test_each_change_of_the_notices_settings_is_an_event_and_no_change_is_none(inst):
    cfg = notices.NoticeConfig(smtp_host="mail.northshire.example", mail_from="o@n.example")
    assert notices.save_config(inst, cfg, by="admin@localhost") == {
        "mail_from": ["orcon@localhost", "o@n.example"],
        "smtp_host": ["", "mail.northshire.example"],
    }
    assert notices.save_config(inst, cfg, by="admin@localhost") == {}
    cfg.titles = True
    notices.save_config(inst, cfg)
    first, second = _changes(inst)
    assert (first["by"], first["settings"]) == ("admin@localhost", "notify")
    assert second["by"] == "cli" and second["changed"] == {"titles": [False, True]}
    assert notices.load_config(inst).titles is True
    with inst.reading() as s:
        ledger.verify(s, inst.root_verifier, inst.origin)


def test_a_password_or_secret_is_on_record_as_changed_never_in_clear(inst):
    cfg = notices.NoticeConfig(smtp_host="smtp.example", starttls=True, smtp_user="orcon")
    with pytest.raises(UsageError, match="needs its password"):
        notices.save_config(inst, cfg)
    assert _changes(inst) == [] and notices.load_config(inst).smtp_host == ""
    notices.save_config(inst, cfg, password="relay secret\n")
    [event] = _changes(inst)
    assert event["changed"]["smtp_password"] == "changed"
    notices.save_config(inst, cfg, password="relay secret")  # the same password: no change
    assert len(_changes(inst)) == 1
    wcfg = watching.WatchConfig(webhook_url="https://soc.example/hook", webhook_secret="s3cret")
    watching.save_config(inst, wcfg, by="admin@localhost")
    wcfg.webhook_secret, wcfg.auto_halt = "rotated", True
    watching.save_config(inst, wcfg, by="admin@localhost")
    *_, hooked, rotated = _changes(inst)
    assert hooked["changed"]["webhook_secret"] == "changed"
    assert rotated["changed"] == {"auto_halt": [False, True], "webhook_secret": "changed"}
    body = _bodies(inst)
    assert "relay secret" not in body and "s3cret" not in body and "rotated" not in body
    # Partners reading the ledger do not see the originator's settings.
    event = {"kind": "settings.changed", **rotated}
    assert not partner_may_read(event, "SOC", frozenset({"soc@soc.example"}))


def test_settings_that_cannot_work_are_refused_and_nothing_is_written(inst):
    with pytest.raises(UsageError, match="http\\(s\\) address"):
        watching.save_config(inst, watching.WatchConfig(webhook_url="soc.example/hook"))
    with pytest.raises(UsageError, match="is not a port number"):
        watching.save_config(inst, watching.WatchConfig(smtp_host="x", smtp_port=70000))
    with pytest.raises(UsageError, match="base URL"):
        notices.save_config(inst, notices.NoticeConfig(base_url="orcon.example"))
    assert _changes(inst) == [] and "watch" not in inst.home.info()
