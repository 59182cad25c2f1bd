"""C2SP tlog-tiles (https://c2sp.org/tlog-tiles): the log as static, cacheable resources.

Tile ``<L>/<N>`` holds the hashes MTH(D[(N·256+i)·256^L : (N·256+i+1)·256^L]) for
i < 256 (fewer in a partial tile ``.p/<W>``); level 0 holds leaf hashes. Entry
bundle ``entries/<N>`` holds the entries themselves, each prefixed by its
big-endian uint16 length. Path indices are zero-padded 3-digit groups, all but
the last prefixed by ``x`` (index 1234067 -> ``x001/x234/067``).

orcon's extension: an entry a reader may not read is served as ``WITHHELD`` (no
event starts with a zero byte: events are JSON). Its leaf hash, in the level-0
tile, stands for it, so the tree and the signed checkpoint verify all the same.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from orcon.errors import UsageError, VerificationError
from orcon.ledger.merkle import HASH_SIZE, MerkleTree, leaf_hash

WIDTH = 256
MAX_ENTRY = 0xFFFF
WITHHELD = b"\x00withheld"


@dataclass(frozen=True, slots=True)
class TileRef:
    level: int | None  # None for an entry bundle
    index: int
    width: int  # 256 for a full tile


def _index_path(n: int) -> str:
    groups = []
    while True:
        groups.append(n % 1000)
        n //= 1000
        if n == 0:
            break
    groups.reverse()
    return "/".join([f"x{g:03d}" for g in groups[:-1]] + [f"{groups[-1]:03d}"])


def tile_path(ref: TileRef) -> str:
    head = "entries" if ref.level is None else str(ref.level)
    tail = "" if ref.width == WIDTH else f".p/{ref.width}"
    return f"tile/{head}/{_index_path(ref.index)}{tail}"


_PATH = re.compile(r"tile/(entries|0|[1-9][0-9]?)/((?:x\d{3}/)*\d{3})(?:\.p/([1-9]\d{0,2}))?")


def parse_tile_path(path: str) -> TileRef:
    m = _PATH.fullmatch(path.strip("/"))
    if not m:
        raise UsageError(f"not a tile path: {path!r}")
    level = None if m.group(1) == "entries" else int(m.group(1))
    if level is not None and level > 63:
        raise UsageError("tile level must be 0..63")
    parts = m.group(2).split("/")
    index = 0
    for p in parts:
        index = index * 1000 + int(p.lstrip("x"))
    width = int(m.group(3)) if m.group(3) else WIDTH
    if width > 255 and m.group(3):
        raise UsageError("a partial tile has 1..255 entries")
    return TileRef(level, index, width)


def tiles_for(size: int) -> Iterator[TileRef]:
    """Every tile and entry bundle needed to reconstruct a tree of ``size`` entries."""
    level, count = 0, size
    while count > 0:
        for n in range(count // WIDTH):
            yield TileRef(level, n, WIDTH)
            if level == 0:
                yield TileRef(None, n, WIDTH)
        if count % WIDTH:
            yield TileRef(level, count // WIDTH, count % WIDTH)
            if level == 0:
                yield TileRef(None, count // WIDTH, count % WIDTH)
        level, count = level + 1, count // WIDTH


def hash_tile(tree: MerkleTree, ref: TileRef, size: int) -> bytes:
    """The bytes of a hash tile, for a tree whose published size is ``size``."""
    assert ref.level is not None
    span = WIDTH**ref.level
    start = ref.index * WIDTH
    if (start + ref.width) * span > size:
        raise UsageError("that tile lies beyond the published tree")
    return b"".join(
        tree.subtree((start + i) * span, (start + i + 1) * span) for i in range(ref.width)
    )


def bundle(entries: Sequence[bytes]) -> bytes:
    out = bytearray()
    for e in entries:
        if len(e) > MAX_ENTRY:
            raise UsageError(f"a log entry is limited to {MAX_ENTRY} bytes")
        out += len(e).to_bytes(2, "big") + e
    return bytes(out)


def unbundle(data: bytes) -> list[bytes]:
    out, pos = [], 0
    while pos < len(data):
        if pos + 2 > len(data):
            raise VerificationError("entry bundle is truncated")
        n = int.from_bytes(data[pos : pos + 2], "big")
        if pos + 2 + n > len(data):
            raise VerificationError("entry bundle is truncated")
        out.append(data[pos + 2 : pos + 2 + n])
        pos += 2 + n
    return out


def fetch_tree(size: int, fetch: Callable[[str], bytes]) -> tuple[MerkleTree, list[bytes]]:
    """Rebuild a tree of ``size`` entries from a tiled log; check every entry against its
    tile (a withheld entry is returned as ``WITHHELD``: only its hash is known)."""
    leaves: list[bytes] = []
    entries: list[bytes] = []
    for ref in tiles_for(size):
        if ref.level == 0:
            raw = fetch(tile_path(ref))
            if len(raw) != ref.width * HASH_SIZE:
                raise VerificationError(f"{tile_path(ref)} has {len(raw)} bytes")
            hashes = [raw[i : i + HASH_SIZE] for i in range(0, len(raw), HASH_SIZE)]
            leaves.extend(hashes)
        elif ref.level is None:
            got = unbundle(fetch(tile_path(ref)))
            if len(got) != ref.width:
                raise VerificationError(
                    f"{tile_path(ref)} has {len(got)} entries, expected {ref.width}"
                )
            entries.extend(got)
    for i, (e, h) in enumerate(zip(entries, leaves, strict=True)):
        if e != WITHHELD and leaf_hash(e) != h:
            raise VerificationError(f"ledger entry {i} does not match its leaf hash in the tiles")
    return MerkleTree(leaves), entries
