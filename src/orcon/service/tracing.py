"""Trace a leak to the item it came from and the people whose copies it carries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import cv2
import numpy as np
from sqlalchemy import select

from orcon.codes import DEFAULT_EPSILON, Suspect, accuse
from orcon.errors import MatchError, UsageError
from orcon.marks.image import decode, read_pixels
from orcon.marks.image.codec import sniff
from orcon.marks.image.reader import ImageReading
from orcon.match import image as match
from orcon.service.instance import Instance
from orcon.service.sharing import item_code, item_secret
from orcon.store import ledger
from orcon.store.ledger import EventKind
from orcon.store.models import Item, ItemFeatures, Person, Recipient

MAX_CANDIDATE_ITEMS = 5


@dataclass(frozen=True, slots=True)
class SuspectInfo:
    person: str
    org: str
    score: float
    p_value: float
    decoder: str


@dataclass(frozen=True, slots=True, eq=False)
class TraceResult:
    verdict: str  # accused | inconclusive | no-match
    item: str | None
    accused: tuple[SuspectInfo, ...]
    candidates: tuple[SuspectInfo, ...]
    false_accusation_bound: float
    read: int
    erased: int
    population: int
    matched_items: tuple[tuple[str, int], ...] = ()
    notes: tuple[str, ...] = ()
    reading: ImageReading | None = field(default=None, repr=False)
    ledger_seq: int | None = None

    def to_json(self) -> dict[str, object]:
        def row(s: SuspectInfo) -> dict[str, object]:
            return {"person": s.person, "org": s.org, "score": s.score, "p_value": s.p_value}

        return {
            "verdict": self.verdict,
            "item": self.item,
            "accused": [row(s) for s in self.accused],
            "candidates": [row(s) for s in self.candidates],
            "false_accusation_bound": self.false_accusation_bound,
            "symbols": {"read": self.read, "erased": self.erased},
        }


def _item_features(row: ItemFeatures) -> match.Features:
    pts = np.frombuffer(row.keypoints, np.float32).reshape(-1, 2)
    desc = np.frombuffer(row.descriptors, np.uint8).reshape(-1, 32)
    return match.Features(pts, desc, float(row.scale))


def _suspect(who: dict[int, tuple[str, str]], sus: Suspect) -> SuspectInfo:
    email, org = who[sus.index]
    return SuspectInfo(email, org, float(sus.score), float(sus.p_value), str(sus.decoder))


def trace(
    inst: Instance, data: bytes, epsilon: float = DEFAULT_EPSILON, now: datetime | None = None
) -> TraceResult:
    """Find the item, read its fingerprint, accuse under the calibrated bound; log the trace."""
    if not data:
        raise UsageError("the leaked file is empty")
    try:
        sniff(data)
    except UsageError:
        raise UsageError(
            "orcon can trace leaked photos (JPEG, PNG, WebP, TIFF, BMP); text tracing arrives "
            "with the text fingerprints"
        ) from None
    leak = decode(data).pixels
    variants = [match.extract(leak), match.extract(cv2.flip(leak, 1))]
    with inst.reading() as s:
        rows = s.scalars(select(ItemFeatures)).all()
        ranked = match.rank(variants, ((r.item_id, _item_features(r)) for r in rows))
    result: TraceResult | None = None
    notes: list[str] = []
    for item_id, _count in ranked[:MAX_CANDIDATE_ITEMS]:
        with inst.reading() as s:
            item = s.get(Item, item_id)
            assert item is not None
            recips = s.execute(
                select(Recipient.code_index, Person.email, Person.org_id)
                .join(Person, Person.id == Recipient.person_id)
                .where(Recipient.item_id == item_id)
            ).all()
            orgs = {p.org_id: p.org.name for p in s.scalars(select(Person)).all()}
            original = inst.blobs.get(item.id, item.wrapped_key)
            code = item_code(inst, item)
        try:
            reading = read_pixels(
                leak, decode(original).pixels, item_secret(inst, item_id), item.code_length
            )
        except MatchError as err:
            notes.append(f"{item_id}: {err}")
            continue
        who = {idx: (email, orgs[org_id]) for idx, email, org_id in recips}
        if not who:
            result = TraceResult(
                "inconclusive",
                item_id,
                (),
                (),
                epsilon,
                reading.observation.read,
                int(reading.observation.erased.sum()),
                0,
                tuple(ranked),
                ("no copy of this item has been issued yet",),
                reading,
            )
            break
        verdict = accuse(code, reading.observation, sorted(who), epsilon=epsilon)
        accused = tuple(_suspect(who, x) for x in verdict.accused)
        result = TraceResult(
            "accused" if accused else "inconclusive",
            item_id,
            accused,
            tuple(_suspect(who, x) for x in verdict.candidates),
            epsilon,
            verdict.read,
            verdict.erased,
            verdict.population,
            tuple(ranked),
            tuple(notes),
            reading,
        )
        if accused:
            break
    if result is None:
        result = TraceResult(
            "no-match", None, (), (), epsilon, 0, 0, 0, tuple(ranked), tuple(notes)
        )
    with inst.transaction() as s:
        seq = ledger.append(
            s,
            EventKind.TRACE_RUN,
            {
                "verdict": result.verdict,
                "item": result.item,
                "accused": [
                    {"person": a.person, "org": a.org, "p_value": f"{a.p_value:.3e}"}
                    for a in result.accused
                ],
                "epsilon": f"{epsilon:g}",
                "symbols_read": result.read,
                "symbols_erased": result.erased,
                "population": result.population,
            },
            now or inst.clock(),
        )
    return TraceResult(
        **{**{k: getattr(result, k) for k in result.__dataclass_fields__}, "ledger_seq": seq}
    )
