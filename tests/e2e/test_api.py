"""The REST API over real HTTP: ``orcon serve`` on loopback, driven with httpx."""

from __future__ import annotations

import hashlib
import io
import json
import re
import time
import zipfile

import httpx

from orcon.service.receipts import verify_receipt


def test_partner_story_over_http(server, photo):
    url, admin_token = server
    admin = httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {admin_token}"}, timeout=60
    )
    assert httpx.get(url + "/openapi.json").json()["info"]["title"] == "orcon"
    assert httpx.get(url + "/api/items").status_code == 401
    assert (
        httpx.get(url + "/api/items", headers={"Authorization": "Bearer orc_nope"}).status_code
        == 403
    )

    assert admin.post("/api/orgs", json={"name": "Harbour City PD"}).status_code == 201
    r = admin.post(
        "/api/people", json={"email": "d.okafor@harbour.example", "org": "Harbour City PD"}
    )
    assert r.status_code == 201
    # An analyst added with a password signs in to the web with it; a short one is refused.
    analyst = {"email": "k.ames@northshire.example", "org": "Northshire Constabulary",
               "role": "analyst"}  # fmt: skip
    short = admin.post("/api/people", json={**analyst, "password": "short"})
    assert short.status_code == 400 and "at least 10 characters" in short.json()["error"]
    added = admin.post("/api/people", json={**analyst, "password": "given by the API"})
    assert added.status_code == 201 and added.json()["role"] == "analyst"
    web = httpx.Client(base_url=url, timeout=60)
    csrf = re.search(r'name="csrf" value="([^"]+)"', web.get("/login").text)
    assert csrf
    form = {"email": analyst["email"], "password": "given by the API", "csrf": csrf[1]}
    signed_in = web.post("/login", data=form)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/"
    partner_token = admin.post("/api/people/d.okafor@harbour.example/token").json()["token"]
    partner = httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {partner_token}"}, timeout=60
    )

    r = admin.post(
        "/api/items",
        files={"file": ("scene.jpg", photo, "image/jpeg")},
        data={
            "title": "Scene",
            "tlp": "amber",
            "to": ["Harbour City PD"],
            "no_onward": "true",
            "embargo_until": "2026-12-01T09:00:00Z",
        },
    )
    assert r.status_code == 201, r.text
    item = r.json()
    assert item["markings"].startswith("TLP:AMBER · NO ONWARD DISSEMINATION · EMBARGOED UNTIL")

    inbox = partner.get("/api/items").json()
    assert [i["id"] for i in inbox] == [item["id"]]
    copy = partner.get(f"/api/items/{item['id']}/copy")
    assert copy.status_code == 200 and copy.headers["content-type"] == "image/jpeg"
    assert "TLP:AMBER" in copy.headers["x-orcon-markings"]
    # The partner keeps a receipt of the copy it was given, checkable offline.
    held = partner.get(f"/api/items/{item['id']}/receipt").json()
    verify_receipt(held, httpx.get(url + "/ledger/key").text.strip())
    event = json.loads(held["event"])
    assert event["person"] == "d.okafor@harbour.example"
    assert event["copy_sha256"] == hashlib.sha256(copy.content).hexdigest()
    none = admin.get(f"/api/items/{item['id']}/receipt")
    assert none.status_code == 400 and "has not been issued a copy" in none.json()["error"]
    assert partner.post("/api/orgs", json={"name": "Rogue"}).status_code == 403  # not staff
    # A recipient learns only that an item is not theirs, not whether it exists.
    assert partner.get("/api/items/itm_missing").status_code == 403

    traced = admin.post(
        "/api/trace", files={"file": ("leak.jpg", copy.content, "image/jpeg")}
    ).json()
    assert traced["verdict"] == "accused"
    assert [a["person"] for a in traced["accused"]] == ["d.okafor@harbour.example"]

    # Every copy in one archive, for an administrator who sends them out: Okafor's is the
    # one Okafor downloaded; the partner may not ask for it.
    bundle = admin.get(f"/api/items/{item['id']}/copies.zip")
    assert bundle.status_code == 200 and bundle.headers["content-type"] == "application/zip"
    assert f'filename="{item["id"]}-copies.zip"' in bundle.headers["content-disposition"]
    archive = zipfile.ZipFile(io.BytesIO(bundle.content))
    assert archive.read(f"{item['id']}-d.okafor@harbour.example.jpg") == copy.content
    assert "d.okafor@harbour.example,," in archive.read("copies.csv").decode()
    assert partner.get(f"/api/items/{item['id']}/copies.zip").status_code == 403
    # A token left in a script that leaked is ended; the partner's next call is refused.
    spare = admin.post("/api/people/d.okafor@harbour.example/token", json={"days": 7})
    assert spare.json()["days"] == 7
    spare = spare.json()["token"]
    too_long = admin.post("/api/people/d.okafor@harbour.example/token", json={"days": 99999})
    assert too_long.status_code == 400 and "lifetime" in too_long.json()["error"]
    assert partner.delete("/api/people/d.okafor@harbour.example/tokens").status_code == 403
    ended = admin.delete("/api/people/d.okafor@harbour.example/tokens")
    assert ended.json() == {"email": "d.okafor@harbour.example", "revoked": 2}
    for token in (partner_token, spare):
        gone = httpx.get(url + "/api/me", headers={"Authorization": f"Bearer {token}"})
        assert gone.status_code == 403 and "revoked" in gone.json()["error"]
    partner_token = admin.post("/api/people/d.okafor@harbour.example/token").json()["token"]
    partner.headers["Authorization"] = f"Bearer {partner_token}"
    assert partner.get("/api/me").json()["email"] == "d.okafor@harbour.example"
    # The named leaker is suspended: her token is refused at once, with the reason, and
    # works again once she is reinstated.
    okafor = "/api/people/d.okafor@harbour.example/suspend"
    assert partner.post(okafor, json={"reason": "mine"}).status_code == 403
    suspended = admin.post(okafor, json={"reason": f"named by trace {traced['item']}"})
    assert suspended.status_code == 200 and suspended.json()["suspended"] is True
    stopped = partner.get(f"/api/items/{item['id']}/copy")
    assert stopped.status_code == 403
    assert stopped.json()["error"] == (
        f"your account is suspended by the originator: named by trace {traced['item']}"
    )
    twice = admin.post(okafor, json={"reason": "again"})
    assert twice.status_code == 400 and "already suspended" in twice.json()["error"]
    assert admin.post(okafor, json={"reason": " "}).status_code == 400
    exposure = admin.get("/api/people/d.okafor@harbour.example").json()
    assert exposure["suspend_reason"].startswith("named by trace")
    assert [h["item"] for h in exposure["held"]] == [item["id"]]
    assert partner.get("/api/people/d.okafor@harbour.example").status_code == 403
    assert admin.get("/api/people/nobody@harbour.example").status_code == 404
    assert admin.delete(okafor).json()["suspended"] is False
    assert partner.get(f"/api/items/{item['id']}/copy").content == copy.content
    # An item withdrawn is gone from the partner's list and refused, then back.
    withdraw = f"/api/items/{item['id']}/withdraw"
    assert partner.post(withdraw, json={"reason": "mine"}).status_code == 403
    out = admin.post(withdraw, json={"reason": "shared by mistake"})
    assert out.status_code == 200 and out.json()["withdraw_reason"] == "shared by mistake"
    assert partner.get("/api/items").json() == []
    gone = partner.get(f"/api/items/{item['id']}/copy")
    assert gone.status_code == 403
    assert gone.json()["error"] == "the originator has withdrawn this item: shared by mistake"
    assert admin.post("/api/items/itm_nope/withdraw", json={"reason": "x"}).status_code == 404
    assert admin.delete(withdraw).json()["withdrawn_at"] is None
    assert partner.get(f"/api/items/{item['id']}/copy").content == copy.content
    # Markings changed after sharing: a field left out stays, null lifts an embargo.
    marks = f"/api/items/{item['id']}/markings"
    assert partner.post(marks, json={"reason": "mine", "tlp": "clear"}).status_code == 403
    moved = admin.post(marks, json={"reason": "moved", "embargo_until": "2099-01-01T09:00Z"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["markings"] == (
        "TLP:AMBER · NO ONWARD DISSEMINATION · EMBARGOED UNTIL 2099-01-01T09:00Z"
    )
    lifted = admin.post(marks, json={"reason": "lifted", "embargo_until": None}).json()
    assert lifted["markings"] == "TLP:AMBER · NO ONWARD DISSEMINATION"
    assert lifted["markings_changed_at"] is not None
    assert (
        partner.get("/api/items").json()[0]["markings_changed_at"]
        == (lifted["markings_changed_at"])
    )
    naive = admin.post(marks, json={"reason": "x", "expires": "2099-01-01T09:00"})
    assert naive.status_code == 400 and "time zone" in naive.json()["error"]
    alone = admin.post(marks, json={"reason": "x", "remove_to": ["Harbour City PD"]})
    assert alone.status_code == 400 and "would reach nobody" in alone.json()["error"]
    assert admin.post("/api/items/itm_nope/markings", json={"reason": "x"}).status_code == 404
    # The partner's copy is the one it had: a photo's copy carries no banner.
    assert partner.get(f"/api/items/{item['id']}/copy").content == copy.content
    # A collector reads the ledger with a cursor: each page says where the next starts.
    assert partner.get("/api/ledger/events").status_code == 403
    first = admin.get("/api/ledger/events", params={"start": 0, "limit": 3}).json()
    assert [e["seq"] for e in first["events"]] == [0, 1, 2] and first["next"] == 3
    remarks = admin.get(
        "/api/ledger/events", params={"kind": ["item.remarked"], "q": item["id"]}
    ).json()
    assert [e["event"]["reason"] for e in remarks["events"]] == ["lifted", "moved"]
    assert remarks["next"] is None  # newest first: no cursor
    bad = admin.get("/api/ledger/events", params={"kind": "copy.stolen"})
    assert bad.status_code == 400 and "no such event kind" in bad.json()["error"]

    assert (
        admin.post("/api/orgs/Harbour City PD/halt", json={"reason": "embargo broken"}).status_code
        == 200
    )
    refused = partner.get(f"/api/items/{item['id']}/copy")
    assert refused.status_code == 403 and "halted" in refused.json()["error"]
    nobody = admin.get(f"/api/items/{item['id']}/copies.zip")
    assert nobody.status_code == 400 and "nobody may receive" in nobody.json()["error"]

    assert admin.get("/api/ledger/verify").json()["entries"] > 5
    note = httpx.get(url + "/ledger/checkpoint").text
    assert note.split("\n")[0].startswith("orcon.local/") and "\u2014 " in note


def test_bad_uploads_are_refused_cleanly(server):
    url, token = server
    admin = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    r = admin.post(
        "/api/items",
        files={"file": ("x.jpg", b"", "image/jpeg")},
        data={"title": "t", "tlp": "clear"},
    )
    assert r.status_code == 400 and "empty" in r.json()["error"]
    r = admin.post(
        "/api/items",
        files={"file": ("../../evil.jpg", b"\xff\xd8\xff", "image/jpeg")},
        data={"title": "t", "tlp": "clear"},
    )
    assert r.status_code == 400 and "path separators" in r.json()["error"]
    r = admin.post(
        "/api/items",
        files={"file": ("doc.jpg", b"MZ\x90\x00 executable", "image/jpeg")},
        data={"title": "t", "tlp": "clear"},
    )
    assert r.status_code == 400 and "unsupported file" in r.json()["error"]
    # Staff see every item, so an unknown one is named (404); every error has one shape.
    r = admin.get("/api/items/itm_missing")
    assert r.status_code == 404 and r.json() == {
        "error": "unknown item 'itm_missing'",
        "kind": "UsageError",
    }
    r = admin.post("/api/items", data={"title": "t"})  # no file, no TLP
    assert r.status_code == 422 and r.json()["kind"] == "UsageError"
    assert (
        "file: field required" in r.json()["error"] and "tlp: field required" in r.json()["error"]
    )
    r = httpx.get(url + "/api/items")
    assert r.status_code == 401 and r.json()["error"] == "a bearer token is required"
    assert r.headers["www-authenticate"] == "Bearer"
    assert httpx.get(url + "/api/nothing-here").json()["kind"] == "NotFound"
    # A page address that is not one gets a page, not JSON.
    page = httpx.get(url + "/nothing-here")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "Page not found" in page.text


def test_text_reports_with_and_without_invisible_marks_over_http(server, word_report):
    from pathlib import Path

    url, admin_token = server
    admin = httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {admin_token}"}, timeout=60
    )
    assert admin.post("/api/orgs", json={"name": "Harbour City PD"}).status_code == 201
    admin.post("/api/people", json={"email": "d.okafor@harbour.example", "org": "Harbour City PD"})
    token = admin.post("/api/people/d.okafor@harbour.example/token").json()["token"]
    partner = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    report = (Path(__file__).parents[1] / "data" / "reports" / "canal-street.md").read_bytes()
    copies, ids = {}, {}
    for fragile in ("true", "false"):
        r = admin.post(
            "/api/items",
            files={"file": ("canal.md", report, "text/markdown")},
            data={
                "title": f"Canal {fragile}",
                "tlp": "amber",
                "to": ["Harbour City PD"],
                "fragile": fragile,
            },
        )
        assert r.status_code == 201, r.text
        copies[fragile] = partner.get(f"/api/items/{r.json()['id']}/copy").text
        ids[fragile] = r.json()["id"]
    assert "\u200b" in copies["true"] or "\u2060" in copies["true"]
    assert "\u200b" not in copies["false"] and "\u2060" not in copies["false"]
    # Where the copies differ, as the author previewed it: staff only.
    wording = admin.get(f"/api/items/{ids['true']}/wording").json()
    previewed = admin.post(
        "/api/marks/text/preview", files={"file": ("canal.md", report, "text/markdown")},
        params={"recipients": 1000},
    ).json()  # fmt: skip
    assert wording["marked"] == previewed["marked"] and wording["symbols"] == previewed["symbols"]
    assert wording["fragile_marks"] > 0
    assert admin.get(f"/api/items/{ids['false']}/wording").json()["fragile_marks"] == 0
    assert partner.get(f"/api/items/{ids['true']}/wording").status_code == 403
    # The same report written in Word: its copy comes back as a Word document.
    import io

    import docx

    buf = io.BytesIO()
    word_report(report.decode()).save(buf)
    word = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    r = admin.post(
        "/api/items",
        files={"file": ("canal.docx", buf.getvalue(), word)},
        data={"title": "Canal (Word)", "tlp": "amber", "to": ["Harbour City PD"]},
    )
    assert r.status_code == 201 and r.json()["format"] == "docx", r.text
    copy = partner.get(f"/api/items/{r.json()['id']}/copy")
    assert copy.status_code == 200 and copy.headers["content-type"] == word
    assert docx.Document(io.BytesIO(copy.content)).paragraphs[0].text == "TLP:AMBER"
    traced = admin.post("/api/trace", files={"file": ("leak.docx", copy.content, word)}).json()
    assert [a["person"] for a in traced["accused"]] == ["d.okafor@harbour.example"]
    # A retyped 250-word stretch of either copy still names its holder (the wording).
    words = copies["false"].encode("ascii", "ignore").decode().lower().split()
    traced = admin.post(
        "/api/trace", files={"file": ("leak.txt", " ".join(words[60:310]).encode(), "text/plain")}
    ).json()
    assert [a["person"] for a in traced["accused"]] == ["d.okafor@harbour.example"]
    assert traced["notes"] == []
    # The same stretch in a saved news page: its main text is traced.
    page = f"<!DOCTYPE html><html><body><nav>Home News</nav><p>{' '.join(words[60:310])}</p>"
    traced = admin.post(
        "/api/trace", files={"file": ("page.html", page.encode(), "text/html")}
    ).json()
    assert [a["person"] for a in traced["accused"]] == ["d.okafor@harbour.example"]
    assert any("web page" in n for n in traced["notes"])
    scan = admin.post(
        "/api/trace", files={"file": ("scan.pdf", b"%PDF-1.4\n%%EOF", "application/pdf")}
    )
    assert scan.status_code == 400 and "PDF" in scan.json()["error"]
    pages = admin.post(
        "/api/trace",
        params={"pages": 0},
        files={"file": ("leak.txt", " ".join(words[60:310]).encode(), "text/plain")},
    )
    assert pages.status_code == 400 and "pages must be between 1 and" in pages.json()["error"]
    # Forty retyped words are found but too few: the answer says how many it would take.
    short = admin.post(
        "/api/trace", files={"file": ("leak.txt", " ".join(words[60:100]).encode(), "text/plain")}
    ).json()
    assert short["verdict"] == "inconclusive" and short["accused"] == []
    assert "takes at least" in short["notes"][0]
    # Before sharing, the author's preview: what copies vary and how long a quote must be.
    files = {"file": ("canal.md", report, "text/markdown")}
    view = admin.post("/api/marks/text/preview", files=files, params={"recipients": 60}).json()
    assert view["recipients"] == 60 and view["symbols"] >= 100 and view["quote_words_needed"] > 60
    assert any("[At approximately|" in line["text"] for line in view["marked"])
    assert set(view["sentences_without_sites"]).isdisjoint(m["sentence"] for m in view["marked"])
    empty = admin.post("/api/marks/text/preview", files={"file": ("e.md", b" ", "text/plain")})
    assert empty.status_code == 400 and "error" in empty.json()
    bad = admin.post(
        "/api/marks/text/preview", files=files, params={"recipients": 0, "locale": "en-GB"}
    )
    assert bad.status_code == 400 and "recipients" in bad.json()["error"]
    assert partner.post("/api/marks/text/preview", files=files).status_code == 403


def test_a_briefing_pack_over_http_names_the_source_of_each_item_in_it(server, photo):
    """A Word document holding a partner's copy of a report and of a photo: the answer
    names them for the report and, under ``others``, for the photo."""
    import io
    from pathlib import Path

    import docx

    url, admin_token = server
    admin = httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {admin_token}"}, timeout=120
    )
    admin.post("/api/orgs", json={"name": "Harbour City PD"})
    for who in ("d.okafor", "m.lindqvist"):
        admin.post(
            "/api/people", json={"email": f"{who}@harbour.example", "org": "Harbour City PD"}
        )
    partners = {}
    for who in ("d.okafor", "m.lindqvist"):
        token = admin.post(f"/api/people/{who}@harbour.example/token").json()["token"]
        partners[who] = httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60
        )
    report = (Path(__file__).parents[1] / "data" / "reports" / "harbour-road.md").read_bytes()
    ids = {}
    for name, blob, kind in (("k.md", report, "text/markdown"), ("s.jpg", photo, "image/jpeg")):
        r = admin.post(
            "/api/items",
            files={"file": (name, blob, kind)},
            data={"title": name, "tlp": "amber", "to": ["Harbour City PD"]},
        )
        assert r.status_code == 201, r.text
        ids[name] = r.json()["id"]
    text = partners["d.okafor"].get(f"/api/items/{ids['k.md']}/copy").text
    picture = partners["m.lindqvist"].get(f"/api/items/{ids['s.jpg']}/copy").content
    document = docx.Document()
    for para in text.split("\n\n")[2:]:
        document.add_paragraph(" ".join(para.split()))
    document.add_picture(io.BytesIO(picture))
    buf = io.BytesIO()
    document.save(buf)
    files = {"file": ("pack.docx", buf.getvalue(), "application/octet-stream")}
    traced = admin.post("/api/trace", files=files).json()
    assert traced["item"] == ids["k.md"]
    assert [a["person"] for a in traced["accused"]] == ["d.okafor@harbour.example"]
    (other,) = traced["others"]
    assert other["item"] == ids["s.jpg"] and other["verdict"] == "accused"
    assert [a["person"] for a in other["accused"]] == ["m.lindqvist@harbour.example"]


def test_the_web_forms_refuse_what_a_browser_would_not_send(server, tmp_path):
    """The browser enforces the confirmation boxes and offers no self-reset; a hand-made
    post of the same forms is refused by the server too, and changes nothing."""
    url, admin_token = server
    api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {admin_token}"})
    api.post("/api/orgs", json={"name": "Harbour City PD"})
    api.post("/api/people", json={"email": "d.okafor@harbour.example", "org": "Harbour City PD"})
    web = httpx.Client(base_url=url, timeout=60)
    token = re.search(r'name="csrf" value="([^"]+)"', web.get("/login").text)
    assert token
    password = (tmp_path / "admin-password").read_text().strip()
    web.post("/login", data={"email": "admin@localhost", "password": password, "csrf": token[1]})
    token = re.search(r'name="csrf" value="([^"]+)"', web.get("/partners").text)  # a new session's
    assert token
    csrf = {"csrf": token[1]}

    unconfirmed = web.post(
        "/people/suspend", data={**csrf, "email": "d.okafor@harbour.example", "reason": "leak"}
    )
    assert unconfirmed.status_code == 400 and "tick the box" in unconfirmed.text
    own = web.post(
        "/people/password",
        data={**csrf, "email": "admin@localhost", "password": "a new long password"},
    )
    assert own.status_code == 400 and "change your own password on Your account" in own.text
    forged = web.post(
        "/people/suspend",
        data={"email": "d.okafor@harbour.example", "reason": "leak", "confirm": "yes"},
    )
    assert forged.status_code == 400 and "did not come from this site" in forged.text
    people = {p["email"]: p for p in api.get("/api/people").json()}
    assert people["d.okafor@harbour.example"]["suspended"] is False
    # The administrator's password is unchanged: signing in with it again works.
    again = httpx.Client(base_url=url, timeout=60)
    fresh = re.search(r'name="csrf" value="([^"]+)"', again.get("/login").text)
    assert fresh
    signed = again.post(
        "/login", data={"email": "admin@localhost", "password": password, "csrf": fresh[1]}
    )
    assert signed.status_code == 303
    done = web.post(
        "/people/suspend",
        data={**csrf, "email": "d.okafor@harbour.example", "reason": "leak", "confirm": "yes"},
    )
    assert done.status_code == 200 and "Suspended d.okafor@harbour.example" in done.text
    people = {p["email"]: p for p in api.get("/api/people").json()}
    assert people["d.okafor@harbour.example"]["suspended"] is True


def test_notices_over_http(server, tmp_path, photo, smtp):
    import subprocess
    import sys

    url, admin_token = server
    ctl, inbox = smtp
    admin = httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {admin_token}"}, timeout=60
    )
    admin.post("/api/orgs", json={"name": "Harbour City PD"})
    admin.post("/api/people", json={"email": "d.okafor@harbour.example", "org": "Harbour City PD"})
    off = admin.post("/api/notify/test", json={"to": "duty@northshire.example"})
    assert off.status_code == 400 and "notices are off" in off.json()["error"]
    subprocess.run(
        [sys.executable, "-m", "orcon", "--home", str(tmp_path / "home"), "notify", "config",
         "--smtp-host", "127.0.0.1", "--smtp-port", str(ctl.port)],
        check=True, capture_output=True,
    )  # fmt: skip
    tested = admin.post("/api/notify/test", json={"to": "duty@northshire.example"}).json()
    assert tested["ok"] is True and tested["channel"].startswith("e-mail to duty@northshire")
    assert len(inbox.messages) == 1
    inbox.messages.clear()
    share = {"title": "Scene", "tlp": "amber", "to": ["Harbour City PD"]}
    told = admin.post("/api/items", files={"file": ("a.jpg", photo)}, data=share).json()
    assert told["notice"] == {
        "sent": ["d.okafor@harbour.example"], "failed": [], "queued": [], "error": ""
    }  # fmt: skip
    quiet = admin.post(
        "/api/items", files={"file": ("b.jpg", photo)}, data={**share, "notify": "false"}
    ).json()
    assert "notice" not in quiet and len(inbox.messages) == 1
    moved = admin.post(
        f"/api/items/{quiet['id']}/markings",
        json={"reason": "release", "tlp": "clear"},
    ).json()
    assert moved["notice"]["sent"] == ["d.okafor@harbour.example"]
    assert len(inbox.messages) == 2
    # Onward: the partner asks, the originator approves, the Bureau's officer is told.
    admin.post("/api/orgs", json={"name": "Federal Bureau"})
    admin.post("/api/people", json={"email": "a.moreau@bureau.example", "org": "Federal Bureau"})
    token = admin.post("/api/people/d.okafor@harbour.example/token").json()["token"]
    partner = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"})
    asked = partner.post(
        f"/api/items/{told['id']}/onward", json={"to": "Federal Bureau", "reason": "joint op"}
    )
    assert asked.status_code == 201, asked.text
    approved = admin.post(f"/api/onward/{asked.json()['id']}/approve").json()
    assert approved["status"] == "approved"
    assert approved["notice"]["sent"] == ["a.moreau@bureau.example"]
    twice = admin.post(f"/api/onward/{asked.json()['id']}/approve")
    assert twice.status_code == 400 and "already approved" in twice.json()["error"]
    assert partner.post("/api/notify/test", json={"to": "x@harbour.example"}).status_code == 403
    assert partner.get("/api/settings").status_code == 403


def test_settings_over_http(server, smtp):
    """Read and change the notices' and the watch's settings; secrets never come back."""
    url, admin_token = server
    ctl, inbox = smtp
    admin = httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {admin_token}"}, timeout=60
    )
    shown = admin.get("/api/settings").json()
    assert shown["notify"]["enabled"] is False and shown["watch"]["webhook_secret"] == ""
    moved = admin.patch(
        "/api/settings/notify", json={"smtp_host": "127.0.0.1", "smtp_port": ctl.port}
    ).json()
    assert moved["changed"] == {"smtp_host": ["", "127.0.0.1"], "smtp_port": [25, ctl.port]}
    assert moved["notify"]["enabled"] is True and moved["notify"]["mail_from"] == "orcon@localhost"
    assert admin.post("/api/notify/test", json={"to": "duty@northshire.example"}).json()["ok"]
    assert len(inbox.messages) == 1
    hooked = admin.patch(
        "/api/settings/watch",
        json={"webhook_url": "https://soc.example/hook", "webhook_secret": "s3cret",
              "auto_suspend": True},
    )  # fmt: skip
    assert hooked.status_code == 200, hooked.text
    body = hooked.json()
    assert (
        body["changed"]["webhook_secret"] == "changed" and body["watch"]["webhook_secret"] == "set"
    )
    assert "s3cret" not in hooked.text and "s3cret" not in admin.get("/api/settings").text
    same = admin.patch("/api/settings/watch", json={"auto_suspend": True}).json()
    assert same["changed"] == {}
    unknown = admin.patch("/api/settings/watch", json={"auto_hlat": True})
    assert unknown.status_code == 422
    null = admin.patch("/api/settings/watch", json={"smtp_host": None})
    assert null.status_code == 400 and "cannot be null" in null.json()["error"]
    plain = admin.patch("/api/settings/notify", json={"smtp_user": "orcon"})
    assert plain.status_code == 400 and "needs --starttls" in plain.json()["error"]
    events = admin.get("/api/ledger/events", params={"kind": "settings.changed"}).json()
    assert [e["event"]["settings"] for e in events["events"]] == ["watch", "notify"]


def test_the_outbox_over_http_and_on_the_dashboard(server, tmp_path, photo, smtp_later):
    """A notice the mail server missed is listed, retried and dropped through the API,
    and shown on the dashboard, where an administrator can try again or drop it."""
    import subprocess
    import sys

    url, admin_token = server
    port, start, inbox = smtp_later
    admin = httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {admin_token}"}, timeout=60
    )
    admin.post("/api/orgs", json={"name": "Harbour City PD"})
    for who in ("d.okafor@harbour.example", "l.brandt@harbour.example"):
        admin.post("/api/people", json={"email": who, "org": "Harbour City PD"})
    subprocess.run(
        [sys.executable, "-m", "orcon", "--home", str(tmp_path / "home"), "notify", "config",
         "--smtp-host", "127.0.0.1", "--smtp-port", str(port)],
        check=True, capture_output=True,
    )  # fmt: skip
    share = {"title": "Scene", "tlp": "amber", "to": ["Harbour City PD"]}
    told = admin.post("/api/items", files={"file": ("a.jpg", photo)}, data=share).json()
    assert told["notice"]["queued"] == ["d.okafor@harbour.example", "l.brandt@harbour.example"]
    waiting = admin.get("/api/outbox").json()
    assert isinstance(waiting, list), waiting
    assert [(w["to"], w["about"], w["item"]) for w in waiting] == [
        ("d.okafor@harbour.example", "shared", told["id"]),
        ("l.brandt@harbour.example", "shared", told["id"]),
    ]
    token = admin.post("/api/people/d.okafor@harbour.example/token").json()["token"]
    partner = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"})
    assert partner.get("/api/outbox").status_code == 403
    missing = admin.delete("/api/outbox/999")
    assert missing.status_code == 404 and "unknown outbox mail 999" in missing.json()["error"]
    assert admin.delete(f"/api/outbox/{waiting[0]['id']}", params={"reason": "rang"}).json() == {
        "dropped": waiting[0]["id"]
    }

    web = httpx.Client(base_url=url, timeout=60)
    login = re.search(r'name="csrf" value="([^"]+)"', web.get("/login").text)
    assert login
    password = (tmp_path / "admin-password").read_text().strip()
    web.post("/login", data={"email": "admin@localhost", "password": password, "csrf": login[1]})
    board = web.get("/").text
    assert "1 e-mail waits to be sent" in board and "l.brandt@harbour.example" in board
    assert "ConnectionRefusedError" in board
    token_ = re.search(r'name="csrf" value="([^"]+)"', board)
    assert token_
    # A watched source that cannot be read is flagged at the top, once the watch polls it.
    closed = f"http://127.0.0.1:{port}/feed.xml"  # the mail port: nothing answers HTTP
    assert admin.post("/api/watch/sources", json={"url": closed}).status_code == 201
    deadline = time.time() + 30
    while "Watch:</strong> 1 source; 1 failing" not in board and time.time() < deadline:
        time.sleep(0.5)
        board = web.get("/").text
    assert f"Watch:</strong> 1 source; 1 failing (the first: {closed})" in board
    gone = web.post("/outbox/999/drop", data={"csrf": token_[1]})
    assert gone.status_code == 400 and "unknown outbox mail 999" in gone.text
    start()
    tried = web.post("/outbox/retry", data={"csrf": token_[1]})
    assert tried.status_code == 200 and "Outbox: 1 sent." in tried.text
    assert "waits to be sent" not in tried.text and admin.get("/api/outbox").json() == []
    assert len(inbox.messages) == 1
    assert admin.post("/api/outbox/retry").json()["sent"] == []


def test_status_for_staff_and_a_bare_health_probe(server):
    url, admin_token = server
    admin = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {admin_token}"})
    status = admin.get("/api/status").json()
    assert status["state"] == "warn"  # a fresh instance has no backup
    names = [c["name"] for c in status["checks"]]
    assert names[:4] == ["database", "ledger", "witnesses", "backup"]
    assert httpx.get(url + "/api/status").status_code == 401
    probe = httpx.get(url + "/healthz")
    assert probe.status_code == 200 and probe.json() == {"alive": True}
    assert "/healthz" not in httpx.get(url + "/openapi.json").json()["paths"]


def test_the_watch_over_http(server):
    url, admin_token = server
    admin = httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {admin_token}"}, timeout=60
    )
    admin.post("/api/orgs", json={"name": "Harbour City PD"})
    admin.post("/api/people", json={"email": "d.okafor@harbour.example", "org": "Harbour City PD"})
    token = admin.post("/api/people/d.okafor@harbour.example/token").json()["token"]
    partner = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"})
    assert partner.get("/api/watch/alerts").status_code == 403
    assert partner.get("/api/watch/facts").status_code == 403
    assert partner.post("/api/watch/test").status_code == 403
    nowhere = admin.post("/api/watch/test")
    assert nowhere.status_code == 400 and "sends alerts nowhere yet" in nowhere.json()["error"]

    feed = "http://127.0.0.1:9/feed.xml"  # nothing listens there: a poll records an error
    added = admin.post("/api/watch/sources", json={"url": feed, "interval_s": 600})
    assert added.status_code == 201 and added.json()["url"] == feed
    again = admin.post("/api/watch/sources", json={"url": feed})
    assert again.status_code == 400 and "already watched" in again.json()["error"]
    bad = admin.post("/api/watch/sources", json={"url": "ftp://x"})
    assert bad.status_code == 400 and "http(s) URL" in bad.json()["error"]
    assert [s["url"] for s in admin.get("/api/watch/sources").json()] == [feed]

    fact = admin.post(
        "/api/watch/facts", json={"text": "Daniel Whitcombe", "embargo_until": "2099-01-01T09:00Z"}
    )
    assert fact.status_code == 201 and fact.json()["watched"] is True
    naive = admin.post("/api/watch/facts", json={"text": "x", "embargo_until": "2099-01-01T09:00"})
    assert naive.status_code == 400 and "time zone" in naive.json()["error"]
    missing = admin.post("/api/watch/facts", json={"text": "x", "item": "itm_nope"})
    assert missing.status_code == 404 and "unknown item" in missing.json()["error"]
    assert [f["text"] for f in admin.get("/api/watch/facts").json()] == ["Daniel Whitcombe"]
    fid = fact.json()["id"]
    assert admin.delete(f"/api/watch/facts/{fid}").json() == {"forgotten": fid}
    assert admin.delete(f"/api/watch/facts/{fid}").status_code == 404
    sid = added.json()["id"]
    assert partner.delete(f"/api/watch/sources/{sid}").status_code == 403
    assert admin.delete(f"/api/watch/sources/{sid}").json() == {"removed": feed}
    assert admin.get("/api/watch/sources").json() == []
    assert admin.get("/api/watch/alerts").json() == []
    assert admin.get("/api/watch/alerts", params={"limit": 0}).status_code == 400
    kinds = [e["kind"] for e in admin.get("/api/ledger/events").json()["events"]]
    assert kinds[:4] == ["watch.source.removed", "fact.removed", "fact.registered",
                         "watch.source.added"]  # fmt: skip


def test_every_answer_carries_the_security_headers(server):
    """A strict Content-Security-Policy on pages, none of orcon framed, no Referer sent
    out, nothing sensitive cached; the public ledger keeps its own caching; the API's
    interactive docs load from orcon itself, not a CDN."""
    url, admin_token = server
    login = httpx.get(url + "/login")
    csp = login.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert (
        "unsafe-inline" not in csp and "<script>" not in login.text and "style=" not in login.text
    )
    for answer in (
        login,
        httpx.get(url + "/api/items", headers={"Authorization": f"Bearer {admin_token}"}),
    ):
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Referrer-Policy"] == "no-referrer"
        assert answer.headers["Cache-Control"] == "no-store"
        assert "Strict-Transport-Security" not in answer.headers  # plain HTTP here
    checkpoint = httpx.get(url + "/ledger/checkpoint")
    assert checkpoint.headers["Cache-Control"] == "no-cache, max-age=2"
    css = httpx.get(url + "/static/orcon.css")
    assert css.status_code == 200 and "Cache-Control" not in css.headers
    assert "label.inline" in css.text
    docs = httpx.get(url + "/docs")
    assert docs.status_code == 200 and "cdn.jsdelivr" not in docs.text
    bundle = [m for m in re.findall(r'src="([^"]+)"', docs.text) if m.endswith(".js")]
    assert bundle and all(b.startswith("/") for b in bundle)
    assert httpx.get(url + bundle[0]).status_code == 200
    assert "'unsafe-inline'" in docs.headers["Content-Security-Policy"]
    assert httpx.get(url + "/redoc").status_code == 200


def test_a_read_only_token_reads_over_http_and_changes_nothing(server, photo):
    url, admin_token = server
    admin = httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {admin_token}"}, timeout=60
    )
    admin.post("/api/orgs", json={"name": "Harbour City PD"})
    admin.post("/api/people", json={"email": "d.okafor@harbour.example", "org": "Harbour City PD"})
    item = admin.post(
        "/api/items",
        files={"file": ("a.jpg", photo)},
        data={"title": "Scene", "tlp": "amber", "to": ["Harbour City PD"]},
    ).json()
    made = admin.post(
        "/api/people/d.okafor@harbour.example/token", json={"days": 30, "read_only": True}
    ).json()
    assert made["read_only"] is True
    reader = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {made['token']}"})
    assert [i["id"] for i in reader.get("/api/items").json()] == [item["id"]]
    copy = reader.get(f"/api/items/{item['id']}/copy")
    assert copy.status_code == 200 and copy.content[:2] == b"\xff\xd8"
    asked = reader.post(f"/api/items/{item['id']}/onward", json={"to": "X", "reason": "y"})
    assert asked.status_code == 403 and "read-only" in asked.json()["error"]
    assert reader.get("/ledger/tile/entries/000.p/1").status_code == 200
    # An administrator's read-only token cannot halt a partner either.
    own = admin.post("/api/people/admin@localhost/token", json={"read_only": True}).json()
    watcher = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {own['token']}"})
    assert watcher.get("/api/ledger/events").status_code == 200
    halted = watcher.post("/api/orgs/Harbour City PD/halt", json={"reason": "test"})
    assert halted.status_code == 403 and "read-only" in halted.json()["error"]
    orgs = {o["name"]: o for o in admin.get("/api/orgs").json()}
    assert orgs["Harbour City PD"]["halted"] is False
    # Tokens are listed (never their values) and ended one at a time.
    mine = reader.get("/api/people/d.okafor@harbour.example/tokens").json()
    assert [t["read_only"] for t in mine] == [True] and mine[0]["expires_at"]
    assert reader.get("/api/people/admin@localhost/tokens").status_code == 403
    theirs = admin.get("/api/people/admin@localhost/tokens").json()
    assert [t["read_only"] for t in theirs] == [True, False]  # the newest first
    ended = admin.delete(f"/api/people/d.okafor@harbour.example/tokens/{mine[0]['id']}")
    assert ended.status_code == 200 and ended.json()["revoked"] == 1
    assert reader.get("/api/items").status_code == 403
    again = admin.delete(f"/api/people/d.okafor@harbour.example/tokens/{mine[0]['id']}")
    assert again.status_code == 404 and "unknown API token" in again.json()["error"]
    assert watcher.get("/api/ledger/events").status_code == 200  # the other token goes on


def test_numbers_no_row_can_have_are_refused_cleanly(server, tmp_path):
    """A row number past the database's 64-bit integers, in an address or a query, is
    an address that names nothing (404 page, 422 answer), never a server error."""
    url, admin_token = server
    admin = httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {admin_token}"}, timeout=60
    )
    huge = "9" * 25
    for method, path in (
        ("DELETE", f"/api/outbox/{huge}"),
        ("DELETE", f"/api/watch/sources/{huge}"),
        ("DELETE", f"/api/watch/facts/{huge}"),
        ("POST", f"/api/onward/{huge}/approve"),
    ):
        answer = admin.request(method, path)
        assert answer.status_code == 422, (path, answer.text)
        assert answer.json()["kind"] == "UsageError"
    start = admin.get("/api/ledger/events", params={"start": huge})
    assert start.status_code == 400 and "sequence number" in start.json()["error"]
    alerts = admin.get("/api/watch/alerts", params={"limit": huge})
    assert alerts.status_code == 400 and "the limit must be" in alerts.json()["error"]
    password = (tmp_path / "admin-password").read_text().strip()
    web = httpx.Client(base_url=url, timeout=60)
    token = re.search(r'name="csrf" value="([^"]+)"', web.get("/login").text)
    assert token is not None
    web.post("/login", data={"email": "admin@localhost", "password": password, "csrf": token[1]})
    for path in (f"/ledger/receipt/{huge}", f"/reports/{huge}"):
        page = web.get(path)
        assert page.status_code == 404 and "There is no page at this address" in page.text
    assert web.get("/ledger/receipt/0").status_code == 200  # signed in: the real one is there
