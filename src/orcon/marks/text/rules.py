"""The rules that find wording sites in a sentence: a reviewed lexicon, number, date
and time formats, commas, relatives, list and pair order, and a few clause-level
alternations, each applied only where its conditions (stated beside it) make it
meaning-preserving without a parse. See docs/marks-text.md for the list and
docs/adr/0005 for why each condition is there.
"""

from __future__ import annotations

import re

from orcon.marks.text import lexicon
from orcon.marks.text.formats import format_sites, time_sites
from orcon.marks.text.normalize import token_spans
from orcon.marks.text.sites import Sentence, Site
from orcon.marks.text.vocabulary import (
    AFTER_THAT,
    NOT_LIST_ITEM,
    NOT_NOUN,
    OBJECT_FIRST,
    OBJECT_PRONOUNS,
    PEOPLE,
    PEOPLE_PLURALS,
    PERSON_SUFFIXES,
    QUANTIFIERS,
    REPORTING,
    SHORT_UNITS,
    SUBJECTS,
    THERE_VERBS,
    THINGS_LIKE_PEOPLE,
    UNITS,
    WORD_VALUES,
    number_word,
)

_INTRO = re.compile(
    r"^((?:In|On|At|During|Between|Following|Within|After|Before|By|Since|Until)"
    r"\s[\w' -]{2,40}?),\s"
)
# Comma before "and"/"but" joining two clauses: the next word starts a clause.
_CLAUSE_COMMA = re.compile(
    r",(?= (?:and|but|although|though|whereas) "
    r"(?:the|a|an|it|he|she|they|we|there|this|these|those|his|her|their|its|"
    r"officers|police|no|one|two|three|four|five|six|seven|eight|nine|ten|[A-Z][a-z]+|\d+)\b)"
)
# Restrictive relative "that"/"which" (no comma before) after a determiner-led noun phrase.
_RELATIVE = re.compile(
    r"\b(?:[Tt]he|[Aa]n?|[Aa]ny|[Ee]ach|[Ee]very|[Tt]his|[Tt]hese|[Tt]hose|[Aa]nother|[Ss]ome|"
    r"[Aa]ll|[Nn]o|[Hh]is|[Hh]er|[Tt]heir|[Ii]ts|[Oo]ur)((?: [a-z][a-z-]+){1,2}) "
    r"(that|which)(?= (?:was|were|is|are|has|had|have|will|would|could|can|may|might|should|"
    r"must|[a-z]{3,}ed|paid|made|sent|held|kept|took|gave|found|left|sold|bought|brought|ran|"
    r"led|carried|showed|caused|contained|linked|allowed)\b)"
)
# The same after a plural noun with no determiner ("phones that were smuggled in"): a
# plural verb right after "that" leaves no other reading (a complement clause needs a
# subject; a demonstrative "that" is singular). Never with "of" just before the noun ("the
# owners of stolen phones that were": the clause may be about the owners).
_PLURAL_RELATIVE = re.compile(r"\b([a-z][a-z-]{2,}s) (that|which)(?= (?:were|are|have|had)\b)")
# A comma after an opening adverb or a short subordinate clause ("Later, officers ...").
_OPENER = re.compile(
    r"^((?:Subsequently|Later|Initially|Meanwhile|Afterwards|Currently|Additionally|Separately|"
    r"Overall|Finally|Previously|Recently|Yesterday|Today|Ultimately|Accordingly|At present|"
    r"At first|To date|So far|Upon arrival|Instead|Furthermore|Moreover|Overnight|Earlier|"
    r"Elsewhere|Similarly|Likewise|Again|Fortunately|Unfortunately|Notably|Importantly|"
    r"This morning|This afternoon|This evening|Last night|Last week|Last month|Earlier today|"
    r"Later that day|That evening|That night|The next day|The following day|"
    r"(?:When|Once|Although|Though|While|Whilst|If|As soon as|Because) [\w' -]{2,50}?)),\s"
)


def _case(form: str, like: str) -> str:
    return form[:1].upper() + form[1:] if like[:1].isupper() else form


_ITEM = (
    r"(?:(?:the|a|an|their|its|his|her|our|any|two|three|four|five|six) [a-z][\w'-]*"
    r"(?: [a-z][\w'-]*){0,3}|[A-Z][\w'-]+(?: [A-Z][\w'-]+){0,2})"
)
_LIST = re.compile(rf"(?<![\w'-])({_ITEM}), ({_ITEM})(,?) (and|or) ({_ITEM})(?=[.,;:]|$)")
# Words that never sit inside a list item: they start a clause or join two.
_NOT_IN_ITEM = frozenset(
    {"and", "or", "but", "which", "who", "whom", "that", "was", "were", "is", "are", "has",
     "have", "had", "will", "would", "been", "be", "being", "then", "when", "while", "where",
     "before", "after"}
)  # fmt: skip
_ORDERED = re.compile(
    r"\b(?:respectively|first|firstly|then|finally|followed|order|ranked)\b", re.I
)
_PERMUTATIONS = ((0, 1, 2), (1, 0, 2), (0, 2, 1), (2, 1, 0))
# Two noun phrases joined by "and"/"or", each led by a determiner (not a possessive,
# whose owner would change with the order) and ending the clause: "the van and a car".
_PAIR_ITEM = r"(?:the|a|an|two|three|four|five|six|several|both) [a-z][\w'-]*(?: [a-z][\w'-]*){0,3}"
_PAIR = re.compile(rf"(?<![\w'-])({_PAIR_ITEM}) (and|or) ({_PAIR_ITEM})(?=[.,;:]|$)")
# Before a pair, a preposition may govern only its first item ("officers from the
# unit and the police"), "between" makes a range and "of" may take the first item
# as the tail of a longer phrase: a pair there is left alone.
_NOT_BEFORE_PAIR = frozenset(
    {"of", "from", "in", "on", "at", "by", "with", "for", "to", "into", "onto", "between",
     "about", "near", "around", "behind", "under", "over", "through", "across", "against",
     "without", "within", "like", "than", "as", "after", "before", "during", "among",
     "amongst", "towards", "toward", "beyond", "via", "per", "including", "both", "either",
     "neither", "whether", "not", "only"}
)  # fmt: skip
# Past forms that would make an "item" a clause ("the house and the dog barked").
_PAST = re.compile(
    r"^(?:[a-z]+ed|left|went|came|ran|took|fled|made|said|got|gave|found|saw|drove|told|"
    r"kept|held|met|sent|paid|put|set|led|brought|bought|sold|stood|sat|fell|knew|began|"
    r"became|broke|spoke|wrote|stole|hid|lost|won|seemed|appeared|fought|threw|caught|thought|"
    r"felt|heard|meant|built|spent|struck|sought|dealt|chose|drew|grew|flew|shook|withdrew)$"
)
# Finite verbs that show a stretch of words is a clause.
_FINITE = frozenset(
    {"is", "are", "was", "were", "has", "have", "had", "will", "would", "can", "could", "may",
     "might", "must", "should", "shall", "did", "does", "do"}
)  # fmt: skip
_SUBORDINATORS = frozenset(
    {"if", "when", "where", "while", "whilst", "although", "though", "because", "unless", "once"}
)
_ORDINAL_WORDS = frozenset(
    {"first", "second", "third", "former", "latter", "last", "next", "other"}
)


def _relative_site(m: re.Match[str], base: int, si: int) -> Site:
    """Restrictive "that" / "which", the word in the match's group 2."""
    word = m.group(2)
    forms = (word, "which" if word == "that" else "that")
    return Site(base + m.start(2), base + m.end(2), forms, "relative", si)


_PEOPLE_SINGULAR = frozenset(
    {"man", "woman", "child", "person", "boy", "girl", "suspect", "victim", "youth", "adult",
     "male", "female", "friend", "relative", "colleague", "official", "leader", "member",
     "partner", "mule", "pilot", "agent", "resident", "student", "client", "patient", "family",
     "tenant", "courier", "dealer", "gang", "crew", "team"}
)  # fmt: skip
# Verbs whose object may be followed by what was said ("warned the bank that ...").
_TELLING = frozenset(
    {"told", "tell", "tells", "informed", "inform", "warned", "warn", "advised", "advise",
     "reminded", "remind", "assured", "assure", "notified", "notify", "persuaded", "convinced",
     "satisfied", "showed", "shown", "taught", "promised", "asked", "alerted", "reassured"}
)  # fmt: skip
_PERSON_ENDINGS = ("er", "or", "ist", "ian", "ant", "ent", "ee", "man", "woman")


def _a_thing(noun: str) -> bool:
    """Might ``noun`` be a noun for a thing, never for people ("the van which was seen",
    never "the officer which was")? Errs towards people."""
    if noun.endswith("s") and not noun.endswith(("ss", "us", "is")):
        return _a_plural_thing(noun)
    if noun in PEOPLE or noun in _PEOPLE_SINGULAR or noun + "s" in PEOPLE_PLURALS:
        return False
    if noun + "s" in THINGS_LIKE_PEOPLE:
        return True
    return not noun.endswith(_PERSON_ENDINGS)


def _a_plural_thing(noun: str) -> bool:
    """Might ``noun`` be a plural for things, never for people (who take "who"/"that",
    not "which")? Errs towards people."""
    if noun.endswith(("ss", "us", "is", "ous")) or noun in PEOPLE or noun in PEOPLE_PLURALS:
        return False
    if noun in NOT_NOUN or noun in REPORTING:
        return False
    return noun in THINGS_LIKE_PEOPLE or not noun.endswith(PERSON_SUFFIXES)


def _list_sites(seg: str, base: int, si: int) -> list[Site]:
    """The order of a three-item list ("A, B and C"), two symbols, and its serial comma,
    a third.

    Only lists whose items are noun phrases led by a determiner or a name, that
    end the clause and do not start the sentence; not governed by "of", and with
    no "of" in the first item (either way the first item could be the head of a
    longer phrase: "the head of the unit, the manager and the agent" may be one
    person's titles); never in a sentence that speaks of order ("respectively",
    "first", "then")."""
    if _ORDERED.search(seg):
        return []
    out = []
    for m in _LIST.finditer(seg):
        items = (m.group(1), m.group(2), m.group(5))
        before = seg[: m.start()].rstrip()
        if (
            not before
            or before.endswith(("of", "'s", "\u2019s"))
            or not seg[m.start() - 1].isspace()
        ):
            continue
        if any(w in _NOT_IN_ITEM for item in items for w in item.lower().split()):
            continue
        if " of " in items[0]:  # "the head of the unit, the manager and ...": maybe one item
            continue
        conj, commas = m.group(4), (m.group(3), "," if not m.group(3) else "")
        forms = tuple(
            f"{items[a]}, {items[b]}{comma} {conj} {items[c]}"
            for comma in commas
            for a, b, c in _PERMUTATIONS
        )
        out.append(Site(base + m.start(), base + m.end(), forms, "list", si))
    for m in _PAIR.finditer(seg):
        first, conj, second = m.group(1), m.group(2), m.group(3)
        before = seg[: m.start()].rstrip()
        prev = before.rsplit(maxsplit=1)[-1].lower() if before else ""
        if before.endswith((",", ";", ":", "'s", "\u2019s")) or prev in _NOT_BEFORE_PAIR:
            continue
        if not before:  # the start of the sentence (its capital would move)
            continue
        words = [w for item in (first, second) for w in item.lower().split()]
        if any(w in _NOT_IN_ITEM or w in _ORDINAL_WORDS or _PAST.match(w) for w in words):
            continue
        if " of " in first or re.search(r", (?:and|or) ", seg[m.end() :]):
            continue
        forms = (f"{first} {conj} {second}", f"{second} {conj} {first}")
        out.append(Site(base + m.start(), base + m.end(), forms, "pair", si))
    return out


# A list of three questions ending a sentence after a verb of knowing ("We do not know
# who runs the line, how the drugs arrive, or where they are kept"): what is unknown
# has no order. Items hold no comma.
_WH = r"(?:who|how|where|whether|what|when|why|which)"
_WH_ITEM = rf"{_WH} [^,;:()\"\u201c]+?"
_WH_LIST = re.compile(rf"(?<![\w'-])({_WH_ITEM}), ({_WH_ITEM})(,?) (or|and) ({_WH_ITEM})(?=\.?$)")
_KNOWING = frozenset(
    {"know", "known", "identified", "identify", "established", "establish", "say", "clear",
     "unclear", "determined", "determine", "confirmed", "confirm", "understand", "understood",
     "ascertained", "ascertain", "sure", "certain", "tell", "discovered", "found", "out"}
)  # fmt: skip
_PEOPLE_PRONOUNS = frozenset({"he", "she", "him", "his", "her", "hers", "they", "them", "their"})
_LAST_NOUN_PHRASE = re.compile(r"\b(?:the|a|an) ([a-z][\w-]*)(?: ([a-z][\w-]*))?")


def _stands_alone(item: str) -> bool:
    """Can this question move before the others? Not when a pronoun in it may point back
    to an earlier one ("how the drugs arrive, or where they are kept"). An "it" is kept
    only when a singular noun phrase of its own comes before it ("who buys the metal
    after it leaves the yard"); a pronoun for people or a plural never."""
    words = re.findall(r"[a-z']+", item.lower())
    if any(w in _PEOPLE_PRONOUNS for w in words):
        return False
    for m in re.finditer(r"\b(?:it|its)\b", item.lower()):
        phrases = list(_LAST_NOUN_PHRASE.finditer(item.lower()[: m.start()]))
        if not phrases or any(w and w.endswith("s") for w in phrases[-1].groups()):
            return False
    return True


def _question_list_sites(seg: str, base: int, si: int) -> list[Site]:
    """The order of a list of three questions ("who …, how …, or where …"), two symbols,
    and its serial comma, a third; the comma alone where an item cannot move."""
    if _ORDERED.search(seg):
        return []
    m = _WH_LIST.search(seg)
    if not m:
        return []
    before = seg[: m.start()].split()
    if not before or before[-1].lower().strip(",") not in _KNOWING:
        return []
    items = (m.group(1), m.group(2), m.group(5))
    conj, commas = m.group(4), (m.group(3), "," if not m.group(3) else "")
    if not all(_stands_alone(item) for item in items):
        at = base + m.end(2)
        return [Site(at, at + len(m.group(3)) + 1, (" ", ", "), "comma", si)]  # a serial comma
    forms = tuple(
        f"{items[a]}, {items[b]}{comma} {conj} {items[c]}"
        for comma in commas
        for a, b, c in _PERMUTATIONS
    )
    return [Site(base + m.start(), base + m.end(), forms, "list", si)]


def _serial_comma_sites(seg: str, base: int, si: int) -> list[Site]:
    """The serial (Oxford) comma: "A, B and C" / "A, B, and C", only where the words
    before "and" close a list of short items."""
    out: list[Site] = []
    for m in re.finditer(r"(,\s*[\w][\w' -]{0,40}?)(,?)( (?:and|or) )", seg):
        first = m.group(1)[1:].split(maxsplit=1)[0].lower()
        if first in NOT_LIST_ITEM:  # ", for partners and the council": a phrase, not a list
            continue
        if re.search(r", (?:and|or) ", seg[m.end() :]):
            continue  # "a ledger with names and sums of money, and cash": "and" inside an item
        lead = seg[: m.start()].rsplit(",", 1)[-1].split(maxsplit=1)
        if lead and lead[0].lower() in _SUBORDINATORS:
            continue  # "and, if so, reset the password and review": no list before "and"
        item = m.group(1)[1:].split()
        last = re.split(r"[,;:.!?]", seg[m.end() :], maxsplit=1)[0].split()
        if item[-1][:1].isupper() and last and last[0][:1].isupper():
            continue  # "HM Revenue and Customs": the "and" may belong to a name
        dets = lexicon.CLASSES["@det"]
        if len(item) == 2 and first in dets and len(last) > 1 and last[0].lower() not in dets:
            continue  # "the separate and equal station": two adjectives, not two items
        if "," not in m.group(1)[1:] and m.group(1).count(" ") <= 4:
            out.append(Site(base + m.end(1), base + m.start(3) + 1, (" ", ", "), "comma", si))
    return out


# Words whose first letter misleads: "a unit", "a European", "an hour".
_A_BEFORE_VOWEL = ("uni", "use", "usu", "uti", "eu", "one", "once")
_AN_BEFORE_CONSONANT = ("hour", "honest", "honour", "heir")


def article(word: str) -> str:
    """The indefinite article a word takes, by its spelling (good enough for a lexicon
    of ordinary words: the exceptions above cover those that start with a vowel
    letter but a consonant sound, and the reverse)."""
    w = word.lower()
    if w.startswith(_AN_BEFORE_CONSONANT):
        return "an"
    return "an" if w[:1] in "aeiou" and not w.startswith(_A_BEFORE_VOWEL) else "a"


def _with_article(
    written: str, at: int, start: int, forms: tuple[str, ...]
) -> tuple[int, tuple[str, ...]]:
    """Make a site after "a"/"an" take the article in, when its wordings need different
    ones ("an additional" / "a further"), so that no copy reads "an further"."""
    needs = [article(f) for f in forms]
    if all(n == written.lower() for n in needs):
        return start, forms
    return at, tuple(_case(n, written) + " " + f for n, f in zip(needs, forms, strict=True))


def _in_number_run(toks: list[tuple[str, int, int]], i: int) -> bool:
    """Is token i one of two numbers joined by "or"/"to"/"and" ("two or three", "2 to 3")?
    Rewriting one of them alone would mix digits and words."""

    def number(j: int) -> bool:
        return 0 <= j < len(toks) and (toks[j][0].isdigit() or toks[j][0] in WORD_VALUES)

    joins = ("or", "to", "and")
    before = i >= 2 and toks[i - 1][0] in joins and number(i - 2)
    after = i + 2 < len(toks) and toks[i + 1][0] in joins and number(i + 2)
    return before or after


def _told_object(toks: list[tuple[str, int, int]], k: int) -> tuple[int, int] | None:
    """After "told"/"informed"/...: where an optional "that" goes after a one- or two-word
    object ("them", "staff", "the officer") that a clause with a subject pronoun follows,
    as (index of the object's last token, index of a "that" already written or -1)."""
    for size in (1, 2):
        words = [t for t, _, _ in toks[k : k + size + 3]]
        if len(words) < size + 1:
            return None
        person = (size == 1 and (words[0] in OBJECT_PRONOUNS or words[0] in PEOPLE)) or (
            size == 2 and words[0] == "the" and words[1] in PEOPLE
        )
        if not person:
            continue
        rest = words[size:]
        has_that = rest[0] == "that"
        rest = rest[1:] if has_that else rest
        if rest and (
            rest[0] in SUBJECTS or (rest[0] == "there" and rest[1:2] and rest[1] in THERE_VERBS)
        ):
            return k + size - 1, (k + size if has_that else -1)
    return None


# "before the match" / "prior to the match", "after his arrest" / "following his arrest":
# only before a noun for an event or a point in time, so that "before" is a preposition
# ("before the police arrived" starts a clause, which "prior to" cannot), and never where
# "before" means "in front of" ("appeared before the court") or "after" belongs to a verb
# ("looked after the children").
_EVENT_PREPOSITIONS = {"before": "prior to", "after": "following"}
_EVENT_DETERMINERS = frozenset({"the", "a", "an", "his", "her", "their", "its", "our", "this"})
_EVENTS = frozenset(
    {"match", "meeting", "end", "start", "deadline", "visit", "event", "hearing", "trial",
     "weekend", "fixture", "kick-off", "game", "incident", "attack", "arrest", "arrests",
     "search", "raid", "operation", "interview", "election", "launch", "release", "holiday",
     "holidays", "festival", "closure", "briefing", "debrief", "review", "journey", "flight",
     "departure", "arrival", "theft", "thefts", "offence", "explosion", "fire", "collision",
     "shooting", "stabbing", "robbery", "burglary", "sale", "auction", "publication",
     "announcement", "deployment", "inspection", "opening", "disorder", "seizure", "crash",
     "summer", "winter", "spring", "autumn", "outbreak", "break-in", "intrusion", "breach"}
)  # fmt: skip
_NOT_BEFORE_EVENT = frozenset(
    {"appeared", "appear", "appears", "appearing", "brought", "bring", "come", "came",
     "stand", "stood", "standing", "put", "placed", "laid", "look", "looked", "looking",
     "looks", "named", "ran", "run", "went", "go", "going", "asked", "take", "takes", "took",
     "sought", "one", "long", "shortly", "soon", "just", "straight", "right", "well", "even",
     "only", "ever", "never", "immediately", "and", "or", "not"}
)  # fmt: skip
_EVENT_ENDS = frozenset(
    {",", "of", "and", "or", "in", "on", "at", "to", "for", "with", "by", "from", "until"}
)


def _event_preposition_sites(
    seg: str, toks: list[tuple[str, int, int]], base: int, si: int
) -> list[Site]:
    out = []
    for i, (tok, a, b) in enumerate(toks):
        if tok not in _EVENT_PREPOSITIONS or i + 2 >= len(toks):
            continue
        if i > 0 and toks[i - 1][0] in _NOT_BEFORE_EVENT:
            continue
        if toks[i + 1][0] not in _EVENT_DETERMINERS or toks[i + 2][0] not in _EVENTS:
            continue
        if i + 3 < len(toks) and toks[i + 3][0] not in _EVENT_ENDS:
            continue  # "before the match ends": a clause
        orig = seg[a:b]
        if orig[:1].isupper() and i > 0:
            continue
        forms = (orig, _case(_EVENT_PREPOSITIONS[tok], orig))
        out.append(Site(base + a, base + b, forms, "lexicon", si))
    return out


# "is asked to review the licences and to share the results" / "and share the results":
# a second infinitive after "and" may drop its "to" when a first one came before it.
def _second_to_sites(seg: str, toks: list[tuple[str, int, int]], base: int, si: int) -> list[Site]:
    out = []
    dets = lexicon.CLASSES["@det"] | lexicon.CLASSES["@pron"]

    def bare_verb(word: str) -> bool:  # not "the", "them", "officers", "arriving"
        return word.isalpha() and word not in dets and not word.endswith(("ing", "s"))

    for i in range(2, len(toks) - 1):
        if toks[i][0] != "to" or toks[i - 1][0] != "and":
            continue
        verb, a, _ = toks[i + 1]
        earlier = [t for t, _, _ in toks[: i - 1]]
        if "to" not in earlier:
            continue
        after = earlier[earlier.index("to") + 1 :]
        if "," in after:
            continue  # the first "to" must be in the same clause
        if not after or not bare_verb(after[0]):
            continue  # "sent to the council and to": "to" is a preposition there
        if not bare_verb(verb) or seg[a].isupper():
            continue
        if seg[toks[i - 1][2] : toks[i][1]] != " " or seg[toks[i][2] : a] != " ":
            continue
        out.append(Site(base + toks[i - 1][2], base + toks[i][2], (" to", ""), "infinitive", si))
    return out


def candidates(text: str, sent: Sentence, si: int, english: str) -> list[Site]:
    """Every site the rules find in one sentence, in the order they are tried (where two
    overlap, parse keeps the first that starts earliest)."""
    seg = text[sent.start : sent.end]
    toks = token_spans(seg)
    base = sent.start
    out = _word_sites(seg, toks, base, si)
    out.extend(time_sites(seg, base, si))
    out.extend(_comma_sites(seg, base, si))
    out.extend(_relative_sites(seg, base, si))
    out.extend(format_sites(seg, base, si, english))
    out.extend(_list_sites(seg, base, si))
    out.extend(_serial_comma_sites(seg, base, si))
    out.extend(_question_list_sites(seg, base, si))
    out.extend(_event_preposition_sites(seg, toks, base, si))
    out.extend(_second_to_sites(seg, toks, base, si))
    return out


def _word_sites(seg: str, toks: list[tuple[str, int, int]], base: int, si: int) -> list[Site]:
    """Sites found word by word: the lexicon, numbers, quantities, an optional "that"."""
    out: list[Site] = []
    idx = lexicon.index()
    pairs = lexicon.load()
    i = 0
    while i < len(toks):
        tok, a, _ = toks[i]
        hit = None
        prev = toks[i - 1][0] if i > 0 else None
        # "told staff he had fallen" / "told staff that he had fallen": after the person
        # told (a pronoun, a noun for people, or "the" and one), a subject pronoun starts
        # the clause.
        if tok in OBJECT_FIRST and i > 0:
            told = _told_object(toks, i + 1)
            if told is not None:
                obj, that = told
                end = toks[that][2] if that >= 0 else toks[obj][2]
                if seg[toks[obj][2] : toks[obj + 1][1]] == " ":
                    at = base + toks[obj][2]
                    out.append(Site(at, base + end, ("", " that"), "that", si))
        for phrase, pi, side in idx.get(tok, ()):
            if tuple(t for t, _, _ in toks[i : i + len(phrase)]) != phrase:
                continue
            nxt_tok = toks[i + len(phrase)][0] if i + len(phrase) < len(toks) else None
            clause = tuple(t for t, _, _ in toks[:i])
            clause = clause[len(clause) - clause[::-1].index(",") :] if "," in clause else clause
            context = pairs[pi].context
            wants_later = context.not_later or context.not_after_next
            later = tuple(t for t, _, _ in toks[i + len(phrase) :]) if wants_later else ()
            if context.fits(prev, nxt_tok, clause, later):
                hit = (phrase, pi, side)
                break
        if hit is not None:
            phrase, pi, side = hit
            s0, e0 = a, toks[i + len(phrase) - 1][2]
            orig = seg[s0:e0]
            if not (orig[:1].isupper() and i > 0):  # never rewrite a capitalised word mid-sentence
                forms = tuple(_case(x, orig) for x in pairs[pi].surface)
                if prev in ("a", "an") and seg[toks[i - 1][2] : a] == " ":
                    s0, forms = _with_article(
                        seg[toks[i - 1][1] : toks[i - 1][2]], toks[i - 1][1], s0, forms
                    )
                out.append(Site(base + s0, base + e0, forms, "lexicon", si))
            i += len(phrase)
            continue
        # Whole numbers 2-99 before a word: "3 officers" / "three officers", "30" / "thirty".
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        value = (
            int(tok) if tok.isdigit() and len(tok) <= 2 and tok[0] != "0" else WORD_VALUES.get(tok)
        )
        if (
            value is not None
            and 2 <= value <= 99
            and i > 0
            and nxt is not None
            and nxt[0].isalpha()
            and seg[nxt[1] : nxt[1] + 1].islower()
            and (len(nxt[0]) >= 3 or nxt[0] == "of")  # "fourteen of the" / "14 of the"
            and nxt[0] not in UNITS
            and nxt[0] not in SHORT_UNITS
            and not (nxt[0] == "miles" and i + 2 < len(toks) and toks[i + 2][0] == "per")
            and not seg[a - 1 : a].strip()
            and seg[toks[i][2] : nxt[1]] == " "
            and toks[i - 1][0] not in ("no", "number", "page")
            and not _in_number_run(toks, i)
        ):
            orig = seg[a : toks[i][2]]
            if orig.isdigit() or orig.islower():
                out.append(
                    Site(
                        base + a,
                        base + toks[i][2],
                        (str(value), number_word(value)),
                        "number",
                        si,
                    )
                )
        # "more than 400" / "over 400", "at least 9" / "a minimum of 9": only right
        # before a number, where the two mean the same ("over" before a duration,
        # "over three days", means "during", so "over" never creates a site).
        after = toks[i + 2] if i + 2 < len(toks) else None
        if (
            nxt is not None
            and after is not None
            and (tok, nxt[0]) in QUANTIFIERS
            and (after[0].isdigit() or after[0] in WORD_VALUES)
            and seg[toks[i][2] : nxt[1]] == " "
            and seg[nxt[2] : after[1]] == " "
        ):
            orig = seg[a : nxt[2]]
            forms = (orig, _case(QUANTIFIERS[(tok, nxt[0])], orig))
            out.append(Site(base + a, base + nxt[2], forms, "quantity", si))
        # Optional "that" after a reporting verb: "stated that they" / "stated they".
        if (
            tok == "that"
            and i > 0
            and toks[i - 1][0] in REPORTING
            and nxt is not None
            and (nxt[0] in AFTER_THAT or nxt[0] in WORD_VALUES or nxt[0].isdigit())
            and seg[toks[i - 1][2] : a] == " "
        ):
            out.append(Site(base + toks[i - 1][2], base + toks[i][2], ("", " that"), "that", si))
        # "said they would" / "said that they would": a subject pronoun after a reporting
        # verb always starts a clause, so "that" may be added (never after a verb that
        # takes a person as object first: "told they" is not English).
        third = toks[i + 2][0] if i + 2 < len(toks) else None
        if (
            tok in REPORTING
            and tok not in OBJECT_FIRST
            and (i == 0 or toks[i - 1][0] not in ("that", "which"))  # no "that suggest that"
            and nxt is not None
            and seg[toks[i][2] : nxt[1]] == " "
            and (nxt[0] in SUBJECTS or (nxt[0] == "there" and third in THERE_VERBS))
        ):
            at = base + toks[i][2]
            out.append(Site(at, at, ("", " that"), "that", si))
        i += 1
    return out


def _comma_sites(seg: str, base: int, si: int) -> list[Site]:
    """The comma after an opening phrase, and before "and"/"but" joining two clauses."""
    out: list[Site] = []
    # The comma after an opening phrase, unless a number follows it: "In 2026, 212
    # thefts" without it would run two numbers together.
    opening = _INTRO.match(seg) or _OPENER.match(seg)
    if opening and not seg[opening.end() : opening.end() + 1].isdigit():
        at = base + opening.end(1)
        out.append(Site(at, at + 1, ("", ","), "comma", si))
    for m in _CLAUSE_COMMA.finditer(seg):
        # At least five words since the last comma: a clause, not the tail of a list; and
        # after an earlier comma, a finite verb among them, else they may be a phrase
        # ("arrested, two of them adults from Lowbridge, and one has been charged") or the
        # end of a list ("the council and partner agencies, and a further update").
        before = seg[: m.start()]
        commas = [c.end() for c in re.finditer(r",(?!\d)", before)]  # not "£12,500"
        words = re.findall(r"[\w'-]+", before[commas[-1] if commas else 0 :].lower())
        a_clause = not commas or any(w in _FINITE or _PAST.match(w) for w in words)
        # And the second clause reaches its verb before any comma: in "reported visitors
        # at all hours and the tenant, who has…" the list reading ("hours and the
        # tenant") would last through the aside.
        second = re.findall(r"[\w'-]+|,", seg[m.end() :].lower())
        head = second[1 : second.index(",")] if "," in second else []
        reaches_verb = "," not in second or any(w in _FINITE or _PAST.match(w) for w in head)
        if len(words) >= 5 and a_clause and reaches_verb:
            at = base + m.start()
            out.append(Site(at, at + 2, (", ", " "), "comma", si))
    return out


def _relative_sites(seg: str, base: int, si: int) -> list[Site]:
    """Restrictive "that"/"which" where the noun before it is a thing."""
    out: list[Site] = []
    relatives = set()
    for m in _RELATIVE.finditer(seg):
        relatives.add(m.start(2))
        if any(w in NOT_NOUN or w in REPORTING for w in m.group(1).split()):
            continue
        if not _a_thing(m.group(1).split()[-1]):
            continue  # "the officer that was injured": "which" is for things
        verb = seg[: m.start()].split()[-1:]
        if verb and verb[0].lower() in _TELLING:
            continue  # "told the court that armed men were": "that" may start what was told
        out.append(_relative_site(m, base, si))
    for m in _PLURAL_RELATIVE.finditer(seg):
        noun = m.group(1)
        preceding = seg[: m.start()].split()[-3:]
        if m.start(2) in relatives or not _a_plural_thing(noun) or "of" in preceding:
            continue
        out.append(_relative_site(m, base, si))
    return out
