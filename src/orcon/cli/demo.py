"""``orcon demo``: the whole story on a fresh temporary instance, told step by step.

Everything is fictional: the organisations, the people and the "evidence".
"""

from __future__ import annotations

import shutil
import tempfile
import time
from importlib.resources import files
from pathlib import Path

import cv2
import numpy as np

from orcon.errors import PolicyDenied
from orcon.marks.image import attacks
from orcon.service import control, directory, sharing, tracing
from orcon.service.instance import Instance
from orcon.store.home import Home

PARTNERS = {
    "Harbour City Police Department": ["d.okafor", "m.lindqvist", "r.castellano", "j.whitfield"],
    "Federal Bureau of Inquiry": ["a.moreau", "t.nakamura", "s.ibrahim"],
}


def _say(step: int, text: str) -> None:
    print(f"\n[{step}] {text}", flush=True)


def run_demo(keep: bool = False) -> int:
    root = Path(tempfile.mkdtemp(prefix="orcon-demo-"))
    try:
        started = time.perf_counter()
        _say(1, "The originator, Northshire Constabulary, sets up orcon.")
        inst, creds = Instance.init(Home(root / "home"), "Northshire Constabulary")
        print(f"    instance home: {root / 'home'}; first admin {creds.email}")

        _say(2, "It registers two partner agencies and their officers.")
        for org, people in PARTNERS.items():
            directory.add_org(inst, org)
            domain = "harbourcity.example" if "Harbour" in org else "fbi.example"
            for p in people:
                directory.add_person(inst, f"{p}@{domain}", org, p.replace(".", " ").title())
            print(f"    {org}: {len(people)} officers")

        _say(3, "It shares two evidence photos, TLP:AMBER, no onward dissemination, embargoed.")
        data = files("orcon.data")
        items = []
        for name, title in (
            ("evidence-vehicle.jpg", "Vehicle recovered at the scene"),
            ("evidence-table.jpg", "Items found in the flat"),
        ):
            item = sharing.share(
                inst,
                data.joinpath(name).read_bytes(),
                title=title,
                tlp="amber",
                to=list(PARTNERS),
                no_onward=True,
                embargo_until=inst.clock().replace(microsecond=0) + _days(7),
            )
            items.append(item)
            print(f"    {item.id}: {title}\n      {item.markings}")

        report = sharing.share(
            inst,
            data.joinpath("report-canal-street.md").read_bytes(),
            title="Situation report",
            tlp="amber",
            to=list(PARTNERS),
            no_onward=True,
            filename="report.md",
        )
        items.append(report)
        print(
            f"    {report.id}: Situation report (text, {report.code_length} code symbols "
            "in its wording and invisible marks)\n"
            f"      {report.markings}"
        )

        _say(4, "Every officer downloads their own copy; each copy is fingerprinted differently.")
        copies = {}
        for item in items:
            for email in sharing.entitled(inst, item.id):
                copies[(item.id, email)] = sharing.issue_copy(inst, item.id, email)
        print(f"    {len(copies)} copies issued; each recorded in the ledger")

        leaker = "r.castellano@harbourcity.example"
        _say(
            5,
            "A newspaper prints the vehicle photo before the embargo: cropped, resized, "
            "recompressed, with a caption.",
        )
        copy = copies[(items[0].id, leaker)]
        pixels = np.asarray(cv2.imdecode(np.frombuffer(copy.data, np.uint8), cv2.IMREAD_COLOR))
        leak = attacks.caption(
            attacks.newspaper(pixels, np.random.default_rng(7)), 0.12, "EXCLUSIVE"
        )
        leaked = cv2.imencode(".jpg", leak, [cv2.IMWRITE_JPEG_QUALITY, 70])[1].tobytes()
        (root / "front-page.jpg").write_bytes(leaked)
        print(
            f"    the printed photo is {leak.shape[1]}x{leak.shape[0]} pixels (the copy was "
            f"{pixels.shape[1]}x{pixels.shape[0]})"
        )

        _say(6, "The originator traces the printed photo.")
        result = tracing.trace(inst, leaked)
        print(
            f"    matched item: {result.item}; fingerprint symbols read: {result.read}, "
            f"lost: {result.erased}"
        )
        for a in result.accused:
            print(
                f"    ACCUSED: {a.person} ({a.org}) - the chance that an innocent recipient's copy "
                f"matches this well is below {a.p_value:.0e}"
            )
        if result.accused:
            print(
                f"    nobody else is accused; the bound on accusing any innocent is "
                f"{result.false_accusation_bound:g} for all {result.population} recipients together"
            )
        else:
            print(
                f"    verdict: {result.verdict} - too little of the fingerprint survived to name "
                "anyone within the bound; orcon never guesses"
            )

        _say(7, "A blogger retypes the whole situation report from another officer's copy.")
        copy_text = copies[(report.id, "t.nakamura@fbi.example")].data.decode()
        # Retyped: plain ASCII (the invisible marks do not survive), lower case, re-wrapped.
        blog = " ".join(copy_text.encode("ascii", "ignore").decode().lower().split())
        result = tracing.trace(inst, ("Leaked police document! " + blog).encode())
        for a in result.accused:
            print(
                f"    ACCUSED: {a.person} ({a.org}) - chance for an innocent below {a.p_value:.0e}"
            )
        if not result.accused:
            print(f"    verdict: {result.verdict}")

        _say(8, "A screenshot of the report's first page, from a third copy, goes round online.")
        shot = _screenshot(copies[(report.id, "m.lindqvist@harbourcity.example")].data.decode())
        result = tracing.trace(inst, shot)
        for a in result.accused:
            print(
                f"    ACCUSED: {a.person} ({a.org}) - chance for an innocent below {a.p_value:.0e}"
            )
        if result.leak_text:
            words = len(result.leak_text.split())
            print(f"    (its text read from the picture by OCR: {words} words)")
        if not result.accused:
            print(f"    verdict: {result.verdict}")

        _say(9, "The originator suspends the officer the printed photo named - only that person.")
        directory.suspend(
            inst, leaker, "named by the trace of the printed photo; inquiry open", by="demo"
        )
        try:
            sharing.issue_copy(inst, items[1].id, leaker)
        except PolicyDenied as err:
            print(f"    their next download is refused: {err}")
        ok = sharing.issue_copy(inst, items[1].id, "d.okafor@harbourcity.example")
        print(f"    Harbour City keeps working: {ok.person} still gets copies")
        again = tracing.trace(inst, leaked)
        print(
            "    and their copy is still traced to them: "
            + ", ".join(a.person for a in again.accused)
        )

        _say(10, "Anyone holding the ledger key can check the record was not rewritten.")
        log = control.verify_ledger(inst)
        print(
            f"    ledger verified: {log.entries} events, {log.checkpoints} signed "
            f"checkpoints, root {log.root.hex()[:16]}..."
        )
        print(f"\nDone in {time.perf_counter() - started:.1f} s.")
        if keep:
            print(
                f"The demo instance is kept in {root} "
                f"(try: orcon --home {root / 'home'} ledger verify)"
            )
        inst.close()
        return 0
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)


def _screenshot(copy: str, words: int = 260) -> bytes:
    """The start of a copy's prose as a screen shows it (a PNG): what a phone captures."""
    import textwrap

    from PIL import Image, ImageDraw, ImageFont

    prose = [p for p in copy.split("\n\n") if not p.startswith(("#", ">", "**"))]
    shown = " ".join(" ".join(prose).replace("\u200b", "").replace("\u2060", "").split()[:words])
    lines = textwrap.wrap(shown, 84)
    img = Image.new("RGB", (900, 26 * len(lines) + 40), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=17)
    for i, line in enumerate(lines):
        draw.text((20, 20 + 26 * i), line, fill=(25, 25, 25), font=font)
    return bytes(cv2.imencode(".png", np.array(img)[:, :, ::-1])[1])


def _days(n: int):  # type: ignore[no-untyped-def]
    from datetime import timedelta

    return timedelta(days=n)
