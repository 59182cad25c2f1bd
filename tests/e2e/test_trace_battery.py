"""A test-scale attack battery traced end to end through ``orcon trace`` (a new process each)."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from orcon.marks.image import attacks
from orcon.service import directory, sharing, tracing
from orcon.service.instance import Instance
from orcon.service.report import build_report
from orcon.store.home import Home

REPORT = Path(__file__).parents[1] / "data" / "reports" / "harbour-road.md"
ATTACKS = ["jpeg20", "crop40%area", "rotate10", "screen-photo", "caption15%", "flip"]


def _partners_with_report(
    home: Path, people: int = 20, text: bytes | None = None
) -> tuple[Instance, sharing.ItemInfo]:
    """An instance with ``people`` people at one partner and the report shared with them."""
    inst, _ = Instance.init(Home(home), "Northshire Constabulary")
    directory.add_org(inst, "Harbour City PD")
    csv = "email,name,org\n" + "".join(
        f"o{i}@harbour.example,O {i},Harbour City PD\n" for i in range(people)
    )
    directory.import_people(inst, csv.encode())
    report = sharing.share(
        inst,
        REPORT.read_bytes() if text is None else text,
        title="Kestrel",
        tlp="amber",
        to=["Harbour City PD"],
        filename="k.md",
        max_recipients=100,
    )
    return inst, report


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_battery_through_the_cli(tmp_path, database, photo):
    home = tmp_path / "home"
    inst, report = _partners_with_report(home)
    item = sharing.share(inst, photo, title="Scene", tlp="amber", to=["Harbour City PD"])
    people = sharing.entitled(inst, item.id)
    photos = {e: sharing.issue_copy(inst, item.id, e).data for e in people}
    texts = {e: sharing.issue_copy(inst, report.id, e).data.decode() for e in people}
    inst.close()

    leaks: list[tuple[str, bytes, str, str]] = []
    for k, name in enumerate(ATTACKS):
        leaker = people[(3 * k + 1) % len(people)]
        pixels = cv2.imdecode(np.frombuffer(photos[leaker], np.uint8), cv2.IMREAD_COLOR)
        leak = attacks.SINGLE[name](pixels, np.random.default_rng(k))
        leaks.append((name, cv2.imencode(".jpg", leak)[1].tobytes(), ".jpg", leaker))
    # Retyped: ASCII only (the invisible marks are gone), lower case, re-wrapped.
    folded = texts[people[7]].encode("ascii", "ignore").decode()
    retyped = " ".join(folded.lower().split())
    assert "\u200b" in texts[people[7]] and "\u200b" not in retyped
    leaks.append(("report retyped", retyped.encode(), ".txt", people[7]))
    # A verbatim three-sentence quote pasted into an article: its invisible marks name it.
    body = next(p for p in texts[people[9]].split("\n\n") if p.startswith("Initial"))
    quote = ". ".join(body.split(". ")[:3]) + "."
    article = f"City news. The council met on Tuesday. {quote} The mayor declined to comment."
    leaks.append(("quote pasted", article.encode(), ".txt", people[9]))

    for name, data, suffix, leaker in leaks:
        path = tmp_path / f"leak{suffix}"
        path.write_bytes(data)
        out = subprocess.run(
            [sys.executable, "-m", "orcon", "--home", str(home), "trace", str(path), "--json"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0, out.stderr
        verdict = json.loads(out.stdout)
        assert verdict["verdict"] == "accused", (name, verdict)
        assert [a["person"] for a in verdict["accused"]] == [leaker], name

    # The evidence report of a text leak: sentences, wordings read, receipt, method.
    page = tmp_path / "report.html"
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "orcon",
            "--home",
            str(home),
            "trace",
            str(path),
            "--report",
            str(page),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    html = page.read_text()
    assert "Which sentences and wordings survived" in html and 'class="read"' in html
    assert "The council met on Tuesday" in html  # the leak as received
    assert f"Ledger receipt: copy issued to {people[9]}" in html
    # A read this short is scored by the symmetric decoder alone, with all of ε.
    assert "weighted Bonferroni: symmetric 1)" in html
    assert "invisible marks read" in html
    assert "summed exactly" in html and "coalitions up to 1, biases: uniform" in html

    # A report it could not write is refused before the trace runs: no verdict lost, no
    # trace in the ledger.
    def orcon(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "orcon", "--home", str(home), *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120)

    before = orcon("ledger", "verify").stdout
    for target, needle in (
        (tmp_path / "report.docx", "a name ending in .html or .pdf"),
        (tmp_path, "is a folder"),
    ):
        refused = orcon("trace", str(path), "--report", str(target))
        assert refused.returncode == 2 and needle in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr and not refused.stdout
    assert not (tmp_path / "report.docx").exists()
    assert orcon("ledger", "verify").stdout == before


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_two_people_mixing_retyped_copies_are_traced_with_side_information(tmp_path, database):
    inst, item = _partners_with_report(tmp_path / "home")
    people = sharing.entitled(inst, item.id)
    a, b = people[3], people[11]
    first, second = (sharing.issue_copy(inst, item.id, e).data.decode() for e in (a, b))
    # Split where sentences end: a copy may write a time as "9.40 p.m. on", whose ". " is
    # no sentence end.
    ends = re.compile(r"(?<=\.) (?=[A-Z])")
    mixed = " ".join(
        x if i % 2 else y
        for i, (x, y) in enumerate(zip(ends.split(first), ends.split(second), strict=True))
    )
    leak = " ".join(mixed.encode("ascii", "ignore").decode().lower().split()).encode()
    result = tracing.trace(inst, leak)
    assert result.verdict == "accused" and {s.person for s in result.accused} <= {a, b}
    assert result.decoders == ("symmetric", "side-informed") and len(result.ranked) == 2
    # The report plots the accusing decoder's scores; drawn here for the side-informed one.
    side = tuple(dataclasses.replace(a, decoder="side-informed") for a in result.accused)
    page = build_report(inst, dataclasses.replace(result, accused=side), leak)
    assert "Every recipient's score (side-informed decoder)" in page
    assert "as if the 1 recipient(s) ranked highest" in page
    inst.close()


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_retyped_quote_too_short_to_name_anyone_says_how_much_would_be_needed(tmp_path, database):
    from orcon.codes import fewest_agreeing

    home = tmp_path / "home"
    inst, item = _partners_with_report(home)
    people = sharing.entitled(inst, item.id)
    copies = {e: sharing.issue_copy(inst, item.id, e).data.decode() for e in people}
    copy = copies[people[5]]
    body = next(p for p in copy.split("\n\n") if p.startswith("Initial"))
    quote = " ".join(". ".join(body.split(". ")[:3]).encode("ascii", "ignore").decode().split())
    leak = tmp_path / "quote.txt"
    leak.write_text(f"City news. The council met on Tuesday. {quote}. The mayor declined comment.")
    inst.close()
    needed = fewest_agreeing(len(people), 1e-6, 1.0)  # the symmetric decoder alone
    # The originator's own unmarked text reads plenty of symbols that agree with no copy.
    inst = Instance.open(Home(home))
    original = tracing.trace(inst, REPORT.read_bytes())
    inst.close()
    assert original.verdict == "inconclusive" and original.item == item.id
    (why,) = original.notes
    assert "agree with no copy well enough" in why and "unmarked original" in why
    for json_flag in (["--json"], []):
        out = subprocess.run(
            [sys.executable, "-m", "orcon", "--home", str(home), "trace", str(leak), *json_flag],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0, out.stderr
        if json_flag:
            verdict = json.loads(out.stdout)
            assert verdict["verdict"] == "inconclusive" and verdict["accused"] == []
            (note,) = verdict["notes"]
        else:
            assert "inconclusive" in out.stdout
            note = out.stdout.splitlines()[1].strip()
        assert f"takes at least {needed} that agree with one copy" in note
        assert f"among the {len(people)} people issued a copy" in note
        read = int(note.split(" readable")[0].rsplit(" ", 1)[1])
        assert 0 < read < needed


# harbour-road with the alternatives an author who fears that one passage may be quoted
# writes into it: six sentences from "The seller, a private individual", which carry 11
# wording symbols without them and 28 with them.
MARKED = Path(__file__).parents[1] / "data" / "authored" / "harbour-road-marked.md"


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_an_authors_alternatives_let_a_retyped_six_sentence_quote_name_its_source(
    tmp_path, database
):
    from orcon.codes import fewest_agreeing

    inst, item = _partners_with_report(tmp_path / "home", people=60, text=MARKED.read_bytes())
    people = sharing.entitled(inst, item.id)
    assert len(people) == 60
    ends = re.compile(r"(?<=\.) (?=[A-Z])")
    for leaker in people[::12]:
        copy = sharing.issue_copy(inst, item.id, leaker).data.decode()
        assert "{{" not in copy
        # Retyped: the invisible marks are gone, so is the case (split before lower-casing).
        sentences = ends.split(" ".join(copy.encode("ascii", "ignore").decode().split()))
        start = next(i for i, x in enumerate(sentences) if "a private" in x)
        quote = " ".join(sentences[start : start + 6])
        assert quote.endswith(("in the area.", "in the locality."))
        retyped = quote.lower()
        article = f"city news. the council met on tuesday. {retyped} the mayor declined to comment."
        result = tracing.trace(inst, article.encode())
        assert result.verdict == "accused", result.notes
        assert [s.person for s in result.accused] == [leaker]
        assert result.read >= fewest_agreeing(60, 1e-6, 1.0)
    inst.close()
    # Without the alternatives the same passage carries too few symbols to name anyone.
    inst, item = _partners_with_report(tmp_path / "plain", people=60)
    leaker = sharing.entitled(inst, item.id)[7]
    copy = sharing.issue_copy(inst, item.id, leaker).data.decode()
    sentences = ends.split(" ".join(copy.encode("ascii", "ignore").decode().split()))
    start = next(i for i, x in enumerate(sentences) if "a private" in x)
    retyped = " ".join(sentences[start : start + 6]).lower()
    result = tracing.trace(inst, f"city news. {retyped} the mayor declined to comment.".encode())
    assert result.verdict == "inconclusive" and result.item == item.id
    assert result.read < fewest_agreeing(60, 1e-6, 1.0)
    inst.close()
