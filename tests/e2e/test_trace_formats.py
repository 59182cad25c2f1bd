"""A text report that leaks as a saved web page, a PDF or a screenshot is traced like text.

Each leak is written to a file and traced with ``orcon trace FILE --json`` in a new
process, as an analyst would."""

from __future__ import annotations

import html
import io
import json
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from orcon.service import directory, sharing
from orcon.service.instance import Instance
from orcon.store.home import Home

REPORT = Path(__file__).parents[1] / "data" / "reports" / "harbour-road.md"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PEOPLE = 20


@pytest.fixture
def shared(tmp_path: Path) -> tuple[Path, list[str], dict[str, str]]:
    """(instance home, the people issued a copy, their copies) with harbour-road shared."""
    home = tmp_path / "home"
    inst, _ = Instance.init(Home(home), "Northshire Constabulary")
    directory.add_org(inst, "Harbour City PD")
    csv = "email,name,org\n" + "".join(
        f"o{i}@harbour.example,O {i},Harbour City PD\n" for i in range(PEOPLE)
    )
    directory.import_people(inst, csv.encode())
    item = sharing.share(
        inst, REPORT.read_bytes(), title="Kestrel", tlp="amber", to=["Harbour City PD"],
        filename="k.md",
    )  # fmt: skip
    people = sharing.entitled(inst, item.id)
    copies = {e: sharing.issue_copy(inst, item.id, e).data.decode() for e in people}
    inst.close()
    return home, people, copies


def _prose(copy: str, words: int) -> list[str]:
    """The copy's paragraphs (no markings or headings) up to about ``words`` words."""
    out: list[str] = []
    for para in copy.split("\n\n"):
        if para.startswith(("#", ">", "**")):
            continue
        out.append(" ".join(para.split()))
        if sum(len(p.split()) for p in out) >= words:
            break
    return out


def _trace(home: Path, leak: Path, *extra: str) -> tuple[int, dict[str, object] | str]:
    out = subprocess.run(
        [sys.executable, "-m", "orcon", "--home", str(home), "trace", str(leak), "--json", *extra],
        capture_output=True,
        text=True,
        timeout=180,
    )
    return out.returncode, (json.loads(out.stdout) if out.returncode == 0 else out.stderr)


def _cli(home: Path, people: list[str]) -> Callable[..., str]:
    """``orcon --home HOME …`` in a new process each time (asserting it succeeds), on an
    instance made for ``people`` at Harbour City PD."""

    def orcon(*args: str) -> str:
        run = [sys.executable, "-m", "orcon", "--home", str(home), *args]
        out = subprocess.run(run, capture_output=True, text=True, timeout=180)
        assert out.returncode == 0, out.stderr
        return out.stdout

    orcon("init", "--org", "Northshire Constabulary")
    orcon("org", "add", "Harbour City PD")
    for who in people:
        orcon("person", "add", who, "--org", "Harbour City PD")
    return orcon


def _accused(verdict: dict[str, object] | str) -> list[str]:
    assert isinstance(verdict, dict), verdict
    return [str(a["person"]) for a in verdict["accused"]]  # type: ignore[union-attr, index]


def _named(home: Path, leak: Path, who: str, note: str, *extra: str) -> None:
    """``orcon trace LEAK --json`` names ``who`` alone, with a note that holds ``note``."""
    rc, verdict = _trace(home, leak, *extra)
    assert rc == 0 and _accused(verdict) == [who], verdict
    assert isinstance(verdict, dict)
    assert any(note in n for n in verdict["notes"])  # type: ignore[attr-defined]


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_saved_news_page_quoting_a_copy_names_its_holder(tmp_path, database, shared):
    home, people, copies = shared
    leaker = people[7]
    quote = " ".join(_prose(copies[leaker], 250))
    retyped = " ".join(quote.encode("ascii", "ignore").decode().split())
    page = f"""<!DOCTYPE html><html><head><title>Harbour Road arson: what police know</title>
<script>window.ads = [];</script></head><body>
<nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav>
<article><h1>Harbour Road arson: what police know</h1>
<p>A confidential police briefing seen by this newspaper sets out the inquiry so far.</p>
<p>{html.escape(retyped)}</p>
<p>The force declined to comment on the leaked document.</p></article>
<footer>Copyright 2026 City News. Cookie settings. Contact us.</footer></body></html>"""
    leak = tmp_path / "article.html"
    leak.write_text(page)
    _named(home, leak, leaker, "web page")


# 20 px type is read with its spaces once scaled; in 11 px type OCR loses nearly all of
# them ("officerswerecalled"), which the shared texts' words put back.
@pytest.mark.parametrize("size", [20, 11])
@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_screenshot_of_a_copy_is_read_by_ocr_and_names_its_holder(
    tmp_path, database, shared, size
):
    home, people, copies = shared
    leaker = people[12]
    img = _screen(copies[leaker], size)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85)  # as a social-media site would recompress it
    leak = tmp_path / "screenshot.jpg"
    leak.write_bytes(buf.getvalue())
    report = tmp_path / "evidence.html"
    _named(home, leak, leaker, "by OCR", "--report", str(report))
    # The evidence shows the picture as received and the words OCR read from it.
    page = report.read_text()
    assert "The leak, a picture of text" in page and 'alt="The leaked picture as received"' in page
    assert "The text read from the picture" in page and "Harbour Road" in page
    # A photo that holds no text and no shared photo is still no match, not an error.
    rng = np.random.default_rng(3)
    noise = cv2.GaussianBlur(rng.integers(0, 255, (400, 600, 3), dtype=np.uint8), (9, 9), 3)
    other = tmp_path / "holiday.jpg"
    other.write_bytes(cv2.imencode(".jpg", noise)[1].tobytes())
    rc, verdict = _trace(home, other)
    assert rc == 0 and isinstance(verdict, dict) and verdict["verdict"] == "no-match"


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed; PDF leak test skipped")
@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_copy_printed_to_pdf_names_its_holder(tmp_path, database, shared):
    from playwright.sync_api import sync_playwright

    home, people, copies = shared
    leaker = people[3]
    body = "".join(f"<p>{html.escape(p)}</p>" for p in _prose(copies[leaker], 2000))
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        page.set_content(f"<html><body style='font-family:serif'>{body}</body></html>")
        pdf = page.pdf(format="A4")
        browser.close()
    leak = tmp_path / "copy.pdf"
    leak.write_bytes(pdf)
    _named(home, leak, leaker, "PDF's text layer")


def _screen(text: str, size: int = 20) -> Image.Image:
    """Paragraphs drawn as a screen shows them (the invisible marks take no space)."""
    shown = text.replace("\u200b", "").replace("\u2060", "")
    font = ImageFont.load_default(size=size)
    step = round(1.5 * size)
    lines = [ln for p in _prose(shown, 300) for ln in [*textwrap.wrap(p, 78 * 20 // size), ""]]
    img = Image.new("RGB", (900, step * len(lines) + 40), "white")
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        draw.text((20, 20 + step * i), line, fill=(20, 20, 20), font=font)
    return img


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_scanned_copy_and_a_word_document_name_their_holders(tmp_path, database, shared):
    import docx

    home, people, copies = shared
    # A PDF with no text layer (a printed copy, scanned): its pages are read by OCR.
    buf = io.BytesIO()
    _screen(copies[people[4]]).save(buf, "PDF", resolution=100)
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(buf.getvalue())
    _named(home, scan, people[4], "no text layer")
    # A partner pasted their copy into Word.
    document = docx.Document()
    for para in _prose(copies[people[9]], 2000):
        document.add_paragraph(para)
    buf = io.BytesIO()
    document.save(buf)
    word = tmp_path / "briefing.docx"
    word.write_bytes(buf.getvalue())
    _named(home, word, people[9], "Word document")


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_scanned_dossier_is_read_past_its_eighth_page_when_asked(tmp_path, database, shared):
    """A scanned dossier whose tenth page is a partner's copy: by default the text of
    pages past the eighth is not read, and the answer says how to have it read;
    ``--pages 10`` reads it and names the holder."""
    home, people, copies = shared
    pages = [Image.new("RGB", (900, 1200), "white") for _ in range(9)]
    pages.append(_screen(copies[people[6]]))
    buf = io.BytesIO()
    pages[0].save(buf, "PDF", save_all=True, append_images=pages[1:], resolution=100)
    scan = tmp_path / "dossier.pdf"
    scan.write_bytes(buf.getvalue())
    rc, verdict = _trace(home, scan)
    assert rc == 0 and _accused(verdict) == [], verdict
    notes = " ".join(verdict["notes"])  # type: ignore[index]
    assert "the text of pages 9\u201310 of the PDF" in notes
    assert "`orcon trace --pages 10`" in notes, notes
    _named(home, scan, people[6], "no text layer", "--pages", "10")
    for wrong, said in (("0", "at least 1"), ("501", "between 1 and 500")):
        rc, err = _trace(home, scan, "--pages", wrong)
        assert rc == 2 and said in str(err) and "Traceback" not in str(err), err


@pytest.fixture
def photo_copy(tmp_path: Path, photo: bytes) -> tuple[Path, str, bytes]:
    """(instance home, item id, b@harbour.example's copy) with a photo shared with a and b."""
    home = tmp_path / "home"
    inst, _ = Instance.init(Home(home), "Northshire Constabulary")
    directory.add_org(inst, "Harbour City PD")
    people = "".join(f"{x}@harbour.example,{x},Harbour City PD\n" for x in "ab")
    directory.import_people(inst, ("email,name,org\n" + people).encode())
    item = sharing.share(inst, photo, title="Van", tlp="amber", to=["Harbour City PD"])
    copy = sharing.issue_copy(inst, item.id, "b@harbour.example").data
    inst.close()
    return home, item.id, copy


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_pdf_holding_a_shared_photo_names_its_holder(tmp_path, database, photo_copy):
    home, _, copy = photo_copy
    buf = io.BytesIO()
    Image.open(io.BytesIO(copy)).save(buf, "PDF", resolution=96)  # a page that is the photo
    leak = tmp_path / "photo.pdf"
    leak.write_bytes(buf.getvalue())
    report = tmp_path / "evidence.html"
    _named(home, leak, "b@harbour.example", "traced as pictures", "--report", str(report))
    assert 'alt="The leaked image as received"' in report.read_text()


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_photo_copy_saved_as_avif_heic_or_gif_names_its_holder(tmp_path, database, photo_copy):
    """News sites' image services send AVIF, an iPhone saves its photo of a screen as HEIC,
    and a forum may turn a picture into a GIF: a JPEG copy may leak in any of them
    (before, each was read as text and matched nothing)."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    home, item_id, copy = photo_copy
    picture = Image.open(io.BytesIO(copy))
    for fmt, options in (("AVIF", {"quality": 55}), ("HEIF", {"quality": 60}), ("GIF", {})):
        leak = tmp_path / f"leak.{fmt.lower()}"
        picture.save(leak, fmt, **options)
        rc, verdict = _trace(home, leak)
        assert rc == 0 and isinstance(verdict, dict), (fmt, verdict)
        assert verdict["item"] == item_id and _accused(verdict) == ["b@harbour.example"], fmt
    # A damaged one says so, naming its format.
    leak = tmp_path / "cut.avif"
    leak.write_bytes((tmp_path / "leak.avif").read_bytes()[:300])
    rc, err = _trace(home, leak)
    assert rc == 2 and "the AVIF image is corrupt or truncated" in str(err), err


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_an_iphone_photo_shared_as_heic_is_copied_and_traced_through_the_cli(
    tmp_path, database, photo
):
    """Each step in a new process, as an officer runs it: a HEIC original's size is read
    by the trace too (its header needs pillow-heif, which a new process must load)."""
    import pillow_heif

    heic = tmp_path / "IMG_0412.HEIC"
    pillow_heif.from_pillow(Image.open(io.BytesIO(photo))).save(heic, quality=80)
    home = tmp_path / "home"

    orcon = _cli(home, [f"{who}@harbour.example" for who in "ab"])
    shared = orcon("share", str(heic), "--title", "Van", "--tlp", "amber", "--to",
                   "Harbour City PD", "--json")  # fmt: skip
    item = json.loads(shared)["id"]
    copy = tmp_path / "copy.jpg"
    orcon("copy", item, "--for", "b@harbour.example", "--out", str(copy))
    assert copy.read_bytes()[:3] == b"\xff\xd8\xff"  # a JPEG copy of a HEIC original
    rc, verdict = _trace(home, copy)
    assert rc == 0 and _accused(verdict) == ["b@harbour.example"], verdict


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_report_written_in_word_is_shared_copied_as_word_and_traced(
    tmp_path, database, word_report
):
    """The analyst's report is a Word document: each partner gets a Word copy worded as
    their own; the copy leaked as it is, or retyped in part, names its holder."""
    import docx

    report = tmp_path / "Kestrel interim report.docx"
    word_report(REPORT.read_text()).save(report)
    home = tmp_path / "home"

    people = [f"o{i}@harbour.example" for i in range(6)]
    orcon = _cli(home, people)
    assert "code symbols in" in orcon("marks", "text", "preview", str(report))
    # The same report with a reviewer's comment still in it is refused, saying what and
    # why; the author may share it as it is only by asking to.
    draft = tmp_path / "Kestrel draft.docx"
    document = word_report(REPORT.read_text())
    document.add_comment(document.paragraphs[2].runs, text="Source is the tenant's brother")
    document.core_properties.author = "DS Hale"
    document.save(draft)
    previewed = orcon("marks", "text", "preview", str(draft))
    assert "holds 1 comment" in previewed
    # Copies keep the document's properties; the author is told which name people.
    assert "carries the document's properties as they are: author “DS Hale”" in previewed
    share = ["share", str(draft), "--title", "Draft", "--tlp", "amber", "--to", "Harbour City PD"]
    run = [sys.executable, "-m", "orcon", "--home", str(home), *share]
    out = subprocess.run(run, capture_output=True, text=True, timeout=180)
    assert out.returncode != 0 and "Traceback" not in out.stderr, out.stderr
    assert "holds 1 comment, which every partner's copy would carry" in out.stderr
    assert "--keep-hidden" in out.stderr
    assert "--clear-properties" in previewed
    assert json.loads(orcon(*share, "--keep-hidden", "--json"))["id"]
    # Another report, shared with its properties cleared: its copies name nobody in them.
    other = tmp_path / "Port seizure.docx"
    memo = word_report((REPORT.parent / "port-seizure.md").read_text())
    memo.core_properties.author = "DS Hale"
    memo.save(other)
    shared_other = orcon("share", str(other), "--title", "Port", "--tlp", "amber", "--to",
                         "Harbour City PD", "--clear-properties", "--json")  # fmt: skip
    cleared = json.loads(shared_other)["id"]
    other_copy = tmp_path / "port-copy.docx"
    orcon("copy", cleared, "--for", people[0], "--out", str(other_copy))
    assert docx.Document(str(other_copy)).core_properties.author == ""
    assert "document's properties" not in orcon("marks", "text", "preview", str(other_copy))
    assert docx.Document(str(other)).core_properties.author == "DS Hale"  # the author's file
    md = tmp_path / "note.md"
    md.write_text(REPORT.read_text())
    run = [sys.executable, "-m", "orcon", "--home", str(home), "share", str(md), "--title",
           "Note", "--tlp", "amber", "--to", "Harbour City PD", "--clear-properties"]  # fmt: skip
    out = subprocess.run(run, capture_output=True, text=True, timeout=180)
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
    assert "--clear-properties is for Word documents" in out.stderr
    shared = orcon("share", str(report), "--title", "Kestrel", "--tlp", "amber", "--to",
                   "Harbour City PD", "--json")  # fmt: skip
    item = json.loads(shared)["id"]
    out = tmp_path / "copies"
    orcon("copy", item, "--all", "--out-dir", str(out))
    copies = {p: out / f"{item}-{p}.docx" for p in people}
    texts = {p: [x.text for x in docx.Document(str(f)).paragraphs] for p, f in copies.items()}
    assert all(t[0] == "TLP:AMBER" for t in texts.values())
    assert len({"\n".join(t) for t in texts.values()}) == len(people)  # each worded its own
    # The draft, shared too but never copied, matches the leak as well as the report does:
    # the trace goes on to the item whose copies are out.
    rc, verdict = _trace(home, copies[people[4]])
    assert rc == 0 and _accused(verdict) == [people[4]], verdict
    assert verdict["item"] == item  # type: ignore[index]
    prose = [t for t in texts[people[2]][1:] if len(t.split()) > 12]
    excerpt = " ".join(" ".join(prose).replace("\u200b", "").replace("\u2060", "").split()[:250])
    leak = tmp_path / "retyped.txt"
    leak.write_text(excerpt.encode("ascii", "ignore").decode())
    rc, verdict = _trace(home, leak)
    assert rc == 0 and _accused(verdict) == [people[2]], verdict


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_retyped_excerpt_saved_as_utf16_or_windows_1252_names_its_holder(
    tmp_path, database, shared
):
    """Word's "Unicode text" is UTF-16, Notepad's "ANSI" is Windows-1252: a leak is read
    in the encoding it was saved with (shared reports must be UTF-8; leaks need not be)."""
    home, people, copies = shared
    for leaker, encoding in ((people[3], "utf-16"), (people[11], "cp1252")):
        excerpt = " ".join(_prose(copies[leaker], 250))
        retyped = excerpt.replace("\u2019", "'").replace("\u2013", "\u2014") + " Caf\u00e9 note."
        leak = tmp_path / f"leak-{encoding}.txt"
        leak.write_bytes(retyped.encode(encoding, "ignore"))
        rc, verdict = _trace(home, leak)
        assert rc == 0 and _accused(verdict) == [leaker], (encoding, verdict)


def _flagged(archive: bytes) -> bytes:
    """A ZIP archive whose entries are marked encrypted (bit 0 of the general-purpose
    flags, in each local header and central directory entry), as a locked dump is."""
    data = bytearray(archive)
    for sig, at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (i := data.find(sig, start)) >= 0:
            data[i + at] |= 0x1
            start = i + 4
    return bytes(data)


def _wide_png() -> bytes:
    """A valid PNG of 12,000 × 9,000 pixels (108 MP, past the limit) that is small on disk."""
    buf = io.BytesIO()
    Image.new("L", (12_000, 9_000)).save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_files_orcon_cannot_read_are_refused_with_what_to_do(tmp_path, database, shared):
    import zipfile

    from pypdf import PdfWriter

    home, _, _ = shared

    def pdf(encrypt: bool) -> bytes:
        writer = PdfWriter()
        writer.add_blank_page(595, 842)
        if encrypt:
            writer.encrypt("secret")
        buf = io.BytesIO()
        writer.write(buf)
        return buf.getvalue()

    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("memo.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 200)
        z.writestr("__MACOSX/._memo.doc", b"\x00\x05\x16\x07")
    locked = io.BytesIO()
    with zipfile.ZipFile(locked, "w") as z:
        z.writestr("copy.md", b"text")  # marked encrypted by _flagged below
    cases = {
        "locked.pdf": (pdf(True), "password-protected"),
        "broken.pdf": (b"%PDF-1.7\n" + b"\x00garbage" * 50, "the PDF could not be read"),
        "leaks.zip": (archive.getvalue(), "nothing in the archive could be traced: memo.doc"),
        "locked.zip": (_flagged(locked.getvalue()), "the ZIP archive is password-protected"),
        "broken.docx": (b"PK\x03\x04" + b"\x00" * 40, "damaged ZIP archive"),
        "broken.gif": (b"GIF89a" + b"\x00" * 20, "the GIF image is corrupt or truncated"),
        "memo.pdf": (b"\x00\x01 not a PDF at all" * 9, "orcon does not read this kind of file"),
        "huge.png": (_wide_png(), "exceeds the 80 MP limit"),
        "memo.doc": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500, "save it as .docx"),
    }
    for name, (data, message) in cases.items():
        leak = tmp_path / name
        leak.write_bytes(data)
        rc, err = _trace(home, leak)
        assert rc == 2, (name, err)
        assert isinstance(err, str) and message in err and "Traceback" not in err
    rc, err = _trace(home, tmp_path)  # a folder named instead of a file
    assert rc == 2 and "is a folder" in str(err)
    # A blank page holds neither a shared photo nor text: no match, not an error.
    blank = tmp_path / "blank.pdf"
    blank.write_bytes(pdf(False))
    rc, verdict = _trace(home, blank)
    assert rc == 0 and isinstance(verdict, dict) and verdict["verdict"] == "no-match"


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_the_slow_steps_of_a_trace_are_announced(tmp_path, database, shared):
    from orcon.service import tracing

    home, people, copies = shared
    buf = io.BytesIO()
    _screen(copies[people[1]]).save(buf, "PDF", resolution=100)
    steps: list[str] = []
    inst = Instance.open(Home(home))
    result = tracing.trace(inst, buf.getvalue(), progress=steps.append)
    inst.close()
    assert [a.person for a in result.accused] == [people[1]]
    assert result.leak_format == "scanned pdf" and result.leak_text
    assert steps == [
        "the PDF has no text layer: drawing its pages",
        "no shared photo in it: reading its text by OCR (1 picture(s))",
    ]


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_without_ocr_a_picture_of_text_says_what_is_missing(
    tmp_path, database, shared, monkeypatch
):
    from orcon.match import ocr
    from orcon.service import tracing

    home, people, copies = shared
    buf = io.BytesIO()
    _screen(copies[people[2]]).save(buf, "PNG")
    monkeypatch.setattr(ocr, "_ocr_engine", lambda: None)  # as on an install without it
    inst = Instance.open(Home(home))
    result = tracing.trace(inst, buf.getvalue())
    inst.close()
    assert result.verdict == "no-match" and result.accused == ()
    (note,) = result.notes
    assert "text in it was not read" in note and "rapidocr-onnxruntime" in note
