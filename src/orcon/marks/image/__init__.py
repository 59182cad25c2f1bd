"""Image fingerprints: embed a binary codeword invisibly, read it back from a damaged leak.

See docs/marks-image.md for what survives and what does not.
"""

from orcon.marks.image.codec import ImageFormat, decode, encode
from orcon.marks.image.embedder import Embedder, embed, embed_pixels
from orcon.marks.image.layout import Layout, make_layout, minimum_size
from orcon.marks.image.reader import ImageReading, read, read_pixels
from orcon.marks.image.registration import Registration, register

__all__ = [
    "Embedder",
    "ImageFormat",
    "ImageReading",
    "Layout",
    "Registration",
    "decode",
    "embed",
    "embed_pixels",
    "encode",
    "make_layout",
    "minimum_size",
    "read",
    "read_pixels",
    "register",
]
