"""Text fingerprints: each recipient's copy words some sentences differently.

See docs/marks-text.md for what survives (retyping, partial quotes, typos) and
what does not.
"""

from orcon.marks.text.document import (
    Document,
    Site,
    from_model,
    parse,
    plain_source,
    render,
    to_model,
)
from orcon.marks.text.reader import TextReading, read_text

__all__ = [
    "Document",
    "Site",
    "TextReading",
    "decode_text",
    "from_model",
    "parse",
    "plain_source",
    "read_text",
    "render",
    "to_model",
]


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM) text, or a clear error."""
    from orcon.errors import UsageError

    if b"\x00" in data[:4096]:
        raise UsageError(
            "unsupported encoding: text reports must be UTF-8 (this looks like UTF-16 or binary)"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise UsageError(
            f"unsupported encoding: text reports must be UTF-8 (invalid byte at {err.start})"
        ) from None
