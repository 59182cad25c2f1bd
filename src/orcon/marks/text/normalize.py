"""Text normalisation shared by the embedder and the reader.

Leaks are retyped, re-wrapped, ASCII-folded and lower-cased by copy desks; the
reader compares *normalised tokens*: lower case, accents removed (NFKD),
typographic quotes and dashes made plain, zero-width characters dropped.
Commas and per-cent signs are kept as tokens because some alternations are
punctuation.
"""

from __future__ import annotations

import re
import unicodedata

_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?|\d+(?:[.:/]\d+)*|[,%]")
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
_PLAIN = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u00a0": " ",
    }
)


def fold(text: str) -> str:
    text = text.translate(_ZERO_WIDTH).translate(_PLAIN)
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower()


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(fold(text))


def token_spans(text: str) -> list[tuple[str, int, int]]:
    """Tokens of ``text`` (already NFC, unfolded) with their character spans in ``text``."""
    out = []
    for m in re.finditer(
        r"[A-Za-z\u00c0-\u024f]+(?:['\u2019][A-Za-z]+)?|\d+(?:[.:/]\d+)*|[,%]", text
    ):
        out.append((fold(m.group()).replace("\u2019", "'"), m.start(), m.end()))
    return out


def within_one_edit(a: str, b: str) -> bool:
    """True when a and b differ by at most one insertion, deletion or substitution."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la > lb:
        a, b, la, lb = b, a, lb, la
    i = 0
    while i < la and a[i] == b[i]:
        i += 1
    if la == lb:
        return a[i + 1 :] == b[i + 1 :]
    return a[i:] == b[i + 1 :]
