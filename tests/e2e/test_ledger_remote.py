"""The ledger seen from outside: remote verification over tiles, witnesses, forks, receipts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
from sqlalchemy import text

from orcon.ledger.merkle import leaf_hash
from orcon.ledger.tiles import WITHHELD, unbundle
from orcon.service.instance import Instance
from orcon.store import ledger
from orcon.store.home import Home


def orcon(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    out = subprocess.run(
        [sys.executable, "-m", "orcon", *args], capture_output=True, text=True, timeout=120
    )
    if ok:
        assert out.returncode == 0, out.stderr
    return out


def test_remote_audit_witness_and_fork(server, tmp_path):
    url, token = server
    home = str(tmp_path / "home")
    admin = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    for i in range(300):  # more than one full tile
        assert admin.post("/api/orgs", json={"name": f"Partner {i}"}).status_code == 201
    vkey = httpx.get(url + "/ledger/key").text.strip()

    # The events need an account (a partner's token will do); the hashes do not.
    anonymous = orcon("ledger", "verify", "--from-url", url, "--key", vkey, ok=False)
    assert anonymous.returncode == 2 and "needs an account" in anonymous.stderr
    assert httpx.get(url + "/ledger/tile/entries/000").status_code == 401
    assert httpx.get(url + "/ledger/tile/0/000").status_code == 200
    admin.post("/api/people", json={"email": "auditor@partner0.example", "org": "Partner 0"})
    partner = admin.post("/api/people/auditor@partner0.example/token").json()["token"]
    audit = orcon("ledger", "verify", "--from-url", url, "--key", vkey, "--json",
                  "--token", partner)  # fmt: skip
    verified = json.loads(audit.stdout)
    assert verified["entries"] >= 302
    # The partner reads what concerns Partner 0; the other 299 partners' events (and the
    # originator's own) are withheld, their hashes verified in the tree all the same.
    assert verified["withheld"] >= 299
    said = orcon("ledger", "verify", "--from-url", url, "--key", vkey, "--token", partner)
    assert "concern others and were withheld from this account" in said.stdout
    bundle = httpx.get(
        url + "/ledger/tile/entries/000", headers={"Authorization": f"Bearer {partner}"}
    )
    assert bundle.headers["Cache-Control"] == "private, no-cache"
    read = [json.loads(e) for e in unbundle(bundle.content) if e != WITHHELD]
    assert {e["kind"] for e in read} >= {"instance.created"}
    assert [e["org"] for e in read if e["kind"] == "org.added"] == ["Partner 0"]
    full = unbundle(httpx.get(url + "/ledger/tile/entries/000",
                              headers={"Authorization": f"Bearer {token}"}).content)  # fmt: skip
    assert WITHHELD not in full and len(full) == len(unbundle(bundle.content)) == 256

    state = str(tmp_path / "witness")

    def witness(ok: bool = True) -> subprocess.CompletedProcess[str]:
        return orcon(
            "ledger",
            "witness",
            url,
            "--state",
            state,
            "--log-key",
            vkey,
            "--once",
            "--name",
            "witness.harbour.example/w1",
            "--token",
            partner,
            ok=ok,
        )

    first = witness()
    assert "did not accept" in first.stderr  # not trusted yet
    wkey = first.stdout.split("witness key (give it to the log operator): ")[1].split()[0]
    orcon("--home", home, "ledger", "trust-witness", wkey)
    witness()
    note = httpx.get(url + "/ledger/checkpoint").text
    assert "\u2014 witness.harbour.example/w1 " in note

    # The operator rewrites history and re-signs: the witness refuses to cosign the fork.
    inst = Instance.open(Home(Path(home)))
    with inst.engine.begin() as conn:
        body = conn.execute(text("SELECT body FROM ledger_entries WHERE seq = 5")).scalar_one()
        forged = body.replace("Partner", "Pretender")
        assert forged != body
        conn.execute(
            text("UPDATE ledger_entries SET body = :b, leaf_hash = :h WHERE seq = 5"),
            {"b": forged, "h": leaf_hash(forged.encode())},
        )
        conn.execute(text("DELETE FROM ledger_cosignatures"))
        conn.execute(text("DELETE FROM ledger_checkpoints"))
    with inst.transaction() as s:
        ledger.seal(s, inst.secrets.signer, inst.origin, inst.clock())
    fork = witness(ok=False)
    assert fork.returncode == 1 and "FORK" in fork.stderr
    assert "witness.harbour.example/w1" not in httpx.get(url + "/ledger/checkpoint").text


def test_remote_verify_names_a_tampered_entry(server, tmp_path):
    url, token = server
    home = tmp_path / "home"
    admin = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    for i in range(5):
        admin.post("/api/orgs", json={"name": f"Org {i}"})
    vkey = httpx.get(url + "/ledger/key").text.strip()
    inst = Instance.open(Home(home))
    with inst.engine.begin() as conn:
        conn.execute(
            text("UPDATE ledger_entries SET body = replace(body, 'Org 2', 'Org X') WHERE seq = 4")
        )
    bad = orcon("ledger", "verify", "--from-url", url, "--key", vkey, "--token", token, ok=False)
    assert bad.returncode == 1 and "entry 4" in bad.stderr


def test_receipt_export_and_offline_check(server, tmp_path):
    url, token = server
    home = str(tmp_path / "home")
    httpx.post(
        url + "/api/orgs", json={"name": "Harbour"}, headers={"Authorization": f"Bearer {token}"}
    )
    out = tmp_path / "receipt.json"
    orcon("--home", home, "ledger", "receipt", "2", "--out", str(out))
    vkey = httpx.get(url + "/ledger/key").text.strip()
    assert "Receipt verified" in orcon("ledger", "check-receipt", str(out), "--key", vkey).stdout
    rec = json.loads(out.read_text())
    rec["event"] = rec["event"].replace("Harbour", "Harb0ur")
    out.write_text(json.dumps(rec))
    bad = orcon("ledger", "check-receipt", str(out), "--key", vkey, ok=False)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    # An entry the ledger does not hold is named as such (it was "not covered yet").
    missing = orcon("--home", home, "ledger", "receipt", "99999", ok=False)
    assert missing.returncode == 2 and "there is no ledger entry 99999" in missing.stderr
    assert "the ledger holds entries 0 to" in missing.stderr
