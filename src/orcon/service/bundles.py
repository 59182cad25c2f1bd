"""Every recipient's copy of an item in one ZIP archive, for an originator who sends the
copies themselves (by secure mail, on a disc) rather than have partners sign in.

The archive is written as the copies are issued and handed on in pieces: a thousand
photo copies take about half a minute to issue, and an archive sent as it grows shows
the browser's download moving from the first copy on and holds one copy in memory, not
a thousand. Each copy is issued in its own transaction, as a partner's own download is, so a copy
the policy refuses half-way (the partner halted meanwhile) is left out and listed with
the reason; the copies before it stay issued, as they were.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from orcon.errors import OrconError, UsageError
from orcon.service import sharing
from orcon.service.instance import Instance
from orcon.service.sharing import Entitled, ItemInfo
from orcon.store.ledger import iso

MANIFEST = "copies.csv"
README = "README.txt"


@dataclass(slots=True)
class Tally:
    """What the archive holds, filled in as its chunks are taken."""

    issued: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)  # (person, why)


@dataclass(frozen=True, slots=True, eq=False)
class Bundle:
    item: ItemInfo
    people: tuple[Entitled, ...]
    filename: str
    chunks: Iterator[bytes]
    tally: Tally


def bundle(
    inst: Instance,
    item_id: str,
    by: str,
    progress: Callable[[int, int], None] | None = None,
) -> Bundle:
    """The archive of every copy the item's recipients may receive now, issued by ``by``;
    ``progress(done, total)`` after each person.

    Checked before anything is issued: the item exists and someone may receive it."""
    item = sharing.get_item(inst, item_id)
    people = tuple(sharing.entitled_people(inst, item.id))
    if not people:
        raise UsageError(
            f"nobody may receive {item.id} now (its recipients: {item.shared_with}; "
            "a halted partner, an expired item or an organisation with no people receives none)"
        )
    tally = Tally()
    chunks = _chunks(inst, item, people, by, tally, progress)
    return Bundle(item, people, f"{item.id}-copies.zip", chunks, tally)


class _Sink:
    """A write-only file for zipfile (which then writes data descriptors, not seeking back)."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes, /) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        out = b"".join(self._parts)
        self._parts.clear()
        return out


def _cell(value: str) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (a name typed as "=HYPERLINK…")."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@") else value


def _chunks(
    inst: Instance,
    item: ItemInfo,
    people: tuple[Entitled, ...],
    by: str,
    tally: Tally,
    progress: Callable[[int, int], None] | None,
) -> Iterator[bytes]:
    sink = _Sink()
    now = inst.clock()
    stamp = (now.year, now.month, now.day, now.hour, now.minute, now.second)
    # Photos and Word files are compressed already; plain text shrinks.
    method = zipfile.ZIP_DEFLATED if item.format in ("markdown", "text") else zipfile.ZIP_STORED
    rows: list[list[str]] = []
    with zipfile.ZipFile(sink, "w") as zf:
        for done, person in enumerate(people, 1):
            try:
                cp = sharing.issue_copy(inst, item.id, person.email, by=by)
            except OrconError as err:
                reason = err.diagnostics()
                tally.refused.append((person.email, reason))
                rows.append([person.email, person.name, person.org, "", "", "", reason])
            else:
                zf.writestr(_entry(cp.filename, stamp, method), cp.data)
                digest = hashlib.sha256(cp.data).hexdigest()
                rows.append(
                    [person.email, person.name, person.org, cp.filename, digest,
                     str(cp.ledger_seq), ""]
                )  # fmt: skip
                tally.issued += 1
            if progress:
                progress(done, len(people))
            if chunk := sink.take():
                yield chunk
        table = io.StringIO()
        writer = csv.writer(table, lineterminator="\r\n")
        writer.writerow(
            ["person", "name", "organisation", "file", "sha256", "ledger_entry", "not_issued"]
        )
        writer.writerows([[_cell(c) for c in row] for row in rows])
        zf.writestr(_entry(MANIFEST, stamp), table.getvalue())
        readme = _readme(item, tally.issued, len(tally.refused), by, iso(now))
        zf.writestr(_entry(README, stamp), readme)
    yield sink.take()


def _entry(
    name: str, stamp: tuple[int, int, int, int, int, int], method: int = zipfile.ZIP_DEFLATED
) -> zipfile.ZipInfo:
    """An archive entry readable by its owner only (the copies are for one person each)."""
    entry = zipfile.ZipInfo(name, date_time=stamp)
    entry.compress_type = method
    entry.external_attr = 0o600 << 16
    return entry


def _readme(item: ItemInfo, issued: int, refused: int, by: str, when: str) -> str:
    lines = [
        f"{item.title} ({item.id})",
        item.markings,
        "",
        f"{issued} {'copy' if issued == 1 else 'copies'}, each fingerprinted for the one person "
        "whose address its file name carries.",
        "Send each file only to that person: a leak of it names them.",
        f"{MANIFEST} lists each person, their organisation, the file, its SHA-256 and the",
        "ledger entry that records its issue (orcon ledger receipt ENTRY).",
    ]
    if refused:
        lines.append(
            f"{refused} {'person' if refused == 1 else 'people'} could not be issued a copy; "
            f"{MANIFEST} says why."
        )
    lines.append(f"Issued by {by} at {when[:19]} UTC.")
    return "\n".join(lines) + "\n"
