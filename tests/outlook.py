"""Outlook messages (.msg) for tests, written as Outlook lays them out.

No library here writes a compound file, so this writes one by [MS-CFB] (version 3,
512-byte sectors, streams under 4,096 bytes in the mini stream) holding an Outlook
message as [MS-OXMSG] stores it: each property a stream named by its tag, each
attachment a storage, an attached Outlook item a storage inside its attachment.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field

SECTOR, MINI_SECTOR, CUTOFF = 512, 64, 4096
FREE, END, FAT_SECTOR, NONE = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass
class _Node:
    name: str
    kind: int  # 1 storage, 2 stream, 5 root
    data: bytes = b""
    children: dict[str, _Node] = field(default_factory=dict)
    sid: int = 0
    left: int = NONE
    right: int = NONE
    child: int = NONE
    start: int = END
    size: int = 0


def _sibling_tree(nodes: list[_Node]) -> int:
    """A storage's children as a balanced binary tree in the order [MS-CFB] compares names
    (length first, then upper case); all black, which readers do not check."""
    if not nodes:
        return NONE
    mid = len(nodes) // 2
    top = nodes[mid]
    top.left, top.right = _sibling_tree(nodes[:mid]), _sibling_tree(nodes[mid + 1 :])
    return top.sid


def compound_file(streams: dict[tuple[str, ...], bytes]) -> bytes:
    """A compound file holding ``streams``, each named by its storage path."""
    root = _Node("Root Entry", 5)
    for path, data in streams.items():
        node = root
        for part in path[:-1]:
            node = node.children.setdefault(part, _Node(part, 1))
        node.children[path[-1]] = _Node(path[-1], 2, data)
    entries: list[_Node] = [root]

    def number(node: _Node) -> None:
        for child in node.children.values():
            child.sid = len(entries)
            entries.append(child)
            number(child)

    number(root)
    for node in entries:
        ordered = sorted(node.children.values(), key=lambda n: (len(n.name), n.name.upper()))
        node.child = _sibling_tree(ordered)

    sectors: list[bytes] = []
    fat: list[int] = []

    def chain(data: bytes) -> int:
        count = math.ceil(len(data) / SECTOR)
        first = len(sectors)
        for i in range(count):
            sectors.append(data[i * SECTOR : (i + 1) * SECTOR].ljust(SECTOR, b"\0"))
            fat.append(first + i + 1 if i < count - 1 else END)
        return first

    mini = bytearray()
    mini_fat: list[int] = []
    for node in entries:
        if node.kind != 2:
            continue
        node.size = len(node.data)
        if not node.data:
            continue
        if len(node.data) >= CUTOFF:
            node.start = chain(node.data)
            continue
        count = math.ceil(len(node.data) / MINI_SECTOR)
        node.start = len(mini) // MINI_SECTOR
        mini_fat += [node.start + i + 1 if i < count - 1 else END for i in range(count)]
        mini += node.data.ljust(count * MINI_SECTOR, b"\0")
    if mini:
        root.start, root.size = chain(bytes(mini)), len(mini)
    mini_fat_bytes = struct.pack(f"<{len(mini_fat)}I", *mini_fat)
    mini_fat_bytes = mini_fat_bytes.ljust(math.ceil(len(mini_fat_bytes) / SECTOR) * SECTOR, b"\xff")
    mini_fat_start = chain(mini_fat_bytes) if mini_fat else END
    directory = b"".join(_entry(n) for n in entries)
    directory += _empty_entry() * ((-len(entries)) % (SECTOR // 128))
    directory_start = chain(directory)
    fat_count = 1
    while fat_count * (SECTOR // 4) < len(sectors) + fat_count:
        fat_count += 1
    fat_start = len(sectors)
    fat += [FAT_SECTOR] * fat_count
    fat += [FREE] * (fat_count * (SECTOR // 4) - len(fat))
    table = struct.pack(f"<{len(fat)}I", *fat)
    for i in range(fat_count):
        sectors.append(table[i * SECTOR : (i + 1) * SECTOR])
    assert fat_count <= 109, "a test message this large needs DIFAT sectors"
    header = MAGIC + bytes(16) + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + bytes(6)
    header += struct.pack(
        "<9I", 0, fat_count, directory_start, 0, CUTOFF, mini_fat_start,
        len(mini_fat_bytes) // SECTOR if mini_fat else 0, END, 0,
    )  # fmt: skip
    header += struct.pack("<109I", *[fat_start + i for i in range(fat_count)],
                          *[FREE] * (109 - fat_count))  # fmt: skip
    assert len(header) == SECTOR
    return header + b"".join(sectors)


def _entry(node: _Node) -> bytes:
    name = (node.name + "\0").encode("utf-16-le")
    assert len(name) <= 64, node.name
    return (
        name.ljust(64, b"\0")
        + struct.pack("<HBBIII", len(name), node.kind, 1, node.left, node.right, node.child)
        + bytes(16 + 4 + 16)
        + struct.pack("<IQ", node.start if node.kind != 1 else 0, node.size)
    )


def _empty_entry() -> bytes:
    return bytes(64) + struct.pack("<HBBIII", 0, 0, 0, NONE, NONE, NONE) + bytes(36 + 12)


@dataclass
class Message:
    """An Outlook message: its subject and text (plain, HTML only, or rich text only), its
    attachments by file name, and Outlook items attached to it. ``codepage`` writes its
    strings in that Windows code page instead of UTF-16, as older Outlook versions did.
    ``rtf`` is stored as PR_RTF_COMPRESSED in [MS-OXRTFCP]'s uncompressed form (a
    16-byte header, "MELA", CRC 0); ``rtf_stream`` is stored as it is given."""

    subject: str
    body: str = ""
    html: str = ""
    rtf: str = ""
    rtf_stream: bytes = b""
    attachments: list[tuple[str, bytes]] = field(default_factory=list)
    attached: list[Message] = field(default_factory=list)
    codepage: int | None = None


def rich_text(text: str) -> str:
    """``text`` as Outlook's Rich Text editor writes it: RTF with each paragraph ended by
    ``\\par`` and every character outside ASCII as a ``\\uN?`` escape (UTF-16 units,
    signed), so invisible characters travel too."""
    out = []
    for ch in text:
        if ch in "\\{}":
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\par\n")
        elif ord(ch) < 128:
            out.append(ch)
        else:
            units = ch.encode("utf-16-le")
            for k in range(0, len(units), 2):
                unit = int.from_bytes(units[k : k + 2], "little")
                out.append(f"\\u{unit - 65536 if unit > 32767 else unit}?")
    return "{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0 Calibri;}}\\f0 " + "".join(out) + "}"


def _string(tag: int, text: str, codepage: int | None) -> tuple[str, bytes]:
    if codepage is None:
        return f"__substg1.0_{tag:04X}001F", text.encode("utf-16-le")
    return f"__substg1.0_{tag:04X}001E", text.encode(f"cp{codepage}") + b"\0"


def _properties(header: int, codepage: int | None) -> bytes:
    """The fixed-size properties stream: its header, then PR_MESSAGE_CODEPAGE if any."""
    out = bytes(header)
    if codepage is not None:
        out += struct.pack("<IIII", (0x3FFD << 16) | 0x0003, 0x6, codepage, 0)
    return out


def _message_streams(
    message: Message, at: tuple[str, ...], header: int
) -> dict[tuple[str, ...], bytes]:
    cp = message.codepage
    streams = {(*at, "__properties_version1.0"): _properties(header, cp)}
    name, data = _string(0x0037, message.subject, cp)
    streams[(*at, name)] = data
    if message.body:
        name, data = _string(0x1000, message.body, cp)
        streams[(*at, name)] = data
    if message.html:
        streams[(*at, "__substg1.0_10130102")] = message.html.encode(f"cp{cp or 1252}")
    if message.rtf:
        raw = message.rtf.encode("ascii")
        header = struct.pack("<II4sI", len(raw) + 12, len(raw), b"MELA", 0)
        streams[(*at, "__substg1.0_10090102")] = header + raw
    if message.rtf_stream:
        streams[(*at, "__substg1.0_10090102")] = message.rtf_stream
    k = 0
    for filename, blob in message.attachments:
        storage = (*at, f"__attach_version1.0_#{k:08X}")
        streams[(*storage, "__properties_version1.0")] = bytes(8)
        name, data = _string(0x3707, filename, cp)
        streams[(*storage, name)] = data
        streams[(*storage, "__substg1.0_37010102")] = blob
        k += 1
    for item in message.attached:
        storage = (*at, f"__attach_version1.0_#{k:08X}")
        streams[(*storage, "__properties_version1.0")] = bytes(8)
        name, data = _string(0x3707, item.subject, cp)
        streams[(*storage, name)] = data
        streams.update(_message_streams(item, (*storage, "__substg1.0_3701000D"), 24))
        k += 1
    return streams


def outlook_message(message: Message) -> bytes:
    """``message`` as the .msg file Outlook's "Save As" writes."""
    streams = _message_streams(message, (), 32)
    streams[("__nameid_version1.0", "__substg1.0_00020102")] = bytes(16)
    return compound_file(streams)
