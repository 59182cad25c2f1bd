"""What a leaked file holds, whatever it was saved as: a picture, or the words of a text.

Leaks of a text report rarely arrive as the text file that was shared: an analyst
saves the newspaper's web page, a partner's copy turns up printed to PDF, or a
screenshot of a page circulates on social media. The fingerprint of a text is in
its wording, which survives all of them, so each is turned back into words here:
a web page by its main text (trafilatura, the article extractor the leak watch
uses), a PDF by its text layer (pypdf) or, without one, by drawing its pages
(pypdfium2) and reading them as pictures, a Word document by its paragraphs
(python-docx), a picture of text by OCR (RapidOCR's PP-OCR models, which ship
inside the rapidocr-onnxruntime package; nothing is downloaded). Invisible
marks rarely survive these, and orcon never depends on them.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from collections.abc import Iterator
from typing import Any

import cv2
import lxml.html
import numpy as np

from orcon.errors import UsageError
from orcon.marks.image.codec import FORMATS, decode, picture_format
from orcon.marks.text import word
from orcon.match.scans import PDF_MAX_PAGES, PDF_PHOTO_PAGES

_HTML_START = ("<!doctype html", "<html", "<?xml")
_MHTML = re.compile(rb"^content-type:\s*multipart/related", re.IGNORECASE | re.MULTILINE)
_HTML_TAG = re.compile(rb"</(?:p|div|article|body|span|h[1-6])>", re.IGNORECASE)


_FIELD = re.compile(rb"^[A-Za-z0-9-]+:")
_MAIL_FIELDS = {b"from", b"to", b"cc", b"subject", b"date", b"message-id"}


def _mail_header(head: bytes) -> dict[bytes, bytes] | None:
    """The header fields a file starts with, if it starts with an RFC 5322 header (an
    e-mail, or a page saved as MHTML); None if it does not."""
    ends = [i for i in (head.find(b"\r\n\r\n"), head.find(b"\n\n")) if i > 0]
    if not ends:
        return None
    fields: dict[bytes, bytes] = {}
    for line in head[: min(ends)].splitlines():
        if line[:1] in (b" ", b"\t"):  # a folded line continues the field before it
            continue
        m = _FIELD.match(line)
        if m is None:
            return None
        fields[line[: m.end() - 1].lower()] = line[m.end() :].strip()
    return fields


def format_of(data: bytes) -> str:
    """The leak's format: pdf, docx, zip (another ZIP archive), email (a message saved as
    .eml), msg (a message saved by Outlook), video (MP4, QuickTime, WebM/Matroska, AVI),
    html, mhtml (a web page saved as one file, as Chromium's "Webpage, Single File" does)
    or text (images are recognised by orcon.marks.image.codec first)."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            parts = zipfile.ZipFile(io.BytesIO(data)).infolist()
        except zipfile.BadZipFile:
            raise UsageError("the file is a damaged ZIP archive") from None
        if any(part.filename == "word/document.xml" for part in parts):
            unpacked = sum(part.file_size for part in parts)
            if unpacked > MAX_UNPACKED:
                raise UsageError(
                    f"the Word document unpacks to {unpacked // 2**20} MiB, more than orcon "
                    f"reads ({MAX_UNPACKED // 2**20} MiB): save its text as PDF or text"
                )
            return "docx"
        return "zip"
    if is_video(data):
        return "video"
    if data.startswith(_OLE_MAGIC) and is_outlook_message(data):
        return "msg"
    fields = _mail_header(head)
    if fields is not None:
        saved = b"saved by" in fields.get(b"from", b"").lower()
        if b"snapshot-content-location" in fields or saved:
            return "mhtml"
        if len(_MAIL_FIELDS & fields.keys()) >= 2:
            return "email"
    if _MHTML.search(head[:2048]) and b"mime-version:" in head[:2048].lower():
        return "mhtml"
    lowered = head[:64].lower()
    if lowered.startswith(tuple(s.encode() for s in _HTML_START)) or (
        lowered.startswith(b"<") and _HTML_TAG.search(head)
    ):
        return "html"
    return "text"


READABLE = (
    f"a picture ({FORMATS}), a PDF, a Word document (.docx), a web page (.html or .mhtml), "
    "an e-mail (.eml or Outlook's .msg), a ZIP archive, a video or text"
)


def leak_text(data: bytes) -> str:
    """A leaked plain text in whatever encoding it was saved with: UTF-8, UTF-16 with its
    byte-order mark (Word's "Unicode text"), or else Windows-1252 (Notepad's "ANSI"), which
    decodes any byte. A leak is read as it comes; only what is shared must be UTF-8."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    elif b"\x00" not in data[:4096]:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return data.decode("cp1252", "replace")
    if data.startswith(_OLE_MAGIC):
        raise UsageError(
            "this is an old Office file (.doc, .xls or .ppt) or a damaged Outlook message: "
            "save it as .docx, PDF or text (a message again as .msg), then trace that"
        )
    raise UsageError(f"orcon does not read this kind of file: a leak must be {READABLE}")


VIDEO_FRAMES = 24  # frames of a video looked at, spread over it
VIDEO_SECONDS = 600  # a longer video is looked at in its first ten minutes
_FTYP_PICTURES = (b"avif", b"avis", b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1")


def is_video(data: bytes) -> bool:
    """A video file: an ISO base media file (MP4, QuickTime, 3GP) that is not a picture,
    WebM or Matroska, or AVI."""
    if data[4:8] == b"ftyp":
        return data[8:12] not in _FTYP_PICTURES
    if data[4:8] in (b"moov", b"mdat", b"wide", b"free"):  # QuickTime without ftyp
        return True
    return data[:4] == b"\x1a\x45\xdf\xa3" or (data[:4] == b"RIFF" and data[8:12] == b"AVI ")


def video_frames(data: bytes, count: int = VIDEO_FRAMES) -> list[tuple[float, np.ndarray]]:
    """Frames spread evenly over a video (its time in seconds, BGR pixels): a television
    report or a clip posted online that shows a shared photo. FFmpeg (inside OpenCV)
    reads from a file, so the video is written to a private temporary one, removed after."""
    import os
    import tempfile

    fd, path = tempfile.mkstemp(suffix=".video")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        capture = cv2.VideoCapture(path)
        try:
            if not capture.isOpened():
                raise UsageError(
                    "the video could not be read (a damaged file, or a codec FFmpeg lacks)"
                )
            fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
            total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
            last = min(total or int(fps * VIDEO_SECONDS), int(fps * VIDEO_SECONDS))
            step = max(1, last // count)
            out: list[tuple[float, np.ndarray]] = []
            for k in range(last):
                if not capture.grab():
                    break
                if k % step == 0 and len(out) < count:
                    ok, frame = capture.retrieve()
                    if ok and frame is not None and _usable(frame):
                        out.append((k / fps, frame))  # FFmpeg gives BGR, 8 bits
        finally:
            capture.release()
    finally:
        os.unlink(path)
    if not out:
        raise UsageError("the video could not be read: no frame of it could be decoded")
    return out


MAX_CONTAINED = 20  # files of an archive, or parts of an e-mail, that are traced


def archive_files(data: bytes) -> tuple[list[tuple[str, bytes]], int]:
    """The files of a ZIP archive (a leak dump), up to MAX_CONTAINED, with how many more
    it holds; folders, macOS resource forks and hidden files are passed over. Refused:
    a password-protected archive, and one that unpacks to more than MAX_UNPACKED (the
    sizes it declares are not trusted: each file is read with a limit)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        files = [
            i
            for i in archive.infolist()
            if not i.is_dir()
            and not i.filename.startswith("__MACOSX/")
            and not i.filename.rsplit("/", 1)[-1].startswith(".")
        ]
        if any(i.flag_bits & 0x1 for i in files):
            raise UsageError(
                "the ZIP archive is password-protected: unpack it with its password and "
                "trace the files in it"
            )
        out: list[tuple[str, bytes]] = []
        total = 0
        for info in files[:MAX_CONTAINED]:
            with archive.open(info) as fh:
                blob = fh.read(MAX_UNPACKED - total + 1)
            total += len(blob)
            if total > MAX_UNPACKED:
                raise UsageError(
                    f"the ZIP archive unpacks to more than {MAX_UNPACKED // 2**20} MiB, more "
                    "than orcon reads: unpack it and trace its files one by one"
                )
            out.append((info.filename, blob))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError) as err:
        raise UsageError(f"the ZIP archive could not be read ({err})") from None
    return out, len(files) - len(out)


def email_files(data: bytes) -> tuple[list[tuple[str, bytes]], int]:
    """What an e-mail saved as .eml carries: its text ("its text", plain or HTML), its
    attachments by file name (a forwarded message attached is itself an e-mail) and the
    pictures shown in its text (an HTML message's inline images), up to MAX_CONTAINED,
    with how many more it holds."""
    import email
    import email.policy
    from email.message import EmailMessage

    message = email.message_from_bytes(data, policy=email.policy.default)
    out: list[tuple[str, bytes]] = []
    if isinstance(message, EmailMessage):
        body = message.get_body(preferencelist=("plain", "html"))
        if body is not None:
            text = body.get_content()
            if isinstance(text, str) and text.strip():
                out.append(("its text", text.encode("utf-8")))
        attached: set[int] = set()
        for k, part in enumerate(message.iter_attachments(), start=1):
            attached.add(id(part))
            name = part.get_filename() or f"attachment {k}"
            if part.get_content_type() == "message/rfc822":
                inner = part.get_payload()
                first = inner[0] if isinstance(inner, list) and inner else None
                blob = first.as_bytes() if isinstance(first, email.message.Message) else b""
            else:
                raw = part.get_payload(decode=True)
                blob = raw if isinstance(raw, bytes) else b""
            if blob:
                out.append((name, blob))
        for k, part in enumerate(_inline_pictures(message, attached), start=1):
            raw = part.get_payload(decode=True)
            if isinstance(raw, bytes) and raw:
                out.append((part.get_filename() or f"picture {k} in its text", raw))
    return out[:MAX_CONTAINED], max(0, len(out) - MAX_CONTAINED)


def _inline_pictures(part: Any, attached: set[int]) -> Iterator[Any]:
    """The pictures an e-mail shows in its text (not attached, not in a forwarded
    message, which is read as an e-mail of its own)."""
    if part.get_content_type() == "message/rfc822":
        return
    if part.is_multipart():
        for sub in part.iter_parts():
            yield from _inline_pictures(sub, attached)
    elif part.get_content_maintype() == "image" and id(part) not in attached:
        yield part


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # a compound file (MS-CFB)
# An Outlook message (MS-OXMSG) keeps each property in a stream named by its tag.
_PROPERTY = "__substg1.0_{:04X}{}"
_SUBJECT, _BODY, _HTML_BODY, _RTF_BODY = 0x0037, 0x1000, 0x1013, 0x1009
_ATTACH_DATA, _ATTACH_LONG_NAME, _ATTACH_NAME = 0x3701, 0x3707, 0x3704
_UNICODE, _EIGHT_BIT, _BINARY, _OBJECT = "001F", "001E", "0102", "000D"
_MESSAGE_CODEPAGE = 0x3FFD
_ATTACHMENT = "__attach_version1.0_#"
# What olefile raises on a damaged compound file (its own errors are OSErrors).
_DAMAGED = (OSError, ValueError, IndexError, KeyError, TypeError, struct.error, RecursionError)


def is_outlook_message(data: bytes) -> bool:
    """A compound file that holds an Outlook message's properties (not a .doc or .xls)."""
    import olefile

    try:
        with olefile.OleFileIO(data) as ole:
            return bool(ole.exists("__properties_version1.0")) and any(
                len(path) == 1 and path[0].startswith("__substg1.0_")
                for path in ole.listdir(streams=True, storages=False)
            )
    except _DAMAGED:
        return False


def msg_files(data: bytes) -> tuple[list[tuple[str, bytes]], int, list[str]]:
    """What an Outlook message (.msg) carries, as :func:`email_files` says it of an .eml:
    its text, its attachments by file name, and the text and attachments of a message
    attached to it (an Outlook item, kept inside the file as a storage of its own), up to
    MAX_CONTAINED, with how many more it holds and the names of messages attached to an
    attached message, which are not opened."""
    import olefile

    out: list[tuple[str, bytes]] = []
    deeper: list[str] = []
    try:
        with olefile.OleFileIO(data) as ole:
            paths = ole.listdir(streams=True, storages=True)
            _message_parts(ole, paths, [], "", out, deeper)
    except _DAMAGED as err:
        raise UsageError(f"the Outlook message is damaged ({err}); save it again") from None
    return out[:MAX_CONTAINED], max(0, len(out) - MAX_CONTAINED), deeper


def _message_parts(
    ole: Any,
    paths: list[list[str]],
    at: list[str],
    label: str,
    out: list[tuple[str, bytes]],
    deeper: list[str],
) -> None:
    """The text and attachments of the message stored at ``at`` (a storage path), each
    name led by ``label`` ("the attached message ...: "), into ``out``."""
    codepage = _codepage(ole, at)
    text = _property_text(ole, at, _BODY, codepage)
    if not text.strip():
        html = _property_bytes(ole, at, _HTML_BODY, _BINARY)
        text = (
            html.decode(codepage, "replace")
            if html
            else _property_text(ole, at, _HTML_BODY, codepage)
        )
    if not text.strip():
        text = _rtf_text(_property_bytes(ole, at, _RTF_BODY, _BINARY), codepage)
    if text.strip():
        out.append((f"{label}its text", text.encode("utf-8")))
    attachments = sorted(
        {
            p[len(at)]
            for p in paths
            if len(p) > len(at) and p[: len(at)] == at and p[len(at)].startswith(_ATTACHMENT)
        }
    )
    for k, storage in enumerate(attachments, start=1):
        where = [*at, storage]
        name = (
            _property_text(ole, where, _ATTACH_LONG_NAME, codepage)
            or _property_text(ole, where, _ATTACH_NAME, codepage)
            or f"attachment {k}"
        ).strip()
        blob = _property_bytes(ole, where, _ATTACH_DATA, _BINARY)
        inner = [*where, _PROPERTY.format(_ATTACH_DATA, _OBJECT)]
        if blob:
            out.append((f"{label}{name}", blob))
        elif ole.exists("/".join(inner)):  # an Outlook item attached: a message of its own
            subject = _property_text(ole, inner, _SUBJECT, _codepage(ole, inner)).strip()
            titled = f"the attached message \u201c{subject}\u201d" if subject else name
            if label:
                deeper.append(f"{label}{titled}")
            else:
                _message_parts(ole, paths, inner, f"{titled}: ", out, deeper)


MAX_RTF = 16 * 1024 * 1024  # a rich-text body, unpacked (the pure-Python reader does ~1 MiB/s)


def _rtf_text(blob: bytes, codepage: str) -> str:
    """The text of a body Outlook kept only as compressed RTF (PR_RTF_COMPRESSED,
    [MS-OXRTFCP]): what a message written in Outlook's "Rich Text" format stores, and
    what some clients save for plain and HTML messages too (wrapped as RTF, [MS-OXRTFEX]).
    The RTF is read as a reader would see it, markup and hidden HTML tags left out."""
    if len(blob) < 16:
        return ""
    import compressed_rtf
    from striprtf.striprtf import rtf_to_text

    unpacked = struct.unpack_from("<I", blob, 4)[0]
    # The header's size can lie and a stream can unpack to ~8.5 times its length, so the
    # stream is held to a quarter of the limit too (text compresses about 7:1).
    if max(unpacked, len(blob) * 4) > MAX_RTF:
        raise UsageError(
            "the Outlook message's rich-text body is larger than orcon reads "
            f"({MAX_RTF // 2**20} MiB unpacked); save its text as a .txt file"
        )
    try:
        rtf = compressed_rtf.decompress(blob)[:unpacked]
    except Exception as err:  # the library raises bare Exceptions on a bad header or CRC
        raise UsageError(f"the Outlook message's rich-text body is damaged ({err})") from None
    text = rtf_to_text(rtf.decode(codepage, "replace"), encoding=codepage, errors="replace")  # type: ignore[no-untyped-call]
    # RTF escapes a character beyond the BMP as two \\uN (UTF-16 halves); join them.
    return str(text).encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _property_bytes(ole: Any, at: list[str], tag: int, kind: str) -> bytes:
    path = "/".join([*at, _PROPERTY.format(tag, kind)])
    if not ole.exists(path):
        return b""
    data = ole.openstream(path).read()
    return bytes(data) if len(data) <= MAX_UNPACKED else b""


def _property_text(ole: Any, at: list[str], tag: int, codepage: str) -> str:
    """A string property, stored as UTF-16 or in the message's code page."""
    unicode = _property_bytes(ole, at, tag, _UNICODE)
    if unicode:
        return unicode.decode("utf-16-le", "replace").rstrip("\x00")
    return _property_bytes(ole, at, tag, _EIGHT_BIT).decode(codepage, "replace").rstrip("\x00")


def _codepage(ole: Any, at: list[str]) -> str:
    """The code page of a message's 8-bit strings (PR_MESSAGE_CODEPAGE in its fixed-size
    properties: a 32-byte header at the top, 24 in an attached message, then 16-byte
    entries), Windows-1252 when it does not say."""
    import codecs

    path = "/".join([*at, "__properties_version1.0"])
    if not ole.exists(path):
        return "cp1252"
    raw = ole.openstream(path).read()
    for start in range(32 if not at else 24, len(raw) - 15, 16):
        tag, value = struct.unpack_from("<I4xI", raw, start)
        if tag == (_MESSAGE_CODEPAGE << 16) | 0x0003:
            name = {65001: "utf-8", 20127: "ascii", 28591: "latin-1"}.get(value, f"cp{value}")
            try:
                return codecs.lookup(name).name
            except LookupError:
                return "cp1252"
    return "cp1252"


def html_text(html: str) -> str:
    """The main text of a web page (its article, without menus and footers where they
    can be told apart; all of its text where they cannot)."""
    import trafilatura

    if not html.strip():
        return ""
    text = trafilatura.extract(html, include_comments=False, favor_recall=True)
    if text and len(text.split()) >= 8:
        return str(text)
    try:
        return " ".join(lxml.html.fromstring(html).text_content().split())
    except (lxml.etree.ParserError, ValueError):
        return html


def mhtml_page(data: bytes) -> tuple[str, list[np.ndarray]]:
    """A web page saved as one MIME file (.mhtml): its HTML, and the pictures saved
    with it (BGR; those too small to be a photo passed over)."""
    import email
    import email.policy

    message = email.message_from_bytes(data, policy=email.policy.default)
    page = ""
    pictures: list[np.ndarray] = []
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "text/html" and not page:
            raw = part.get_payload(decode=True)
            if isinstance(raw, bytes):
                page = raw.decode(part.get_content_charset() or "utf-8", "replace")
        elif kind.startswith("image/") and len(pictures) < MAX_EMBEDDED:
            raw = part.get_payload(decode=True)
            pixels = _picture(raw) if isinstance(raw, bytes) else None
            if pixels is not None:
                pictures.append(pixels)
    if not page:
        raise UsageError("the saved web page (.mhtml) holds no HTML page")
    return page, pictures


_DATA_URI = re.compile(r"^data:image/[a-z0-9.+-]+;base64,", re.IGNORECASE)


def html_images(html: str) -> list[np.ndarray]:
    """The pictures a saved web page carries inside itself (``<img src="data:…">``, as
    single-file savers write them; pictures it only links to are not fetched)."""
    import base64
    import binascii

    if "data:image" not in html:
        return []
    try:
        tree = lxml.html.fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return []
    out: list[np.ndarray] = []
    for src in tree.xpath("//img/@src"):
        if len(out) >= MAX_EMBEDDED or not _DATA_URI.match(str(src)):
            continue
        try:
            raw = base64.b64decode(str(src).split(",", 1)[1], validate=False)
        except (binascii.Error, ValueError):
            continue
        pixels = _picture(raw)
        if pixels is not None:
            out.append(pixels)
    return out


def pdf_text(data: bytes) -> str:
    """The text layer of a PDF ("" for a PDF without one: a scan); a clear error for a
    PDF that cannot be opened."""
    return "\n\n".join(p.strip() for p in pdf_page_texts(data) if p.strip())


def pdf_page_texts(data: bytes) -> list[str]:
    """The text layer of each page of a PDF (a page without one, a scan, gives "")."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UsageError(
                "the PDF is password-protected: open it with its password and save an "
                "unprotected copy, or trace a copy of its text"
            )
        pages = [page.extract_text() or "" for page in reader.pages]
    except UsageError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError) as err:
        raise UsageError(f"the PDF could not be read ({err}); trace a copy of its text") from None
    return pages


PDF_DPI = 150
PDF_PHOTO_DPI = 100  # for the pages looked at for photos only: a third of the pixels
PDF_MAX_PAGE_PIXELS = 20_000_000  # a poster-sized page is drawn at a lower resolution
MAX_UNPACKED = word.MAX_UNPACKED  # a Word document or an archive, unpacked (a ZIP bomb stops)


def pdf_pages(
    data: bytes, max_pages: int | None = None, read: int = PDF_MAX_PAGES
) -> list[np.ndarray]:
    """The first pages of a PDF as pictures (BGR), for a PDF with no text layer: a scan
    of a printed copy, or a page that only holds a photo. Pages past the first ``read``
    are drawn at PDF_PHOTO_DPI: they are looked at for photos, not read. By default the
    pages read are drawn and, past them, those up to the PDF_PHOTO_PAGES-th."""
    if max_pages is None:
        max_pages = max(read, PDF_PHOTO_PAGES)
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
        pages = []
        for i in range(min(len(pdf), max_pages)):
            width, height = pdf[i].get_size()  # in points, 1/72 inch
            fit = (
                0.999 * (PDF_MAX_PAGE_PIXELS / max(width * height, 1.0)) ** 0.5
            )  # pdfium rounds up
            dpi = PDF_DPI if i < read else PDF_PHOTO_DPI
            scale = min(dpi / 72, fit)
            bitmap = pdf[i].render(scale=scale)
            pages.append(np.ascontiguousarray(bitmap.to_numpy()[:, :, :3]))
    except pdfium.PdfiumError as err:
        raise UsageError(f"the PDF could not be drawn ({err}); trace a copy of its text") from None
    if not pages:
        raise UsageError("the PDF has no pages")
    return pages


def pdf_page_count(data: bytes) -> int:
    """How many pages a PDF has (0 when it cannot be read)."""
    import pypdfium2 as pdfium

    try:
        return len(pdfium.PdfDocument(data))
    except pdfium.PdfiumError:
        return 0


def docx_text(data: bytes) -> str:
    """The paragraphs and table cells of a Word document, in reading order (as the text
    of a report shared in Word is read: orcon.marks.text.word)."""
    return word.plain_text(data)


MAX_EMBEDDED = 8  # pictures taken out of a PDF or Word document and looked at as photos
MIN_EMBEDDED_SIDE = 96  # smaller pictures are logos, icons and rules, not shared photos
MAX_EMBEDDED_PIXELS = 40_000_000
MAX_EMBEDDED_BYTES = 40 * 2**20  # a picture's file inside a leak, before it is decoded


def _usable(pixels: np.ndarray | None) -> bool:
    if pixels is None or pixels.ndim not in (2, 3):
        return False
    h, w = pixels.shape[:2]
    return bool(min(h, w) >= MIN_EMBEDDED_SIDE and h * w <= MAX_EMBEDDED_PIXELS)


def _picture(data: bytes) -> np.ndarray | None:
    """An embedded picture's pixels (BGR, 8 bits), or None when it cannot be decoded or
    is too small to be a photo or too large to hold."""
    if not data or len(data) > MAX_EMBEDDED_BYTES or picture_format(data) is None:
        return None
    try:
        pixels = decode(data).pixels  # as a leak that is the picture itself would be read
    except UsageError:
        return None
    return pixels if _usable(pixels) else None


PAGE_SHAPED = 0.03  # a picture within 3 % of its page's proportions: a scan of the page


PDF_PICTURE_PAGES = 500  # pages of a PDF with a text layer whose pictures are looked at


def _declared_size(page: Any, key: str | list[str]) -> tuple[int | None, int, int] | None:
    """The picture behind one of a PDF page's image names, as its object number (None
    when it has none) and the width and height its dictionary declares, read without
    decoding it; None for an inline picture or one whose dictionary cannot be read."""
    from pypdf.generic import IndirectObject

    path = [key] if isinstance(key, str) else list(key)
    if not path or path[-1].startswith("~"):  # an inline picture: small by nature
        return None
    holder, ref, picture = page, None, None
    for name in path:
        resources = holder.get("/Resources")
        resources = resources.get_object() if resources is not None else None
        objects = resources.get("/XObject") if resources is not None else None
        if objects is None:
            return None
        objects = objects.get_object()
        ref = objects.raw_get(name)
        picture = holder = objects[name].get_object()
    if picture is None:
        return None
    number = ref.idnum if isinstance(ref, IndirectObject) else None
    return number, int(picture.get("/Width", 0)), int(picture.get("/Height", 0))


def _largest_pictures(reader: Any, max_pages: int) -> list[tuple[int, Any]]:
    """The MAX_EMBEDDED largest pictures on a PDF's first pages, as (page number, image
    name) in page order, by the sizes their dictionaries declare: each picture once
    however many pages show it, none the size of a logo or icon. A picture whose size
    cannot be read comes last but is not passed over."""
    from pypdf.errors import PyPdfError

    seen: set[int] = set()
    wanted: list[tuple[int, int, Any]] = []  # (area, page number, image name)
    for number, page in enumerate(reader.pages[:max_pages], start=1):
        for key in page.images.keys():  # noqa: SIM118 (iterating decodes every picture)
            try:
                declared = _declared_size(page, key)
            except (PyPdfError, KeyError, AttributeError, TypeError, ValueError):
                declared = None
            if declared is None:
                wanted.append((0, number, key))
                continue
            ref, width, height = declared
            if ref in seen:
                continue
            if ref is not None:
                seen.add(ref)
            if min(width, height) >= MIN_EMBEDDED_SIDE and width * height <= MAX_EMBEDDED_PIXELS:
                wanted.append((width * height, number, key))
    wanted.sort(key=lambda w: -w[0])
    return [(number, key) for _, number, key in sorted(wanted[:MAX_EMBEDDED], key=lambda w: w[1])]


def pdf_images(
    data: bytes, max_pages: int = PDF_PICTURE_PAGES
) -> list[tuple[int, np.ndarray, bool]]:
    """The pictures a PDF with a text layer holds (page number from 1, BGR pixels, and
    whether the picture has its page's proportions, as the scan under a searchable PDF's
    text does): a briefing pack printed with its evidence photo or a screenshot in it.

    Every page is looked at (up to ``max_pages``), but only the largest ``MAX_EMBEDDED``
    pictures are decoded, each once however many pages repeat it (a letterhead), and
    pictures whose declared size is that of a logo or icon are passed over unread.
    Pictures that cannot be decoded, or are too small to be a photo, or too large to
    hold, are passed over: the PDF's text is still traced."""
    from PIL import Image
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    out: list[tuple[int, np.ndarray, bool]] = []
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            return []
        for number, key in _largest_pictures(reader, max_pages):
            page = reader.pages[number - 1]
            box = page.mediabox
            shape = float(box.width) / max(float(box.height), 1.0)
            try:
                pil = page.images[key].image
                if pil is None or pil.width * pil.height > MAX_EMBEDDED_PIXELS:
                    continue
                rgb = np.asarray(pil.convert("RGB"))
            except (
                OSError,
                ValueError,
                KeyError,
                TypeError,
                NotImplementedError,
                PyPdfError,
                Image.DecompressionBombError,
            ):
                continue
            if _usable(rgb):
                own = rgb.shape[1] / rgb.shape[0]
                paged = any(abs(own - r) <= PAGE_SHAPED * r for r in (shape, 1 / shape))
                out.append((number, np.ascontiguousarray(rgb[:, :, ::-1]), paged))
    except (PyPdfError, OSError, ValueError, KeyError, TypeError):
        return out
    return out


_PICTURE_PART = re.compile(
    r"^word/media/[^/]+\.(?:png|jpe?g|gif|bmp|tiff?|webp|avif|hei[cf])$", re.IGNORECASE
)


def _natural(name: str) -> list[int | str]:
    """image2.png before image10.png."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def docx_images(data: bytes) -> list[np.ndarray]:
    """The pictures inserted in a Word document (BGR), in the order of their parts."""
    out: list[np.ndarray] = []
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        for part in sorted(archive.infolist(), key=lambda p: _natural(p.filename)):
            if len(out) >= MAX_EMBEDDED or not _PICTURE_PART.match(part.filename):
                continue
            pixels = _picture(archive.read(part))
            if pixels is not None:
                out.append(pixels)
    except (zipfile.BadZipFile, OSError, ValueError, cv2.error):
        return out
    return out
