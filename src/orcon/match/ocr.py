"""Reading a picture of text: a screenshot, a scanned page, a photo of a screen.

RapidOCR's PP-OCR models (they ship inside the rapidocr-onnxruntime package;
nothing is downloaded) find and read lines; this module puts the lines in
reading order (columns too), scales them to the height the recogniser reads
best, and puts back the spaces it drops between words, so the text can be
matched and its wording read like any other leak of a report.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import cv2
import numpy as np

from orcon.errors import UsageError

OCR_MIN_WORDS = 8  # fewer words read from a picture: it is a photo, not a picture of text
OCR_MIN_LINES = 3  # fewer lines of text found: not read at all (the leak watch's photos)
OCR_LINE_PX = 56  # height of a found line of text the recogniser reads best at
OCR_MAX_SCALE = 4.0
OCR_MIN_SCORE = 0.5  # a line read with less confidence is left out (RapidOCR's default)
COLUMN_GAP = 0.02  # an empty vertical strip this share of the text's width parts columns
SPANNING = 0.6  # a line wider than this share of the text's width spans the columns


def reading_order(boxes: list[np.ndarray]) -> list[np.ndarray]:
    """Lines of text (four corners each) in reading order: column by column where the
    page has columns, which a plain top-to-bottom order would interleave.

    Columns are the runs of x that narrow lines cover, parted by empty strips; a line
    that spans them (a headline, a caption) parts the page into bands read one after
    another, each band column by column (an XY cut, one level deep)."""
    if not boxes:
        return []
    x0 = np.array([b[:, 0].min() for b in boxes])
    x1 = np.array([b[:, 0].max() for b in boxes])
    yc = np.array([b[:, 1].mean() for b in boxes])
    left, width = float(x0.min()), max(float(x1.max() - x0.min()), 1.0)
    wide = (x1 - x0) > SPANNING * width
    covered = np.zeros(int(width) + 2, bool)
    for a, b in zip(x0[~wide] - left, x1[~wide] - left, strict=True):
        covered[int(a) : int(b) + 1] = True
    # Empty strips between covered ones (not the margins) wide enough to part columns.
    edges = np.diff(np.concatenate(([0], (~covered).astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    gap = max(8.0, COLUMN_GAP * width)
    cuts = [
        left + (a + b) / 2
        for a, b in zip(starts, ends, strict=True)
        if a > 0 and b < len(covered) and b - a >= gap
    ]
    wide_y = np.sort(yc[wide])
    keys = []
    for i in range(len(boxes)):
        above = int(np.searchsorted(wide_y, yc[i], side="left"))
        band = above + 0.5 if wide[i] else float(above)  # a spanning line ends its band
        column = 0 if wide[i] else sum(1 for c in cuts if (x0[i] + x1[i]) / 2 > c)
        keys.append((band, column, float(yc[i]), float(x0[i])))
    return [boxes[i] for i in sorted(range(len(boxes)), key=keys.__getitem__)]


@lru_cache(maxsize=1)
def _ocr_engine() -> Any:
    try:
        from rapidocr_onnxruntime import RapidOCR
    except ImportError:
        return None
    return RapidOCR()


def ocr_available() -> bool:
    return _ocr_engine() is not None


def _engine_or_error() -> Any:
    engine = _ocr_engine()
    if engine is None:
        raise UsageError(
            "reading text from a picture needs rapidocr-onnxruntime "
            "(pip install --no-deps 'rapidocr-onnxruntime>=1.4,<2'; `make install` does it)"
        )
    return engine


def text_lines(pixels: np.ndarray) -> list[np.ndarray]:
    """The lines of text OCR's detector finds in a picture (four corners each, float32)."""
    boxes, _ = _engine_or_error()(np.ascontiguousarray(pixels), use_cls=False, use_rec=False)
    return [] if boxes is None else [np.asarray(b, np.float32) for b in boxes]


def picture_text(pixels: np.ndarray, lines: list[np.ndarray] | None = None) -> str:
    """The words in a picture of text, line by line in reading order ("" when it holds
    fewer than a handful: a photo). Lines are read upright only: a page photographed
    upside down is not a leak orcon reads. ``lines``: what :func:`text_lines` found, if
    it was already asked."""
    engine = _engine_or_error()
    pixels = np.ascontiguousarray(pixels)
    boxes = text_lines(pixels) if lines is None else lines
    if len(boxes) < OCR_MIN_LINES:  # a photo, perhaps with a caption
        return ""
    # The recogniser drops the spaces of small type ("officerswerecalled"): each line is
    # cut from the full picture and brought to about OCR_LINE_PX high first
    # (bench/ocr_screenshots.py measured it); the detector itself saw the picture at
    # most 2,000 pixels on a side.
    crops = []
    for box in reading_order(boxes):
        pts = box
        w = float(max(np.linalg.norm(pts[0] - pts[1]), np.linalg.norm(pts[2] - pts[3])))
        h = float(max(np.linalg.norm(pts[0] - pts[3]), np.linalg.norm(pts[1] - pts[2])))
        if h < 4 or w < h:  # specks, and vertical text (not read)
            continue
        scale = min(OCR_MAX_SCALE, max(1.0, OCR_LINE_PX / h))
        size = (round(w * scale), round(h * scale))
        target = np.array(
            [[0, 0], [size[0], 0], [size[0], size[1]], [0, size[1]]], dtype=np.float32
        )
        warp = cv2.getPerspectiveTransform(pts, target)
        crops.append(
            cv2.warpPerspective(
                pixels, warp, size, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
            )
        )
    if not crops:
        return ""
    read, _ = engine.text_rec(crops)
    lines_read = [str(t) for t, score in read if str(t).strip() and score >= OCR_MIN_SCORE]
    text = "\n".join(lines_read)
    return text if len(text.split()) >= OCR_MIN_WORDS else ""


MIN_FIGURE_SIDE = 96  # what is left of a page without its text, smaller than this, is no photo


def figure_region(pixels: np.ndarray, lines: list[np.ndarray]) -> tuple[int, int, int, int] | None:
    """Where a picture holds something other than its text (x0, y0, x1, y1): on a page
    with a photo printed beside the text, the photo. Small in a large page, a photo
    gets few of the local features a whole page is searched with (the type's corners
    take them), so it is looked for again there. None when nothing but text and
    background is left."""
    h, w = pixels.shape[:2]
    gray = pixels if pixels.ndim == 2 else cv2.cvtColor(pixels, cv2.COLOR_BGR2GRAY)
    rim = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]]).astype(np.int16)
    background = int(np.median(rim))
    if np.mean(np.abs(rim - background) <= 10) < 0.9:  # no page around it: a photo
        return None
    marked = (np.abs(gray.astype(np.int16) - background) > 24).astype(np.uint8)
    for box in lines:
        cv2.fillConvexPoly(marked, np.round(box).astype(np.int32), 0)
    ys, xs = np.nonzero(cv2.morphologyEx(marked, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8)))
    if len(xs) < MIN_FIGURE_SIDE**2 // 4:
        return None
    x0, x1 = np.percentile(xs, [0.5, 99.5]).astype(int)
    y0, y1 = np.percentile(ys, [0.5, 99.5]).astype(int)
    if min(x1 - x0, y1 - y0) < MIN_FIGURE_SIDE or (x1 - x0) * (y1 - y0) > 0.9 * h * w:
        return None
    return int(x0), int(y0), int(x1) + 1, int(y1) + 1


# Space recovery for OCR'd small type: "Atapproximately21:40on14March2026,officers".
_PIECE = re.compile(r"[A-Za-z\u00c0-\u024f]+(?:['\u2019][A-Za-z]+)*|\d+(?:[.:,/]\d+)*|\S")
_ATTACH_LEFT = frozenset(",.;:!?)%\u201d\"'")  # written against the word before
_ATTACH_RIGHT = frozenset("(\u201c£$€")  # written against the word after
_UNKNOWN_LETTER = 25.0  # the cost of a letter no vocabulary word explains
_LONGEST_WORD = 24


def _split_run(run: str, cost: dict[str, float], unknown_word: float) -> list[str]:
    """The cheapest split of a run of letters into words: vocabulary words at their cost,
    any other piece (a misread word, a name) at ``unknown_word`` plus two per letter. Inside
    a quote of a shared text every word is in the vocabulary but the misread ones, so
    splitting generously costs nothing there; words of the surrounding article that
    split wrongly are words the reader never looks for."""
    n = len(run)
    low = run.lower()
    best = [0.0] + [float("inf")] * n
    back = [0] * (n + 1)
    for j in range(1, n + 1):
        starts = [*range(max(0, j - _LONGEST_WORD), j), *([0] if j > _LONGEST_WORD else [])]
        for i in starts:
            c = cost.get(low[i:j])
            if c is None:
                c = _UNKNOWN_LETTER if j - i == 1 else unknown_word + 2 * (j - i)
            if best[i] + c < best[j]:
                best[j], back[j] = best[i] + c, i
    out, j = [], n
    while j > 0:
        out.append(run[back[j] : j])
        j = back[j]
    return out[::-1]


def word_costs(counts: dict[str, int]) -> dict[str, float]:
    """-log p of each word of a vocabulary (from counts), for :func:`respace`."""
    import math

    total = sum(counts.values()) + len(counts)
    return {w: math.log(total / (c + 1)) for w, c in counts.items()}


def respace(text: str, cost: dict[str, float], unknown_word: float = 4.0) -> str:
    """Put back the spaces OCR lost, using the words of the texts it may come from.

    A token the vocabulary knows stays as it is; a longer run of letters becomes the
    cheapest sequence of vocabulary words (by their frequency), or stays whole where no
    such sequence is cheaper than one unknown word. Digits and punctuation are split
    off and written as usual ("2026," then a space, "e-mail" joined)."""
    out_lines = []
    for line in text.splitlines():
        words: list[str] = []
        for chunk in line.split():
            bare = chunk.strip(",.;:!?()\"'").lower()
            if bare in cost or len(bare) < 5:
                words.append(chunk)
                continue
            pieces: list[str] = []
            for m in _PIECE.finditer(chunk):
                p = m.group()
                if p[0].isalpha() and p.lower() not in cost:
                    pieces.extend(_split_run(p, cost, unknown_word))
                else:
                    pieces.append(p)
            rebuilt = ""
            for k, p in enumerate(pieces):
                glue = k == 0 or p in _ATTACH_LEFT or p == "-" or pieces[k - 1] == "-"
                glue = glue or pieces[k - 1] in _ATTACH_RIGHT
                rebuilt += p if glue else " " + p
            words.append(rebuilt)
        out_lines.append(" ".join(words))
    return "\n".join(out_lines)
