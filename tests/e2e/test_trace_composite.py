"""A leak that holds several shared items is traced for each of them.

A briefing pack printed to PDF holds the report and its evidence photo; a newspaper
page prints a photo beside a quoted passage; a collage puts two photos side by side.
Each part may come from a different recipient's copy (two people mixed what they
had), so each is named on its own. Leaks go through ``orcon trace FILE --json`` in a
new process, as an analyst runs it."""

from __future__ import annotations

import base64
import html
import io
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfReader
from sqlalchemy import select

from orcon.service import directory, sharing
from orcon.service.instance import Instance
from orcon.store.home import Home
from orcon.store.models import LedgerEntry

REPORT = Path(__file__).parents[1] / "data" / "reports" / "harbour-road.md"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PEOPLE = 10


@pytest.fixture
def pack(tmp_path: Path, photo: bytes, other_photo: bytes) -> dict[str, object]:
    """An instance with a report and two photos shared with the same ten people, and
    every person's copy of each."""
    home = tmp_path / "home"
    inst, _ = Instance.init(Home(home), "Northshire Constabulary")
    directory.add_org(inst, "Harbour City PD")
    csv = "email,name,org\n" + "".join(
        f"o{i}@harbour.example,O {i},Harbour City PD\n" for i in range(PEOPLE)
    )
    directory.import_people(inst, csv.encode())
    to = ["Harbour City PD"]
    report = sharing.share(inst, REPORT.read_bytes(), title="Kestrel", tlp="amber", to=to,
                           filename="k.md")  # fmt: skip
    cup = sharing.share(inst, photo, title="Cup", tlp="amber", to=to)
    rocket = sharing.share(inst, other_photo, title="Rocket", tlp="amber", to=to)
    people = sharing.entitled(inst, report.id)
    copies = {
        name: {e: sharing.issue_copy(inst, item.id, e).data for e in people}
        for name, item in (("text", report), ("cup", cup), ("rocket", rocket))
    }
    inst.close()
    return {
        "home": home,
        "people": people,
        "copies": copies,
        "ids": {"text": report.id, "cup": cup.id, "rocket": rocket.id},
    }


def _prose(copy: bytes, words: int) -> list[str]:
    """The copy's paragraphs as a reader sees them (no markings, headings or invisible
    marks), up to about ``words`` words."""
    shown = copy.decode().replace("\u200b", "").replace("\u2060", "")
    out: list[str] = []
    for para in shown.split("\n\n"):
        if para.startswith(("#", ">", "**")):
            continue
        out.append(" ".join(para.split()))
        if sum(len(p.split()) for p in out) >= words:
            break
    return out


def _trace(home: Path, leak: Path, *extra: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-m", "orcon", "--home", str(home), "trace", str(leak), *extra],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout) if "--json" in extra else {"text": out.stdout}


def _parts(verdict: dict[str, object]) -> dict[str, list[str]]:
    """item id -> the people named on it, for the verdict and each part beside it."""
    found = {}
    for part in [verdict, *verdict.get("others", [])]:  # type: ignore[list-item]
        assert isinstance(part, dict)
        found[str(part["item"])] = [str(a["person"]) for a in part["accused"]]
    return found


def _notes(verdict: dict[str, object]) -> str:
    """The notes of the verdict and of each part beside it, as one text."""
    parts = [verdict, *verdict.get("others", [])]  # type: ignore[list-item]
    return " ".join(str(n) for part in parts for n in part["notes"])


def _decode(data: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)


def _printed(page_html: str) -> bytes:
    """A page as Chromium prints it to PDF (A4, with a text layer)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        page.set_content(page_html)
        pdf = page.pdf(format="A4")
        browser.close()
    return pdf


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_word_briefing_pack_names_whose_text_and_whose_photo(tmp_path, database, pack):
    import docx

    home, people, copies, ids = pack["home"], pack["people"], pack["copies"], pack["ids"]
    document = docx.Document()
    document.add_heading("Briefing: Harbour Road", 1)
    for para in _prose(copies["text"][people[3]], 2000):
        document.add_paragraph(para)
    document.add_picture(io.BytesIO(copies["rocket"][people[8]]))  # another's photo copy
    buf = io.BytesIO()
    document.save(buf)
    leak = tmp_path / "pack.docx"
    leak.write_bytes(buf.getvalue())
    report = tmp_path / "evidence.html"
    verdict = _trace(home, leak, "--json", "--report", str(report))
    assert verdict["verdict"] == "accused"
    assert _parts(verdict) == {ids["text"]: [people[3]], ids["rocket"]: [people[8]]}
    (other,) = verdict["others"]  # type: ignore[misc]
    assert "taken out of the Word document" in " ".join(other["notes"])
    # The evidence report gives each item its own section, with its own ledger receipt.
    page = report.read_text()
    assert "The leak holds 2 shared items" in page
    assert f"Also in this leak: item {ids['rocket']}" in page
    assert f"copy issued to {people[3]}" in page and f"copy issued to {people[8]}" in page
    # The trace is one ledger event that records both verdicts.
    inst = Instance.open(Home(home))
    with inst.reading() as s:
        (body,) = s.scalars(select(LedgerEntry.body).where(LedgerEntry.kind == "trace.run"))
    inst.close()
    event = json.loads(body)
    assert event["item"] == ids["text"] and event["leak_format"] == "docx"
    assert [(a["item"], a["leak_format"]) for a in event["also"]] == [(ids["rocket"], "docx image")]
    assert [x["person"] for x in event["also"][0]["accused"]] == [people[8]]


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed; PDF pack test skipped")
@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_pdf_briefing_pack_names_whose_text_and_whose_photo(tmp_path, database, pack):
    home, people, copies, ids = pack["home"], pack["people"], pack["copies"], pack["ids"]
    body = "".join(f"<p>{html.escape(p)}</p>" for p in _prose(copies["text"][people[1]], 2000))
    picture = base64.b64encode(copies["cup"][people[6]]).decode()
    # The photo is in the annex, on the pack's last page, after twelve pages of
    # contents with a letterhead picture on each.
    head = base64.b64encode(cv2.imencode(".png", _letterhead())[1].tobytes()).decode()
    annex = "".join(
        f"<div style='page-break-after:always'><img src='data:image/png;base64,{head}'>"
        f"<p>Annex {k}: list of exhibits, continued.</p></div>"
        for k in range(1, 13)
    )
    pdf = _printed(
        f"<html><body style='font-family:serif'><h1>Harbour Road</h1>{body}"
        f"<div style='page-break-after:always'></div>{annex}"
        f"<img src='data:image/jpeg;base64,{picture}' style='width:100%'></body></html>"
    )
    leak = tmp_path / "pack.pdf"
    leak.write_bytes(pdf)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    assert pages >= 14  # the report, twelve pages of annex, the photo
    verdict = _trace(home, leak, "--json")
    assert _parts(verdict) == {ids["text"]: [people[1]], ids["cup"]: [people[6]]}
    (other,) = verdict["others"]  # type: ignore[misc]
    assert f"taken out of the PDF (page {pages})" in " ".join(other["notes"])


def _letterhead() -> np.ndarray:
    """A force's crest and name, as printed at the top of every page (no shared photo)."""
    head = np.full((110, 420, 3), 255, np.uint8)
    cv2.circle(head, (55, 55), 40, (120, 40, 20), -1)
    cv2.putText(head, "NORTHVALE POLICE", (110, 68), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (60, 20, 10), 2)
    return head


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_long_scanned_pdf_says_which_pages_were_not_read(tmp_path, database, pack):
    """A scanned PDF (no text layer) of eleven pages, a photo copy on the tenth: past the
    eighth page, pages are looked at for shared photos but not read by OCR; the photo's
    holder is named, and the notes say which pages' text was not read."""
    home, people, copies, ids = pack["home"], pack["people"], pack["copies"], pack["ids"]
    rng = np.random.default_rng(5)
    pages = [
        Image.fromarray(rng.integers(235, 256, (1100, 850, 3), dtype=np.uint8)) for _ in range(11)
    ]
    pages[9] = Image.fromarray(_decode(copies["cup"][people[3]])[:, :, ::-1])
    scan = io.BytesIO()
    pages[0].save(scan, "PDF", save_all=True, append_images=pages[1:], resolution=100)
    leak = tmp_path / "scan.pdf"
    leak.write_bytes(scan.getvalue())
    verdict = _trace(home, leak, "--json")
    assert _parts(verdict) == {ids["cup"]: [people[3]]}, verdict
    notes = _notes(verdict)
    assert "Not read: the text of pages 9\u201311 of the PDF (they were looked at" in notes
    assert "trace it with `orcon trace --pages 11` to read them all" in notes
    assert "traced as pictures (page 10)." in notes, notes


def _newspaper_page(photo: np.ndarray, paragraphs: list[str]) -> bytes:
    """A page as a newspaper prints it: the photo in a column beside the quoted text."""
    h, w = photo.shape[:2]
    page = Image.new("RGB", (w + 920, max(h + 80, 1200)), "white")
    page.paste(Image.fromarray(photo[:, :, ::-1]), (20, 60))
    draw = ImageDraw.Draw(page)
    font = ImageFont.load_default(size=20)
    draw.text((20, 15), "EXCLUSIVE: the police briefing", fill=(0, 0, 0), font=font)
    y = 60
    for para in paragraphs:
        for line in textwrap.wrap(para, 72):
            draw.text((w + 50, y), line, fill=(20, 20, 20), font=font)
            y += 30
        y += 14
    buf = io.BytesIO()
    page.save(buf, "JPEG", quality=88)
    return buf.getvalue()


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_newspaper_page_with_a_photo_beside_a_quote_names_both_sources(tmp_path, database, pack):
    home, people, copies, ids = pack["home"], pack["people"], pack["copies"], pack["ids"]
    photo = _decode(copies["cup"][people[5]])
    leak = tmp_path / "page.jpg"
    leak.write_bytes(_newspaper_page(photo, _prose(copies["text"][people[2]], 200)))
    verdict = _trace(home, leak, "--json")
    assert _parts(verdict) == {ids["cup"]: [people[5]], ids["text"]: [people[2]]}, verdict
    notes = _notes(verdict)
    assert "found beside text" in notes and "by OCR" in notes
    # Without --json the analyst reads both verdicts; the evidence report shows where on
    # the page the photo was, then the cut-out part beside the original.
    report = tmp_path / "evidence.html"
    out = str(_trace(home, leak, "--report", str(report))["text"])
    assert f"Item {ids['cup']}: accused" in out and f"Item {ids['text']}: accused" in out
    assert out.index(people[5]) < out.index(people[2])
    shown = report.read_text()
    assert shown.index('alt="The whole leaked picture, the shared photo outlined"') < shown.index(
        'alt="The original with the leak outlined"'
    )


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_collage_of_two_photos_names_each_photos_holder(tmp_path, database, pack):
    home, people, copies, ids = pack["home"], pack["people"], pack["copies"], pack["ids"]
    cup, rocket = _decode(copies["cup"][people[4]]), _decode(copies["rocket"][people[7]])
    height = max(cup.shape[0], rocket.shape[0])
    collage = np.full((height, cup.shape[1] + rocket.shape[1] + 24, 3), 250, np.uint8)
    collage[: cup.shape[0], : cup.shape[1]] = cup
    collage[: rocket.shape[0], cup.shape[1] + 24 :] = rocket
    leak = tmp_path / "collage.jpg"
    leak.write_bytes(cv2.imencode(".jpg", collage, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes())
    verdict = _trace(home, leak, "--json")
    assert _parts(verdict) == {ids["cup"]: [people[4]], ids["rocket"]: [people[7]]}
    # A single photo is still one verdict, with nothing beside it.
    single = tmp_path / "cup.jpg"
    single.write_bytes(copies["cup"][people[9]])
    verdict = _trace(home, single, "--json")
    assert _parts(verdict) == {ids["cup"]: [people[9]]} and "others" not in verdict


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed; saved-page test skipped")
@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_news_page_saved_whole_names_whose_photo_and_whose_words(tmp_path, database, pack):
    """Saved by Chromium as one file (.mhtml, "Webpage, Single File"), or as HTML that
    carries its pictures inside itself: the photo saved with the page is traced too."""
    from playwright.sync_api import sync_playwright

    home, people, copies, ids = pack["home"], pack["people"], pack["copies"], pack["ids"]
    quote = " ".join(_prose(copies["text"][people[9]], 250))
    retyped = " ".join(quote.encode("ascii", "ignore").decode().split())
    picture = base64.b64encode(copies["cup"][people[0]]).decode()
    article = (
        "<html><head><title>Harbour Road: the briefing</title></head><body>"
        "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav><article>"
        "<h1>Harbour Road: what the police briefing says</h1>"
        f"<figure><img src='data:image/jpeg;base64,{picture}' width='800'>"
        "<figcaption>The scene, in a picture seen by this newspaper.</figcaption></figure>"
        f"<p>{html.escape(retyped)}</p></article><footer>Cookie settings</footer></body></html>"
    )
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        page.set_content(article)
        cdp = page.context.new_cdp_session(page)
        mhtml = cdp.send("Page.captureSnapshot", {"format": "mhtml"})["data"]
        browser.close()
    saved = tmp_path / "article.mhtml"
    saved.write_text(mhtml)
    single = tmp_path / "article.html"
    single.write_text(article)
    for leak, where in ((saved, "saved web page's main text"), (single, "web page's main text")):
        verdict = _trace(home, leak, "--json")
        assert _parts(verdict) == {ids["text"]: [people[9]], ids["cup"]: [people[0]]}, leak
        assert any(where in n for n in verdict["notes"])  # type: ignore[union-attr]
        (other,) = verdict["others"]  # type: ignore[misc]
        assert "taken out of the saved web page" in " ".join(other["notes"])


def _picture_of_text(paragraphs: list[str]) -> bytes:
    """About 250 words of a copy as a screenshot shows them (PNG)."""
    lines = [ln for p in paragraphs for ln in [*textwrap.wrap(p, 78), ""]]
    page = Image.new("RGB", (900, 30 * len(lines) + 40), "white")
    draw = ImageDraw.Draw(page)
    font = ImageFont.load_default(size=20)
    for i, line in enumerate(lines):
        draw.text((20, 20 + 30 * i), line, fill=(20, 20, 20), font=font)
    buf = io.BytesIO()
    page.save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_screenshot_of_a_copy_pasted_into_a_file_is_read_with_the_file(tmp_path, database, pack):
    """A Word file that holds a screenshot of one person's copy and another's photo copy;
    a PDF whose second page is a scan of a copy (no text layer on that page); a PDF page
    of typed text with a screenshot of a copy on it."""
    import docx

    home, people, copies, ids = pack["home"], pack["people"], pack["copies"], pack["ids"]
    document = docx.Document()
    document.add_paragraph("Please find the briefing attached below, as we discussed.")
    document.add_picture(io.BytesIO(_picture_of_text(_prose(copies["text"][people[2]], 250))))
    document.add_picture(io.BytesIO(copies["rocket"][people[5]]))
    buf = io.BytesIO()
    document.save(buf)
    leak = tmp_path / "forwarded.docx"
    leak.write_bytes(buf.getvalue())
    verdict = _trace(home, leak, "--json")
    assert _parts(verdict) == {ids["text"]: [people[2]], ids["rocket"]: [people[5]]}
    assert any("picture(s) in the file was read by OCR" in n for n in verdict["notes"])  # type: ignore[union-attr]
    if CHROMIUM is None:
        return
    scan = base64.b64encode(_picture_of_text(_prose(copies["text"][people[7]], 250))).decode()
    pdf = _printed(
        "<html><body><h1>Annex B</h1><p>The scanned page that follows was received by "
        "the press office on Tuesday and is reproduced as received.</p>"
        "<div style='page-break-before:always'>"
        f"<img src='data:image/png;base64,{scan}' style='width:100%'></div></body></html>"
    )
    leak = tmp_path / "annex.pdf"
    leak.write_bytes(pdf)
    verdict = _trace(home, leak, "--json")
    assert _parts(verdict) == {ids["text"]: [people[7]]}
    assert any("read by OCR" in n for n in verdict["notes"])  # type: ignore[union-attr]
    # A screenshot of a copy on a page of typed text (a memo that quotes it as a picture):
    # read too, unlike the scan under a searchable PDF's text, which has its page's shape.
    quoted = base64.b64encode(_picture_of_text(_prose(copies["text"][people[8]], 250))).decode()
    pdf = _printed(
        "<html><body><h1>Memo</h1><p>The partner's assessment, as it was sent to us, is "
        "reproduced below as we received it this morning.</p>"
        f"<img src='data:image/png;base64,{quoted}' style='width:80%'>"
        "<p>We will discuss the timing of its release on Thursday.</p></body></html>"
    )
    leak = tmp_path / "memo.pdf"
    leak.write_bytes(pdf)
    verdict = _trace(home, leak, "--json")
    assert _parts(verdict) == {ids["text"]: [people[8]]}, verdict
    assert any("read by OCR" in n for n in verdict["notes"])  # type: ignore[union-attr]


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_thumbnail_of_a_photo_copy_is_found(tmp_path, database, pack):
    """A social-media thumbnail, 200 px wide from a 1,000-px copy: too small for ORB to
    match against the shared photo's features until it is enlarged (it was no match).
    Its holder is named in about 9 of 10 instances (keys), else it is inconclusive;
    nobody else is ever named."""
    home, people, copies, ids = pack["home"], pack["people"], pack["copies"], pack["ids"]
    copy = _decode(copies["cup"][people[6]])
    thumb = cv2.resize(copy, (200, round(copy.shape[0] * 200 / copy.shape[1])), cv2.INTER_AREA)
    leak = tmp_path / "thumb.jpg"
    leak.write_bytes(cv2.imencode(".jpg", thumb, [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes())
    verdict = _trace(home, leak, "--json")
    assert verdict["item"] == ids["cup"] and verdict["verdict"] in ("accused", "inconclusive")
    assert set(_parts(verdict)[ids["cup"]]) <= {people[6]}


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_leak_dump_and_a_forwarded_e_mail_name_the_source_of_each_file(tmp_path, database, pack):
    """A ZIP posted on a forum holds one person's photo copy and another's report pasted
    into Word (with files orcon cannot read); an e-mail a tipster forwarded quotes a third
    person's copy in its text, attaches a fourth's photo and, inside a forwarded message,
    a fifth's. Each file is traced on its own; the notes say where each part was."""
    import zipfile
    from email.message import EmailMessage

    import docx

    home, people, copies, ids = pack["home"], pack["people"], pack["copies"], pack["ids"]
    document = docx.Document()
    for para in _prose(copies["text"][people[3]], 2000):
        document.add_paragraph(para)
    memo = io.BytesIO()
    document.save(memo)
    dump = io.BytesIO()
    with zipfile.ZipFile(dump, "w") as z:
        z.writestr("leak/IMG_0093.jpg", copies["rocket"][people[1]])
        z.writestr("leak/memo.docx", memo.getvalue())
        z.writestr("leak/old-memo.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(300))
        z.writestr("leak/.DS_Store", b"\x00\x00\x00\x01Bud1")
        z.writestr("__MACOSX/leak/._IMG_0093.jpg", b"\x00\x05\x16\x07")
        z.writestr("leak/more.zip", b"PK\x03\x04 cut short")
    leak = tmp_path / "dump.zip"
    leak.write_bytes(dump.getvalue())
    verdict = _trace(home, leak, "--json")
    assert _parts(verdict) == {ids["rocket"]: [people[1]], ids["text"]: [people[3]]}, verdict
    notes = _notes(verdict)
    assert "Found in the archive: leak/memo.docx" in notes
    assert "Found in the archive: leak/IMG_0093.jpg" in notes
    assert "Not read in the archive: leak/old-memo.doc (this is an old Office file" in notes
    assert "leak/more.zip (the file is a damaged ZIP archive)" in notes
    assert ".DS_Store" not in notes and "MACOSX" not in notes

    inner = EmailMessage()
    inner["From"], inner["To"], inner["Subject"] = "o@harbour.example", "x@news.example", "pic"
    inner["Date"] = "Mon, 30 Nov 2026 21:04:00 +0000"
    inner.set_content("As discussed.")
    inner.add_attachment(copies["rocket"][people[9]], maintype="image", subtype="jpeg",
                         filename="scene.jpg")  # fmt: skip
    tip = EmailMessage()
    tip["From"], tip["To"], tip["Subject"] = "tips@proton.example", "desk@news.example", "Fwd"
    tip["Date"] = "Tue, 01 Dec 2026 08:12:00 +0000"
    quote = " ".join(" ".join(_prose(copies["text"][people[6]], 250)).split()[:250])
    tip.set_content("You will want to see this. From the briefing:\n\n" + quote)
    tip.add_attachment(copies["cup"][people[8]], maintype="image", subtype="jpeg",
                       filename="IMG_2041.jpg")  # fmt: skip
    tip.add_attachment(inner)
    leak = tmp_path / "tip.eml"
    leak.write_bytes(bytes(tip))
    verdict = _trace(home, leak, "--json")
    assert _parts(verdict) == {
        ids["text"]: [people[6]],
        ids["cup"]: [people[8]],
        ids["rocket"]: [people[9]],
    }, verdict
    notes = _notes(verdict)
    assert "Found in the e-mail: its text" in notes and "Found in the e-mail: scene.jpg" in notes
    # An HTML message that shows the photo in its text (inline, by Content-ID).
    shown = EmailMessage()
    shown["From"], shown["To"], shown["Subject"] = "a@example.org", "desk@news.example", "look"
    shown.set_content("See the picture below.")
    shown.add_alternative('<p>See the picture below.</p><img src="cid:photo1">', subtype="html")
    html_part = shown.get_payload()[1]  # type: ignore[index]
    cup = copies["cup"][people[2]]
    html_part.add_related(cup, maintype="image", subtype="jpeg", cid="<photo1>")
    leak = tmp_path / "inline.eml"
    leak.write_bytes(bytes(shown))
    verdict = _trace(home, leak, "--json")
    assert _parts(verdict) == {ids["cup"]: [people[2]]}, verdict
    assert any("picture 1 in its text" in n for n in verdict["notes"])  # type: ignore[union-attr]


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_an_outlook_message_names_the_source_of_its_text_attachment_and_attached_item(
    tmp_path, database, pack
):
    """A partner's security team forwards what a tipster sent, saved from Outlook (.msg):
    its text quotes one person's copy, it attaches another's photo, and an Outlook item
    attached to it (the tipster's own earlier message) a third's; an item attached to
    that one is listed as not opened. A copy pasted whole into a message written in
    Outlook's Rich Text format is named too."""
    from outlook import Message, outlook_message, rich_text

    home, people, copies, ids = pack["home"], pack["people"], pack["copies"], pack["ids"]
    quote = " ".join(" ".join(_prose(copies["text"][people[4]], 250)).split()[:250])
    earlier = Message(
        "pic",
        body="As discussed.",
        attachments=[("scene.jpg", copies["rocket"][people[7]])],
        attached=[Message("Re: rota", body="See you Monday.")],
    )
    tip = Message(
        "Fwd: from a source",
        body="You will want to see this. From the briefing:\n\n" + quote,
        attachments=[("IMG_2041.jpg", copies["cup"][people[5]])],
        attached=[earlier],
    )
    leak = tmp_path / "Fwd from a source.msg"
    leak.write_bytes(outlook_message(tip))
    verdict = _trace(home, leak, "--json")
    assert _parts(verdict) == {
        ids["text"]: [people[4]],
        ids["cup"]: [people[5]],
        ids["rocket"]: [people[7]],
    }, verdict
    notes = _notes(verdict)
    assert "Found in the e-mail: its text" in notes
    assert "Found in the e-mail: the attached message \u201cpic\u201d: scene.jpg" in notes
    assert (
        "the attached message \u201cRe: rota\u201d (an e-mail inside another is not opened)"
        in notes
    )
    # In Rich Text format the body is kept only as RTF, the copy's invisible marks as
    # \\uN escapes: its source is named all the same.
    pasted = rich_text("From the briefing:\n" + copies["text"][people[6]].decode())
    rich = tmp_path / "Fwd rich.msg"
    rich.write_bytes(outlook_message(Message("Fwd", rtf=pasted)))
    assert _parts(_trace(home, rich, "--json")) == {ids["text"]: [people[6]]}


def _tv_clip(path: Path, photos: list[np.ndarray]) -> None:
    """A television report as a news site posts it (720p MP4, 10 frames a second): a
    title card, then each photo full height for two seconds, slowly zoomed, under a
    caption bar."""
    height, width = 720, 1280
    clip = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, (width, height))
    assert clip.isOpened()
    for k in range(10 + 20 * len(photos)):
        frame = np.full((height, width, 3), 30, np.uint8)
        if k < 10:
            cv2.putText(frame, "EVENING NEWS", (300, 380), cv2.FONT_HERSHEY_SIMPLEX, 3,
                        (255, 255, 255), 6)  # fmt: skip
        else:
            photo = photos[(k - 10) // 20]
            zoom = 1.0 + 0.005 * ((k - 10) % 20)
            h = int(height * zoom)
            w = min(width, int(photo.shape[1] * h / photo.shape[0]))
            shown = cv2.resize(photo, (w, h), interpolation=cv2.INTER_AREA)
            top = (h - height) // 2
            frame[:, (width - w) // 2 : (width - w) // 2 + w] = shown[top : top + height]
            cv2.rectangle(frame, (0, 600), (width, 680), (20, 20, 160), -1)
            cv2.putText(frame, "EXCLUSIVE: the police photos", (40, 655),
                        cv2.FONT_HERSHEY_SIMPLEX, 1.5, (255, 255, 255), 3)  # fmt: skip
        clip.write(frame)
    clip.release()


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_television_report_showing_two_photos_names_each_photos_holder(tmp_path, database, pack):
    """A clip shows one person's copy of one photo, then another's of the other: each is
    found in the frames, read from the frame it matched best and named on its own."""
    home, people, copies, ids = pack["home"], pack["people"], pack["copies"], pack["ids"]
    leak = tmp_path / "evening-news.mp4"
    _tv_clip(leak, [_decode(copies["cup"][people[3]]), _decode(copies["rocket"][people[7]])])
    verdict = _trace(home, leak, "--json")
    assert _parts(verdict) == {ids["cup"]: [people[3]], ids["rocket"]: [people[7]]}, verdict
    notes = _notes(verdict)
    assert "found in frames of the video (at 0:0" in notes
    # A clip of something else matches nothing; a damaged one says so.
    other = tmp_path / "weather.mp4"
    _tv_clip(other, [np.full((600, 900, 3), (180, 120, 60), np.uint8)])
    assert _trace(home, other, "--json")["verdict"] == "no-match"
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(leak.read_bytes()[:2000])
    out = subprocess.run(
        [sys.executable, "-m", "orcon", "--home", str(home), "trace", str(cut)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 2 and "the video could not be read" in out.stderr, out.stderr
