"""The real ``orcon`` executable, driven as an operator would, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import email
import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from orcon.marks.image import attacks


def run(home: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    out = subprocess.run(
        [sys.executable, "-m", "orcon", "--home", str(home), *args],
        capture_output=True,
        text=True,
        timeout=180,
        env=os.environ.copy(),
    )
    if ok:
        assert out.returncode == 0, out.stderr
    return out


def test_operator_story(tmp_path, database, large_photo, unrelated_photo):
    home = tmp_path / "home"
    created = json.loads(run(home, "init", "--org", "Northshire Constabulary", "--json").stdout)
    assert created["token"].startswith("orc_") and created["password"]
    assert oct((home / "keys" / "ledger.key").stat().st_mode)[-3:] == "600"
    run(home, "org", "add", "Harbour City PD")
    run(home, "org", "add", "Federal Bureau")
    run(
        home,
        "person",
        "add",
        "d.okafor@harbour.example",
        "--org",
        "Harbour City PD",
        "--name",
        "D Okafor",
    )
    csv = tmp_path / "people.csv"
    csv.write_text(
        "email,name,org\nm.lind@harbour.example,M Lind,Harbour City PD\n"
        "a.moreau@bureau.example,A Moreau,Federal Bureau\n"
    )
    assert "Imported 2" in run(home, "person", "import", str(csv)).stdout
    src = tmp_path / "scene.jpg"
    src.write_bytes(large_photo)
    shared = json.loads(
        run(
            home,
            "share",
            str(src),
            "--title",
            "Scene",
            "--tlp",
            "amber",
            "--to",
            "Harbour City PD",
            "--no-onward",
            "--embargo-until",
            "2026-12-01T09:00Z",
            "--json",
        ).stdout
    )
    item = shared["id"]
    assert "EMBARGOED UNTIL 2026-12-01T09:00Z" in shared["markings"]
    out_dir = tmp_path / "copies"
    listed = json.loads(
        run(home, "copy", item, "--all", "--out-dir", str(out_dir), "--json").stdout
    )
    assert sorted(x["person"] for x in listed) == [
        "d.okafor@harbour.example",
        "m.lind@harbour.example",
    ]
    single = tmp_path / "okafor.jpg"
    run(home, "copy", item, "--for", "d.okafor@harbour.example", "--out", str(single))
    by_person = {x["person"]: Path(x["path"]) for x in listed}
    assert single.read_bytes() == by_person["d.okafor@harbour.example"].read_bytes()
    # The register: what was shared, and who holds a copy (Okafor downloaded twice).
    register = json.loads(run(home, "item", "list", "--json").stdout)
    assert [(r["id"], r["holders"], r["markings"]) for r in register] == [
        (item, 2, shared["markings"])
    ]
    assert f"{item}  " in run(home, "item", "list").stdout
    shown = json.loads(run(home, "item", "show", item, "--json").stdout)
    assert {h["person"]: h["copies"] for h in shown["holders"]} == {
        "d.okafor@harbour.example": 2,
        "m.lind@harbour.example": 1,
    }
    assert "d.okafor@harbour.example (Harbour City PD): first issued" in (
        run(home, "item", "show", item).stdout
    )
    unknown = run(home, "item", "show", "itm_nope", ok=False)
    assert unknown.returncode == 2 and "unknown item 'itm_nope'" in unknown.stderr

    leak = attacks.newspaper(
        cv2.imread(str(by_person["m.lind@harbour.example"])), np.random.default_rng(4)
    )
    leak_file = tmp_path / "front-page.jpg"
    cv2.imwrite(str(leak_file), leak)
    traced = json.loads(run(home, "trace", str(leak_file), "--json").stdout)
    assert traced["verdict"] == "accused" and traced["item"] == item
    assert [a["person"] for a in traced["accused"]] == ["m.lind@harbour.example"]
    assert traced["accused"][0]["org"] == "Harbour City PD"
    assert traced["false_accusation_bound"] == 1e-6
    assert set(traced["symbols"]) == {"read", "erased"} and traced["candidates"]
    other = tmp_path / "cat.jpg"
    other.write_bytes(unrelated_photo)
    assert json.loads(run(home, "trace", str(other), "--json").stdout)["verdict"] == "no-match"

    # The named leaker alone is stopped; her colleague still receives copies.
    said = run(home, "person", "suspend", "m.lind@harbour.example", "--reason", "front page").stdout
    assert "Suspended m.lind@harbour.example (Harbour City PD)" in said
    assert "m.lind@harbour.example\t" in run(home, "person", "list").stdout
    assert "Harbour City PD - 2 people, 1 suspended" in run(home, "org", "list").stdout
    listed = {p["email"]: p for p in json.loads(run(home, "person", "list", "--json").stdout)}
    assert listed["m.lind@harbour.example"]["suspended"] is True
    assert listed["d.okafor@harbour.example"]["suspended"] is False
    stopped = run(
        home, "copy", item, "--for", "m.lind@harbour.example", "--out", str(single), ok=False
    )
    assert stopped.returncode == 1 and "Traceback" not in stopped.stderr
    assert "m.lind@harbour.example is suspended by the originator: front page" in stopped.stderr
    run(home, "copy", item, "--for", "d.okafor@harbour.example", "--out", str(single))
    again = run(home, "person", "suspend", "m.lind@harbour.example", "--reason", "x", ok=False)
    assert again.returncode == 2 and "already suspended" in again.stderr
    run(home, "person", "reinstate", "m.lind@harbour.example")
    # What the named officer held, for the inquiry: the photo, with its ledger entry.
    shown = run(home, "person", "show", "m.lind@harbour.example").stdout
    assert "m.lind@harbour.example (M Lind), Harbour City PD, recipient" in shown
    assert f"issued copies of 1 item:\n    {item}  'Scene'" in shown
    assert "person.suspended" in shown and "person.reinstated" in shown
    person = json.loads(run(home, "person", "show", "m.lind@harbour.example", "--json").stdout)
    assert [(h["item"], h["copies"]) for h in person["held"]] == [(item, 1)]
    assert person["suspended_at"] is None and person["events"][0]["kind"] == "person.reinstated"
    # An item shared by mistake is withdrawn: nobody receives it, the register says so.
    said = run(home, "item", "withdraw", item, "--reason", "wrong photo").stdout
    assert f"Withdrew {item}" in said and "stay on record and traceable" in said
    gone = run(home, "copy", item, "--for", "d.okafor@harbour.example", "--out", str(single),
               ok=False)  # fmt: skip
    assert gone.returncode == 1 and "withdrawn this item: wrong photo" in gone.stderr
    assert "WITHDRAWN" in run(home, "item", "list").stdout
    assert item in run(home, "item", "list", "--search", "SCENE", "--limit", "5").stdout
    assert "no item's title or id holds 'kestrel'" in (
        run(home, "item", "list", "--search", "kestrel").stdout
    )
    assert "WITHDRAWN" in run(home, "item", "show", item).stdout
    shown = json.loads(run(home, "item", "show", item, "--json").stdout)
    assert shown["withdraw_reason"] == "wrong photo" and shown["withdrawn_at"]
    back = json.loads(run(home, "item", "reinstate", item, "--json").stdout)
    assert back["withdrawn_at"] is None
    again = run(home, "item", "reinstate", item, ok=False)
    assert again.returncode == 2 and "is not withdrawn" in again.stderr
    run(home, "halt", "Harbour City PD", "--reason", "embargo broken")
    denied = run(
        home, "copy", item, "--for", "d.okafor@harbour.example", "--out", str(single), ok=False
    )
    assert denied.returncode == 1 and "Traceback" not in denied.stderr
    # The operator issuing the copy reads which partner is halted and why.
    assert "sharing with Harbour City PD is halted by the originator: embargo broken" in (
        denied.stderr
    )
    run(home, "resume", "Harbour City PD")
    assert "verified" in run(home, "ledger", "verify").stdout

    if database == "sqlite":
        with sqlite3.connect(home / "orcon.db") as db:
            db.execute(
                "UPDATE ledger_entries SET body = replace(body, 'Harbour', 'Harb0ur') WHERE seq = 4"
            )
        bad = run(home, "ledger", "verify", ok=False)
        assert bad.returncode == 1 and "entry 4" in bad.stderr


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_markings_changed_and_the_ledger_read_out_on_the_cli(tmp_path, database, photo):
    """SQLite only: the service tests run both databases; this is the CLI's contract."""
    home = tmp_path / "home"
    run(home, "init", "--org", "Northshire Constabulary")
    run(home, "org", "add", "Harbour City PD")
    run(home, "org", "add", "Federal Bureau")
    run(home, "person", "add", "a.moreau@bureau.example", "--org", "Federal Bureau")
    src = tmp_path / "scene.jpg"
    src.write_bytes(photo)
    item = json.loads(
        run(home, "share", str(src), "--title", "Scene", "--tlp", "amber", "--to",
            "Harbour City PD", "--no-onward", "--embargo-until", "2026-12-01T09:00Z",
            "--json").stdout
    )["id"]  # fmt: skip
    single = tmp_path / "moreau.jpg"
    # Markings change after sharing: the photo is released with a new embargo, then the
    # embargo is lifted; the Bureau, never a recipient, may then have a copy.
    said = run(home, "item", "mark", item, "--tlp", "clear", "--embargo-until",
               "2099-01-01T09:00Z", "--onward", "--reason", "released").stdout  # fmt: skip
    assert "is now TLP:CLEAR · EMBARGOED UNTIL 2099-01-01T09:00Z" in said
    lifted = json.loads(
        run(home, "item", "mark", item, "--no-embargo", "--reason", "early", "--json").stdout
    )
    assert (lifted["markings"], lifted["embargo_until"]) == ("TLP:CLEAR", None)
    run(home, "copy", item, "--for", "a.moreau@bureau.example", "--out", str(single))
    for bad, says in (
        (["--tlp", "clear"], "already has these markings"),
        (["--no-embargo", "--embargo-until", "2099-01-01"], "contradict each other"),
        (["--tlp", "red"], "TLP:RED goes only to the people named"),
        (["--add-to", "Nobody"], "unknown organisation"),
    ):
        refused = run(home, "item", "mark", item, *bad, "--reason", "x", ok=False)
        assert refused.returncode == 2 and says in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr
    shown = run(home, "item", "show", item).stdout
    assert (
        "by cli: TLP AMBER -> CLEAR; onward requests allowed; embargo 2026-12-01T09:00Z -> "
        "2099-01-01T09:00Z (released; ledger entry"
    ) in shown, shown
    assert "by cli: embargo 2099-01-01T09:00Z -> lifted (early;" in shown
    history = json.loads(run(home, "item", "show", item, "--json").stdout)["markings_history"]
    assert [h["reason"] for h in history] == ["released", "early"]
    # The ledger's events, for a script: the two changes, oldest first, as JSON lines.
    lines = run(home, "ledger", "events", "--kind", "item.remarked", "--all", "--jsonl").stdout
    exported = [json.loads(x) for x in lines.splitlines()]
    assert [e["event"]["reason"] for e in exported] == ["released", "early"]
    listed = run(home, "ledger", "events", "--search", item, "--limit", "2").stdout
    assert listed.splitlines()[0].split()[2] == "copy.issued"  # newest first
    bad = run(home, "ledger", "events", "--kind", "copy.stolen", ok=False)
    assert bad.returncode == 2 and "'copy.stolen': no such event kind" in bad.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["org", "add", "Northshire Constabulary"], "already exists"),
        (["person", "add", "x@y.example", "--org", "Atlantis"], "unknown organisation 'Atlantis'"),
        (
            ["share", "/nonexistent.jpg", "--title", "t", "--tlp", "amber", "--to", "X"],
            "no such file",
        ),
        (["copy", "itm_missing", "--for", "a@b.example", "--out", "/tmp/x.jpg"], "unknown item"),
        (["share", "FILE", "--title", "t", "--tlp", "mauve"], "invalid TLP"),
        (["share", "FILE", "--title", "t", "--tlp", "clear", "--expires", "yesterday"], "ISO 8601"),
        (["halt", "Northshire Constabulary"], "--reason"),
        (["person", "suspend", "admin@localhost"], "--reason"),
        (["person", "suspend", "nobody@x.example", "--reason", "r"], "unknown person"),
        (["person", "reinstate", "admin@localhost"], "is not suspended"),
    ],
)
def test_mistakes_exit_2_with_one_line(tmp_path, photo, args, needle):
    home = tmp_path / "home"
    run(home, "init", "--org", "Northshire Constabulary")
    f = tmp_path / "p.jpg"
    f.write_bytes(photo)
    out = run(home, *[str(f) if a == "FILE" else a for a in args], ok=False)
    assert out.returncode == 2, out.stderr
    assert needle in out.stderr and "Traceback" not in out.stderr


def test_commands_without_an_instance_say_how_to_create_one(tmp_path):
    out = run(tmp_path / "nothing", "org", "list", ok=False)
    assert out.returncode == 2 and "orcon init --org NAME" in out.stderr


def test_an_author_previews_what_copies_of_a_report_may_vary(tmp_path):
    report = Path(__file__).parents[1] / "data" / "reports" / "harbour-road.md"
    text = report.read_text().replace(
        "Three patrol units arrived at the scene",
        "{{lock}}Three patrol units arrived at{{/lock}} the scene",
    )
    draft = tmp_path / "draft.md"
    draft.write_text(text)
    home = tmp_path / "unused"  # the preview needs no instance
    shown = run(home, "marks", "text", "preview", str(draft)).stdout
    assert "[At approximately|At about|At around|At roughly]" in shown
    assert "Three patrol units arrived at the scene" in shown  # locked: no [..|..] there
    assert "bits per word" in shown and "invisible marks" in shown
    assert "a continuous quote needs about" in shown and "among 100 recipients" in shown
    data = json.loads(
        run(home, "marks", "text", "preview", str(draft), "--json", "--recipients", "1000").stdout
    )
    assert data["symbols"] == len(
        [b for s in data["sites"] for b in range(len(s["forms"]).bit_length() - 1)]
    )
    assert data["recipients"] == 1000 and data["quote_words_needed"] > 100
    assert not any(s["text"] == "arrived at" for s in data["sites"])
    # Sentences that carry nothing are listed, numbered as the preview numbers them.
    carrying = {s["sentence"] + 1 for s in data["sites"]}
    assert data["sentences_without_sites"] == [
        n for n in range(1, data["sentences"] + 1) if n not in carrying
    ]
    assert data["sentences_without_sites"] and len(carrying) > 10
    listed = ", ".join(map(str, data["sentences_without_sites"]))
    assert f"sentences read the same in every copy: {listed}" in shown
    # A text too plain to carry a code retyped says so; bad input is one line, exit 2.
    plain = tmp_path / "plain.md"
    plain.write_text("The meeting was held. Everyone attended. Nothing was decided.\n")
    assert (
        "not even a complete copy can name its holder"
        in run(home, "marks", "text", "preview", str(plain)).stdout
    )
    for args in (["--recipients", "0"], ["--locale", "fr-FR"]):
        bad = run(home, "marks", "text", "preview", str(draft), *args, ok=False)
        assert bad.returncode == 2 and "Traceback" not in bad.stderr
    missing = run(home, "marks", "text", "preview", str(tmp_path / "none.md"), ok=False)
    assert missing.returncode == 2 and "no such file" in missing.stderr
    # Once shared, `item show --wording` shows the same places, from what was kept.
    home = tmp_path / "home"
    run(home, "init", "--org", "Northshire Constabulary")
    item = json.loads(run(home, "share", str(draft), "--title", "Kestrel", "--tlp", "clear",
                          "--max-recipients", "1000", "--json").stdout)["id"]  # fmt: skip
    shown = run(home, "item", "show", item, "--wording").stdout
    assert f"where copies differ: {len(data['sites'])} places, {data['symbols']} symbols" in shown
    assert "[At approximately|At about|At around|At roughly]" in shown
    kept = json.loads(run(home, "item", "show", item, "--wording", "--json").stdout)["wording"]
    assert kept["marked"] == data["marked"]


def test_the_preview_names_the_most_recipients_sharing_accepts(tmp_path):
    """A sparse report cannot go to the default 1,000: the preview and the refusal say
    exactly how many it can go to, and sharing takes that number and not one more."""
    report = Path(__file__).parents[1] / "data" / "reports" / "courier-fraud.md"
    home = tmp_path / "home"
    run(home, "init", "--org", "Northshire Constabulary")
    run(home, "org", "add", "Harbour City PD")
    view = json.loads(run(home, "marks", "text", "preview", str(report), "--json").stdout)
    most = view["max_recipients"]
    assert 10 < most < 1000  # the exact figure (it was once rounded down to a power of ten)
    shown = run(home, "marks", "text", "preview", str(report)).stdout
    assert f"it may be shared with up to {most:,} recipients (--max-recipients)" in shown
    share = [
        "share",
        str(report),
        "--title",
        "Courier fraud",
        "--tlp",
        "amber",
        "--to",
        "Harbour City PD",
    ]
    for limit in ([], ["--max-recipients", str(most + 1)]):
        refused = run(home, *share, *limit, ok=False)
        assert refused.returncode == 2 and "Traceback" not in refused.stderr
        assert f"fewer recipients (at most {most:,})" in refused.stderr
    shared = json.loads(run(home, *share, "--max-recipients", str(most), "--json").stdout)
    assert shared["id"].startswith("itm_")


def test_copy_all_writes_one_file_per_person_when_two_partners_use_the_same_mailbox_name(
    tmp_path, photo
):
    """Duty desks at two partners (duty@…): each copy gets its own file (the second one
    used to overwrite the first, and the officer would have sent one desk's copy to both)."""
    home = tmp_path / "home"
    run(home, "init", "--org", "Northshire Constabulary")
    for org, domain in (("Harbour City PD", "harbour.example"), ("Metro Police", "metro.example")):
        run(home, "org", "add", org)
        run(home, "person", "add", f"duty@{domain}", "--org", org)
    src = tmp_path / "scene.jpg"
    src.write_bytes(photo)
    shared = run(home, "share", str(src), "--title", "Scene", "--tlp", "amber",
                 "--to", "Harbour City PD", "--to", "Metro Police", "--json")  # fmt: skip
    item = json.loads(shared.stdout)["id"]
    out_dir = tmp_path / "copies"
    listed = json.loads(
        run(home, "copy", item, "--all", "--out-dir", str(out_dir), "--json").stdout
    )
    paths = {x["person"]: Path(x["path"]) for x in listed}
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(p.name for p in paths.values())
    assert len(set(paths.values())) == 2
    harbour, metro = paths["duty@harbour.example"], paths["duty@metro.example"]
    assert harbour.read_bytes() != metro.read_bytes()
    traced = json.loads(run(home, "trace", str(metro), "--json").stdout)
    assert [a["person"] for a in traced["accused"]] == ["duty@metro.example"]
    # The same copies in one archive, with the list of who and each file's SHA-256.
    archive = tmp_path / "scene copies.zip"
    made = json.loads(run(home, "copy", item, "--all", "--zip", str(archive), "--json").stdout)
    assert made["copies"] == 2 and made["not_issued"] == [] and made["path"] == str(archive)
    assert archive.stat().st_mode & 0o777 == 0o600
    with zipfile.ZipFile(archive) as zf:
        names = [harbour.name, metro.name, "README.txt", "copies.csv"]
        assert sorted(zf.namelist()) == sorted(names)
        assert zf.read(metro.name) == metro.read_bytes()  # the same copy, issued again
        rows = list(csv.DictReader(io.StringIO(zf.read("copies.csv").decode())))
    assert {r["person"]: r["sha256"] for r in rows} == {
        who: hashlib.sha256(path.read_bytes()).hexdigest() for who, path in paths.items()
    }
    # Mistakes are refused in one line; nothing is written for an item nobody may receive.
    for bad, says in (
        (["--zip", str(tmp_path / "x.zip")], "--zip is for --all"),
        (["--all", "--zip", str(tmp_path / "x.zip"), "--out-dir", str(out_dir)], "not both"),
        (["--all", "--zip", str(tmp_path / "x.tar")], "ending in .zip"),
        (["--all", "--zip", str(tmp_path / "nowhere" / "x.zip")], "does not exist"),
    ):
        refused = run(home, "copy", item, *bad, ok=False)
        assert refused.returncode == 2 and "Traceback" not in refused.stderr, refused.stderr
        assert says in refused.stderr
    for org in ("Harbour City PD", "Metro Police"):
        run(home, "halt", org, "--reason", "leak inquiry")
    refused = run(home, "copy", item, "--all", "--zip", str(tmp_path / "none.zip"), ok=False)
    assert refused.returncode == 2 and "nobody may receive" in refused.stderr
    assert not (tmp_path / "none.zip").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".zip") == ["scene copies.zip"]


def test_the_operator_sets_a_password_from_standard_input_never_from_the_command_line(tmp_path):
    """A forgotten password is reset with `orcon person password EMAIL` (typed twice at a
    terminal, or --stdin for scripts); the ledger says the operator did it. A leaked API
    token is ended with `orcon person revoke-tokens`."""
    home = tmp_path / "home"
    run(home, "init", "--org", "Northshire Constabulary")
    run(home, "person", "add", "k.ames@northshire.example", "--org", "Northshire Constabulary",
        "--role", "analyst")  # fmt: skip

    def password(text: str | None, *extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "orcon", "--home", str(home), "person", "password",
             "k.ames@northshire.example", *extra],
            input=text, capture_output=True, text=True, timeout=180,
        )  # fmt: skip

    for text, extra, says in (
        ("short\n", ["--stdin"], "at least 10 characters"),
        ("", [], "type the password at a terminal, or give --stdin"),
    ):
        refused = password(text, *extra)
        assert refused.returncode == 2 and "Traceback" not in refused.stderr
        assert says in refused.stderr
    done = password("chosen at the desk\n", "--stdin", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"email": "k.ames@northshire.example", "password_set": True}
    assert "chosen at the desk" not in done.stdout + done.stderr
    with sqlite3.connect(home / "orcon.db") as db:
        bodies = [json.loads(b) for (b,) in db.execute(
            "SELECT body FROM ledger_entries WHERE kind = 'password.set'")]  # fmt: skip
    assert [(b["person"], b["by"]) for b in bodies] == [("k.ames@northshire.example", "cli")]
    # An API token that leaked with a script is ended, with every other one of hers.
    run(home, "person", "token", "k.ames@northshire.example")
    brief = json.loads(
        run(home, "person", "token", "k.ames@northshire.example", "--days", "30", "--read-only",
            "--json").stdout
    )  # fmt: skip
    assert brief["days"] == 30 and brief["token"].startswith("orc_") and brief["read_only"]
    bad = run(home, "person", "token", "k.ames@northshire.example", "--days", "0", ok=False)
    assert bad.returncode == 2 and "at least 1" in bad.stderr
    with sqlite3.connect(home / "orcon.db") as db:
        scopes = sorted(s for (s,) in db.execute("SELECT scope FROM api_tokens"))
    assert scopes == ["full", "full", "read"]  # the first administrator's, hers, hers
    listed = json.loads(run(home, "person", "tokens", "k.ames@northshire.example", "--json").stdout)
    assert [t["read_only"] for t in listed] == [True, False] and listed[0]["expires_at"]
    shown = run(home, "person", "tokens", "k.ames@northshire.example").stdout
    assert "read-only" in shown and "does not expire" in shown
    one = run(home, "person", "revoke-tokens", "k.ames@northshire.example", "--token",
              str(listed[0]["id"])).stdout  # fmt: skip
    assert f"Revoked API token {listed[0]['id']} of k.ames@northshire.example" in one
    gone = run(home, "person", "revoke-tokens", "k.ames@northshire.example", "--token",
               str(listed[0]["id"]), ok=False)  # fmt: skip
    assert gone.returncode == 2 and "unknown API token" in gone.stderr
    ended = run(home, "person", "revoke-tokens", "k.ames@northshire.example").stdout
    assert "Revoked 1 API token of k.ames@northshire.example" in ended
    again = run(home, "person", "revoke-tokens", "k.ames@northshire.example", "--json").stdout
    assert json.loads(again) == {"email": "k.ames@northshire.example", "revoked": 0}
    # Numbers no row can have are mistakes like any other: one line, exit 2.
    for args in (("ledger", "receipt", "9" * 25), ("watch", "remove", "9" * 25),
                 ("outbox", "drop", "9" * 25, "--reason", "x")):  # fmt: skip
        huge = run(home, *args, ok=False)
        assert huge.returncode == 2 and "Traceback" not in huge.stderr, huge.stderr


def test_orcon_status_says_what_needs_attention_and_exits_1_until_it_is_done(tmp_path):
    home = tmp_path / "home"
    run(home, "init", "--org", "Northshire Constabulary")
    first = run(home, "status", ok=False)
    assert first.returncode == 1
    assert "warn  backup    no backup has been taken: run `orcon backup FILE`" in first.stdout
    assert first.stdout.splitlines()[0].startswith("ok    database  ")
    run(home, "backup", str(tmp_path / "b.tar"))
    done = json.loads(run(home, "status", "--json").stdout)
    assert done["state"] == "ok" and {c["state"] for c in done["checks"]} == {"ok"}
    missing = run(tmp_path / "none", "status", ok=False)
    assert missing.returncode == 2 and "no orcon instance" in missing.stderr


def _scene_shared_with_harbour(home: Path, tmp_path: Path, photo: bytes) -> str:
    """A new instance that shared a photo with Harbour City PD (D. Okafor): its id."""
    run(home, "init", "--org", "Northshire Constabulary")
    run(home, "org", "add", "Harbour City PD")
    run(home, "person", "add", "d.okafor@harbour.example", "--org", "Harbour City PD")
    (tmp_path / "scene.jpg").write_bytes(photo)
    shared = run(home, "share", str(tmp_path / "scene.jpg"), "--title", "Scene", "--tlp",
                 "amber", "--to", "Harbour City PD", "--json")  # fmt: skip
    item = json.loads(shared.stdout)["id"]
    return str(item)


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_a_postgresql_instance_backed_up_and_moved_to_another_database(
    tmp_path, database, photo, monkeypatch, empty_postgresql
):
    """On PostgreSQL, `orcon backup` works as on SQLite; `orcon restore` with
    ORCON_DATABASE_URL naming an empty database fills it, and refuses a full one."""
    home = tmp_path / "home"
    item = _scene_shared_with_harbour(home, tmp_path, photo)
    run(home, "copy", item, "--for", "d.okafor@harbour.example", "--out", str(tmp_path / "a.jpg"))
    assert "Backed up 1 item" in run(home, "backup", str(tmp_path / "pg.tar")).stdout
    full = run(tmp_path / "elsewhere", "restore", str(tmp_path / "pg.tar"), ok=False)
    assert full.returncode == 2 and "already holds an orcon instance" in full.stderr
    assert not (tmp_path / "elsewhere").exists()

    original = json.loads(run(home, "ledger", "verify", "--json").stdout)
    monkeypatch.setenv("ORCON_DATABASE_URL", empty_postgresql)
    moved = tmp_path / "moved"
    said = run(moved, "restore", str(tmp_path / "pg.tar")).stdout
    assert "its database into PostgreSQL (ORCON_DATABASE_URL)" in said
    run(moved, "copy", item, "--for", "d.okafor@harbour.example", "--out", str(tmp_path / "b.jpg"))
    assert (tmp_path / "b.jpg").read_bytes() == (tmp_path / "a.jpg").read_bytes()
    verified = json.loads(run(moved, "ledger", "verify", "--json").stdout)
    # The backed-up log (without its own backup.taken), instance.restored and one copy.
    assert verified["entries"] == original["entries"] - 1 + 2


def test_the_operator_backs_up_and_restores_an_instance(tmp_path, photo):
    """`orcon backup FILE` while the instance runs; `orcon --home NEW restore FILE` checks
    every file, the ledger and every original before the new home appears."""
    home, restored = tmp_path / "home", tmp_path / "restored"
    item = _scene_shared_with_harbour(home, tmp_path, photo)
    first = tmp_path / "first.jpg"
    run(home, "copy", item, "--for", "d.okafor@harbour.example", "--out", str(first))

    said = run(home, "backup", str(tmp_path / "nightly.tar")).stdout
    assert "Backed up 1 item and" in said and "keep it as safe as the instance" in said
    drill = run(tmp_path / "not-made", "restore", "--check", str(tmp_path / "nightly.tar"))
    assert "restores: " in drill.stdout and "Nothing was kept." in drill.stdout
    assert not (tmp_path / "not-made").exists()
    taken = run(home, "backup", str(tmp_path / "nightly.tar"), ok=False)
    assert taken.returncode == 2 and "already exists" in taken.stderr
    assert "Traceback" not in taken.stderr

    done = json.loads(run(restored, "restore", str(tmp_path / "nightly.tar"), "--json").stdout)
    assert done["items"] == 1 and done["home"] == str(restored)
    again = tmp_path / "again.jpg"
    run(restored, "copy", item, "--for", "d.okafor@harbour.example", "--out", str(again))
    assert again.read_bytes() == first.read_bytes()
    assert "verified" in run(restored, "ledger", "verify").stdout
    twice = run(restored, "restore", str(tmp_path / "nightly.tar"), ok=False)
    assert twice.returncode == 2 and "not empty" in twice.stderr

    # Through a pipe, as into and out of an encryption tool: the summary goes to stderr.
    orcon = [sys.executable, "-m", "orcon", "--home"]
    piped = subprocess.run([*orcon, str(home), "backup", "-"], capture_output=True, timeout=180)
    assert piped.returncode == 0 and len(piped.stdout) > 10_000, piped.stderr
    assert b"Backed up 1 item" in piped.stderr and b"Backed up" not in piped.stdout
    back = subprocess.run([*orcon, str(tmp_path / "piped"), "restore", "-"],
                          input=piped.stdout, capture_output=True, timeout=180)  # fmt: skip
    assert back.returncode == 0, back.stderr
    assert "verified" in run(tmp_path / "piped", "ledger", "verify").stdout

    (tmp_path / "broken.tar").write_bytes((tmp_path / "nightly.tar").read_bytes()[:20000])
    broken = run(tmp_path / "third", "restore", str(tmp_path / "broken.tar"), ok=False)
    assert broken.returncode == 1 and "Traceback" not in broken.stderr
    assert not (tmp_path / "third").exists()

    # Incremental: the next night's holds the database and what changed since.
    run(home, "org", "add", "Federal Bureau")
    nightly, second = str(tmp_path / "nightly.tar"), str(tmp_path / "second.tar")
    said = run(home, "backup", second, "--since", nightly).stdout
    assert "Incremental: " in said and f"orcon restore {second} {nightly}" in said
    assert (tmp_path / "second.tar").stat().st_size < (tmp_path / "nightly.tar").stat().st_size
    alone = run(tmp_path / "fourth", "restore", second, ok=False)
    assert alone.returncode == 2 and "give that backup too" in alone.stderr
    assert "Traceback" not in alone.stderr and not (tmp_path / "fourth").exists()
    drill = run(tmp_path / "not-made", "restore", "--check", nightly, second)
    assert "restores: " in drill.stdout
    done = json.loads(run(tmp_path / "fourth", "restore", second, nightly, "--json").stdout)
    assert done["items"] == 1
    orgs = run(tmp_path / "fourth", "org", "list").stdout
    assert "Federal Bureau" in orgs
    mixed = run(tmp_path / "fifth", "restore", "-", nightly, ok=False)
    assert mixed.returncode == 2 and "not standard input" in mixed.stderr


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_notices_the_mail_server_missed_wait_in_the_outbox(tmp_path, database, smtp_later, photo):
    """`orcon outbox list` shows what waits, `retry` sends it (exit 1 while some still
    waits), `drop` gives up on it; a mistake names the problem."""
    port, start, inbox = smtp_later
    home = tmp_path / "home"
    run(home, "init", "--org", "Northshire Constabulary")
    run(home, "org", "add", "Harbour City PD")
    for who in ("d.okafor@harbour.example", "l.brandt@harbour.example"):
        run(home, "person", "add", who, "--org", "Harbour City PD")
    run(home, "notify", "config", "--smtp-host", "127.0.0.1", "--smtp-port", str(port))
    src = tmp_path / "scene.jpg"
    src.write_bytes(photo)
    said = run(home, "share", str(src), "--title", "Scene", "--tlp", "amber",
               "--to", "Harbour City PD").stdout  # fmt: skip
    assert "2 not reached (ConnectionRefusedError" in said
    assert "2 will be tried again (orcon outbox)" in said
    listed = run(home, "outbox", "list").stdout.splitlines()
    assert len(listed) == 2 and "d.okafor@harbour.example  shared itm_" in listed[0]
    assert "1 try" in listed[0] and "ConnectionRefusedError" in listed[0]
    waiting = json.loads(run(home, "outbox", "list", "--json").stdout)
    still = run(home, "outbox", "retry", ok=False)
    assert still.returncode == 1 and still.stdout.startswith("0 sent; 2 still waiting")
    for bad, says in (
        ([], "or give --all"),
        (["1", "--all"], "or give --all"),
        (["999"], "unknown outbox mail 999"),
        (["none"], "whole number"),
    ):
        refused = run(home, "outbox", "drop", *bad, ok=False)
        assert refused.returncode == 2 and says in refused.stderr
        assert "Traceback" not in refused.stderr
    dropped = run(home, "outbox", "drop", str(waiting[0]["id"]), "--reason", "rang him")
    assert dropped.stdout.strip() == "dropped 1 unsent mail"
    start()
    done = json.loads(run(home, "outbox", "retry", "--json").stdout)
    assert done["sent"] == [waiting[1]["id"]] and done["waiting"] == []
    assert [email_to(m) for m in inbox.messages] == ["l.brandt@harbour.example"]
    assert run(home, "outbox", "list").stdout.startswith("The outbox is empty")
    events = run(home, "ledger", "events", "--kind", "mail.dropped", "--jsonl").stdout
    [dropped_event] = [json.loads(line) for line in events.splitlines()]
    assert dropped_event["event"]["reason"] == "rang him" and dropped_event["event"]["by"] == "cli"


def email_to(raw: bytes) -> str:
    import email

    return str(email.message_from_bytes(raw)["To"])


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_recipients_told_by_e_mail_from_the_cli(tmp_path, database, smtp, photo):
    import email

    ctl, inbox = smtp

    def body(n: int) -> str:
        return email.message_from_bytes(inbox.messages[n]).get_payload(decode=True).decode()

    home = tmp_path / "home"
    run(home, "init", "--org", "Northshire Constabulary")
    run(home, "org", "add", "Harbour City PD")
    run(home, "person", "add", "d.okafor@harbour.example", "--org", "Harbour City PD")
    settings = json.loads(
        run(home, "notify", "config", "--smtp-host", "127.0.0.1", "--smtp-port", str(ctl.port),
            "--base-url", "https://orcon.northshire.example").stdout
    )  # fmt: skip
    assert settings["enabled"] is True and settings["titles"] is False
    src = tmp_path / "scene.jpg"
    src.write_bytes(photo)
    said = run(home, "share", str(src), "--title", "Scene", "--tlp", "amber",
               "--to", "Harbour City PD").stdout  # fmt: skip
    assert "notice: told 1 person by e-mail" in said
    item = said.split()[1].rstrip(":")
    assert len(inbox.messages) == 1
    assert f"https://orcon.northshire.example/items/{item}" in body(0)
    quiet = run(home, "item", "mark", item, "--embargo-until", "2099-01-01T09:00Z",
                "--reason", "held back", "--no-notice", "--json").stdout  # fmt: skip
    assert "notice" not in json.loads(quiet) and len(inbox.messages) == 1
    told = json.loads(run(home, "item", "mark", item, "--no-embargo", "--reason", "lifted",
                          "--json").stdout)["notice"]  # fmt: skip
    assert told["sent"] == ["d.okafor@harbour.example"] and len(inbox.messages) == 2
    assert "were: TLP:AMBER · EMBARGOED UNTIL 2099-01-01T09:00Z" in body(1)
    bad = run(home, "notify", "config", "--base-url", "orcon.example", ok=False)
    assert bad.returncode == 2 and "http(s) address" in bad.stderr
    run(home, "notify", "config", "--off")
    run(home, "share", str(src), "--title", "Other", "--tlp", "green")
    assert len(inbox.messages) == 2


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_mail_through_a_server_that_wants_starttls_and_a_login(
    tmp_path, database, smtp_login, photo
):
    ctl, inbox, logins = smtp_login
    home = tmp_path / "home"
    run(home, "init", "--org", "Northshire Constabulary")
    run(home, "org", "add", "Harbour City PD")
    run(home, "person", "add", "d.okafor@harbour.example", "--org", "Harbour City PD")
    off = run(home, "notify", "test", "me@northshire.example", ok=False)
    assert off.returncode == 2 and "notices are off" in off.stderr
    base = ["notify", "config", "--smtp-host", "127.0.0.1", "--smtp-port", str(ctl.port)]
    plain = run(home, *base, "--smtp-user", "orcon", ok=False)
    assert plain.returncode == 2 and "needs --starttls" in plain.stderr
    nopass = run(home, *base, "--smtp-user", "orcon", "--starttls", ok=False)
    assert nopass.returncode == 2 and "needs its password" in nopass.stderr
    assert not (home / "keys" / "notify-smtp.password").exists()

    def configure(password: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "orcon", "--home", str(home), *base, "--starttls",
             "--smtp-user", "orcon", "--smtp-password-stdin"],
            input=password + "\n", capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip

    shown = configure("relay secret").stdout
    assert "relay secret" not in shown and json.loads(shown)["smtp_user"] == "orcon"
    secret = home / "keys" / "notify-smtp.password"
    assert secret.read_text() == "relay secret" and oct(secret.stat().st_mode)[-3:] == "600"
    assert "relay secret" not in (home / "instance.json").read_text()
    # A test message first: it goes now, through STARTTLS and the login.
    bad = run(home, "notify", "test", "not an address", ok=False)
    assert bad.returncode == 2 and "invalid e-mail address" in bad.stderr
    tested = run(home, "notify", "test", "me@northshire.example")
    assert tested.stdout.startswith("ok  e-mail to me@northshire.example via 127.0.0.1:")
    [test_mail] = [email.message_from_bytes(m) for m in inbox.messages]
    assert test_mail["Subject"] == "orcon test message: notices to recipients"
    assert test_mail["To"] == "me@northshire.example" and test_mail["Date"]
    assert "Northshire Constabulary" in test_mail.get_payload() and logins == [
        ("orcon", "relay secret")
    ]
    inbox.messages.clear()
    src = tmp_path / "scene.jpg"
    src.write_bytes(photo)
    share = ["share", str(src), "--title", "Scene", "--tlp", "amber", "--to", "Harbour City PD"]
    assert "notice: told 1 person by e-mail" in run(home, *share).stdout
    assert logins == [("orcon", "relay secret")] * 2 and len(inbox.messages) == 1

    configure("wrong")
    failed = run(home, "notify", "test", "me@northshire.example", "--json", ok=False)
    assert failed.returncode == 1
    [tried] = json.loads(failed.stdout)
    assert tried["ok"] is False and "SMTPAuthenticationError" in tried["said"]
    assert "wrong" not in failed.stdout and run(home, "outbox", "list", "--json").stdout == "[]\n"

    said = run(home, *share).stdout
    assert "told 0 people by e-mail; 1 not reached (SMTPAuthenticationError: (535" in said
    assert ("orcon", "wrong") in logins and len(inbox.messages) == 1
    assert "wrong" not in said


def test_serve_refuses_an_address_it_cannot_listen_on_before_creating_anything(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = run(tmp_path / "home", "serve", "--port", str(port), ok=False)
    assert busy.returncode == 2 and "Traceback" not in busy.stderr
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in busy.stderr
    assert "is another orcon serve running?" in busy.stderr
    wide = run(tmp_path / "home", "serve", "--port", "99999", ok=False)
    assert wide.returncode == 2 and "a port is a number from 1 to 65535" in wide.stderr
    assert not (tmp_path / "home").exists()  # no instance made for a server that never ran
