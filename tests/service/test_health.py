"""`orcon status`: each check's state follows the instance's state."""

from __future__ import annotations

import pytest

from orcon.service import backups, directory, health, notices, sharing, watching
from orcon.store.models import WatchSource


def _states(inst) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {c.name: c.state for c in health.report(inst)}


def _said(inst, name: str) -> str:  # type: ignore[no-untyped-def]
    return next(c.said for c in health.report(inst) if c.name == name)


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_status_asks_for_a_backup_mail_that_waits_and_a_watch_that_stopped(
    inst, clock, tmp_path, photo, smtp_later
):
    assert _states(inst) == {
        "database": "ok", "ledger": "ok", "witnesses": "ok", "backup": "warn", "outbox": "ok",
        "watch": "ok", "notices": "ok", "tokens": "ok", "disk": "ok",
    }  # fmt: skip
    assert _said(inst, "backup").startswith("no backup has been taken")
    backups.backup(inst, tmp_path / "b.tar")
    assert health.worst(health.report(inst)) == "ok"
    clock.advance(days=7)
    assert _states(inst)["backup"] == "warn" and "7 days ago" in _said(inst, "backup")
    backups.backup(inst, tmp_path / "c.tar")

    port, _, _ = smtp_later
    directory.add_org(inst, "Metro Police")
    directory.add_person(inst, "a@metro.example", "Metro Police")
    notices.save_config(inst, notices.NoticeConfig(smtp_host="127.0.0.1", smtp_port=port))
    notices.shared(inst, sharing.share(inst, photo, title="Scene", tlp="green").id)
    assert _states(inst)["outbox"] == "ok"  # just queued: orcon is trying
    assert _said(inst, "outbox").startswith("1 e-mail waits, the oldest for 0 minutes")
    clock.advance(hours=2)
    assert _states(inst)["outbox"] == "warn"
    assert _said(inst, "notices") == f"sent through 127.0.0.1:{port}"

    watching.add_source(inst, "https://news.example/feed.xml", "feed", 300)
    assert _states(inst)["watch"] == "warn"  # never polled
    assert "not polled on time: is `orcon serve` running?" in _said(inst, "watch")
    with inst.transaction() as s:
        for w in s.query(WatchSource):
            w.last_polled, w.last_error = clock.now, "HTTP 404"
    nowhere = "alerts go nowhere but the dashboard: set a webhook or alert addresses"
    assert _said(inst, "watch").startswith(
        "1 source; 1 failing (the first: https://news.example/feed.xml); " + nowhere
    )
    with inst.transaction() as s:
        for w in s.query(WatchSource):
            w.last_error = None
    assert _states(inst)["watch"] == "warn" and nowhere in _said(inst, "watch")
    watching.save_config(inst, watching.WatchConfig(webhook_url="https://soc.example/hook"))
    assert _states(inst)["watch"] == "ok" and _said(inst, "watch") == "1 source"
    clock.advance(minutes=17)  # three intervals of 5 minutes, and a minute's grace
    assert _states(inst)["watch"] == "warn"
    assert health.worst(health.report(inst)) == "warn"
    assert health.alive(inst)


def test_status_reads_the_database_it_runs_on(inst):
    [database] = [c for c in health.report(inst) if c.name == "database"]
    assert database.state == "ok" and database.said.startswith(inst.engine.dialect.name)
    assert health.to_json(health.report(inst))["checks"][0]["name"] == "database"


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_status_notices_a_trusted_witness_that_stopped_cosigning(inst, clock):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from orcon.ledger.checkpoint import Checkpoint
    from orcon.ledger.note import Cosigner, split_note
    from orcon.service import transparency

    assert _said(inst, "witnesses").startswith("none trusted")
    witness = Cosigner("witness.harbour.example/w1", Ed25519PrivateKey.generate())
    transparency.trust_witness(inst, witness.vkey)
    assert _states(inst)["witnesses"] == "warn"
    text, _ = split_note(transparency.checkpoint_note(inst))
    size = Checkpoint.from_text(text).size
    transparency.add_cosignature(inst, size, witness.cosign(text, int(clock.now.timestamp())))
    assert _said(inst, "witnesses") == "1 trusted, each cosigned within the last day"
    clock.advance(days=2)
    assert _said(inst, "witnesses") == (
        "1 trusted; no cosignature for a day from witness.harbour.example/w1"
    )


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_status_asks_to_end_api_tokens_nobody_has_used_for_90_days(inst, clock):
    directory.add_org(inst, "Harbour City PD")
    directory.add_person(inst, "d.okafor@harbour.example", "Harbour City PD")
    token = directory.create_token(inst, "d.okafor@harbour.example")
    directory.create_token(inst, "d.okafor@harbour.example", days=30)  # stops by itself
    assert _said(inst, "tokens") == "3 live API tokens"  # with the first administrator's
    clock.advance(days=89)
    directory.authenticate_token(inst, token)  # her script still uses this one
    clock.advance(days=2)
    assert _states(inst)["tokens"] == "warn"
    assert _said(inst, "tokens") == (
        "2 live API tokens; 1 unused for 90 days or more (the first: admin@localhost): end "
        "those no script needs (orcon person tokens EMAIL, revoke-tokens EMAIL --token N)"
    )
    directory.revoke_tokens(inst, "admin@localhost", by="cli")
    assert _states(inst)["tokens"] == "ok"
