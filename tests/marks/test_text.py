"""Text fingerprints: round trips, what never changes, reading damaged excerpts, error paths."""

from __future__ import annotations

import random
import re
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from orcon.codes import Code, CodeSpec, accuse, fewest_agreeing
from orcon.errors import UsageError
from orcon.marks.text import decode_text, parse, read_text, render
from orcon.marks.text.vocabulary import WORD_VALUES, number_word

REPORT = (Path(__file__).parents[1] / "data" / "reports" / "harbour-road.md").read_text()
N = 100


@pytest.fixture(scope="module")
def setup():  # type: ignore[no-untyped-def]
    doc = parse(REPORT)
    code = Code.derive(CodeSpec(doc.symbols, 2, 1), b"text-test-secret-0123456789abcdef")
    return doc, code


def _values(text: str) -> list[int]:
    """Every number's value (digits or words), in order: formats may change, values never."""
    out = []
    compounds = {number_word(v): v for v in range(21, 100)}

    def clock(m: re.Match[str]) -> str:  # "2.20pm" is "14:20", "10am" is "10:00"
        hour = int(m.group(1)) % 12 + (12 if m.group(3)[0] == "p" else 0)
        return f"{hour}:{m.group(2) or '00'}"

    text = re.sub(r"\b(\d{1,2})(?:[.:](\d\d))? ?(am|pm|a\.m\.|p\.m\.)", clock, text)
    for tok in re.findall(r"\d+|[A-Za-z]+(?:-[a-z]+)?", text):
        if tok.isdigit():
            out.append(int(tok))
        elif tok.lower() in compounds:
            out.append(compounds[tok.lower()])
        elif tok.lower() in WORD_VALUES:
            out.append(WORD_VALUES[tok.lower()])
    return out


def _names(text: str) -> list[str]:
    """Capitalised words other than lexicon wordings (which may open a sentence)."""
    from orcon.marks.text import lexicon

    common = {t for p in lexicon.load() for form in p.forms for t in form}
    return [w for w in re.findall(r"[A-Z][a-z]+", text) if w.lower() not in common]


def test_copies_are_deterministic_distinct_and_keep_names_numbers_and_structure(setup):
    doc, code = setup
    assert doc.capacity >= 60 and doc.bits_per_word > 0.09
    a, b = render(doc, code.codeword(1)), render(doc, code.codeword(2))
    assert a == render(doc, code.codeword(1)) and a != b
    for copy in (a, b):
        # The same names and numbers, each as often (a list's order may change).
        assert sorted(_values(copy)) == sorted(_values(REPORT))
        assert sorted(_names(copy)) == sorted(_names(REPORT))
        assert [ln for ln in copy.splitlines() if ln.startswith("#")] == [
            ln for ln in REPORT.splitlines() if ln.startswith("#")
        ]
        assert len(copy.splitlines()) == len(REPORT.splitlines())


def test_locks_code_urls_and_quotes_are_never_touched():
    text = (
        "Officers stated that the van was observed {{lock}}approximately 3 miles{{/lock}} away.\n\n"
        'The witness said "the van departed quickly" at 21:40. See https://example.org/approximately.\n\n'
        "```\nobserved = approximately\n```\n"
    )
    doc = parse(text)
    for bits in (np.zeros(doc.symbols, int), np.ones(doc.symbols, int)):
        copy = render(doc, bits)
        assert "approximately 3 miles" in copy and "{{lock}}" not in copy
        assert '"the van departed quickly"' in copy
        assert "https://example.org/approximately" in copy
        assert "```\nobserved = approximately\n```" in copy
    with pytest.raises(UsageError, match="no matching"):
        parse("An {{lock}}unclosed lock.")


def test_an_author_may_write_the_alternatives_of_a_sentence_themselves():
    text = (
        "# Briefing {{lock}}v2{{/lock}}\n\n"
        "The suspect {{alt:was seen|was spotted|was observed|was noticed}} near the "
        "{{alt:harbour|port}} gates, and officers {{alt:stopped|halted}} him{{alt:| soon}} after.\n"
    )
    doc = parse(text, fragile=False)
    assert doc.source.startswith("# Briefing v2\n\nThe suspect was seen near the harbour gates")
    authored = [s for s in doc.sites if s.kind == "author"]
    assert [s.forms for s in authored] == [
        ("was seen", "was spotted", "was observed", "was noticed"),
        ("harbour", "port"),
        ("stopped", "halted"),
        ("", " soon"),
    ]
    # The rules keep out of an author's wordings but work around them ("near", the
    # clause comma), and every copy reads back as itself, retyped.
    rules = [(s.kind, doc.source[s.start : s.end]) for s in doc.sites if s.kind != "author"]
    assert rules == [("lexicon", "near"), ("comma", ", ")]
    rng = np.random.default_rng(5)
    for _ in range(8):
        bits = rng.integers(0, 2, doc.symbols)
        copy = render(doc, bits)
        assert "{{" not in copy and "v2" in copy
        read = read_text(" ".join(copy.lower().split()), doc).observation
        assert (read.likelihoods[:, 1] > 0.5).astype(int).tolist() == bits.tolist()
    # A model kept with a shared item rebuilds the same document from the marked-up text.
    from orcon.marks.text import from_model, to_model

    assert from_model(text, to_model(doc)).sites == doc.sites


@pytest.mark.parametrize(
    "text, needle",
    [
        ("He {{alt:ran|fled|left}} home.", "offers 3 wordings: give 2, 4 or 8"),
        ("He {{alt:left|Left.}} home.", "cannot tell apart"),
        ("He {{lock}}{{alt:ran|fled}}{{/lock}} home.", "locked text never varies"),
        ("# The {{alt:fire|blaze}}\n\nOfficers came.", "in a heading"),
        ('He said "{{alt:no|never}}" twice.', "quotation"),
        ("He {{alt:ran|fled home.", "is not closed"),
        ("He {{alt:ran. Then|fled and}} hid.", "ends or joins sentences"),
        ("He ran{{alt:| off}}{{alt:| fast}} home.", "starts where the one before it does"),
    ],
)
def test_an_authors_alternatives_that_cannot_work_are_refused(text, needle):
    with pytest.raises(UsageError, match=needle):
        parse(text)


def test_a_leak_copy_edited_to_a_house_style_loses_those_sites_not_its_innocence():
    text = (
        "Officers met on 3 October, 14 October and 21 October to organise patrols. "
        "They had 3 vans, 12 officers, 4 dogs and 15 cones. Residents who organised meetings "
        "on 2 November apologised and later recognised the problem."
    )
    doc = parse(text, fragile=False)
    kinds = [s.kind for s in doc.sites]
    assert kinds.count("date") == kinds.count("spelling") == kinds.count("number") == 4

    def styled(word: np.ndarray) -> np.ndarray:
        """Every date as "October 3", US spelling, numbers in words below ten."""
        out, j = word.copy(), 0
        for site in doc.sites:
            value = {"date": 2, "spelling": 1}.get(site.kind)
            if site.kind == "number":
                value = 1 if int(site.forms[0]) < 10 else 0
            if value is not None:
                out[j : j + site.bits] = [(value >> b) & 1 for b in range(site.bits)]
            j += site.bits
        return out

    rng = np.random.default_rng(8)
    kept = 0
    for _ in range(20):
        word = rng.integers(0, 2, doc.symbols)
        edited = read_text(render(doc, styled(word)).lower(), doc).observation
        style = [s.kind in ("date", "spelling", "number") for s in doc.sites for _ in range(s.bits)]
        assert edited.erased[np.array(style)].all()  # read as a style, not as symbols
        assert not edited.erased[~np.array(style)].any()
        plain = read_text(render(doc, word).lower(), doc).observation
        kept += not plain.erased.any()
    # A copy as issued keeps them unless its own wordings happen to look styled.
    assert kept >= 8, kept


def test_whole_copy_retyped_names_the_leaker(setup):
    doc, code = setup
    copy = render(doc, code.codeword(42))
    folded = unicodedata.normalize("NFKD", copy).encode("ascii", "ignore").decode().lower()
    rewrapped = re.sub(r"\s+", " ", folded)
    verdict = accuse(code, read_text(rewrapped, doc).observation, N)
    assert [s.index for s in verdict.accused] == [42]


def test_typos_cost_erasures_not_innocents(setup):
    doc, code = setup
    rng = random.Random(3)
    words = render(doc, code.codeword(7)).split(" ")
    for i in rng.sample(range(len(words)), k=len(words) * 4 // 100):
        w = words[i]
        if len(w) > 3:
            j = rng.randrange(1, len(w) - 1)
            words[i] = w[:j] + w[j + 1 :]  # drop a letter
    reading = read_text(" ".join(words), doc)
    accused = [s.index for s in accuse(code, reading.observation, N).accused]
    assert accused == [7]


def test_interleaved_copies_accuse_only_colluders(setup):
    doc, code = setup
    a = render(doc, code.codeword(3)).split("\n\n")
    b = render(doc, code.codeword(9)).split("\n\n")
    mixed = "\n\n".join(x if i % 2 else y for i, (x, y) in enumerate(zip(a, b, strict=True)))
    accused = {s.index for s in accuse(code, read_text(mixed, doc).observation, N).accused}
    assert accused <= {3, 9}


def test_unrelated_text_and_the_original_accuse_nobody(setup):
    doc, code = setup
    unrelated = "The council met on Tuesday to discuss parking charges and the new library. " * 20
    assert read_text(unrelated, doc).sites_read == 0
    # The original's own wording is nobody's codeword: it must accuse nobody.
    original = read_text(REPORT, doc)
    assert original.sites_read > 0
    assert accuse(code, original.observation, N).accused == ()


@pytest.mark.parametrize(
    ("data", "needle"),
    [(b"   \n\t", "empty"), (b"\xff\xfeR\x00e\x00p\x00", "UTF-8"), (b"caf\xe9 report", "UTF-8")],
)
def test_bad_text_is_refused(data, needle):
    with pytest.raises(UsageError, match=needle):
        parse(decode_text(data))


def test_codeword_must_fit(setup):
    doc, _ = setup
    with pytest.raises(UsageError, match="carries"):
        render(doc, np.zeros(doc.symbols + 1, int))


def test_punctuation_relative_and_number_format_sites():
    text = (
        "Later, officers seized £12,500 in cash from the flat on the upper floor, and the van "
        "that was used in the robbery was recovered. The seized items, the van, and the cash "
        "were logged."
    )
    doc = parse(text, fragile=False)
    kinds = sorted(s.kind for s in doc.sites)
    assert kinds == ["comma", "comma", "comma", "number", "relative"]
    zero = render(doc, np.zeros(doc.capacity, int))
    one = render(doc, np.ones(doc.capacity, int))
    # Symbol 0 is the author's own wording wherever the rule starts from it.
    assert zero == (
        "Later officers seized £12,500 in cash from the flat on the upper floor, and the van "
        "that was used in the robbery was recovered. The seized items, the van and the cash "
        "were logged."
    )
    assert one == (
        "Later, officers seized £12500 in cash from the flat on the upper floor and the van "
        "which was used in the robbery was recovered. The seized items, the van, and the cash "
        "were logged."
    )


def test_a_phrase_after_a_comma_is_not_a_list_item():
    doc = parse(
        "Prepared by the Operations Centre, for partner agencies and the local authority. "
        "Officers seized knives, cash and phones.",
        fragile=False,
    )
    assert [(s.kind, doc.source[s.start : s.end]) for s in doc.sites] == [("comma", " ")]
    assert doc.sites[0].start == doc.source.index(" and phones")


def test_short_lists_and_non_restrictive_clauses_are_left_alone():
    doc = parse(
        "Officers seized drugs, cash and the car. The van, which was stolen, was found. "
        "He said that was wrong. The officers seized 2026 items."
    )
    assert [(s.kind, doc.source[s.start : s.end]) for s in doc.sites] == [("comma", " ")]


def test_the_model_kept_with_an_item_rebuilds_the_same_document(setup):
    from orcon.marks.text import from_model, to_model

    doc, code = setup
    again = from_model(REPORT, to_model(doc))
    assert again.sites == doc.sites and again.sentences == doc.sentences
    assert render(again, code.codeword(3)) == render(doc, code.codeword(3))
    with pytest.raises(UsageError, match="version"):
        from_model(REPORT, {**to_model(doc), "version": 99})
    with pytest.raises(UsageError, match="does not fit"):
        from_model("Too short.", to_model(doc))


def _strip_marks(text: str) -> str:
    return text.replace("\u200b", "").replace("\u2060", "")


def test_fragile_marks_are_invisible_additions_only(setup):
    doc, code = setup
    plain = parse(REPORT, fragile=False)
    assert doc.sites == plain.sites and doc.capacity == plain.capacity
    assert len(doc.gaps) > doc.capacity  # far more marks than wording sites
    copy = render(doc, code.codeword(5))
    # Removing the marks leaves exactly the wording-only copy of the same codeword.
    assert _strip_marks(copy) == render(plain, code.codeword(5)[: plain.capacity])
    assert {ch for ch in copy if ch not in REPORT and not ch.isascii()} <= {"\u200b", "\u2060"}


def test_a_verbatim_quote_is_named_by_its_marks_and_a_retyped_one_by_its_wording(setup):
    doc, code = setup
    copy = render(doc, code.codeword(17))
    body = next(p for p in copy.split("\n\n") if p.startswith("Initial"))
    quote = ". ".join(body.split(". ")[:3]) + "."  # three sentences, 54 words
    article = f"The council met on Tuesday. {quote} The mayor declined to comment."
    reading = read_text(article, doc)
    # Wording alone is too little to name anyone among N; the marks make the difference.
    assert reading.fragile_read >= 15 and reading.sites_read < fewest_agreeing(N, 1e-6, 0.5)
    verdict = accuse(code, reading.observation, N)
    assert [s.index for s in verdict.accused] == [17]
    # The same quote without its marks (a CMS that strips them): wording only.
    stripped = read_text(_strip_marks(article), doc)
    assert stripped.fragile_read == 0 and stripped.sites_read == reading.sites_read
    assert accuse(code, stripped.observation, N).accused == ()


def test_marks_from_two_copies_cancel_out_instead_of_misleading(setup):
    doc, code = setup
    a, b = render(doc, code.codeword(1)), render(doc, code.codeword(2))
    reading = read_text(a + "\n\n" + b, doc)
    differ = code.codeword(1)[doc.capacity :] != code.codeword(2)[doc.capacity :]
    erased = reading.observation.erased[doc.capacity :]
    assert np.all(erased[differ]) and not np.any(erased[~differ])
    accused = {s.index for s in accuse(code, reading.observation, N).accused}
    assert accused <= {1, 2}


@pytest.mark.parametrize(
    "name", ["canal-street", "harbour-road", "riverside-fraud", "water-sector-phishing"]
)
def test_no_wording_breaks_the_a_an_agreement(name):
    text = (Path(__file__).parents[1] / "data" / "reports" / f"{name}.md").read_text()
    doc = parse(text, fragile=False)
    bad = re.compile(r"\b(?:an [b-df-hj-np-tv-z]|a [aeio])\w*", re.I)
    before = set(bad.findall(text))
    rng = np.random.default_rng(7)
    for _ in range(40):
        copy = render(doc, rng.integers(0, 2, doc.symbols))
        assert set(bad.findall(copy)) <= before, set(bad.findall(copy)) - before


def test_oxford_spelling_varies_words_but_never_names():
    doc = parse(
        "Officers recognised the immobiliser had been fitted. The World Health Organization "
        "and the Criminal Justice Organisation were told. Victims were victimised again.",
        fragile=False,
    )
    spelled = [doc.source[s.start : s.end] for s in doc.sites if s.kind == "spelling"]
    assert spelled == ["recognised", "immobiliser", "victimised"]


def test_quantities_before_numbers_and_passive_reporting_verbs():
    doc = parse(
        "More than 400 reports were received. At least nine accounts were frozen. The flat was "
        "searched over three days. Victims were told that they could withdraw funds. Officers "
        "were told that man was lying. He was more than happy to help. The gang made twice as "
        "much. Police attended on two occasions.",
        fragile=False,
    )
    sites = [(s.kind, s.forms) for s in doc.sites]
    assert ("quantity", ("More than", "Over")) in sites
    assert ("quantity", ("At least", "A minimum of")) in sites
    assert ("that", ("", " that")) in sites  # "told that they": optional after a passive
    # "over" before a duration means "during"; "more than happy" is not a quantity;
    # "twice as much" is a multiple, not "on two occasions"; "told that man" is a determiner.
    assert sum(k == "quantity" for k, _ in sites) == 2
    assert sum(k == "that" for k, _ in sites) == 1
    assert [f for k, f in sites if k == "lexicon"] == [("on two occasions", "twice")]


def test_no_wording_starts_two_lexicon_rows():
    from orcon.marks.text import lexicon

    seen: dict[tuple[str, ...], int] = {}
    for i, row in enumerate(lexicon.load()):
        for side in range(len(row.forms)) if row.both else (0,):
            assert row.forms[side] not in seen, (row.surface, seen.get(row.forms[side]))
            seen[row.forms[side]] = i


def _sites(text: str) -> list[tuple[str, str]]:
    doc = parse(text, fragile=False)
    return [(s.kind, doc.source[s.start : s.end]) for s in doc.sites]


def _no_sites(kind: str, *texts: str) -> None:
    """None of ``texts`` has a site of this kind."""
    for text in texts:
        assert not any(k == kind for k, _ in _sites(text)), text


def _both_copies(text: str) -> set[str]:
    """The two copies of a text with one wording symbol."""
    doc = parse(text, fragile=False)
    assert doc.symbols == 1
    return {render(doc, np.array([b])) for b in (0, 1)}


def test_lexicon_rows_apply_only_in_their_context():
    # "the following" is "the next" before a time word, never before a list.
    assert ("lexicon", "the following") in _sites("They met again the following week.")
    assert _sites("He gave the following reasons.") == []
    # "Due to" opens a sentence as a cause; "is due to arrive" is a timetable.
    assert ("lexicon", "Due to") in _sites("Due to the fire, the road was closed.")
    assert _sites("The report is due to arrive on Monday.") == []
    # "should" opens a condition at the start of a sentence.
    assert ("lexicon", "should") in _sites("Operators should check their logs.")
    assert _sites("Should the activity change, call us.") == []
    # ... nor inside a clause where it is no obligation ("till his assent should be obtained").
    assert _sites("The law was suspended till his assent should be given.") == []
    # "who" becomes "that" only right after a noun for people, never after a comma.
    assert ("lexicon", "who") in _sites("Staff who work with suppliers were told.")
    assert _sites("Staff in the company who work here were told.") == []
    assert _sites("The seller, who was interviewed, left.") == []
    # ... nor where a second "who" follows: "men that were ... and who are" breaks the pair.
    assert ("lexicon", "who") in _sites("Officers identified men who were involved.")
    assert _sites("Officers identified men who were involved and who are known.") == []


def test_a_lexicon_condition_the_loader_does_not_know_is_refused():
    from orcon.marks.text.lexicon import _context

    with pytest.raises(ValueError, match="not understood"):
        _context(["nxt=the"], "x")
    with pytest.raises(ValueError, match="not understood"):
        _context(["next=@nothing"], "x")
    assert _context(["next=@det", "start"], "x").fits(None, "the")
    assert not _context(["next=@det", "start"], "x").fits("he", "the")


def test_a_site_after_an_article_carries_the_article_it_needs():
    from orcon.marks.text.rules import _with_article, article

    assert [article(w) for w in ("officer", "unit", "European", "hour", "further", "one")] == [
        "an",
        "a",
        "a",
        "an",
        "a",
        "a",
    ]
    # The article joins the site only when the wordings need different ones.
    assert _with_article("An", 0, 3, ("observed", "noticed")) == (0, ("An observed", "A noticed"))
    assert _with_article("a", 0, 2, ("genuine", "legitimate")) == (2, ("genuine", "legitimate"))
    assert _both_copies("They reported an observed increase in calls.") == {
        "They reported an observed increase in calls.",
        "They reported a noticed increase in calls.",
    }


def test_dates_take_four_forms_and_ranges_keep_the_day_first():
    doc = parse("The shop was visited on 2 September 2026 and again between 1 and 5 October.")
    dates = [s.forms for s in doc.sites if s.kind == "date"]
    assert dates[0] == (
        "2 September 2026",
        "2nd September 2026",
        "September 2, 2026",
        "September 2nd, 2026",
    )
    assert dates[1] == ("5", "5th")  # "between 1 and October 5" would not read as a range


def test_list_order_carries_three_symbols_and_keeps_every_item(setup):
    text = "Officers recovered a laptop, two phones and the keys. The head of the unit met them."
    doc = parse(text, fragile=False)
    (site,) = [s for s in doc.sites if s.kind == "list"]
    assert site.bits == 3 and len(set(site.forms)) == 8
    for value in range(8):
        bits = np.array([(value >> b) & 1 for b in range(doc.capacity)])
        copy = render(doc, bits)
        listed = copy[: copy.index(".")]
        assert sorted(re.split(r",? and |, ", listed.removeprefix("Officers recovered "))) == [
            "a laptop",
            "the keys",
            "two phones",
        ]
        # Every order reads back as itself, retyped.
        reading = read_text(copy.lower(), doc)
        assert reading.sites_read == doc.capacity
        read = (reading.observation.likelihoods[:, 1] > 0.5).astype(int)
        assert read.tolist() == bits.tolist()


def test_lists_that_are_not_free_to_reorder_are_left_alone():
    # The first item could be the tail of "the head of ...": not a list of its own.
    assert not any(
        k == "list" for k, _ in _sites("They met the head of the unit, the manager and the agent.")
    )
    # "respectively" ties the order to another list.
    assert not any(
        k == "list"
        for k, _ in _sites(
            "They paid the seller, the agent and the owner £1, £2 and £3 respectively."
        )
    )


def test_an_and_inside_a_list_item_gets_no_serial_comma():
    # A comma before the first "and" would split "names and sums" into two items.
    text = "Searches recovered three phones, a ledger with names and sums of money, and cash."
    assert _sites(text) == [("number", "three")]
    assert ("comma", " ") in _sites("Searches recovered three phones, a ledger and cash.")


def test_no_serial_comma_where_the_and_joins_no_list():
    # "between 400 and 900 metres" is a range; "the separate and equal station" two
    # adjectives; after "if so" the "and" joins two orders, not the last items of a list.
    _no_sites(
        "comma",
        "They flew from a car park to the south, between 400 and 900 metres away.",
        "They assumed among the powers of the earth, the separate and equal station.",
        "Partners should check the logs and, if so, reset those credentials and review them.",
        "It went to the police, the council, HM Revenue and Customs.",
        "The seller, a private individual, was contacted and provided a statement.",
    )
    listed = _sites("They flew from a car park, a field and a yard.")
    assert {"comma", "list"} & {kind for kind, _ in listed}


def test_a_relative_that_after_a_plural_noun_only_where_the_noun_is_a_thing():
    assert _sites("They used phones that were smuggled in.") == [("relative", "that")]
    assert _sites("They checked numbers which are listed.") == [("relative", "which")]
    # People take "who"/"that", never "which"; after "of" the clause may be about the owners;
    # "that" before a singular verb may be a demonstrative ("says that is wrong").
    _no_sites(
        "relative",
        "They stopped suspects that were known.",
        "They stopped drivers that were known.",
        "They traced the owners of stolen phones that were sold.",
        "He says that is wrong.",
    )


def test_lexicon_rows_keep_to_the_sense_they_were_reviewed_in():
    rewritten = {
        "He waited while they searched.": "while",
        "It was hard to see the car.": "hard to",
        "Thefts take place at night.": "take place",
        "There is no trace of it so far.": "so far",
        "Officers contacted the owner.": "contacted",
        "Losses are in excess of four million pounds.": "in excess of",
        "Eleven people were later banned from matches.": "later",
        "A group has been seen gathering near the entrance.": "been seen",
        "They met at a pub near the station.": "near",
        "The club will open one hour earlier than usual.": "one hour",
        "Owners received letters about offences.": "letters about",
        "Over the summer we received reports.": "Over the summer",
    }
    for text, words in rewritten.items():
        assert ("lexicon", words) in _sites(text), text
    _no_sites(
        "lexicon",
        "Several did not know the address.",  # a pronoun: "a number of" needs a noun
        "He waited for a while before leaving.",  # a noun
        "They worked hard to find him.",  # an adverb
        "A debrief will take place on Monday.",  # a planned event
        "So far as we know, nobody saw it.",  # not the end of a clause
        "The owner was contacted by officers.",  # the passive
        "It lasted in excess of three weeks.",  # a duration: never "above three weeks"
        "The man was seen as a threat.",  # "seen as" is "regarded as", not "observed"
        "The meeting was later than planned.",  # a comparative, not "subsequently"
        "Prices near the record high.",  # "near" may be a verb
        "It takes the one hour slot.",  # "the an hour" is not English
        "Owners received letters about a dozen times.",  # "about" is "approximately"
        "Prices went over the summer peak.",
    )


def test_that_may_be_added_before_a_subject_pronoun_after_a_reporting_verb():
    doc = parse("Officers said they had found nothing. He told staff he had fallen.", fragile=False)
    assert [(s.kind, s.forms, s.start == s.end) for s in doc.sites] == [
        ("that", ("", " that"), True)
    ] * 2
    copies = {render(doc, np.array([a, b])) for a in (0, 1) for b in (0, 1)}
    assert "Officers said that they had found nothing. He told staff he had fallen." in copies
    # After "told" the person told comes first: "that" goes after them, never before.
    assert "Officers said they had found nothing. He told staff that he had fallen." in copies
    assert not any("told that" in c for c in copies)
    assert [k for k, _ in _sites("She informed the officer they were leaving.")] == [
        "lexicon",
        "that",
    ]
    assert [k for k, _ in _sites("He told them there was a bomb.")] == ["that"]
    # Never a second "that" right after a relative one ("circumstances that suggest that").
    assert _sites("They were found in circumstances that suggest they were working.") == []
    # "told him the car" is no clause after the object; "told the court" names no person told
    # before a pronoun here.
    assert _sites("They told him the car was gone.") == []
    assert _sites("He told them there.") == []
    # A number starts the clause too ("stated that eleven stalls were damaged").
    assert [k for k, _ in _sites("He said that 40 people came.")] == ["that", "number"]
    # "there" starts a clause only before a verb: "found there was", not "found there a bag".
    assert [k for k, _ in _sites("They found there was no damage.")] == ["that"]
    assert _sites("They found there a bag of cash.") == []
    # The added words are read back from a retyped copy.
    both = render(doc, np.array([1, 1]))
    assert read_text(both.lower(), doc).sites_read == 2


def test_two_noun_phrases_may_swap_only_where_order_and_attachment_carry_nothing():
    doc = parse("Officers searched the house and a garage.", fragile=False)
    (site,) = doc.sites
    assert (site.kind, site.forms) == ("pair", ("the house and a garage", "a garage and the house"))
    for bit in (0, 1):
        copy = render(doc, np.array([bit]))
        reading = read_text(copy.lower(), doc)
        assert reading.sites_read == 1
        assert int(reading.observation.likelihoods[0, 1] > 0.5) == bit
    left_alone = [
        "They searched the house and the dog barked.",  # the second "item" is a clause
        "Officers from the unit and the police came.",  # "from" may govern the first alone
        "It happened between the first and the second visit.",  # a range, and ordinals
        "He met the tenant and his neighbour.",  # a possessive's owner would move
        "They spoke to the head of the unit and the manager.",  # maybe one person's titles
        "The van and the car were seized.",  # the start of the sentence
    ]
    for text in left_alone:
        assert not any(k == "pair" for k, _ in _sites(text)), text


def test_numbers_before_an_abbreviated_unit_stay_in_digits():
    doc = parse("The total weight was 97 kilograms, about 3 miles from a few grams.", fragile=False)
    assert ("kilograms", "kg") in [s.forms for s in doc.sites]
    # "97" stays digits (no "ninety-seven kg"), "3 miles" may be "three miles".
    assert [s.forms for s in doc.sites if s.kind == "number"] == [("3", "three")]
    assert not any(s.forms == ("grams", "g") for s in doc.sites)  # "a few g"


def test_that_after_the_person_told_may_also_be_dropped():
    assert _both_copies("A man told officers that he had been paid.") == {
        "A man told officers that he had been paid.",
        "A man told officers he had been paid.",
    }


def test_two_numbers_joined_keep_one_format():
    # "two or 3 vehicles" would mix words and digits; a number on its own still varies.
    assert _sites("They used two or 3 vans and 2 to 4 cars in 3 towns.") == [("number", "3")]


def test_a_lone_clock_time_may_also_be_written_on_the_twelve_hour_clock():
    def forms(text: str) -> list[tuple[str, ...]]:
        return [s.forms for s in parse(text, fragile=False).sites if s.kind == "time"]

    assert forms("Officers arrived at 14:20 on the estate.") == [
        ("14:20", "14.20", "14:20 hrs", "14.20 hrs", "2.20pm", "2:20pm", "2.20 p.m.", "2:20 p.m.")
    ]
    assert forms("The order runs from 10:00 until midnight.")[0][4:] == (
        "10am",
        "10 a.m.",
        "10.00am",
        "10.00 a.m.",
    )
    # A range keeps one clock; noon and midnight have no am/pm; "p.m." never meets a full stop.
    for text in (
        "Flights took place between 21:00 and 01:00 at night.",
        "The meeting starts at 12:30 today.",
        "The meeting starts at 00:30 today.",
        "Kick-off is at 15:00.",
        "The order runs from 10:00 Monday.",  # "10 a.m. Monday" would end a sentence
    ):
        assert all(len(f) == 4 for f in forms(text)), text
    # Every copy reads back as itself, retyped.
    doc = parse("The order runs from 14:20 until midnight.", fragile=False)
    assert doc.symbols == 3
    for value in range(8):
        bits = np.array([(value >> b) & 1 for b in range(3)])
        reading = read_text(render(doc, bits).lower(), doc)
        assert (reading.observation.likelihoods[:, 1] > 0.5).astype(int).tolist() == bits.tolist()


def test_clock_times_with_am_pm_and_sums_in_millions_take_two_formats():
    doc = parse("They came at 2am and left by 5 pm with £7.8 million in cash.", fragile=False)
    assert [s.forms for s in doc.sites] == [
        ("2am", "2 a.m."),
        ("5 pm", "5 p.m."),
        ("£7.8 million", "£7.8m"),
    ]
    other = render(doc, np.ones(3, dtype=int))
    assert other == "They came at 2 a.m. and left by 5 p.m. with £7.8m in cash."
    reading = read_text(other.lower(), doc)
    assert reading.sites_read == 3
    assert (reading.observation.likelihoods[:, 1] > 0.5).all()
    # Never at the end of a sentence, where "a.m." would swallow the full stop.
    assert _sites("It ended at 2am.") == []


def test_the_comma_before_a_second_clause_goes_only_after_a_clause():
    # After an earlier comma the words before ", and" must hold a finite verb: else they
    # are a phrase or the end of a list, and without the comma the second clause's
    # subject would read as one more item.
    _no_sites(
        "comma",
        "Six people have been arrested, two of them adults from Lowbridge, and one has been "
        "charged.",
        "Officers will work with the fire service, the council and partner agencies, and a "
        "further update will follow.",
    )
    assert ("comma", ", ") in _sites(
        "In March, about forty supporters fought in the car park, and two stewards were hurt."
    )
    assert ("comma", ", ") in _sites("Officers searched the house twice, and the car was seized.")


def test_the_comma_before_a_second_clause_stays_when_an_aside_delays_its_verb():
    # Without the comma, "visitors at all hours and the tenant" would read as a list
    # until the verb after the aside arrives.
    _no_sites(
        "comma",
        "Neighbours have reported visitors at all hours, and the tenant, who is frail, has "
        "not been seen.",
    )
    assert ("comma", ", ") in _sites(
        "Neighbours have reported visitors at all hours, and the tenant has not been seen, "
        "which is unusual."
    )


def test_the_comma_between_an_opening_phrase_and_a_number_stays():
    assert _sites("Between July and October 2026, 212 cars were stolen.") == []
    assert _sites("Between July and October, officers seized 212 cars.") == [("comma", ",")]


def test_a_gap_beside_a_wording_site_is_located_in_every_form_of_the_site():
    text = (
        "Officers said they found the van abandoned near the ring road yesterday evening. "
        "The driver was later seen at the rear of the station by two witnesses."
    )
    doc = parse(text)
    assert doc.capacity >= 3 and doc.gaps
    beside = [g for g in doc.gaps for s in doc.sites if min(abs(g - s.start), abs(g - s.end)) < 12]
    assert beside, "some gaps sit right beside a site"
    for value in range(2**doc.capacity):
        bits = [(value >> b) & 1 for b in range(doc.capacity)]
        marks = [(value + k) % 2 for k in range(len(doc.gaps))]
        copy = render(doc, np.array(bits + marks))
        reading = read_text(copy, doc)
        assert reading.fragile_read == len(doc.gaps), value
        read = (reading.observation.likelihoods[doc.capacity :, 1] > 0.5).astype(int)
        assert read.tolist() == marks


def test_the_indexed_search_reads_exactly_what_a_full_scan_reads(setup):
    from orcon.marks.text import reader

    doc, code = setup

    def scan(where, site, form, fuzzy):  # type: ignore[no-untyped-def]
        leak = where.leak
        return any(
            all(reader._tok(leak[i + k], w, fuzzy) for k, w in enumerate(form))
            and reader._forward(leak, i + len(form), site.right)
            and reader._backward(leak, i, site.left)
            for i in range(len(leak) - len(form) + 1)
        )

    def typos(text: str, rng: random.Random) -> str:
        words = text.split(" ")
        for i in rng.sample(range(len(words)), k=len(words) // 4):
            if len(words[i]) > 3:
                k = rng.randrange(1, len(words[i]) - 1)
                words[i] = words[i][:k] + words[i][k + 1 :]
        return " ".join(words)

    rng = random.Random(5)
    for j in range(6):
        folded = unicodedata.normalize("NFKD", render(doc, code.codeword(j)))
        copy = " ".join(folded.encode("ascii", "ignore").decode().lower().split())
        words = copy.split(" ")
        start = rng.randrange(len(words) - 120)
        for leak in (copy, typos(copy, rng), " ".join(words[start : start + 120])):
            fast = read_text(leak, doc).observation
            reader._occurs, saved = scan, reader._occurs
            try:
                slow = read_text(leak, doc).observation
            finally:
                reader._occurs = saved
            assert (fast.erased == slow.erased).all()
            assert np.array_equal(fast.likelihoods[~fast.erased], slow.likelihoods[~slow.erased])


def test_a_relative_that_after_a_singular_noun_only_where_the_noun_is_a_thing():
    assert ("relative", "that") in _sites("They did not know the company that paid them.")
    assert ("relative", "that") in _sites("He had a burn on his hand that had not been treated.")
    assert ("relative", "that") in _sites("The van that was seen in the street had false plates.")
    _no_sites(
        "relative",
        "Police spoke to the officer that was injured in the crash.",  # a person: never "which"
        "They interviewed the man that paid the driver.",
        "He told the court that armed men were outside.",  # what he told: "that" starts it
    )


def test_a_list_of_three_unknowns_may_be_reordered_unless_a_pronoun_points_back():
    text = (
        "We have not yet identified where the group stores the vehicles, who buys the "
        "metal after it leaves the yard, or whether the same people work in other forces."
    )
    doc = parse(text, fragile=False)
    (site,) = [s for s in doc.sites if s.kind == "list"]
    assert len(site.forms) == 8
    items = {
        "where the group stores the vehicles",
        "who buys the metal after it leaves the yard",
        "whether the same people work in other forces",
    }
    for form in site.forms:
        assert {part.strip() for part in re.split(r", (?:or )?| or ", form)} == items, form
    # "they" in the last question points back to "the drugs": only its serial comma may vary.
    back = parse(
        "We do not know who runs the line, how the drugs reach the town, or where they are kept.",
        fragile=False,
    )
    assert [(s.kind, s.forms) for s in back.sites if s.kind != "lexicon"] == [
        ("comma", (" ", ", "))
    ]
    # Not after a verb of knowing, or where the sentence speaks of order: left alone.
    _no_sites(
        "list",
        "Officers asked who runs the line, how the drugs arrive, or where the cash is held.",
        "We first need to know who runs the line, how the drugs arrive, or where cash is held.",
    )


def test_before_and_after_become_prior_to_and_following_only_before_an_event():
    assert ("lexicon", "before") in _sites("The pub will be visited before the match.")
    assert ("lexicon", "After") in _sites("After his arrest, he refused to speak.")
    assert ("lexicon", "after") in _sites("A debrief is held on the Monday after the match.")
    for text in (
        "He will be interviewed before the police arrive.",  # a clause follows
        "He appeared before the court on Monday.",  # "in front of"
        "Before the match ends, police will move in.",  # a clause
        "Staff looked after the children.",  # a verb's particle
        "They left shortly after the match.",  # "shortly following" is not idiomatic
    ):
        assert not {"before", "Before", "after"} & {w for _, w in _sites(text)}, text


def test_a_second_infinitive_may_drop_its_to():
    text = "The council is asked to review the licences and to share the results."
    assert ("infinitive", " to") in _sites(text)
    copies = _both_copies("The club agreed to open the gates and to check the bags.")
    assert copies == {
        "The club agreed to open the gates and to check the bags.",
        "The club agreed to open the gates and check the bags.",
    }
    _no_sites(
        "infinitive",
        "Officers went to the station and to the park.",  # prepositions
        "He wanted to leave, and to his surprise the door was open.",
    )
