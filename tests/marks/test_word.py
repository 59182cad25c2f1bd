"""Reports written in Word: the text the fingerprint reads, and copies that keep the
document's formatting while their wording differs."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import numpy as np
import pytest
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from orcon.errors import UsageError
from orcon.marks import text as text_marks
from orcon.marks.text import word

REPORT = Path(__file__).parents[1] / "data" / "reports" / "harbour-road.md"
LINK = "https://police.example/appeal/on-request"


def _report(word_report) -> bytes:  # type: ignore[no-untyped-def]
    """harbour-road as an analyst lays it out in Word: headings, a few words of each
    paragraph in bold, a table, a line break and a hyperlink."""
    document = word_report(REPORT.read_text(), bold=True)
    table = document.add_table(rows=2, cols=2)
    for (r, c), value in {(0, 0): "Officer in charge", (0, 1): "DI Marsh",
                          (1, 0): "Telephone", (1, 1): "01632 960 123"}.items():  # fmt: skip
        table.cell(r, c).text = value
    para = document.add_paragraph("Contact the incident room.")
    para.runs[0].add_break()
    para.add_run("Further details were requested from the council. See ")
    link = OxmlElement("w:hyperlink")
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
    link.set(qn("r:id"), document.part.relate_to(LINK, rel, is_external=True))
    run, shown = OxmlElement("w:r"), OxmlElement("w:t")
    shown.text = LINK
    run.append(shown)
    link.append(run)
    para._p.append(link)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def _paragraphs(data: bytes) -> list[docx.text.paragraph.Paragraph]:
    return list(docx.Document(io.BytesIO(data)).paragraphs)


def test_the_text_of_a_word_report_is_read_as_markdown(word_report):
    data = _report(word_report)
    assert word.is_word(data) and not word.is_word(b"PK\x03\x04 not a document")
    text = word.source(data)
    assert text.startswith("# Operation Kestrel")  # a heading, which no copy changes
    assert "\n\nOfficer in charge\n\nDI Marsh\n\nTelephone\n\n01632 960 123\n\n" in text
    assert "Contact the incident room. Further details" in text  # the line break: a space
    assert "{{lock}}" + LINK + "{{/lock}}" in text
    doc = text_marks.parse(text)
    assert doc.capacity >= 100 and LINK in doc.source and "{{lock}}" not in doc.source


def test_a_copy_keeps_the_formatting_and_changes_only_the_wording(word_report):
    data = _report(word_report)
    doc = text_marks.parse(word.source(data))
    rng = np.random.default_rng(3)
    words = [rng.integers(0, 2, doc.symbols) for _ in range(2)]
    copies = [word.copy(data, text_marks.render(doc, w), "TLP:AMBER") for w in words]
    original = _paragraphs(data)
    first, second = (_paragraphs(c) for c in copies)
    for copy in (first, second):
        assert copy[0].text == "TLP:AMBER" and copy[0].runs[0].bold  # the markings, first
        body = copy[1:]
        assert len(body) == len(original)
        for was, now in zip(original, body, strict=True):
            assert now.style.name == was.style.name
            assert [r.bold for r in now.runs] == [r.bold for r in was.runs]  # same runs
            if was.style.name.startswith("Heading"):
                assert now.text == was.text
        last = body[-1]
        assert last.text.startswith("Contact the incident room.\n")  # the break kept
        assert last.text.endswith(LINK)
        names = ("Harbour Road", "DI Marsh", "01632 960 123", "Operation Kestrel")
        whole = "\n".join(p.text for p in body) + "".join(
            c.text for t in docx.Document(io.BytesIO(data)).tables for r in t.rows for c in r.cells
        )
        assert all(n in whole for n in names)
    differ = [i for i, (a, b) in enumerate(zip(first, second, strict=True)) if a.text != b.text]
    assert len(differ) >= 6  # their wording differs paragraph after paragraph
    # Retyped (the invisible marks gone), each copy's wording reads back as its own
    # codeword: every wording symbol read agrees with it, about half with the other's.
    for copy, own, other in ((first, *words), (second, *words[::-1])):
        retyped = "\n\n".join(p.text for p in copy[1:]).replace("\u200b", "")
        obs = text_marks.read_text(retyped.replace("\u2060", ""), doc).observation
        read = ~obs.erased[: doc.capacity]
        value = obs.likelihoods[: doc.capacity, 1] > obs.likelihoods[: doc.capacity, 0]
        assert read.sum() >= 0.9 * doc.capacity
        assert np.array_equal(value[read], own[: doc.capacity][read].astype(bool))
        assert 0.2 < np.mean(value[read] == other[: doc.capacity][read].astype(bool)) < 0.8


def test_word_documents_orcon_cannot_use_are_refused():
    empty = io.BytesIO()
    docx.Document().save(empty)
    with pytest.raises(UsageError, match="holds no text"):
        word.source(empty.getvalue())
    with pytest.raises(UsageError, match="could not be read"):
        word.source(b"PK\x03\x04" + bytes(60))


def _tracked(para, tag: str, text: str) -> None:  # type: ignore[no-untyped-def]
    """Append a tracked insertion ("w:ins") or deletion ("w:del") of ``text`` to a paragraph."""
    change = OxmlElement(tag)
    change.set(qn("w:id"), "7")
    change.set(qn("w:author"), "DS Hale")
    run, shown = OxmlElement("w:r"), OxmlElement("w:delText" if tag == "w:del" else "w:t")
    shown.text = text
    run.append(shown)
    change.append(run)
    para._p.append(change)


def test_what_a_word_report_carries_unseen_is_listed(word_report):  # type: ignore[no-untyped-def]
    document = word_report(REPORT.read_text())
    clean = io.BytesIO()
    document.save(clean)
    assert word.hidden_content(clean.getvalue()) == []
    paragraphs = document.paragraphs
    document.add_comment(paragraphs[2].runs, text="Check with the source first", author="Hale")
    _tracked(paragraphs[3], "w:del", " The informant is the tenant's brother.")
    _tracked(paragraphs[3], "w:ins", " Enquiries continue.")
    paragraphs[4].add_run(" (name withheld: J. Carr)").font.hidden = True
    shown = paragraphs[5].add_run(" shown")
    shown.font.hidden = False  # written as <w:vanish w:val="0"/>: not hidden
    buf = io.BytesIO()
    document.save(buf)
    assert word.hidden_content(buf.getvalue()) == [
        "1 comment",
        "tracked changes (1 inserted, 1 deleted)",
        "hidden text in 1 place",
    ]


def test_the_properties_that_name_people_are_listed(word_report):  # type: ignore[no-untyped-def]
    document = word_report(REPORT.read_text())
    props = document.core_properties
    props.author, props.last_modified_by, props.comments = "DS Hale", "J. Carr & Co", ""
    buf = io.BytesIO()
    document.save(buf)
    assert word.personal_properties(buf.getvalue()) == [
        "author “DS Hale”",
        "last saved by “J. Carr & Co”",  # unescaped from &amp;
    ]
    props.author = props.last_modified_by = ""
    plain = io.BytesIO()
    document.save(plain)
    assert word.personal_properties(plain.getvalue()) == []
    assert word.personal_properties(b"not a zip") == []


def test_clearing_the_properties_empties_them_and_keeps_every_other_part(word_report):  # type: ignore[no-untyped-def]
    import zipfile

    document = word_report(REPORT.read_text())
    document.core_properties.author = "DS Hale"
    document.core_properties.last_modified_by = "J. Carr"
    buf = io.BytesIO()
    document.save(buf)
    # Word writes the organisation into the extended properties, which python-docx does not.
    parts = {i.filename: zipfile.ZipFile(buf).read(i) for i in zipfile.ZipFile(buf).infolist()}
    parts["docProps/app.xml"] = parts["docProps/app.xml"].replace(
        b"</Properties>", b"<Company>Northshire Police</Company></Properties>"
    )
    named = io.BytesIO()
    with zipfile.ZipFile(named, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in parts.items():
            z.writestr(name, body)
    original = named.getvalue()
    assert len(word.personal_properties(original)) == 4  # author, last saved by, comments, company
    cleared = word.clear_personal_properties(original)
    assert word.personal_properties(cleared) == []
    after = zipfile.ZipFile(io.BytesIO(cleared))
    assert after.namelist() == list(parts)
    for name, body in parts.items():
        if not name.startswith("docProps/"):
            assert after.read(name) == body, name  # the text, styles and pictures as they were
    assert b"<Company></Company>" in after.read("docProps/app.xml")
    assert [p.text for p in docx.Document(io.BytesIO(cleared)).paragraphs] == [
        p.text for p in document.paragraphs
    ]
    with pytest.raises(UsageError, match="not a Word document"):
        word.clear_personal_properties(b"# a Markdown report")
