"""The evidence report of a trace: what a sceptical reviewer needs to see, in one HTML file.

Sections: the verdict in words; the leak beside the original with the
registration outline and the map of fingerprint cells that survived (photos),
or the leak as received and the original sentence by sentence with every
wording read or lost (text reports); every
recipient's score against the accusation threshold; each accused person's
ledger receipt (event, inclusion proof, signed checkpoint — checked here before
it is printed); the method and its parameters. A ``.pdf`` path renders the
same page with headless Chromium.
"""

from __future__ import annotations

import base64
import html
import json
import math
import shutil
import subprocess
import tempfile
from pathlib import Path

import cv2
import numpy as np
from sqlalchemy import select

from orcon import __version__
from orcon.codes.accuse import decoder_model, decoder_shares, side_coalition
from orcon.codes.exact import exact_threshold
from orcon.codes.scores import Decoder
from orcon.codes.tail import chernoff_threshold
from orcon.errors import UsageError
from orcon.marks.image import decode
from orcon.marks.image.reader import ImageReading
from orcon.marks.text import Document as TextDocument
from orcon.marks.text import TextReading
from orcon.match.leaks import leak_text
from orcon.service.instance import Instance
from orcon.service.receipts import receipt, verify_receipt
from orcon.service.sharing import get_item, item_code, text_document
from orcon.service.tracing import TraceResult
from orcon.store.blobs import atomic_write
from orcon.store.models import Item, Person, Recipient

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def chance_in_text(p: float) -> str:
    """Plain-text version for pages and terminals: 'below 1 in 10¹⁴⁰'."""
    if p <= 0:
        return "zero: no innocent recipient's codeword can score this high"
    k = math.floor(-math.log10(p))
    return f"{p:.2g}" if k < 1 else f"below 1 in 10{str(k).translate(_SUPERSCRIPT)}"


def chance_in_words(p: float) -> str:
    if p <= 0:
        return "no innocent recipient's codeword can score this high"
    k = math.floor(-math.log10(p))
    if k < 1:
        return f"the chance that an innocent recipient scores this high is {p:.2g}"
    return f"the chance that an innocent recipient scores this high is below 1 in 10<sup>{k}</sup>"


def _thumb(img: np.ndarray, width: int = 560) -> tuple[np.ndarray, float]:
    h, w = img.shape[:2]
    f = min(1.0, width / w)
    return cv2.resize(img, (round(w * f), round(h * f)), interpolation=cv2.INTER_AREA), f


def _data_uri(img: np.ndarray) -> str:
    _, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return "data:image/jpeg;base64," + base64.b64encode(buf.tobytes()).decode()


def _score_plot(scores: list[tuple[str, float, bool]], threshold: float) -> str:
    """An SVG dot plot: one dot per recipient, accused in red, the threshold as a dashed line."""
    w, h, pad = 640, 260, 40
    vals = [s for _, s, _ in scores] + [threshold]
    lo, hi = min(vals), max(vals)
    span = (hi - lo) or 1.0

    def y(v: float) -> float:
        return h - pad - (v - lo) / span * (h - 2 * pad)

    dots = []
    for i, (who, s, bad) in enumerate(sorted(scores, key=lambda t: t[1])):
        x = pad + (i + 0.5) * (w - 2 * pad) / max(len(scores), 1)
        dots.append(
            f'<circle cx="{x:.1f}" cy="{y(s):.1f}" r="4" fill="{"#c0392b" if bad else "#34495e"}">'
            f"<title>{html.escape(who)}: {s:.1f}</title></circle>"
        )
    ty = y(threshold)
    return (
        f'<svg viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
        f'aria-label="Scores of all recipients with the accusation threshold">'
        f'<line x1="{pad}" y1="{ty:.1f}" x2="{w - pad}" y2="{ty:.1f}" '
        'stroke="#c0392b" stroke-dasharray="6 4"/>'
        f'<text x="{w - pad}" y="{ty - 6:.1f}" text-anchor="end" font-size="12" fill="#c0392b">'
        f"accusation threshold {threshold:.1f}</text>"
        f'<line x1="{pad}" y1="{h - pad}" x2="{w - pad}" y2="{h - pad}" stroke="#999"/>'
        f'<text x="{pad}" y="{h - 12}" font-size="12">recipients, by score</text>'
        + "".join(dots)
        + "</svg>"
    )


def _image_parts(original: np.ndarray, leak: np.ndarray, result: TraceResult) -> list[str]:
    reading = result.reading if isinstance(result.reading, ImageReading) else None
    thumb, f = _thumb(original)
    overlay = thumb.copy()
    if reading is not None:
        lh, lw = leak.shape[:2]
        corners = np.array([[0, 0], [lw, 0], [lw, lh], [0, lh]], np.float32).reshape(-1, 1, 2)
        poly = cv2.perspectiveTransform(corners, reading.registration.homography) * f
        cv2.polylines(overlay, [poly.astype(np.int32)], True, (43, 57, 192), 3)
        grid = reading.valid_cells.astype(np.uint8)
        cells = cv2.resize(grid, (thumb.shape[1], thumb.shape[0]), interpolation=cv2.INTER_NEAREST)
        tint = thumb.copy()
        tint[cells == 1] = (0.5 * tint[cells == 1] + [0, 90, 0]).astype(np.uint8)
        tint[cells == 0] = (0.35 * tint[cells == 0]).astype(np.uint8)
    else:
        tint = thumb
    where = ""
    if result.leak_context is not None and result.leak_box is not None:
        page, g = _thumb(result.leak_context)
        x0, y0, x1, y1 = (round(v * g) for v in result.leak_box)
        page = page.copy()
        cv2.rectangle(page, (x0, y0), (x1, y1), (43, 57, 192), 3)
        where = (
            '<h2>Where in the leak</h2><figure><img src="'
            f'{_data_uri(page)}" alt="The whole leaked picture, the shared photo outlined">'
            "<figcaption>The whole picture as received; the red box is the part that holds "
            "the shared photo, which was cut out and read on its own (below).</figcaption>"
            "</figure>"
        )
    return [
        where + '<h2>The leak and the original</h2><div class="row">'
        f'<figure><img src="{_data_uri(_thumb(leak)[0])}" alt="The leaked image as received">'
        "<figcaption>The leak, as received.</figcaption></figure>"
        f'<figure><img src="{_data_uri(overlay)}" alt="The original with the leak outlined">'
        "<figcaption>The original; the red outline is where the leak was found "
        "(registration).</figcaption></figure></div>"
        f'<h2>Which fingerprint cells survived</h2><figure><img src="{_data_uri(tint)}" '
        'alt="Map of fingerprint cells: green were read, dark were lost">'
        f"<figcaption>Green cells were read; dark cells were cropped away or covered. "
        f"{result.read} code symbols read, {result.erased} lost.</figcaption></figure>"
    ]


def _picture_part(leak: np.ndarray) -> str:
    """A picture of text (a screenshot), shown above the words OCR read from it."""
    return (
        "<h2>The leak, a picture of text</h2>"
        f'<figure><img src="{_data_uri(_thumb(leak)[0])}" alt="The leaked picture as received">'
        "<figcaption>The leak as received. The text below was read from it by OCR; a "
        "misread word or comma can only lower the leaker's match.</figcaption></figure>"
    )


def _text_parts(doc: TextDocument, leak: str, result: TraceResult) -> list[str]:
    """The leak as received, and the original sentence by sentence with every wording
    site marked read (and which wording) or lost."""
    reading = result.reading if isinstance(result.reading, TextReading) else None
    erased = reading.observation.erased if reading is not None else np.ones(doc.symbols, bool)
    lik = reading.observation.likelihoods if reading is not None else np.ones((doc.symbols, 2))
    marked: dict[int, list[tuple[int, int, str]]] = {}
    read_sentences: set[int] = set()
    j = 0
    for site in doc.sites:
        at, j = j, j + site.bits
        if erased[at]:
            shown = f'<span class="lost">[{html.escape(" | ".join(site.forms))}]</span>'
        else:
            value = sum(int(lik[at + b, 1] > lik[at + b, 0]) << b for b in range(site.bits))
            shown = f'<span class="read">{html.escape(site.forms[value]) or "∅"}</span>'
            read_sentences.add(site.sentence)
        marked.setdefault(site.sentence, []).append((site.start, site.end, shown))
    rows = []
    for si, sent in enumerate(doc.sentences):
        pieces, pos = [], sent.start
        found = si in read_sentences
        for a, b, shown in marked.get(si, []):
            pieces.append(html.escape(doc.source[pos:a]))
            pieces.append(shown)
            pos = b
        pieces.append(html.escape(doc.source[pos : sent.end]))
        rows.append(f'<li class="{"found" if found else "absent"}">{"".join(pieces)}</li>')
    fragile = reading.fragile_read if reading is not None else 0
    shown_leak = leak if len(leak) <= 6000 else leak[:6000] + " …"
    heading = {
        "picture of text": "The text read from the picture",
        "scanned pdf": "The text read from the PDF's pages",
        "docx": "The text of the leaked Word document",
        "pdf": "The text of the leaked PDF",
        "html": "The main text of the leaked web page",
        "mhtml": "The main text of the leaked web page",
    }.get(result.leak_format, "The leak as received")
    return [
        f"<h2>{heading}</h2>"
        f'<pre class="leak">{html.escape(shown_leak)}</pre>'
        "<h2>Which sentences and wordings survived</h2>"
        "<p>The original, sentence by sentence. Green: a wording read in the leak, as "
        "it appears there; grey: a wording site the leak does not contain (all its "
        "alternatives shown). Sentences with nothing read are dimmed. "
        f"{result.read} code symbols read ({fragile} of them invisible marks of a verbatim "
        f"copy), {result.erased} lost.</p>"
        f'<ol class="sentences">{"".join(rows)}</ol>'
    ]


_SIDE_NOTE = (
    "<p>The side-informed decoder scores each recipient as if the {k} recipient(s) ranked "
    "highest by the log-likelihood score, other than that recipient, had made the leak "
    "with them. It accuses no one for being ranked: the chance that an innocent scores as "
    "high is computed from that recipient's own copy alone, which the choice never looks "
    "at, so it holds whoever the others are. The line is drawn for recipients outside "
    "the top ranks; those inside are scored with the others of the top ranks as "
    "their side.</p>"
)


def build_report(inst: Instance, result: TraceResult, leak_bytes: bytes) -> str:
    """The evidence report: the verdict, the leak beside the original, the score plot, the
    ledger receipts and the method, then the same for every other shared item the leak
    held (a PDF's photo beside its text), each in its own section."""
    markings, head, body, method = _section(inst, result, leak_bytes)
    also = []
    for other in result.others:
        o_markings, o_head, o_body, o_method = _section(inst, other, leak_bytes)
        also.append(
            f"<section><h2>Also in this leak: item {html.escape(other.item or '-')}</h2>"
            f"<p class='mark'>{html.escape(o_markings)}</p>"
            + _demote(o_head + o_body + o_method)
            + "</section>"
        )
    style = (
        "body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;color:#222}"
        ".row{display:flex;gap:1em;flex-wrap:wrap}figure{margin:0}img{max-width:560px}"
        "pre{white-space:pre-wrap;word-break:break-all;background:#f4f4f4;padding:1em;font-size:12px}"
        ".mark{font-weight:bold;color:#a04000}th{text-align:left;padding-right:1em}"
        ".read{background:#cdeccd;font-weight:bold}.lost{color:#595959}"
        ".sentences li.absent{color:#636363;font-style:italic}.leak{font-size:13px}"
        "section{border-top:3px solid #444;margin-top:2em}"
    )
    several = (
        f"<p>The leak holds {len(result.others) + 1} shared items; each is traced on its own "
        "below, with its own bound.</p>"
        if result.others
        else ""
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<title>orcon evidence report</title>"
        f"<style>{style}</style></head><body>"
        f"<h1>orcon evidence report</h1><p class='mark'>{html.escape(markings)}</p>"
        f"{several}{head}{body}{method}{''.join(also)}</body></html>"
    )


def _demote(page: str) -> str:
    """A section's headings one level down, under its own h2."""
    return page.replace("<h2>", "<h3>").replace("</h2>", "</h3>")


def _section(inst: Instance, result: TraceResult, leak_bytes: bytes) -> tuple[str, str, str, str]:
    """(the item's markings, the verdict, the evidence, the method) of one traced item."""
    parts: list[str] = []
    title = "no shared item"
    markings = ""
    item_kind = "photo"
    code_text = "-"
    if result.item is not None:
        with inst.reading() as s:
            item = s.get(Item, result.item)
            assert item is not None
            recips = s.execute(
                select(Recipient.code_index, Person.email, Recipient.ledger_seq)
                .join(Person, Person.id == Recipient.person_id)
                .where(Recipient.item_id == item.id)
            ).all()
            code = item_code(inst, item)
            item_kind = item.kind
            code_text = (
                f"{code.spec.length} binary symbols, coalitions up to {code.spec.c}, "
                f"biases: {'uniform' if code.uniform else code.spec.bias}"
            )
            if item.kind == "photo":
                original = decode(inst.blobs.get(item.id, item.wrapped_key)).pixels
                pixels = result.leak_picture
                if pixels is None:
                    pixels = decode(leak_bytes).pixels
                parts += _image_parts(original, pixels, result)
            else:
                doc = text_document(inst, item)
                words = result.leak_text
                if result.leak_picture is not None:
                    parts.append(_picture_part(result.leak_picture))
                parts += _text_parts(doc, leak_text(leak_bytes) if words is None else words, result)
        info = get_item(inst, item.id)
        title, markings = info.title, info.markings
        reading = result.reading
        if reading is not None and recips:
            decs = [Decoder(d) for d in result.decoders] or [Decoder.SYMMETRIC]
            share = dict(zip(decs, decoder_shares(decs), strict=True))
            # The accused's decoder, or else the one that came closest.
            best = (result.accused or result.candidates)[:1]
            dec = Decoder(best[0].decoder) if best else max(decs, key=lambda d: share[d])
            obs, c = reading.observation, code.spec.c
            model = decoder_model(code, obs, dec, c, result.ranked)
            who = {int(i): e for i, e, _ in recips}
            idx = sorted(who)
            # The side-informed decoder scores its top-ranked recipients with their own models.
            own = (
                set(result.ranked[: side_coalition(c) - 1])
                if dec is Decoder.SIDE_INFORMED
                else set()
            )
            scores = [
                float(
                    (
                        decoder_model(code, obs, dec, c, result.ranked, i) if i in own else model
                    ).scores(code.codeword(i))[0]
                )
                for i in idx
            ]
            n = len(idx)
            alpha = result.false_accusation_bound / n * share.get(dec, 1.0 / len(decs))
            tau = exact_threshold(model.table, model.law, alpha)
            if tau is None:
                tau = chernoff_threshold(model.table, model.law, alpha)
            accused = {a.person for a in result.accused}
            plot = _score_plot(
                [(who[i], sc, who[i] in accused) for i, sc in zip(idx, scores, strict=True)], tau
            )
            parts.append(
                f"<h2>Every recipient's score ({dec.value} decoder)</h2>{plot}"
                "<p>A recipient is accused only above the dashed line, where the chance "
                "that an innocent scores as high is at most ε/n.</p>"
                + (
                    _SIDE_NOTE.format(k=side_coalition(c) - 1)
                    if dec is Decoder.SIDE_INFORMED
                    else ""
                )
            )
        for a in result.accused:
            seq = next(int(q) for i, e, q in recips if e == a.person)
            rec = receipt(inst, seq)
            cp = verify_receipt(rec, inst.verifier.vkey)
            parts.append(
                f"<h2>Ledger receipt: copy issued to {html.escape(a.person)}</h2>"
                f"<p>Verified here against the signed checkpoint of size {cp.size} "
                f"(root {cp.root.hex()[:16]}…). "
                "Anyone with the verifier key can re-check it offline.</p>"
                f"<pre>{html.escape(json.dumps(rec, indent=1))}</pre>"
            )
    verdict_rows = (
        "".join(
            f"<li><strong>{html.escape(a.person)}</strong> ({html.escape(a.org)}): "
            f"{chance_in_words(a.p_value)} (p = {a.p_value:.2e}).</li>"
            for a in result.accused
        )
        or "<li>Nobody is accused.</li>"
    )
    notes = "".join(f"<p class='note'>{html.escape(n)}</p>" for n in result.notes)
    head = (
        f"<p><strong>Verdict: {result.verdict}</strong> — item {html.escape(result.item or '-')} "
        f"({html.escape(title)}).</p><ul>{verdict_rows}</ul>{notes}"
        f"<p>False-accusation bound: the chance that <em>any</em> innocent recipient is accused is "
        f"at most {result.false_accusation_bound:g} "
        f"for all {result.population} recipients together.</p>"
    )
    method = result.reading
    decoders = result.decoders or ("symmetric", "log-likelihood", "adaptive")
    params: dict[str, object] = {
        "software": f"orcon {__version__}",
        "instance": inst.origin,
        "trace ledger entry": result.ledger_seq,
        "epsilon": result.false_accusation_bound,
        "recipients scored": result.population,
        "symbols read": result.read,
        "symbols erased": result.erased,
    }
    if isinstance(method, ImageReading):
        params["registration"] = (
            f"{method.registration.method}, {method.registration.inliers} inliers, "
            f"flipped={method.registration.flipped}"
        )
        params["measured mark SNR"] = round(method.snr, 2)
    elif isinstance(method, TextReading):
        params["reader"] = (
            "informed wording reader: each site looked for in its own context "
            "(three words each side, one typo tolerated per long word); "
            f"{method.sentences_found} of {method.sentences_total} sentences found; "
            f"{method.fragile_read} invisible marks read"
        )
    params["item kind"] = item_kind
    params["code"] = code_text
    params["decoders"] = ", ".join(decoders)
    used = [Decoder(d) for d in decoders]
    split = ", ".join(f"{d.value} {s:.3g}" for d, s in zip(used, decoder_shares(used), strict=True))
    params["accusation rule"] = (
        "chance that an innocent scores as high: summed exactly where the read symbols "
        "fall into at most three classes, else a Berry–Esseen-refined Chernoff bound; "
        f"p ≤ ε/n, ε shared among the decoders (weighted Bonferroni: {split})"
    )
    rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
        for k, v in params.items()
    )
    method_table = f"<h2>Method and parameters</h2><table>{rows}</table>"
    return markings, head, "".join(parts), method_table


REPORT_SUFFIXES = (".html", ".htm", ".pdf")


def check_report_target(out: Path) -> None:
    """Refuse a report that could not be written before the trace is run (and logged),
    so a mistyped name or a missing renderer does not cost the analyst the verdict."""
    if out.is_dir():
        raise UsageError(f"{out} is a folder: give the report a file name")
    if out.suffix.lower() not in REPORT_SUFFIXES:
        raise UsageError(
            "the evidence report is written as HTML or PDF: give it a name ending in "
            f".html or .pdf (not {out.name!r})"
        )
    if out.suffix.lower() == ".pdf":
        _chromium()


def _chromium() -> str:
    browser = (
        shutil.which("chromium")
        or shutil.which("chromium-browser")
        or shutil.which("google-chrome")
    )
    if browser is None:
        raise UsageError(
            "a PDF report needs Chromium (apt-get install chromium); write .html instead"
        )
    return browser


def write_report(inst: Instance, result: TraceResult, leak_bytes: bytes, out: Path) -> None:
    check_report_target(out)
    page = build_report(inst, result, leak_bytes)
    if out.suffix.lower() != ".pdf":
        atomic_write(out, page.encode(), mode=0o600)
        return
    browser = _chromium()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "report.html"
        src.write_text(page)
        target = Path(tmp) / "report.pdf"
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                f"--user-data-dir={tmp}/profile",
                f"--print-to-pdf={target}",
                src.as_uri(),
            ],
            check=False,
            capture_output=True,
            timeout=120,
        )
        if not target.exists():
            raise UsageError("Chromium could not render the PDF report")
        atomic_write(out, target.read_bytes(), mode=0o600)
