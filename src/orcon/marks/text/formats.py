"""Wording sites in how numbers, dates, times, sums and spellings are written.

"14 March 2026" / "14th March 2026" / "March 14, 2026", "21:40" / "21.40 hrs",
"1,500" / "1500", "12%" / "12 per cent", "£7.8 million" / "£7.8m", -ise / -ize
in British English: the value never changes, only its format (docs/marks-text.md).
"""

from __future__ import annotations

import re

from orcon.marks.text.sites import Site
from orcon.marks.text.vocabulary import MONTHS, SPELLING_STEMS

# A clock time, also at the end of a sentence ("by 14:55."), never inside "14.55.30".
_TIME = re.compile(r"(?<![\d.:])([01]?\d|2[0-3])([:.])([0-5]\d)(?![\d:]|\.\d)")
_TIME_UNIT = re.compile(r"\s*(?:hours|hrs|hr|h|am|pm|a\.m|p\.m|GMT|BST|UTC|Z)\b", re.I)
# A thousands separator in a number of four to six digits: "1,500" / "1500".
_THOUSANDS = re.compile(r"(?<![\d.,])(\d{1,3}),(\d{3})(?![\d]|,\d|\.\d)")
_SPELLING = re.compile(rf"\b({SPELLING_STEMS})(is|iz)(e|es|ed|ing|ation|ations|er|ers)\b", re.I)
_DATE = re.compile(rf"\b(\d{{1,2}})(st|nd|rd|th)?(\s+)({MONTHS})\b")
# Clock times with am/pm ("2am" / "2 a.m.") and sums in millions ("£7.8 million" / "£7.8m").
_MERIDIEM = re.compile(r"(?<![\w.:])(\d{1,2})( ?)(am|pm)(?![\w.])")
_MILLIONS = re.compile(r"([£$€]\d+(?:\.\d+)?) (million|billion)\b")
_PERCENT = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)(\s?%|\s+per\s+cent)(?!\w)")


def _date_site(seg: str, m: re.Match[str], day: int, base: int, si: int) -> Site:
    """Four wordings of a date: "14 March", "14th March", "March 14", "March 14th" (with
    the year after a comma in the month-first ones). A date that ends a range
    ("1 to 14 March") keeps its day first, so the range still reads as one."""
    suffix = "th" if 11 <= day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    ordinal = f"{day}{suffix}"
    if re.search(r"(?:\d(?:st|nd|rd|th)?\s*(?:-|\u2013|to|and|until)\s*)$", seg[: m.start()]):
        return Site(
            base + m.start(1), base + m.end(2 if m.group(2) else 1), (str(day), ordinal), "date", si
        )
    month = m.group(4)
    year = re.match(r",?\s(\d{4})\b", seg[m.end() :])
    end, tail, us_tail = m.end(), "", ""
    if year:
        end, tail, us_tail = m.end() + year.end(), f" {year.group(1)}", f", {year.group(1)}"
    forms = (
        f"{day} {month}{tail}",
        f"{ordinal} {month}{tail}",
        f"{month} {day}{us_tail}",
        f"{month} {ordinal}{us_tail}",
    )
    return Site(base + m.start(), base + end, forms, "date", si)


def _twelve_hour(hour: int, minutes: str) -> tuple[str, str, str, str]:
    """ "14:20" as "2.20pm", "2:20pm", "2.20 p.m.", "2:20 p.m."; "14:00" as "2pm",
    "2 p.m.", "2.00pm", "2.00 p.m." (a reader tells all four apart: "2 pm" would
    read as "2pm")."""
    h, half = hour % 12, "am" if hour < 12 else "pm"
    dotted = f"{half[0]}.m."
    if minutes == "00":
        return f"{h}{half}", f"{h} {dotted}", f"{h}.00{half}", f"{h}.00 {dotted}"
    return (
        f"{h}.{minutes}{half}",
        f"{h}:{minutes}{half}",
        f"{h}.{minutes} {dotted}",
        (f"{h}:{minutes} {dotted}"),
    )


def time_sites(seg: str, base: int, si: int) -> list[Site]:
    out: list[Site] = []
    times = list(_TIME.finditer(seg))
    for m in times:
        hh, mm = m.group(1), m.group(3)
        clock: tuple[str, ...] = (f"{hh}:{mm}", f"{hh}.{mm}")
        if not _TIME_UNIT.match(seg, m.end()):  # "21:40" / "21.40" / "21:40 hrs" / "21.40 hrs"
            clock = (*clock, f"{hh}:{mm} hrs", f"{hh}.{mm} hrs")
            # The same time on the twelve-hour clock, when it is the sentence's only one
            # (a range keeps one clock: never "between 9pm and 01:00"), not noon or
            # midnight, and not before a full stop ("p.m.." would double it), a capital
            # or a number ("10 a.m. Monday" would read as two sentences).
            rest = seg[m.end() :].lstrip()[:1]
            alone = len(times) == 1 and int(hh) % 12
            if alone and rest != "." and not rest.isupper() and not rest.isdigit():
                clock = (*clock, *_twelve_hour(int(hh), mm))
        if m.group(2) in ":." and len(hh) == 2:
            out.append(Site(base + m.start(), base + m.end(), clock, "time", si))
    return out


def format_sites(seg: str, base: int, si: int, english: str) -> list[Site]:
    """Number, date, spelling, per-cent, clock and sum formats."""
    out: list[Site] = []
    for m in _THOUSANDS.finditer(seg):
        forms = (m.group(0), m.group(1) + m.group(2))
        out.append(Site(base + m.start(), base + m.end(), forms, "number", si))
    for m in _DATE.finditer(seg):
        day = int(m.group(1))
        if 1 <= day <= 31:
            out.append(_date_site(seg, m, day, base, si))
    if english == "en-GB":
        for m in _SPELLING.finditer(seg):
            if m.group(0)[:1].isupper() and seg[: m.start()].strip():
                continue  # a capitalised word mid-sentence is a name ("World Health Organization")
            forms = (
                m.group(1) + ("is" if m.group(2).islower() else "IS") + m.group(3),
                m.group(1) + ("iz" if m.group(2).islower() else "IZ") + m.group(3),
            )
            out.append(Site(base + m.start(), base + m.end(), forms, "spelling", si))
    for m in _PERCENT.finditer(seg):
        out.append(Site(base + m.end(1), base + m.end(2), ("%", " per cent"), "percent", si))
    for m in _MERIDIEM.finditer(seg):
        written = m.group(0)
        dotted = f"{m.group(1)} {m.group(3)[0]}.m."
        if not 1 <= int(m.group(1)) <= 12 or seg[m.end() : m.end() + 1] == ".":
            continue  # "2 a.m." at the end of a sentence would swallow its full stop
        out.append(Site(base + m.start(), base + m.end(), (written, dotted), "time", si))
    for m in _MILLIONS.finditer(seg):
        short = m.group(1) + ("m" if m.group(2) == "million" else "bn")
        out.append(Site(base + m.start(), base + m.end(), (m.group(0), short), "number", si))
    return out
