"""Reports written in Word: the text the fingerprint is planned on, and each copy as a
Word document with its own wording, every paragraph's formatting kept.

Analysts write reports in Word and partners expect Word back. The wording sites are
found in the document's text exactly as in a Markdown report (orcon.marks.text); a
copy is the original document with each paragraph's characters changed from the
original's to the copy's wording, run by run, so bold, italics, styles, tables,
headers and pictures stay as the author made them.

The text is the body's paragraphs and table cells in reading order, separated by
blank lines. Headings (Word's Title and Heading styles) are written as Markdown
headings, which the fingerprint never changes; a hyperlink's text is locked (it
may be a web address), and so is any paragraph whose characters are not all in
plain runs (a field, say), since a copy could not put its wording back there.
A line break inside a paragraph is read as a space.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from orcon.errors import UsageError

LOCK, UNLOCK = "{{lock}}", "{{/lock}}"
MAX_UNPACKED = 100 * 1024 * 1024  # what a Word document may unpack to (a ZIP bomb stops)


def is_word(data: bytes) -> bool:
    """Whether the file is a Word document (.docx: a ZIP holding word/document.xml)."""
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except zipfile.BadZipFile:
        return False
    return "word/document.xml" in names


# What a Word document carries that its reader does not see on the page and every copy
# would carry (as Word's Document Inspector lists it): comments, tracked changes, hidden
# text. Counted in the body, headers, footers, footnotes and endnotes.
_STORY = re.compile(r"^word/(?:document|header\d*|footer\d*|footnotes|endnotes)\.xml$")
_INSERTION = re.compile(rb"<w:(?:ins|moveTo)[\s>]")
_DELETION = re.compile(rb"<w:(?:del|moveFrom)[\s>]")
_HIDDEN = re.compile(rb"<w:vanish(?![^>]*w:val=\"(?:0|false|off)\")[^>]*/>")
_COMMENT = re.compile(rb"<w:comment[\s>]")


def hidden_content(data: bytes) -> list[str]:
    """What of a Word document every copy would carry unseen on the page: its comments,
    tracked changes (the deleted text is still in the file) and hidden text, each as a
    phrase ("2 comments"); empty when there is none."""
    insertions = deletions = hidden = comments = 0
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        for part in archive.infolist():
            if part.file_size > MAX_UNPACKED:
                continue
            if _STORY.match(part.filename):
                xml = archive.read(part)
                insertions += len(_INSERTION.findall(xml))
                deletions += len(_DELETION.findall(xml))
                hidden += len(_HIDDEN.findall(xml))
            elif part.filename == "word/comments.xml":
                comments += len(_COMMENT.findall(archive.read(part)))
    except (zipfile.BadZipFile, OSError, KeyError):
        return []
    out = []
    if comments:
        out.append(f"{comments} comment{'s' * (comments != 1)}")
    if insertions or deletions:
        out.append(f"tracked changes ({insertions} inserted, {deletions} deleted)")
    if hidden:
        out.append(f"hidden text in {hidden} place{'s' * (hidden != 1)}")
    return out


# Document properties that name people or the organisation (what Word's Inspect Document
# calls "Document Properties and Personal Information"), as (part, element, what to call it).
_PERSONAL = (
    ("docProps/core.xml", "creator", "author"),
    ("docProps/core.xml", "lastModifiedBy", "last saved by"),
    ("docProps/core.xml", "description", "comments"),
    ("docProps/app.xml", "Manager", "manager"),
    ("docProps/app.xml", "Company", "company"),
)


def _property(element: str) -> re.Pattern[str]:
    """A property's element with its value as group 2: <dc:creator>…</dc:creator>,
    <Company>…</Company> (a prefix or none, no attributes)."""
    return re.compile(rf"(<(?:\w+:)?{element}>)([^<]*)(</(?:\w+:)?{element}>)")


def personal_properties(data: bytes) -> list[str]:
    """The document's properties that name people or the organisation, as phrases
    ('author “DS Hale”'): every partner's copy carries them unchanged, so the author is
    told before sharing (empty when there are none, or the file is no Word document)."""
    out = []
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        parts: dict[str, str] = {}
        present = set(archive.namelist())
        for name in {part for part, _, _ in _PERSONAL} & present:
            info = archive.getinfo(name)
            if info.file_size <= 1024 * 1024:
                parts[name] = archive.read(info).decode("utf-8", "replace")
    except (zipfile.BadZipFile, OSError, KeyError):
        return []
    for part, element, label in _PERSONAL:
        found = _property(element).search(parts.get(part, ""))
        value = html.unescape(found.group(2)).strip() if found else ""
        if value:
            shown = value if len(value) <= 60 else value[:57] + "…"
            out.append(f"{label} “{shown}”")
    return out


def clear_personal_properties(data: bytes) -> bytes:
    """The same Word document with the properties ``personal_properties`` lists emptied
    (what Word's Inspect Document removes of them); every other part of the archive is
    copied byte for byte, so the text, its formatting and its pictures are untouched."""
    try:
        source = zipfile.ZipFile(io.BytesIO(data))
        _check_unpacked(source)
        entries = [(info, source.read(info)) for info in source.infolist()]
    except (zipfile.BadZipFile, OSError, KeyError, ValueError):
        raise UsageError("not a Word document (.docx): there are no properties to clear") from None
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info, body in entries:
            elements = [element for part, element, _ in _PERSONAL if part == info.filename]
            if elements:
                xml = body.decode("utf-8", "replace")
                for element in elements:
                    xml = _property(element).sub(r"\1\3", xml)
                body = xml.encode("utf-8")
            target.writestr(info, body)
    return out.getvalue()


@dataclass(frozen=True, slots=True)
class _Paragraph:
    runs: list[Any]  # docx Run objects, in order (those inside hyperlinks included)
    text: str  # what the runs hold, line breaks as spaces: this paragraph in doc.source
    source: str  # as given to the parser: a heading's "# ", locks around hyperlinks
    heading: bool


def _check_unpacked(archive: zipfile.ZipFile) -> None:
    unpacked = sum(i.file_size for i in archive.infolist())
    if unpacked > MAX_UNPACKED:
        raise UsageError(
            f"the Word document unpacks to {unpacked // 2**20} MiB, more than orcon reads "
            f"({MAX_UNPACKED // 2**20} MiB)"
        )


def _open(data: bytes) -> Any:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        _check_unpacked(zipfile.ZipFile(io.BytesIO(data)))
        return docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as err:
        raise UsageError(f"the Word document could not be read ({err})") from None


def _blocks(document: Any) -> Iterator[Any]:
    """The body's paragraphs and its tables' cell paragraphs, in reading order (a merged
    cell once)."""
    from docx.table import Table

    for block in document.iter_inner_content():
        if isinstance(block, Table):
            seen: set[int] = set()
            for row in block.rows:
                for cell in row.cells:
                    if id(cell._tc) in seen:
                        continue
                    seen.add(id(cell._tc))
                    yield from cell.paragraphs
        else:
            yield block


def _paragraphs(document: Any) -> list[_Paragraph]:
    from docx.text.hyperlink import Hyperlink

    out = []
    # Style names by id, read once (a paragraph's .style looks its style up afresh each
    # time); the name, not the id, tells a heading in a Word of any language.
    names = {style.style_id: style.name or "" for style in document.styles}
    for para in _blocks(document):
        runs: list[Any] = []
        source: list[str] = []
        for part in para.iter_inner_content():
            if isinstance(part, Hyperlink):
                runs += part.runs
                shown = "".join(r.text for r in part.runs)
                source.append(f"{LOCK}{shown}{UNLOCK}" if shown.strip() else shown)
            else:
                runs.append(part)
                source.append(part.text)
        text = "".join(r.text for r in runs)
        if not text.strip():
            continue
        body = "".join(source)
        if text != para.text:  # characters outside plain runs: nothing can be put back
            body, text = f"{LOCK}{para.text}{UNLOCK}", para.text
        heading = names.get(para._p.style or "", "").startswith(("Heading", "Title"))
        flat = text.replace("\n", " ")
        source_text = ("# " if heading else "") + body.replace("\n", " ")
        out.append(_Paragraph(runs, flat, source_text, heading))
    return out


def source(data: bytes) -> str:
    """The report's text as the fingerprint reads it (Markdown: paragraphs separated by
    blank lines, headings as "# " lines)."""
    paragraphs = _paragraphs(_open(data))
    if not paragraphs:
        raise UsageError("the Word document holds no text")
    return "\n\n".join(p.source for p in paragraphs)


def plain_text(data: bytes) -> str:
    """A Word document's text as a reader sees it, in reading order (a leaked Word file)."""
    return "\n\n".join(p.text.strip() for p in _paragraphs(_open(data)))


def copy(data: bytes, rendered: str, markings: str) -> bytes:
    """The Word document again, its paragraphs worded as ``rendered`` (the copy's text, as
    orcon.marks.text.render gives it for :func:`source`), the markings first, in bold."""
    document = _open(data)
    paragraphs = _paragraphs(document)
    texts = rendered.split("\n\n")
    if len(texts) != len(paragraphs):
        raise UsageError(
            f"the copy's text has {len(texts)} paragraphs and the document {len(paragraphs)}"
        )
    for para, new in zip(paragraphs, texts, strict=True):
        _reword(para, new[2:] if para.heading and new.startswith("# ") else new)
    first = next(_blocks(document), None)
    banner = first.insert_paragraph_before() if first is not None else document.add_paragraph()
    banner.add_run(markings).bold = True
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


_PIECES = re.compile(r"\s+|\S+")


def _reword(para: _Paragraph, new: str) -> None:
    """Change a paragraph's characters to ``new`` run by run: what is the same keeps its
    run (and a line break stays a line break); what changes takes the formatting of the
    run it starts in. Compared word by word (a character diff costs quadratic time on a
    long paragraph), which is exact as a transformation: the text becomes ``new``."""
    if para.text == new:
        return
    owner: list[int] = []  # the run each character of the paragraph is in
    chars: list[str] = []
    for k, run in enumerate(para.runs):
        owner += [k] * len(run.text)
        chars += list(run.text)
    if len(chars) != len(para.text):  # locked whole: its characters are not all in runs
        return
    old_pieces = _PIECES.findall(para.text)
    new_pieces = _PIECES.findall(new)
    starts = [0]
    for piece in old_pieces:
        starts.append(starts[-1] + len(piece))
    pieces: list[list[str]] = [[] for _ in para.runs]
    matcher = SequenceMatcher(None, old_pieces, new_pieces, autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        c0, c1 = starts[a0], starts[a1]
        if op == "equal":
            for i in range(c0, c1):
                pieces[owner[i]].append(chars[i])
        elif b1 > b0:  # replace or insert: into the run where the change starts
            at = owner[c0] if c0 < len(owner) else owner[-1]
            if op == "insert" and 0 < c0 < len(owner) and owner[c0 - 1] != owner[c0]:
                at = owner[c0 - 1]  # between two runs: the earlier one (a word's end)
            pieces[at].append("".join(new_pieces[b0:b1]))
    for run, piece in zip(para.runs, pieces, strict=True):
        text = "".join(piece)
        if run.text != text:
            run.text = text
