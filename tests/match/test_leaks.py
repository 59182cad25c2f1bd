"""What a leaked file is taken for, by its content (never by its name)."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest

from orcon.errors import UsageError
from orcon.match import leaks, ocr


def test_formats_are_told_by_content():
    assert leaks.format_of(b"%PDF-1.7\n...") == "pdf"
    assert leaks.format_of(b"\xef\xbb\xbf  <!DOCTYPE html><html><body>x</body></html>") == "html"
    assert leaks.format_of(b"<HTML><p>quoted</p></HTML>") == "html"
    assert leaks.format_of(b"<div class='story'><p>Officers said</p></div>") == "html"
    # A report that mentions a tag, or Markdown with a comparison, stays text.
    assert leaks.format_of(b"Officers found <5 kg of cannabis. See </p> above.") == "text"
    assert leaks.format_of(b"# Summary\n\nThe van was found <div> later.") == "text"


def test_a_web_page_gives_its_article_not_its_menus():
    story = " ".join(["Officers were called to the market after reports of a fight."] * 6)
    page = (
        "<html><body><nav><a href='/'>Home</a><a href='/sport'>Sport</a></nav>"
        f"<article><h1>Market fight</h1><p>{story}</p></article>"
        "<footer>Cookie settings</footer></body></html>"
    )
    text = leaks.html_text(page)
    assert "Officers were called to the market" in text and "Cookie settings" not in text
    # A page too short for the extractor still gives its words.
    assert "a short note" in leaks.html_text("<html><body><p>Just a short note.</p></body></html>")


def test_a_picture_without_text_gives_no_words():
    rng = np.random.default_rng(1)
    photo = rng.integers(0, 255, (240, 320, 3), dtype=np.uint8)
    assert ocr.picture_text(photo) == ""
    assert ocr.picture_text(np.full((200, 300, 3), 255, np.uint8)) == ""


def test_spaces_lost_by_ocr_are_put_back_with_the_shared_words():
    from collections import Counter

    from orcon.marks.text.normalize import tokens

    shared = (
        "At approximately 21:40 on 14 March 2026, officers were called to a commercial "
        "unit on Harbour Road following reports of a fire. Forensic examination of the "
        "vehicle commenced the following morning and is ongoing. The e-mail cost £7.8 million."
    )
    cost = ocr.word_costs(Counter(tokens(shared)))
    run_together = (
        "Atapproximately21:40on14March2026,officerswerecalledtoacommercial\n"
        "unitonHarbourRoadfollowingreportsofafire.Forensicexaminationofthe\n"
        "vehiclecommencedthefollowingmomingandisongoing.Thee-mailcost£7.8million."
    )
    # A misread word ("moming") stays a word of its own between the known ones.
    assert ocr.respace(run_together, cost) == (
        "At approximately 21:40 on 14 March 2026, officers were called to a commercial\n"
        "unit on Harbour Road following reports of a fire. Forensic examination of the\n"
        "vehicle commenced the following moming and is ongoing. The e-mail cost £7.8 million."
    )
    # Words the vocabulary knows, and short tokens, are left as they are.
    assert ocr.respace("Officers were called. Mr Smith", cost) == "Officers were called. Mr Smith"


def test_a_poster_sized_pdf_page_is_drawn_at_a_bounded_size():
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(14400, 14400)  # 200 inches square: 900 MP at 150 dpi
    writer.add_blank_page(595, 842)  # A4
    buf = io.BytesIO()
    writer.write(buf)
    poster, a4 = leaks.pdf_pages(buf.getvalue())
    assert poster.shape[0] * poster.shape[1] <= leaks.PDF_MAX_PAGE_PIXELS
    assert abs(a4.shape[0] - 842 * 150 / 72) < 2 and abs(a4.shape[1] - 595 * 150 / 72) < 2


def test_a_word_document_that_unpacks_to_too_much_is_refused():
    import io
    import zipfile

    import pytest

    from orcon.errors import UsageError

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", b"\0" * (leaks.MAX_UNPACKED + 1))
    assert len(buf.getvalue()) < 1_000_000  # small on disk
    with pytest.raises(UsageError, match="unpacks to 100 MiB, more than orcon reads"):
        leaks.format_of(buf.getvalue())


def test_lines_are_read_column_by_column_under_a_spanning_headline():
    def line(x0: float, x1: float, y: float) -> np.ndarray:
        return np.array([[x0, y], [x1, y], [x1, y + 20], [x0, y + 20]], np.float32)

    headline = line(0, 900, 0)
    left = [line(0, 430, 40 + 30 * i) for i in range(4)]
    right = [line(470, 900, 40 + 30 * i) for i in range(4)]
    footer = line(0, 880, 200)
    shuffled = [right[2], footer, left[1], headline, right[0], left[3], left[0], right[1]]
    shuffled += [left[2], right[3]]
    order = ocr.reading_order(shuffled)
    want = [headline, *left, *right, footer]
    assert [b.tobytes() for b in order] == [b.tobytes() for b in want]
    # One column, ragged on the right: top to bottom.
    ragged = [line(0, 900 - 200 * (i % 3), 30 * i) for i in range(6)]
    assert [b.tobytes() for b in ocr.reading_order(ragged[::-1])] == [b.tobytes() for b in ragged]


def _scene(seed: int, h: int = 360, w: int = 480) -> np.ndarray:
    """A textured picture with corners for ORB (blurred noise and rectangles)."""
    import cv2

    rng = np.random.default_rng(seed)
    img = cv2.GaussianBlur(rng.integers(0, 255, (h, w, 3), dtype=np.uint8), (5, 5), 1.5)
    for _ in range(40 if min(h, w) > 60 else 0):
        x, y = int(rng.integers(0, w - 40)), int(rng.integers(0, h - 40))
        color = tuple(int(c) for c in rng.integers(0, 255, 3))
        cv2.rectangle(img, (x, y), (x + int(rng.integers(10, 40)), y + 30), color, -1)
    return img


def test_a_photo_found_in_a_larger_picture_is_located_where_it_was_pasted():
    from orcon.match import image as match

    photo = _scene(2)
    page = np.full((800, 1200, 3), 255, np.uint8)
    page[300:660, 650:1130] = photo
    variants = [match.extract(page), match.extract(np.ascontiguousarray(page[:, ::-1]))]
    mask = match.footprint(page.shape, variants, match.extract(photo), (480, 360))
    inside = mask[300:660, 650:1130] > 0
    assert inside.mean() > 0.97  # the photo is covered...
    outside = mask.copy()
    outside[280:680, 630:1150] = 0
    assert not outside.any()  # ...and nothing more than a margin (20 px) away
    # Mirrored, it is found where the mirror image put it.
    flipped = np.ascontiguousarray(page[:, ::-1])
    variants = [match.extract(flipped), match.extract(page)]
    mask = match.footprint(flipped.shape, variants, match.extract(photo), (480, 360))
    assert (mask[300:660, 70:550] > 0).mean() > 0.97 and not mask[:, 700:].any()
    # A picture it is not in gives an empty footprint.
    other = _scene(9, 800, 1200)
    variants = [match.extract(other), match.extract(np.ascontiguousarray(other[:, ::-1]))]
    assert not match.footprint(other.shape, variants, match.extract(photo), (480, 360)).any()


def test_what_is_not_text_on_a_page_is_its_figure(photo):
    page = np.full((900, 1400, 3), 250, np.uint8)
    page[100:400, 80:480] = _scene(4, 300, 400)
    lines = []
    for k in range(12):  # dark lines of "type" to the right, as the detector boxes them
        y = 100 + 40 * k
        page[y : y + 18, 600:1300] = 30
        lines.append(
            np.array([[596, y - 3], [1304, y - 3], [1304, y + 21], [596, y + 21]], np.float32)
        )
    x0, y0, x1, y1 = ocr.figure_region(page, lines)  # type: ignore[misc]
    assert abs(x0 - 80) <= 6 and abs(y0 - 100) <= 6 and abs(x1 - 480) <= 6 and abs(y1 - 400) <= 6
    # Text alone, or a picture that is all figure, has no figure to look at again.
    text_only = page.copy()
    text_only[100:400, 80:480] = 250
    assert ocr.figure_region(text_only, lines) is None
    import cv2

    assert ocr.figure_region(cv2.imdecode(np.frombuffer(photo, np.uint8), 1), []) is None


def test_pictures_inside_a_word_document_are_taken_out_and_logos_passed_over():
    import io

    import cv2
    import docx

    document = docx.Document()
    document.add_paragraph("Briefing.")
    for picture in (_scene(1, 300, 400), _scene(3, 40, 120)):  # a photo, then a logo
        document.add_picture(io.BytesIO(cv2.imencode(".png", picture)[1].tobytes()))
    buf = io.BytesIO()
    document.save(buf)
    (found,) = leaks.docx_images(buf.getvalue())
    assert found.shape == (300, 400, 3) and np.array_equal(found, _scene(1, 300, 400))
    # A PDF's pictures come with their page; one that cannot be read gives none.
    from PIL import Image

    pdf = io.BytesIO()
    pages = [Image.fromarray(_scene(6, 300, 400)[:, :, ::-1]), Image.fromarray(_scene(7, 250, 300))]
    pages[0].save(pdf, "PDF", save_all=True, append_images=pages[1:])
    # Each picture fills its page here, so each has its page's proportions (a scan's).
    assert [(n, p.shape, paged) for n, p, paged in leaks.pdf_images(pdf.getvalue())] == [
        (1, (300, 400, 3), True),
        (2, (250, 300, 3), True),
    ]
    # A picture on a page of another shape (a screenshot among typed text) has not.
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(pdf))
    writer.pages[0].mediabox.upper_right = (595, 842)  # A4, in points
    tall = io.BytesIO()
    writer.write(tall)
    assert [paged for _, _, paged in leaks.pdf_images(tall.getvalue())] == [False, True]
    assert leaks.pdf_images(b"%PDF-1.7 broken") == []


def test_a_long_scan_is_drawn_for_photos_past_the_pages_read_by_ocr():
    from PIL import Image

    buf = io.BytesIO()
    pages = [Image.new("RGB", (595, 842), "white") for _ in range(45)]  # A4 at 72 dpi
    pages[0].save(buf, "PDF", save_all=True, append_images=pages[1:], resolution=72)
    drawn = leaks.pdf_pages(buf.getvalue())
    assert len(drawn) == leaks.PDF_PHOTO_PAGES == 40 and leaks.pdf_page_count(buf.getvalue()) == 45
    read, looked = drawn[: leaks.PDF_MAX_PAGES], drawn[leaks.PDF_MAX_PAGES :]
    # pdfium rounds a page's size in pixels up: 842 x 595 points at 150 and at 100 dpi.
    assert {p.shape[:2] for p in read} == {(1755, 1240)}  # 150 dpi: what OCR reads
    assert {p.shape[:2] for p in looked} == {(1170, 827)}  # 100 dpi: photos only
    # Asked to read more (orcon trace --pages 12): those are drawn for OCR as well.
    more = leaks.pdf_pages(buf.getvalue(), 45, read=12)
    assert len(more) == 45 and [p.shape[0] for p in more].count(1755) == 12
    assert {p.shape[:2] for p in more[12:]} == {(1170, 827)}


def test_a_long_pdfs_pictures_are_found_on_any_page_each_letterhead_once():
    from PIL import Image
    from pypdf import PdfReader, PdfWriter

    def pdf_of(*pictures: np.ndarray) -> PdfReader:
        buf = io.BytesIO()
        first, *rest = [Image.fromarray(p[:, :, ::-1]) for p in pictures]
        first.save(buf, "PDF", save_all=True, append_images=rest)
        return PdfReader(buf)

    # Forty pages that repeat one letterhead picture (one object), then the photo.
    letterhead, photo = _scene(8, 120, 400), _scene(9, 300, 400)
    writer = PdfWriter()
    head = pdf_of(letterhead).pages[0]
    for _ in range(40):
        writer.add_page(head)
    writer.add_page(pdf_of(photo).pages[0])
    long = io.BytesIO()
    writer.write(long)
    found = [(n, p.shape) for n, p, _ in leaks.pdf_images(long.getvalue())]
    assert found == [(1, (120, 400, 3)), (41, (300, 400, 3))]
    # More pictures than are looked at: the largest are kept, in page order; an icon
    # (under 96 pixels a side) is never decoded.
    sizes = [(100 + 10 * i, 200) for i in range(10)] + [(40, 40)]
    many = io.BytesIO()
    writer = PdfWriter()
    writer.append(pdf_of(*[_scene(20 + i, h, w) for i, (h, w) in enumerate(sizes)]))
    writer.write(many)
    kept = leaks.pdf_images(many.getvalue())
    assert [n for n, _, _ in kept] == list(range(3, 11))
    assert [p.shape[0] for _, p, _ in kept] == [h for h, _ in sizes[2:10]]


def test_an_outlook_message_gives_its_text_attachments_and_attached_items():
    from outlook import Message, compound_file, outlook_message, rich_text

    deeper = Message("Re: rota", body="See you Monday.")
    item = Message(
        "pic", body="As discussed.", attachments=[("scene.jpg", b"\xff\xd8" + bytes(6000))],
        attached=[deeper],
    )  # fmt: skip
    tip = Message(
        "Fwd: briefing", body="From the briefing: the van was seen at 21:40.",
        attachments=[("IMG_2041.jpg", b"\xff\xd8photo")], attached=[item],
    )  # fmt: skip
    data = outlook_message(tip)
    assert leaks.format_of(data) == "msg"
    files, more, unopened = leaks.msg_files(data)
    assert [name for name, _ in files] == [
        "its text",
        "IMG_2041.jpg",
        "the attached message \u201cpic\u201d: its text",
        "the attached message \u201cpic\u201d: scene.jpg",
    ]
    assert files[0][1].decode() == "From the briefing: the van was seen at 21:40."
    assert files[1][1] == b"\xff\xd8photo" and len(files[3][1]) == 6002  # kept whole
    assert more == 0
    assert unopened == [
        "the attached message \u201cpic\u201d: the attached message \u201cRe: rota\u201d"
    ]
    # Older Outlook wrote strings in the message's code page; an HTML-only message.
    old = outlook_message(Message("Caf\u00e9", body="Losses of \u00a34m.", codepage=1252))
    assert leaks.msg_files(old)[0] == [("its text", "Losses of \u00a34m.".encode())]
    html = outlook_message(Message("x", html="<p>Losses of \u00a34m.</p>"))
    assert leaks.msg_files(html)[0] == [("its text", "<p>Losses of \u00a34m.</p>".encode())]
    # A message in Outlook's Rich Text format keeps its body only as compressed RTF: read
    # as its reader sees it, the hidden HTML tags of RTF that wraps HTML left out.
    wrapped = (
        r"{\rtf1\ansi\ansicpg1252\fromhtml1 \deff0{\fonttbl{\f0\fswiss Arial;}}"
        r"{\*\htmltag19 <html>}{\*\htmltag41 <style>p{color:red}</style>}"
        r"{\*\htmltag50 <body>}\htmlrtf {\htmlrtf0 {\*\htmltag64 <p>}Losses of \'a34m."
        r"{\*\htmltag72 </p>}\htmlrtf \par \htmlrtf0}{\*\htmltag58 </body>}}"
    )
    rich = outlook_message(Message("x", rtf=wrapped, codepage=1252))
    assert leaks.msg_files(rich)[0] == [("its text", "Losses of \u00a34m.\n".encode())]
    # The compressed form, [MS-OXRTFCP]'s example stream (its dictionary's references).
    spec = b"\x1a\x00\x00\x00\x1c\x00\x00\x00LZFu\xe2\xd4KQA\x00\x04 WXYZ\rn}\x01\x0e\xb0"
    example = outlook_message(Message("x", rtf_stream=spec))
    assert leaks.msg_files(example)[0] == [("its text", b"WXYZWXYZWXYZWXYZWXYZ")]
    # Outlook's Rich Text editor escapes what is not ASCII, an emoji as two UTF-16 halves.
    typed = "Caf\u00e9 \u2060{at} 21:40 \U0001f6a8\nNext line."
    escaped = outlook_message(Message("x", rtf=rich_text(typed)))
    assert leaks.msg_files(escaped)[0] == [("its text", typed.encode())]
    # A plain body wins over the rich text Outlook keeps beside it.
    both = outlook_message(Message("x", body="The plain body.", rtf=r"{\rtf1 Other.}"))
    assert leaks.msg_files(both)[0] == [("its text", b"The plain body.")]
    # A damaged rich-text body, or one that would unpack too large, is refused plainly.
    bad_crc = spec[:12] + b"\0\0\0\0" + spec[16:]
    with pytest.raises(UsageError, match="rich-text body is damaged"):
        leaks.msg_files(outlook_message(Message("x", rtf_stream=bad_crc)))
    huge = struct.pack("<II4sI", 12, 2**30, b"LZFu", 0) + bytes(4)
    with pytest.raises(UsageError, match="rich-text body is larger than orcon reads"):
        leaks.msg_files(outlook_message(Message("x", rtf_stream=huge)))
    # Another compound file (a Word 97 document) is no message, and is refused plainly.
    doc = compound_file({("WordDocument",): bytes(5000), ("1Table",): bytes(100)})
    assert leaks.format_of(doc) == "text"
    with pytest.raises(UsageError, match="old Office file"):
        leaks.leak_text(doc)
    # A message cut short or damaged is refused in one line, never a traceback.
    for cut in (600, len(data) // 2, len(data) - 700):
        damaged = data[:cut]
        if leaks.format_of(damaged) == "msg":
            leaks.msg_files(damaged)
        else:
            with pytest.raises(UsageError, match="damaged Outlook message"):
                leaks.leak_text(damaged)


def test_a_page_saved_as_one_file_gives_its_html_and_its_pictures():
    import base64
    from email.mime.image import MIMEImage
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText

    import cv2
    import pytest

    from orcon.errors import UsageError

    photo, logo = _scene(8, 300, 400), _scene(9, 30, 90)
    saved = MIMEMultipart("related", type="text/html")
    saved["From"] = "<Saved by Blink>"
    saved.attach(MIMEText("<html><body><p>Officers were called.</p></body></html>", "html"))
    for picture in (photo, logo):
        saved.attach(MIMEImage(cv2.imencode(".png", picture)[1].tobytes(), "png"))
    data = saved.as_bytes()
    assert leaks.format_of(data) == "mhtml"
    page, pictures = leaks.mhtml_page(data)
    assert "Officers were called" in page
    assert [p.shape for p in pictures] == [(300, 400, 3)]  # the logo is passed over
    assert np.array_equal(pictures[0], photo)
    # A page that carries its pictures inside itself (data: addresses) gives them too;
    # a picture it only links to is not fetched.
    inline = base64.b64encode(cv2.imencode(".png", photo)[1].tobytes()).decode()
    html = (
        f"<html><body><img src='data:image/png;base64,{inline}'>"
        "<img src='https://news.example/a.jpg'><img src='data:image/png;base64,!!'></body></html>"
    )
    (found,) = leaks.html_images(html)
    assert np.array_equal(found, photo)
    # An AVIF saved inside a page (what a news site's image service sent) is read too.
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(photo[:, :, ::-1]).save(buf, "AVIF", quality=90)
    avif = base64.b64encode(buf.getvalue()).decode()
    (found,) = leaks.html_images(f"<img src='data:image/avif;base64,{avif}'>")
    assert found.shape == photo.shape and np.abs(found.astype(int) - photo).mean() < 12
    # A MIME file with no page in it is refused, saying what it lacks.
    empty = MIMEMultipart("related")
    empty.attach(MIMEImage(cv2.imencode(".png", photo)[1].tobytes(), "png"))
    with pytest.raises(UsageError, match="holds no HTML page"):
        leaks.mhtml_page(empty.as_bytes())


def test_archives_and_e_mails_give_their_files():
    import io
    import zipfile
    from email.message import EmailMessage

    import pytest

    from orcon.errors import UsageError

    dump = io.BytesIO()
    with zipfile.ZipFile(dump, "w") as z:
        for k in range(leaks.MAX_CONTAINED + 3):
            z.writestr(f"d/f{k:02}.txt", f"file {k}")
        z.writestr("d/.hidden", "x")
        z.writestr("__MACOSX/d/._f00.txt", "x")
        z.writestr("d/sub/", "")
    assert leaks.format_of(dump.getvalue()) == "zip"
    files, more = leaks.archive_files(dump.getvalue())
    assert [n for n, _ in files][:2] == ["d/f00.txt", "d/f01.txt"] and files[1][1] == b"file 1"
    assert (len(files), more) == (leaks.MAX_CONTAINED, 3)
    # An archive that unpacks to more than orcon reads is refused (declared sizes aside).
    big = io.BytesIO()
    with zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("zeros.bin", bytes(leaks.MAX_UNPACKED + 10))
    with pytest.raises(UsageError, match="unpacks to more than"):
        leaks.archive_files(big.getvalue())

    mail = EmailMessage()
    mail["From"], mail["Subject"] = "a@example.org", "the memo"
    mail.set_content("Officers were called to Harbour Road.")
    mail.add_attachment(b"%PDF-1.7 ...", maintype="application", subtype="pdf", filename="m.pdf")
    assert leaks.format_of(bytes(mail)) == "email"
    files, more = leaks.email_files(bytes(mail))
    assert [n for n, _ in files] == ["its text", "m.pdf"] and more == 0
    assert b"Harbour Road" in files[0][1] and files[1][1] == b"%PDF-1.7 ..."
    # A page saved by Chromium has a header too, but is a page.
    saved = b"From: <Saved by Blink>\r\nSnapshot-Content-Location: https://x.example/\r\n"
    saved += b"Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/related;\r\n\r\n"
    assert leaks.format_of(saved) == "mhtml"
    # A text whose first line merely has a colon is text.
    assert leaks.format_of(b"Summary: officers were called.\n\nThe van was found.") == "text"


def test_videos_are_told_from_pictures_that_share_their_container():
    """MP4, QuickTime and 3GP are ISO base media files, as AVIF and HEIC pictures are:
    the brand in the ftyp box tells them apart."""
    box = lambda brand: b"\x00\x00\x00\x18ftyp" + brand + b"\x00\x00\x02\x00" + bytes(40)  # noqa: E731
    for brand in (b"isom", b"mp42", b"qt  ", b"3gp5", b"M4V "):
        assert leaks.is_video(box(brand)) and leaks.format_of(box(brand)) == "video"
    for brand in (b"avif", b"heic", b"mif1"):
        assert not leaks.is_video(box(brand))
    assert leaks.is_video(b"\x1a\x45\xdf\xa3" + bytes(40))  # WebM / Matroska
    assert leaks.is_video(b"RIFF\x00\x00\x00\x00AVI LIST")
    assert not leaks.is_video(b"RIFF\x00\x00\x00\x00WEBPVP8 ")
