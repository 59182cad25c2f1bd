"""The web interface in a real browser (Debian's Chromium driven by Playwright), with axe-core."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Chromium is not installed (apt-get install chromium); browser tests skipped",
)
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
SHOTS = os.environ.get("ORCON_SCREENSHOT_DIR")


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"web-{name}.png"), full_page=True)


def _login(page, url: str, email: str, password: str) -> None:  # type: ignore[no-untyped-def]
    _refusals(page)
    page.goto(url + "/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def _refusals(page) -> list[str]:  # type: ignore[no-untyped-def]
    """What the browser refused to run or apply under orcon's Content-Security-Policy
    on this page so far (an inline script or style left in a template shows here)."""
    if not hasattr(page, "orcon_refused"):
        page.orcon_refused = []
        page.on(
            "console",
            lambda m: (
                page.orcon_refused.append(m.text) if "Content Security Policy" in m.text else None
            ),
        )
    return page.orcon_refused  # type: ignore[no-any-return]


def _accessible(page) -> None:  # type: ignore[no-untyped-def]
    assert _refusals(page) == []
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert not bad, [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in bad]


def _photo_file(tmp_path: Path) -> Path:
    """A small JPEG to upload."""
    import cv2
    import numpy as np

    path = tmp_path / "scene.jpg"
    cv2.imwrite(str(path), np.full((64, 64, 3), 128, np.uint8))
    return path


def _download_copy(page, dest: Path) -> Path:  # type: ignore[no-untyped-def]
    """The partner's own copy, through the item page's download link."""
    with page.expect_download() as dl:
        page.get_by_role("link", name="Download my copy").click()
    dl.value.save_as(str(dest))
    return dest


def _fill_share(page, url: str, src: Path, title: str) -> None:  # type: ignore[no-untyped-def]
    """Fill the Share page for a file as TLP:AMBER with Harbour City PD (not sent yet)."""
    page.goto(url + "/share")
    page.get_by_label("Photo or report").set_input_files(str(src))
    page.get_by_label("Title").fill(title)
    page.get_by_label("Traffic Light Protocol").select_option("AMBER")
    page.get_by_label("Harbour City PD").check()


def _share_amber(page, url: str, src: Path, title: str) -> None:  # type: ignore[no-untyped-def]
    """Share a file through the Share page as TLP:AMBER with Harbour City PD."""
    from playwright.sync_api import expect

    _fill_share(page, url, src, title)
    page.get_by_role("button", name="Share").click()
    expect(page.get_by_role("note", name="Handling markings")).to_contain_text("TLP:AMBER")


def _partner_copy(browser, url: str, title: str, dest: Path):  # type: ignore[no-untyped-def]
    """D. Okafor signs in, opens the item and downloads their copy: (their page, copy)."""
    partner = browser.new_context(accept_downloads=True).new_page()
    _login(partner, url, "d.okafor@harbour.example", "correct horse battery")
    partner.get_by_role("link", name=title).click()
    return partner, _download_copy(partner, dest)


def _trace_names(page, url: str, leak: Path, who: str) -> None:  # type: ignore[no-untyped-def]
    """Upload a leak on the trace page; the verdict must accuse ``who``."""
    from playwright.sync_api import expect

    page.goto(url + "/trace")
    page.get_by_label("Leaked photo or text").set_input_files(str(leak))
    page.get_by_role("button", name="Trace").click()
    expect(page.locator(".verdict").first).to_contain_text("accused")
    expect(page.get_by_role("main")).to_contain_text(who)
    _accessible(page)


def _add_partner(page, url: str) -> None:  # type: ignore[no-untyped-def]
    """Harbour City PD with one officer, d.okafor@harbour.example."""
    page.goto(url + "/partners")
    page.get_by_label("Organisation name").fill("Harbour City PD")
    page.get_by_role("button", name="Add organisation").click()
    page.get_by_label("E-mail").fill("d.okafor@harbour.example")
    page.get_by_label("Organisation", exact=True).select_option("Harbour City PD")
    page.get_by_label("Initial password (10 characters or more)").fill("correct horse battery")
    page.get_by_role("button", name="Add person").click()


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_share_download_trace_halt_in_a_browser(server, tmp_path, photo, smtp):
    import email

    from playwright.sync_api import expect, sync_playwright

    url, _ = server
    password = (tmp_path / "admin-password").read_text().strip()
    src = tmp_path / "scene.jpg"
    src.write_bytes(photo)
    # Recipients are told by e-mail (set up on the CLI, read by the running server).
    ctl, inbox = smtp
    subprocess.run(
        [sys.executable, "-m", "orcon", "--home", str(tmp_path / "home"), "notify", "config",
         "--smtp-host", "127.0.0.1", "--smtp-port", str(ctl.port), "--base-url", url],
        check=True, capture_output=True,
    )  # fmt: skip
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        admin = browser.new_context(accept_downloads=True).new_page()
        _login(admin, url, "admin@localhost", password)
        expect(admin.get_by_role("heading", name="Dashboard")).to_be_visible()

        # Keyboard: the first Tab reaches the skip link, which leads to the main content.
        admin.keyboard.press("Tab")
        assert admin.evaluate("document.activeElement.textContent") == "Skip to content"

        _add_partner(admin, url)
        expect(admin.get_by_role("status")).to_contain_text("Added d.okafor@harbour.example")

        admin.goto(url + "/share")
        _accessible(admin)
        _shot(admin, "share")
        admin.get_by_label("Photo or report").set_input_files(str(src))
        admin.get_by_label("Title").fill("Vehicle at the scene")
        admin.get_by_label("Traffic Light Protocol").select_option("AMBER")
        admin.get_by_label("Harbour City PD").check()
        admin.get_by_label("No onward dissemination (ORCON)").check()
        admin.get_by_role("button", name="Share").click()
        banner = admin.get_by_role("note", name="Handling markings")
        expect(banner).to_have_text("TLP:AMBER · NO ONWARD DISSEMINATION")
        expect(admin.get_by_role("status")).to_have_text("Shared; told 1 person by e-mail.")
        item_url = admin.url
        [mail] = [email.message_from_bytes(m) for m in inbox.messages]
        assert item_url in mail.get_payload(decode=True).decode()  # type: ignore[union-attr]

        partner = browser.new_context(accept_downloads=True).new_page()
        _login(partner, url, "d.okafor@harbour.example", "correct horse battery")
        expect(partner.get_by_role("heading", name="Items shared with you")).to_be_visible()
        _accessible(partner)
        _shot(partner, "inbox")
        partner.get_by_role("link", name="Vehicle at the scene").click()
        expect(partner.get_by_role("note", name="Handling markings")).to_contain_text("TLP:AMBER")
        _accessible(partner)
        _shot(partner, "partner-item")
        copy = _download_copy(partner, tmp_path / "okafor-copy.jpg")
        assert copy.read_bytes()[:3] == b"\xff\xd8\xff" and copy.read_bytes() != photo
        with partner.expect_download() as got:
            partner.get_by_role("link", name="Receipt of the copy you were given").click()
        kept = json.loads(Path(got.value.path()).read_text())
        assert kept["format"] == "orcon-receipt/1"
        assert json.loads(kept["event"])["person"] == "d.okafor@harbour.example"
        # An item that is not theirs (or does not exist), and an address that is no page:
        # each says so in a page of its own (the first said sharing was halted).
        partner.goto(url + "/items/itm_0000000000000000")
        expect(partner.get_by_role("heading", name="Not shared with you")).to_be_visible()
        _accessible(partner)
        assert partner.goto(url + "/no-such-page").status == 404  # type: ignore[union-attr]
        expect(partner.get_by_role("heading", name="Page not found")).to_be_visible()
        _accessible(partner)

        admin.goto(item_url)
        expect(admin.get_by_role("cell", name="d.okafor@harbour.example")).to_be_visible()
        # The administrator sends copies out themselves: Okafor's, and every copy as a ZIP,
        # are the very file Okafor downloaded.
        admin.get_by_label("Recipient").select_option("d.okafor@harbour.example")
        with admin.expect_download() as dl:
            admin.get_by_role("button", name="Download their copy").click()
        assert dl.value.suggested_filename.endswith("-d.okafor@harbour.example.jpg")
        dl.value.save_as(str(tmp_path / "issued.jpg"))
        assert (tmp_path / "issued.jpg").read_bytes() == copy.read_bytes()
        with admin.expect_download() as dl:
            admin.get_by_role("button", name="Download every copy (1, as one ZIP)").click()
        dl.value.save_as(str(tmp_path / "copies.zip"))
        with zipfile.ZipFile(tmp_path / "copies.zip") as archive:
            copies = [n for n in archive.namelist() if n.endswith(".jpg")]
            assert [archive.read(n) for n in copies] == [copy.read_bytes()]
            assert "Send each file only to that person" in archive.read("README.txt").decode()
        _accessible(admin)
        _shot(admin, "item")

        _trace_names(admin, url, copy, "d.okafor@harbour.example")
        _shot(admin, "trace")
        # The investigator opens the named person: what else did they hold?
        admin.get_by_role("link", name="d.okafor@harbour.example").click()
        expect(admin.get_by_role("heading", level=1)).to_have_text("d.okafor@harbour.example")
        held = admin.get_by_role("table", name="Items they were issued")
        expect(held.locator("tbody tr")).to_have_count(1)
        expect(held).to_contain_text("Vehicle at the scene")
        expect(admin.get_by_role("main")).to_contain_text("trace.run")
        _accessible(admin)
        _trace_names(admin, url, copy, "d.okafor@harbour.example")
        # The named person alone is suspended from the verdict; the partner is not halted.
        admin.locator("summary", has_text="Suspend d.okafor@harbour.example").click()
        reason = admin.get_by_label("Reason", exact=True)
        expect(reason).to_have_value(re.compile(r"^named by trace \d+ as the holder of the copy"))
        reason.fill("named by the trace of the front-page photo")
        admin.get_by_label("I understand that every copy").check()
        admin.get_by_role("button", name="Suspend d.okafor@harbour.example").click()
        expect(admin.get_by_role("status")).to_contain_text("Suspended d.okafor@harbour.example")
        row = admin.get_by_role("row").filter(has_text="d.okafor@harbour.example")
        expect(row).to_contain_text("Suspended since")
        expect(row).to_contain_text("named by the trace of the front-page photo")
        expect(admin.get_by_role("row").filter(has_text="Harbour City PD").first).to_contain_text(
            "Active"
        )
        _accessible(admin)
        partner.goto(url + "/inbox")
        expect(partner.get_by_role("heading", name="Your account is suspended")).to_be_visible()
        expect(partner.get_by_role("main")).to_contain_text("front-page photo")
        _accessible(partner)
        admin.goto(url + "/")
        expect(admin.get_by_role("region", name="Partners")).to_contain_text(
            "Harbour City PD — active, 1 person, 1 suspended"
        )
        expect(admin.get_by_role("region", name="Leak alerts and recent events")).to_contain_text(
            "person.suspended"
        )
        admin.goto(url + "/partners")
        _trace_names(admin, url, copy, "d.okafor@harbour.example")  # already suspended: said so
        expect(admin.get_by_role("region", name="Verdict")).to_contain_text("Suspended.")
        expect(admin.locator("summary")).to_have_count(0)
        admin.goto(url + "/partners")
        admin.get_by_role("button", name="Reinstate d.okafor@harbour.example").click()
        expect(admin.get_by_role("status")).to_contain_text("Reinstated d.okafor@harbour.example")
        partner.goto(url + "/inbox")
        expect(partner.get_by_role("link", name="Vehicle at the scene")).to_be_visible()

        # Shared by mistake: the administrator withdraws the item; partners no longer see
        # it, and it comes back when reinstated.
        admin.goto(item_url)
        admin.locator("summary", has_text="Withdraw this item").click()
        admin.get_by_label("Reason (in the ledger").fill("the wrong scene photo")
        admin.get_by_label("I understand that nobody").check()
        admin.get_by_role("button", name="Withdraw", exact=True).click()
        expect(admin.get_by_role("status")).to_contain_text("Withdrawn: nobody receives")
        expect(admin.get_by_role("main")).to_contain_text("the wrong scene photo")
        _accessible(admin)
        partner.goto(url + "/inbox")
        expect(partner.get_by_role("link", name="Vehicle at the scene")).to_have_count(0)
        partner.goto(url + "/items/" + item_url.rsplit("/", 1)[1] + "/download")
        expect(partner.get_by_role("main")).to_contain_text("withdrawn this item: the wrong scene")
        admin.get_by_role("link", name="Shared items").click()
        expect(admin.get_by_role("row").filter(has_text="Vehicle at the scene")).to_contain_text(
            "(withdrawn)"
        )
        admin.goto(item_url)
        admin.get_by_role("button", name="Reinstate this item").click()
        expect(admin.get_by_role("status")).to_contain_text("Reinstated")
        partner.goto(url + "/inbox")
        expect(partner.get_by_role("link", name="Vehicle at the scene")).to_be_visible()

        # Markings changed after sharing: the form shows them as they are, and what is
        # changed on it is the change, recorded with the reason; partners see the new ones.
        admin.goto(item_url)
        admin.locator("summary", has_text="Change the markings").click()
        admin.get_by_label("Traffic Light Protocol").select_option("GREEN")
        admin.get_by_label("No onward dissemination (ORCON)").uncheck()
        admin.get_by_label("Embargo until").fill("2099-01-01T09:00")
        admin.get_by_label("Why (recorded").fill("for the whole community")
        admin.get_by_role("button", name="Change the markings").click()
        expect(admin.get_by_role("status")).to_contain_text(
            "Markings changed: copies issued from now on carry them. Recipients: told 1 person"
        )
        expect(banner).to_have_text("TLP:GREEN · EMBARGOED UNTIL 2099-01-01T09:00Z")
        expect(admin.locator("#markings-history")).to_contain_text(
            "TLP AMBER -> GREEN; onward requests allowed; embargo none -> 2099-01-01T09:00Z "
            "(for the whole community; ledger entry"
        )
        partner.goto(item_url)
        expect(partner.get_by_role("note", name="Handling markings")).to_have_text(
            "TLP:GREEN · EMBARGOED UNTIL 2099-01-01T09:00Z"
        )
        # The partner reads how they changed, not why (the reason is the originator's).
        changed = partner.get_by_role("region", name="Markings changed since it was shared")
        expect(changed).to_contain_text(
            "TLP AMBER -> GREEN; onward requests allowed; embargo none -> 2099-01-01T09:00Z"
        )
        expect(changed).not_to_contain_text("community")
        _accessible(partner)
        partner.goto(url + "/inbox")
        expect(partner.get_by_role("row").filter(has_text="Vehicle at the scene")).to_contain_text(
            "changed 20"
        )
        admin.locator("summary", has_text="Change the markings").click()
        admin.get_by_label("Why (recorded").fill("no change")
        admin.get_by_role("button", name="Change the markings").click()
        expect(admin.get_by_role("alert")).to_contain_text("nothing to change")
        admin.locator("summary", has_text="Change the markings").click()
        _accessible(admin)
        _shot(admin, "item-markings")
        admin.get_by_label("Traffic Light Protocol").select_option("AMBER")
        admin.get_by_label("No onward dissemination (ORCON)").check()
        admin.get_by_label("Embargo until").fill("")
        admin.get_by_label("Why (recorded").fill("back as it was")
        admin.get_by_role("button", name="Change the markings").click()
        expect(banner).to_have_text("TLP:AMBER · NO ONWARD DISSEMINATION")
        expect(admin.locator("#markings-history li")).to_have_count(2)

        # TLP:RED goes to named people only: without one it is refused (the form keeps
        # what was typed); with Okafor named, it reaches Okafor's inbox.
        admin.goto(url + "/share")
        admin.get_by_label("Photo or report").set_input_files(str(src))
        admin.get_by_label("Title").fill("Source photo")
        admin.get_by_label("Traffic Light Protocol").select_option("RED")
        admin.get_by_role("button", name="Share").click()
        expect(admin.get_by_role("alert")).to_contain_text("TLP:RED goes only to the people named")
        expect(admin.get_by_label("Title")).to_have_value("Source photo")
        expect(admin.get_by_label("Traffic Light Protocol")).to_have_value("RED")
        _accessible(admin)
        admin.get_by_label("Photo or report").set_input_files(str(src))
        admin.get_by_label("Named recipients").fill("d.okafor@harbour.example")
        admin.get_by_role("button", name="Share").click()
        expect(admin.get_by_role("note", name="Handling markings")).to_have_text("TLP:RED")
        partner.goto(url + "/inbox")
        expect(partner.get_by_role("link", name="Source photo")).to_be_visible()

        admin.goto(url + "/partners")
        _accessible(admin)
        admin.get_by_label("Reason for halting Harbour City PD").fill("embargoed photo published")
        admin.get_by_label("I understand that every copy, download and API access").check()
        admin.get_by_role("button", name="Halt Harbour City PD").click()
        expect(admin.get_by_role("status")).to_contain_text("Halted Harbour City PD")
        _shot(admin, "partners")

        partner.goto(item_url)
        expect(
            partner.get_by_role("heading", name="Sharing with your organisation is halted")
        ).to_be_visible()
        _shot(partner, "halted")
        # Nobody of a halted partner receives a copy, from the administrator either.
        admin.goto(item_url)
        expect(admin.get_by_role("main")).to_contain_text("Nobody may receive this item now")

        admin.goto(url + "/ledger")
        _accessible(admin)
        _shot(admin, "ledger")
        admin.goto(url + "/watch")
        admin.get_by_label("Feed or page address").fill("http://127.0.0.1:9/feed.xml")
        admin.get_by_role("button", name="Watch").click()
        expect(admin.get_by_role("status")).to_contain_text("Watching http://127.0.0.1:9/feed.xml")
        admin.get_by_label("Fact (e.g. a name before its release)").fill("Daniel Whitcombe")
        admin.get_by_role("button", name="Register").click()
        expect(admin.get_by_role("status")).to_contain_text("Registered the fact")
        _accessible(admin)
        _shot(admin, "watch")

        admin.goto(url + "/")
        expect(admin.locator("#backup-state")).to_contain_text("No backup has been taken")
        _accessible(admin)
        _shot(admin, "dashboard")
        # A backup taken while the server runs is on the dashboard at once.
        taken = subprocess.run(
            [sys.executable, "-m", "orcon", "--home", str(tmp_path / "home"), "backup",
             str(tmp_path / "nightly.tar")],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert taken.returncode == 0, taken.stderr
        admin.reload()
        expect(admin.locator("#backup-state")).to_contain_text("Last backup")
        expect(admin.locator("#backup-state")).to_contain_text("by cli")
        browser.close()


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_text_report_shared_quoted_and_traced_in_a_browser(server, tmp_path, photo):
    from playwright.sync_api import expect, sync_playwright

    url, _ = server
    password = (tmp_path / "admin-password").read_text().strip()
    src = tmp_path / "kestrel.md"
    src.write_bytes(
        (Path(__file__).parents[1] / "data" / "reports" / "harbour-road.md").read_bytes()
    )
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        admin = browser.new_context(accept_downloads=True).new_page()
        _login(admin, url, "admin@localhost", password)
        _add_partner(admin, url)

        admin.goto(url + "/share")
        # First the author previews the wording: where copies will differ, nothing shared
        # (a draft with wordings of the author's own, {{alt:...}}, in one passage).
        marked = Path(__file__).parents[1] / "data" / "authored" / "harbour-road-marked.md"
        draft = tmp_path / "kestrel-draft.md"
        draft.write_bytes(marked.read_bytes())
        admin.get_by_label("Photo or report").set_input_files(str(draft))
        admin.get_by_label("Title").fill("Operation Kestrel")
        admin.get_by_label("Traffic Light Protocol").select_option("RED")
        admin.get_by_role("button", name="Preview the wording").click()
        preview = admin.get_by_role("region", name="What copies of this report may vary")
        expect(preview).to_contain_text("[At approximately|At about|At around|At roughly]")
        expect(preview).to_contain_text("[The seller|The vendor], [a private individual|")
        expect(preview.get_by_role("list")).not_to_contain_text("{{alt:")
        expect(preview).to_contain_text("a continuous quote of about")
        expect(preview).to_contain_text("It may be shared with up to")
        expect(preview).to_contain_text("sentences read the same in every copy")
        expect(admin.get_by_label("Title")).to_have_value("Operation Kestrel")
        expect(admin.get_by_label("Traffic Light Protocol")).to_have_value("RED")
        _accessible(admin)
        _shot(admin, "share-preview")
        admin.goto(url + "/")
        expect(admin.get_by_role("main")).not_to_contain_text("Operation Kestrel")
        # A photo has no wording to preview: a clear message, no page error.
        admin.goto(url + "/share")
        admin.get_by_label("Photo or report").set_input_files(str(_photo_file(tmp_path)))
        admin.get_by_role("button", name="Preview the wording").click()
        expect(admin.get_by_role("alert")).to_contain_text("the preview is for text reports")

        _share_amber(admin, url, src, "Operation Kestrel")
        partner, copy = _partner_copy(
            browser, url, "Operation Kestrel", tmp_path / "okafor-copy.md"
        )
        text = copy.read_text()
        assert text.startswith("> **TLP:AMBER**") and "\u200b" in text

        # The register shows the report and its one holder; the partner may not open it.
        admin.get_by_role("link", name="Shared items").click()
        row = admin.get_by_role("row").filter(has_text="Operation Kestrel")
        expect(row).to_contain_text("TLP:AMBER")
        expect(row).to_contain_text("Harbour City PD")
        expect(row.get_by_role("cell").nth(4)).to_have_text("1")
        _accessible(admin)
        admin.get_by_label("Find items (title or id)").fill("KESTREL")
        admin.get_by_role("button", name="Find").click()
        expect(admin.get_by_role("table").locator("tbody tr")).to_have_count(1)
        expect(admin.get_by_role("table")).to_contain_text("1 item matching “KESTREL”")
        _accessible(admin)
        admin.get_by_label("Find items (title or id)").fill("no such title")
        admin.get_by_role("button", name="Find").click()
        expect(admin.get_by_role("main")).to_contain_text("No item's title or id holds")
        admin.get_by_role("link", name="Show the newest").click()
        row = admin.get_by_role("row").filter(has_text="Operation Kestrel")
        # Its page shows where copies differ, as kept when it was shared.
        row.get_by_role("link", name="Operation Kestrel").click()
        admin.locator("summary", has_text="Where copies of this report differ").click()
        places = admin.locator("#wording ol.preview li")
        expect(places.first).to_contain_text("[")
        assert places.count() > 5
        _accessible(admin)
        partner.goto(url + "/items")
        expect(partner.get_by_role("main")).to_contain_text("for the originator's staff")
        expect(partner.get_by_role("heading", name="Not open to you")).to_be_visible()

        # A news site pastes three sentences of it.
        body = next(p for p in text.split("\n\n") if p.startswith("Initial"))
        quote = ". ".join(body.split(". ")[:3]) + "."
        leak = tmp_path / "article.txt"
        leak.write_text(f"Harbour Road fire: what we know. {quote} Police declined to comment.")
        _trace_names(admin, url, leak, "d.okafor@harbour.example")
        admin.get_by_role("link", name="Open the evidence report").click()
        expect(
            admin.get_by_role("heading", name="Which sentences and wordings survived")
        ).to_be_visible()
        expect(admin.get_by_role("heading", name="The leak as received")).to_be_visible()
        _shot(admin, "text-report")
        assert _refusals(admin) == []  # the report's own inline styles, under its own policy

        # Retyped by a copy desk (no invisible marks), the same quote is too short to name
        # anyone, and the page says how far short it fell.
        retyped = tmp_path / "retyped.txt"
        retyped.write_text(" ".join(leak.read_text().encode("ascii", "ignore").decode().split()))
        admin.goto(url + "/trace")
        admin.get_by_label("Leaked photo or text").set_input_files(str(retyped))
        admin.get_by_role("button", name="Trace").click()
        expect(admin.locator(".verdict")).to_contain_text("inconclusive")
        expect(admin.get_by_role("main")).to_contain_text("readable wording symbols")
        expect(admin.get_by_role("main")).to_contain_text("takes at least")
        _accessible(admin)

        # A screenshot of the partner's copy as their browser shows it is read by OCR.
        import html as html_lib

        prose = [p for p in text.split("\n\n") if not p.startswith(("#", ">", "**"))][:3]
        screen = partner.context.new_page()
        screen.set_viewport_size({"width": 700, "height": 700})
        screen.set_content(
            "<body style='font-family:sans-serif;font-size:15px;width:640px'>"
            + "".join(f"<p>{html_lib.escape(p)}</p>" for p in prose)
            + "</body>"
        )
        shot = tmp_path / "screenshot.png"
        screen.screenshot(path=str(shot), full_page=True)
        _trace_names(admin, url, shot, "d.okafor@harbour.example")
        expect(admin.get_by_role("main")).to_contain_text("read from a picture by OCR")
        admin.get_by_role("link", name="Open the evidence report").click()
        expect(admin.get_by_role("heading", name="The leak, a picture of text")).to_be_visible()
        expect(admin.get_by_role("heading", name="The text read from the picture")).to_be_visible()
        _shot(admin, "screenshot-report")
        _accessible(admin)

        # A screenshot of a page showing a copy of a shared photo beside the text: each
        # shared item in it is traced (the photo's and the report's holder).
        import base64

        import httpx

        shared = httpx.post(
            url + "/api/items",
            headers={"Authorization": f"Bearer {server[1]}"},
            files={"file": ("van.jpg", photo, "image/jpeg")},
            data={"title": "Van at the quay", "tlp": "amber", "to": ["Harbour City PD"]},
            timeout=60,
        )
        assert shared.status_code == 201, shared.text
        partner.goto(url + "/")
        partner.get_by_role("link", name="Van at the quay").click()
        van = base64.b64encode(_download_copy(partner, tmp_path / "van.jpg").read_bytes())
        screen.set_viewport_size({"width": 1300, "height": 800})
        screen.set_content(
            "<body style='font-family:sans-serif;font-size:16px;width:1240px'>"
            f"<img src='data:image/jpeg;base64,{van.decode()}' alt='' "
            "style='float:left;width:600px;margin:0 24px 12px 0'>"
            + "".join(f"<p>{html_lib.escape(p)}</p>" for p in prose)
            + "</body>"
        )
        page_shot = tmp_path / "news-page.png"
        screen.screenshot(path=str(page_shot), full_page=True)
        _trace_names(admin, url, page_shot, "d.okafor@harbour.example")
        expect(admin.get_by_role("heading", name="Also in this leak")).to_be_visible()
        expect(admin.locator(".also .verdict")).to_contain_text("accused")
        admin.get_by_role("link", name="Open the evidence report").click()
        expect(admin.get_by_role("heading", name="Also in this leak")).to_be_visible()
        _accessible(admin)


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_word_report_shared_and_its_copy_traced_in_a_browser(server, tmp_path, word_report):
    """The analyst's report is a Word document: shared through the Share page, the
    partner downloads a Word copy, and that copy, leaked, names them."""
    import docx
    from playwright.sync_api import expect, sync_playwright

    url, _ = server
    password = (tmp_path / "admin-password").read_text().strip()
    report = (Path(__file__).parents[1] / "data" / "reports" / "harbour-road.md").read_text()
    document = word_report(report)
    src = tmp_path / "Kestrel interim report.docx"
    document.save(src)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        admin = browser.new_context(accept_downloads=True).new_page()
        _login(admin, url, "admin@localhost", password)
        _add_partner(admin, url)
        admin.goto(url + "/share")
        admin.get_by_label("Photo or report").set_input_files(str(src))
        admin.get_by_role("button", name="Preview the wording").click()
        preview = admin.get_by_role("region", name="What copies of this report may vary")
        expect(preview).to_contain_text("[At approximately|At about|At around|At roughly]")
        author = document.core_properties.author
        expect(preview).to_contain_text(f"the document's properties as they are: author “{author}”")
        # A draft with a reviewer's comment still in it: the preview warns, sharing refuses
        # and says why; ticking the box shares it as it is.
        document.add_comment(document.paragraphs[2].runs, text="Source is the tenant's brother")
        draft = tmp_path / "Kestrel draft.docx"
        document.save(draft)
        admin.goto(url + "/share")
        admin.get_by_label("Photo or report").set_input_files(str(draft))
        admin.get_by_role("button", name="Preview the wording").click()
        expect(admin.get_by_role("alert")).to_contain_text("holds 1 comment")
        _fill_share(admin, url, draft, "Kestrel draft")
        admin.get_by_label("Word reports: clear the author").check()
        admin.get_by_label("Embargo until").fill("2031-05-01T09:30")
        admin.get_by_role("button", name="Share").click()
        expect(admin.get_by_role("alert")).to_contain_text("which every partner's copy would carry")
        expect(admin.get_by_label("Embargo until")).to_have_value("2031-05-01T09:30")
        # The refused form keeps its boxes, so sending it again sends what was meant.
        expect(admin.get_by_label("Harbour City PD")).to_be_checked()
        expect(admin.get_by_label("Word reports: clear the author")).to_be_checked()
        expect(admin.get_by_label("Word reports: share even with comments")).not_to_be_checked()
        _accessible(admin)
        _fill_share(admin, url, draft, "Kestrel draft")
        admin.get_by_label("Word reports: share even with comments").check()
        admin.get_by_role("button", name="Share").click()
        expect(admin.get_by_role("note", name="Handling markings")).to_contain_text("TLP:AMBER")
        # The report itself, shared with its properties cleared: the copy has no author.
        _fill_share(admin, url, src, "Operation Kestrel (Word)")
        admin.get_by_label("Word reports: clear the author").check()
        admin.get_by_role("button", name="Share").click()
        expect(admin.get_by_role("note", name="Handling markings")).to_contain_text("TLP:AMBER")
        _, copy = _partner_copy(browser, url, "Operation Kestrel (Word)", tmp_path / "o.docx")
        paragraphs = [p.text for p in docx.Document(str(copy)).paragraphs]
        assert paragraphs[0] == "TLP:AMBER" and paragraphs[1] == document.paragraphs[0].text
        assert author and docx.Document(str(copy)).core_properties.author == ""
        _trace_names(admin, url, copy, "d.okafor@harbour.example")
        expect(admin.get_by_role("main")).to_contain_text("Word document")


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_an_analyst_added_on_the_web_signs_in_is_refused_copies_and_changes_password(
    server, tmp_path, photo
):
    """The first administrator adds an analyst of their own force on the Partners page. The
    analyst shares and reads item pages but may not issue other people's copies, and
    replaces the initial password on their Account page, which signs out their other
    browser."""
    import httpx
    from playwright.sync_api import expect, sync_playwright

    url, token = server
    bearer = {"Authorization": f"Bearer {token}"}
    password = (tmp_path / "admin-password").read_text().strip()
    analyst, first, own = "k.ames@northshire.example", "given by the admin", "chosen by K Ames"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        admin = browser.new_context().new_page()
        _login(admin, url, "admin@localhost", password)
        _add_partner(admin, url)
        # A partner's officer cannot be made an analyst; one of the force can.
        for org, says in (("Harbour City PD", "only people of the originator organisation"),
                          ("Northshire Constabulary", f"Added {analyst}")):  # fmt: skip
            admin.get_by_label("E-mail").fill(analyst)
            admin.get_by_label("Organisation", exact=True).select_option(org)
            admin.get_by_label("Role").select_option("analyst")
            admin.get_by_label("Initial password (10 characters or more)").fill(first)
            admin.get_by_role("button", name="Add person").click()
            expect(admin.get_by_role("main")).to_contain_text(says)
        _accessible(admin)

        other = browser.new_context().new_page()  # the analyst's second browser
        _login(other, url, analyst, first)
        page = browser.new_context().new_page()
        _login(page, url, analyst, first)
        expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
        src = tmp_path / "scene.jpg"
        src.write_bytes(photo)
        _share_amber(page, url, src, "Scene")
        item_url = page.url
        expect(page.get_by_role("heading", name="Who received a copy")).to_be_visible()
        expect(page.get_by_role("heading", name="Send copies yourself")).to_have_count(0)
        token = page.locator("input[name=csrf]").first.input_value()
        forged = page.request.post(
            item_url + "/copies", form={"csrf": token, "person": "d.okafor@harbour.example"}
        )
        assert forged.status == 403
        assert "only administrators can issue copies" in forged.text()

        page.get_by_role("link", name=f"{analyst} · Northshire Constabulary").click()
        expect(page.get_by_role("heading", name="Your account")).to_be_visible()
        _accessible(page)
        for current, new, again, says in (
            (first, own, own + "!", "the two new passwords differ"),
            ("not the password", own, own, "the current password is wrong"),
        ):
            page.get_by_label("Current password").fill(current)
            page.get_by_label("New password (10 characters or more)").fill(new)
            page.get_by_label("New password again").fill(again)
            page.get_by_role("button", name="Change password").click()
            expect(page.get_by_role("alert")).to_contain_text(says)
        page.get_by_label("Current password").fill(first)
        page.get_by_label("New password (10 characters or more)").fill(own)
        page.get_by_label("New password again").fill(own)
        page.get_by_role("button", name="Change password").click()
        expect(page.get_by_role("status")).to_have_text("Your password is changed.")
        _shot(page, "account")
        page.goto(item_url)  # this browser stays signed in
        expect(page.get_by_role("heading", name="Who received a copy")).to_be_visible()
        other.goto(url + "/")  # the other one is signed out
        expect(other.get_by_role("heading", name="Sign in")).to_be_visible()
        _login(other, url, analyst, first)
        expect(other.get_by_role("alert")).to_contain_text("wrong e-mail or password")
        _login(other, url, analyst, own)
        expect(other.get_by_role("heading", name="Dashboard")).to_be_visible()

        # Locked out or forgotten: the administrator sets a new one on the Partners page,
        # which signs the analyst out everywhere; and ends a leaked API token.
        admin.goto(url + "/partners")
        people = admin.get_by_role("table", name="People")
        expect(people.get_by_role("row", name=analyst).get_by_role("cell")).to_have_text(
            [analyst, "Northshire Constabulary", "analyst", "Active", "yes", "0"]
        )
        admin.get_by_label("Person", exact=True).first.select_option(analyst)
        admin.get_by_label("New password (10 characters or more)").fill("reset by the admin")
        admin.get_by_role("button", name="Set password").click()
        expect(admin.get_by_role("status")).to_contain_text(f"Set a new password for {analyst}")
        _accessible(admin)
        page.goto(item_url)
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        _login(page, url, analyst, "reset by the admin")
        expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
        assert httpx.get(url + "/api/me", headers=bearer).status_code == 200
        admin.get_by_label("Person", exact=True).last.select_option("admin@localhost")
        admin.get_by_role("button", name="End their API tokens").click()
        ended = "Ended every API token of admin@localhost."
        expect(admin.get_by_role("status")).to_have_text(ended)
        refused = httpx.get(url + "/api/me", headers=bearer)
        assert refused.status_code == 403 and "revoked" in refused.json()["error"]
        browser.close()


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_an_administrator_finds_one_person_among_many_and_suspends_them(server, tmp_path):
    """A partner of 150 people: the People table shows the first 100 and says so; a search
    finds the one person, whom the Suspend form on the Partners page then offers."""
    import httpx
    from playwright.sync_api import expect, sync_playwright

    url, token = server
    bearer = {"Authorization": f"Bearer {token}"}
    httpx.post(url + "/api/orgs", json={"name": "Metro Police"}, headers=bearer)
    rows = "".join(f"officer{i}@metro.example,Officer {i},Metro Police\n" for i in range(150))
    imported = httpx.post(
        url + "/api/people/import",
        files={"file": ("people.csv", "email,name,org\n" + rows)},
        headers=bearer,
    )
    assert imported.status_code == 201, imported.text
    password = (tmp_path / "admin-password").read_text().strip()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        admin = browser.new_page()
        _login(admin, url, "admin@localhost", password)
        admin.goto(url + "/partners")
        people = admin.get_by_role("table").filter(has_text="Web sign-in")
        expect(people.locator("tbody tr")).to_have_count(100)
        expect(admin.get_by_role("main")).to_contain_text("Showing the first 100 of 151 people")
        admin.get_by_label("Find people (address, name or organisation)").fill("OFFICER 142")
        admin.get_by_role("button", name="Find").click()
        expect(people.locator("tbody tr")).to_have_count(1)
        expect(people).to_contain_text("officer142@metro.example")
        expect(admin.get_by_role("main")).to_contain_text("1 person matches “OFFICER 142”")
        _accessible(admin)
        suspend = admin.get_by_label("Person").and_(admin.locator("#suspend-person"))
        expect(suspend.locator("option")).to_have_count(1)
        admin.get_by_label("Reason (in the ledger, and shown to them)").fill("left the force")
        admin.get_by_label("I understand that every copy, download, sign-in").check()
        admin.get_by_role("button", name="Suspend", exact=True).click()
        expect(admin.get_by_role("status")).to_contain_text("Suspended officer142@metro.example")
        admin.get_by_label("Find people (address, name or organisation)").fill("nobody at all")
        admin.get_by_role("button", name="Find").click()
        expect(admin.get_by_role("main")).to_contain_text("Nobody matches “nobody at all”")
        browser.close()
    listed = httpx.get(url + "/api/people", headers=bearer).json()
    assert [p["email"] for p in listed if p["suspended"]] == ["officer142@metro.example"]


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_leak_the_watch_finds_leads_from_its_alert_to_the_holder(server, tmp_path):
    """A news site's feed links an article that pastes a partner's copy of a report. The
    administrator watches the feed on the Watch page; the server's background watch polls
    it (no restart) and raises an alert whose accused person links to their page, where
    the report is among what they were issued."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import httpx
    from playwright.sync_api import expect, sync_playwright

    url, token = server
    bearer = {"Authorization": f"Bearer {token}"}
    httpx.post(url + "/api/orgs", json={"name": "Harbour City PD"}, headers=bearer)
    httpx.post(url + "/api/people", headers=bearer,
               json={"email": "d.okafor@harbour.example", "org": "Harbour City PD"})  # fmt: skip
    report = (Path(__file__).parents[1] / "data" / "reports" / "harbour-road.md").read_bytes()
    item = httpx.post(
        url + "/api/items", headers=bearer, timeout=60,
        files={"file": ("harbour.md", report, "text/markdown")},
        data={"title": "Harbour Road fire", "tlp": "amber", "to": ["Harbour City PD"]},
    ).json()  # fmt: skip
    partner = httpx.post(url + "/api/people/d.okafor@harbour.example/token", headers=bearer)
    copy = httpx.get(
        f"{url}/api/items/{item['id']}/copy",
        headers={"Authorization": f"Bearer {partner.json()['token']}"},
    ).text

    paragraphs = [p for p in copy.split("\n\n") if p and not p.startswith((">", "#"))]
    pages: dict[str, tuple[str, bytes]] = {
        "/news/fire.html": (
            "text/html",
            ("<html><head><title>Fire</title></head><body><h1>What we know</h1><p>"
             + "</p><p>".join(paragraphs) + "</p></body></html>").encode(),
        ),
    }  # fmt: skip

    class Site(BaseHTTPRequestHandler):
        def log_message(self, *a: object) -> None:
            pass

        def do_GET(self) -> None:
            kind, body = pages.get(self.path, ("text/plain", b""))
            self.send_response(200 if self.path in pages else 404)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    news = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    base = f"http://127.0.0.1:{news.server_address[1]}"
    pages["/feed.xml"] = (
        "application/rss+xml",
        (f'<?xml version="1.0"?><rss version="2.0"><channel><title>News</title><item>'
         f"<title>Fire</title><link>{base}/news/fire.html</link></item></channel></rss>"
         ).encode(),
    )  # fmt: skip
    threading.Thread(target=news.serve_forever, daemon=True).start()
    password = (tmp_path / "admin-password").read_text().strip()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            admin = browser.new_page()
            _login(admin, url, "admin@localhost", password)
            admin.goto(url + "/watch")
            admin.get_by_label("Feed or page address").fill(base + "/feed.xml")
            admin.get_by_label("Poll every (seconds)").fill("10")
            admin.get_by_role("button", name="Watch").click()
            expect(admin.get_by_role("status")).to_contain_text("Watching")
            # The server's own background watch polls the new source within its rounds
            # (every 10 s), without a restart.
            deadline = time.monotonic() + 90
            while "news/fire.html" not in admin.content() and time.monotonic() < deadline:
                admin.wait_for_timeout(2000)
                admin.goto(url + "/watch")
            alerts = admin.get_by_role("region", name="Recent alerts")
            expect(alerts).to_contain_text(base + "/news/fire.html")
            expect(alerts).to_contain_text(
                "breach (TLP:AMBER is not for public disclosure), accused"
            )
            _accessible(admin)
            alerts.get_by_role("link", name="d.okafor@harbour.example").click()
            expect(admin.get_by_role("heading", level=1)).to_have_text("d.okafor@harbour.example")
            held = admin.get_by_role("table", name="Items they were issued")
            expect(held).to_contain_text("Harbour Road fire")
            # A fact registered and forgotten, and the source stopped, on the Watch page.
            admin.goto(url + "/watch")
            admin.get_by_label("Fact (e.g. a name").fill("Daniel Whitcombe")
            admin.get_by_label("Item it belongs to").fill(item["id"])
            admin.get_by_role("button", name="Register").click()
            facts = admin.get_by_role("region", name="Sensitive facts")
            expect(facts.get_by_role("row").filter(has_text="Daniel Whitcombe")).to_contain_text(
                "yes"
            )
            _accessible(admin)
            admin.get_by_role("button", name="Forget the fact Daniel Whitcombe").click()
            expect(admin.get_by_role("status")).to_contain_text("no longer looked for")
            expect(facts).to_contain_text("No sensitive facts registered")
            admin.get_by_role("button", name=f"Stop watching {base}/feed.xml").click()
            expect(admin.get_by_role("status")).to_contain_text("Stopped watching")
            expect(admin.get_by_role("region", name="Watched sources")).to_contain_text(
                "No sources yet"
            )
            expect(alerts).to_contain_text(base + "/news/fire.html")  # the alert stays
            browser.close()
    finally:
        news.shutdown()


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_notices_the_mail_server_missed_are_on_the_dashboard_until_sent(
    server, tmp_path, smtp_later, photo
):
    """The share says the notice will be tried again; the dashboard lists it, with the
    error, and "Try again now" sends it once the mail server is back."""
    from playwright.sync_api import expect, sync_playwright

    url, _ = server
    port, start, inbox = smtp_later
    password = (tmp_path / "admin-password").read_text().strip()
    subprocess.run(
        [sys.executable, "-m", "orcon", "--home", str(tmp_path / "home"), "notify", "config",
         "--smtp-host", "127.0.0.1", "--smtp-port", str(port), "--base-url", url],
        check=True, capture_output=True,
    )  # fmt: skip
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        admin = browser.new_page()
        _login(admin, url, "admin@localhost", password)
        _add_partner(admin, url)
        src = tmp_path / "scene.jpg"
        src.write_bytes(photo)
        _fill_share(admin, url, src, "Scene")
        admin.get_by_role("button", name="Share").click()
        expect(admin.get_by_role("status")).to_contain_text(
            "1 will be tried again (orcon outbox)", timeout=30_000
        )
        admin.goto(url + "/")
        outbox = admin.get_by_role("region", name="1 e-mail waits to be sent")
        expect(outbox).to_contain_text("d.okafor@harbour.example")
        expect(outbox).to_contain_text("ConnectionRefusedError")
        _accessible(admin)
        _shot(admin, "dashboard-outbox")
        start()
        admin.get_by_role("button", name="Try again now").click()
        expect(admin.get_by_role("status")).to_have_text("Outbox: 1 sent.")
        expect(admin.get_by_role("region", name="1 e-mail waits to be sent")).to_have_count(0)
        browser.close()
    assert len(inbox.messages) == 1


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_an_administrator_sets_up_mail_and_alerts_on_the_settings_page(server, tmp_path, smtp):
    """Mail and alert settings on the web: saved, tested, refused when they cannot work,
    on record; closed to partners."""
    import email

    from playwright.sync_api import expect, sync_playwright

    url, _ = server
    ctl, inbox = smtp
    password = (tmp_path / "admin-password").read_text().strip()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        admin = browser.new_page()
        _login(admin, url, "admin@localhost", password)
        _add_partner(admin, url)
        admin.get_by_role("link", name="Settings").click()
        expect(admin.get_by_role("main")).to_contain_text("No change on record yet.")
        notices = admin.get_by_role("form", name="E-mail notices to recipients")
        expect(notices).to_contain_text("Off: no mail server is set.")
        notices.get_by_label("Mail server (empty: notices off)").fill("127.0.0.1")
        notices.get_by_label("Port").fill(str(ctl.port))
        notices.get_by_label("Sender address").fill("orcon@northshire.example")
        notices.get_by_label("Name the item in each notice").check()
        notices.get_by_role("button", name="Save notice settings").click()
        expect(admin.get_by_role("status")).to_contain_text("Saved the notice settings (")
        expect(admin.get_by_role("status")).to_contain_text("the ledger records it")
        expect(notices).to_contain_text("On.")
        admin.get_by_label("Send a test message to").fill("duty@northshire.example")
        admin.get_by_role("button", name="Send a test message").click()
        expect(admin.get_by_role("status")).to_have_text("The test got through.")
        expect(admin.get_by_role("region", name="Test result")).to_contain_text(
            "ok e-mail to duty@northshire.example"
        )
        [test_mail] = [email.message_from_bytes(m) for m in inbox.messages]
        assert test_mail["From"] == "orcon@northshire.example"

        alerts = admin.get_by_role("form", name="Leak alerts")
        alerts.get_by_label("Mail server (empty: no alert e-mail)").fill("127.0.0.1")
        alerts.get_by_label("Port").fill(str(ctl.port))
        alerts.get_by_label("Send alerts to").fill("duty@northshire.example, not an address")
        alerts.get_by_role("button", name="Save alert settings").click()
        expect(admin.get_by_role("alert")).to_contain_text("invalid e-mail address 'not'")
        alerts = admin.get_by_role("form", name="Leak alerts")
        alerts.get_by_label("Mail server (empty: no alert e-mail)").fill("127.0.0.1")
        alerts.get_by_label("Port").fill(str(ctl.port))
        alerts.get_by_label("Send alerts to").fill(
            "duty@northshire.example, soc@northshire.example"
        )
        alerts.get_by_label("Suspend each person").check()
        alerts.get_by_role("button", name="Save alert settings").click()
        expect(admin.get_by_role("status")).to_contain_text("Saved the alert settings")
        admin.get_by_role("button", name="Send a test alert").click()
        expect(admin.get_by_role("status")).to_have_text("The test got through.")
        assert len(inbox.messages) == 2
        changes = admin.get_by_role("region", name="Changes on record")
        expect(changes.locator("tbody tr")).to_have_count(2)
        expect(changes).to_contain_text("auto_suspend: off → on")
        expect(changes).to_contain_text("titles: off → on")
        expect(changes).to_contain_text("admin@localhost")
        _accessible(admin)
        _shot(admin, "settings")
        admin.goto(url + "/")  # the dashboard's recent events name what changed, not how
        expect(admin.get_by_role("main")).to_contain_text(
            "notify · admin@localhost · changed mail_from, smtp_host, smtp_port, titles"
        )

        partner = browser.new_page()
        _login(partner, url, "d.okafor@harbour.example", "correct horse battery")
        expect(partner.get_by_role("link", name="Settings")).to_have_count(0)
        partner.goto(url + "/settings")
        expect(partner.get_by_role("main")).to_contain_text(
            "This page is for the originator's staff."
        )
        browser.close()


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_partner_makes_an_api_token_for_their_own_scripts_and_ends_it(server, tmp_path):
    """On Your account: the password again, a lifetime, the token shown once; it works on
    the API as that person, and ends with "End all my API tokens"."""
    import httpx
    from playwright.sync_api import expect, sync_playwright

    url, admin_token = server
    password = (tmp_path / "admin-password").read_text().strip()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        admin = browser.new_page()
        _login(admin, url, "admin@localhost", password)
        _add_partner(admin, url)
        page = browser.new_page()
        _login(page, url, "d.okafor@harbour.example", "correct horse battery")
        page.get_by_role("link", name="d.okafor@harbour.example · Harbour City PD").click()
        tokens = page.get_by_role("region", name="API tokens")
        expect(tokens).to_contain_text("You hold 0 live API tokens.")
        expect(page.get_by_role("button", name="End all my API tokens")).to_have_count(0)
        page.get_by_label("Your password, again").fill("not my password")
        page.get_by_role("button", name="Make an API token").click()
        expect(page.get_by_role("alert")).to_contain_text("the password is wrong")
        page.get_by_label("Your password, again").fill("correct horse battery")
        page.get_by_label("It stops after").select_option("30")
        page.get_by_label("It may").select_option("read")
        page.get_by_role("button", name="Make an API token").click()
        expect(page.get_by_role("status")).to_have_text(
            "Made a read-only API token that lasts 30 days."
        )
        token = page.locator("#new-token").inner_text()
        assert token.startswith("orc_")
        expect(page.get_by_role("region", name="API tokens")).to_contain_text(
            "You hold 1 live API token."
        )
        _accessible(page)
        bearer = {"Authorization": f"Bearer {token}"}
        assert (
            httpx.get(url + "/api/me", headers=bearer).json()["email"] == "d.okafor@harbour.example"
        )
        assert httpx.get(url + "/api/watch/alerts", headers=bearer).status_code == 403
        onward = httpx.post(
            url + "/api/items/itm_x/onward", json={"to": "X", "reason": "y"}, headers=bearer
        )
        assert onward.status_code == 403 and "read-only" in onward.json()["error"]
        page.reload()  # redirected after the post: a reload makes no second token
        expect(page.locator("#new-token")).to_have_count(0)  # and it is shown once only
        expect(page.get_by_role("region", name="API tokens")).to_contain_text(
            "You hold 1 live API token."
        )
        listed = page.get_by_role("region", name="API tokens").get_by_role("table")
        expect(listed.locator("tbody tr")).to_have_count(1)
        expect(listed).to_contain_text("read only")
        # A second, full one; the administrator ends it alone from the person's page.
        page.get_by_label("Your password, again").fill("correct horse battery")
        page.get_by_role("button", name="Make an API token").click()
        second = {"Authorization": f"Bearer {page.locator('#new-token').inner_text()}"}
        admin.goto(url + "/people/d.okafor@harbour.example")
        rows = admin.get_by_role("table", name="Live API tokens").locator("tbody tr")
        expect(rows).to_have_count(2)
        _accessible(admin)
        number = rows.first.locator("td").first.inner_text()
        admin.get_by_role("button", name=f"End API token {number}").click()
        expect(admin.get_by_role("status")).to_have_text(
            f"Ended API token {number} of d.okafor@harbour.example."
        )
        expect(
            admin.get_by_role("table", name="Live API tokens").locator("tbody tr")
        ).to_have_count(1)
        assert httpx.get(url + "/api/me", headers=second).status_code == 403
        assert httpx.get(url + "/api/me", headers=bearer).status_code == 200
        page.goto(url + "/account")
        page.get_by_role("button", name="End all my API tokens").click()
        expect(page.get_by_role("status")).to_have_text("Ended 1 API token of yours.")
        assert httpx.get(url + "/api/me", headers=bearer).status_code == 403
        browser.close()
    events = httpx.get(
        url + "/api/ledger/events",
        params={"kind": ["token.created", "tokens.revoked", "login.failed"]},
        headers={"Authorization": f"Bearer {admin_token}"},
    ).json()["events"]
    mine = [e["event"] for e in events if e["event"].get("person") == "d.okafor@harbour.example"]
    kinds = [e["kind"] for e in mine]
    assert kinds == [
        "tokens.revoked",
        "tokens.revoked",
        "token.created",
        "token.created",
        "login.failed",
    ]
    assert mine[1]["by"] == "admin@localhost" and mine[1]["token"] == int(number)
    assert mine[3]["by"] == "d.okafor@harbour.example" and mine[3]["scope"] == "read"
