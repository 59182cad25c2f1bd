"""C2SP tlog-checkpoint bodies (https://c2sp.org/tlog-checkpoint).

    <origin>\\n<tree size, decimal>\\n<base64 root hash>\\n[extension lines]

Parse, don't validate: :meth:`Checkpoint.from_text` accepts only the canonical
encoding (no leading zeros, exact base64 of 32 bytes, non-empty lines), so
``from_text(c.to_text()) == c`` and ``from_text(t).to_text() == t`` byte for byte.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from orcon.errors import VerificationError
from orcon.ledger.merkle import HASH_SIZE

_SIZE = re.compile(r"0|[1-9][0-9]{0,19}")


@dataclass(frozen=True, slots=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise VerificationError("checkpoint origin must be one non-empty line")
        if not 0 <= self.size < 2**64:
            raise VerificationError(f"checkpoint size {self.size} is out of range")
        if len(self.root) != HASH_SIZE:
            raise VerificationError("checkpoint root must be 32 bytes")
        if any(not e or "\n" in e for e in self.extensions):
            raise VerificationError("checkpoint extension lines must be non-empty single lines")

    def to_text(self) -> str:
        lines = [
            self.origin,
            str(self.size),
            base64.b64encode(self.root).decode(),
            *self.extensions,
        ]
        return "\n".join(lines) + "\n"

    @classmethod
    def from_text(cls, text: str) -> Checkpoint:
        if not text.endswith("\n"):
            raise VerificationError("checkpoint must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise VerificationError("checkpoint needs origin, size and root lines")
        origin, size, root, *ext = lines
        if not _SIZE.fullmatch(size):
            raise VerificationError(f"checkpoint size {size!r} is not canonical decimal")
        try:
            raw = base64.b64decode(root, validate=True)
        except binascii.Error:
            raise VerificationError("checkpoint root is not base64") from None
        if base64.b64encode(raw).decode() != root:
            raise VerificationError("checkpoint root is not canonical base64")
        return cls(origin, int(size), raw, tuple(ext))
