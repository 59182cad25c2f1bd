"""What a leaked file is taken for, by its content (never by its name)."""

from __future__ import annotations

import numpy as np

from orcon.match import leaks


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
    assert leaks.picture_text(photo) == ""
    assert leaks.picture_text(np.full((200, 300, 3), 255, np.uint8)) == ""


def test_spaces_lost_by_ocr_are_put_back_with_the_shared_words():
    from collections import Counter

    from orcon.marks.text.normalize import tokens

    shared = (
        "At approximately 21:40 on 14 March 2026, officers were called to a commercial "
        "unit on Harbour Road following reports of a fire. Forensic examination of the "
        "vehicle commenced the following morning and is ongoing. The e-mail cost £7.8 million."
    )
    cost = leaks.word_costs(Counter(tokens(shared)))
    ocr = (
        "Atapproximately21:40on14March2026,officerswerecalledtoacommercial\n"
        "unitonHarbourRoadfollowingreportsofafire.Forensicexaminationofthe\n"
        "vehiclecommencedthefollowingmomingandisongoing.Thee-mailcost£7.8million."
    )
    # A misread word ("moming") stays a word of its own between the known ones.
    assert leaks.respace(ocr, cost) == (
        "At approximately 21:40 on 14 March 2026, officers were called to a commercial\n"
        "unit on Harbour Road following reports of a fire. Forensic examination of the\n"
        "vehicle commenced the following moming and is ongoing. The e-mail cost £7.8 million."
    )
    # Words the vocabulary knows, and short tokens, are left as they are.
    assert leaks.respace("Officers were called. Mr Smith", cost) == "Officers were called. Mr Smith"


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
    order = leaks.reading_order(shuffled)
    want = [headline, *left, *right, footer]
    assert [b.tobytes() for b in order] == [b.tobytes() for b in want]
    # One column, ragged on the right: top to bottom.
    ragged = [line(0, 900 - 200 * (i % 3), 30 * i) for i in range(6)]
    assert [b.tobytes() for b in leaks.reading_order(ragged[::-1])] == [b.tobytes() for b in ragged]
