"""Closed word classes and number words the text rules consult.

Kept apart from the rules themselves (orcon.marks.text.rules) so that a
reviewer can read every list a rule trusts in one place: which verbs report
speech, which words open a clause, which nouns are people, which units have
short forms.
"""

from __future__ import annotations

NUMBER_WORDS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
]

TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_word(value: int) -> str:
    """2..99 in words, hyphenated above twenty: 7 "seven", 35 "thirty-five"."""
    if value <= 20:
        return NUMBER_WORDS[value]
    tens, units = divmod(value, 10)
    return TENS[tens - 2] + (f"-{NUMBER_WORDS[units]}" if units else "")


# Single-word numbers that may be written as digits (compounds such as
# "thirty-five" are left as the author wrote them).
WORD_VALUES = {number_word(v): v for v in range(2, 100) if "-" not in number_word(v)}

REPORTING = {
    "stated",
    "said",
    "confirmed",
    "believed",
    "indicated",
    "reported",
    "claimed",
    "explained",
    "suggested",
    "considered",
    "assessed",
    "judged",
    "noted",
    "thought",
    "found",
    "showed",
    "shows",
    "indicates",
    "suggests",
    "confirms",
    "believe",
    "believes",
    "stated,",
    "agreed",
    "admitted",
    "denied",
    "alleged",
    "estimated",
    "understood",
    "learned",
    "learnt",
    "discovered",
    "established",
    "concluded",
    "acknowledged",
    "added",
    "warned",
    "insisted",
    "maintained",
    "argued",
    "revealed",
    "realised",
    "realized",
    "knew",
    "feared",
    "expected",
    "accepted",
    "note",
    "notes",
    "ensure",
    "ensures",
    "ensured",
    "means",
    "meant",
    "show",
    "shown",
    "suggest",
    "decided",
    "agree",
    "agrees",
    "say",
    "says",
    "know",
    "knows",
    "recognise",
    "recognised",
    "recognize",
    "recognized",
    "assume",
    "assumed",
    "hope",
    "hoped",
    "confirm",
    "indicate",
    "consider",
    "assess",
    "judge",
    "expect",
    "feel",
    "felt",
    # Passive reporting ("were informed that they could" / "were informed they could").
    "informed",
    "told",
    "reminded",
    "notified",
}

# Reporting verbs whose object comes first ("told officers that ..."): "that" is never added.
OBJECT_FIRST = frozenset({"told", "informed", "reminded", "notified"})

SUBJECTS = frozenset({"he", "she", "they", "we", "i"})

OBJECT_PRONOUNS = frozenset({"him", "her", "them", "us", "me"})

# Nouns for people that may be the one told ("told staff he had fallen").
PEOPLE = frozenset(
    {"officers", "officer", "staff", "police", "partners", "victims", "victim", "members",
     "colleagues", "neighbours", "investigators", "detectives", "doctors", "nurses",
     "paramedics", "friends", "family", "parents", "teachers", "managers", "manager",
     "caller", "callers", "customers", "customer", "residents", "witnesses", "witness",
     "council", "court", "bank", "journalists", "reporters", "analysts", "interviewers"}
)  # fmt: skip

# Plural nouns that may stand for people though no suffix says so ("suspects that were"
# must never become "suspects which were"); -ers, -ors, -ists, -ians, -ants and -ents are
# taken for people unless listed in THINGS_LIKE_PEOPLE.
PEOPLE_PLURALS = frozenset(
    {"suspects", "adults", "youths", "males", "females", "boys", "girls", "persons",
     "individuals", "pupils", "teenagers", "juveniles", "mules", "crews", "families",
     "relatives", "friends", "colleagues", "employees", "refugees", "addicts", "victims",
     "witnesses", "police", "staff", "partners", "members", "officials", "leaders",
     "nurses", "doctors", "parents", "residents", "detectives", "gangs", "groups", "forces",
     "agencies", "councils", "courts", "banks", "companies", "firms", "teams", "units",
     "services", "authorities", "organisations", "organizations", "households",
     "people", "others", "those", "some", "many", "few", "both", "all", "ones", "several"}
)  # fmt: skip
THINGS_LIKE_PEOPLE = frozenset(
    {"numbers", "papers", "computers", "containers", "orders", "letters", "transfers",
     "chambers", "matters", "powers", "markers", "trailers", "filters", "servers", "routers",
     "folders", "stickers", "posters", "flyers", "banners", "documents", "payments",
     "incidents", "statements", "arguments", "comments", "amounts", "instruments",
     "equipments", "shipments", "consignments", "settlements", "agreements", "elements",
     "events", "plants", "grants", "warrants", "restaurants", "variants", "errors",
     "sectors", "factors", "monitors", "doors", "floors", "motors", "sensors", "trackers",
     "chargers", "scanners", "printers", "lockers", "burners", "cutters", "scooters",
     "providers", "detectors", "generators", "registers", "helicopters"}
)  # fmt: skip
PERSON_SUFFIXES = ("ers", "ors", "ists", "ians", "ants", "ents")

THERE_VERBS = frozenset(
    {"was", "were", "is", "are", "had", "has", "have", "would", "could", "might", "may", "will"}
)

AFTER_THAT = {
    "the",
    "a",
    "an",
    "he",
    "she",
    "they",
    "it",
    "there",
    "we",
    "his",
    "her",
    "their",
    "no",
    "this",
    "these",
    "all",
    "both",
    "none",
    "officers",
    "victims",
    "funds",
    "one",
    "two",
    "those",
    "some",
    "many",
    "most",
    "several",
    "its",
    "our",
    "each",
    "police",
    "three",
    "four",
    "five",
}

# Words that open a phrase or clause after a comma, never a list item.
NOT_LIST_ITEM = frozenset(
    [
        "for",
        "to",
        "of",
        "in",
        "on",
        "at",
        "by",
        "with",
        "from",
        "into",
        "including",
        "such",
        "as",
        "which",
        "who",
        "whom",
        "whose",
        "that",
        "when",
        "where",
        "while",
        "although",
        "because",
        "if",
        "and",
        "but",
        "or",
        "so",
        "then",
        "however",
        "between",
        "both",
        "either",
        "neither",
        "whether",
        # A verb after an aside ("The seller, a private individual, was contacted and
        # provided a statement") continues the sentence's predicate, not a list.
        "was",
        "were",
        "is",
        "are",
        "has",
        "have",
        "had",
        "will",
        "would",
    ]
)

QUANTIFIERS = {("more", "than"): "over", ("at", "least"): "a minimum of"}

UNITS = {
    "mm",
    "cm",
    "km",
    "kg",
    "mg",
    "ml",
    "mph",
    "kmh",
    "am",
    "pm",
    "hrs",
    "hr",
    "gb",
    "mb",
    "kb",
    "ft",
    "in",
    "lb",
    "lbs",
    "oz",
    "sq",
    "per",
    "x",
}

# Units the lexicon may abbreviate after digits ("97 kg"): their number stays in digits,
# so that no copy reads "ninety-seven kg".
SHORT_UNITS = frozenset(
    {"kilograms", "kilogram", "kilometres", "kilometers", "centimetres", "millimetres", "grams"}
)  # fmt: skip

NOT_NOUN = {
    "said", "stated", "means", "meant", "shows", "showed", "says", "is", "was", "were", "are",
    "be", "been", "so", "such", "now", "than", "of", "in", "on", "at", "to", "for", "with",
    "by", "from", "and", "or", "but", "not", "only", "also", "time", "way", "fact", "extent",
    "point", "reason", "same", "moment", "day", "night", "year",
}  # fmt: skip

MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"

SPELLING_STEMS = (
    "organ|recogn|real|author|priorit|summar|emphas|character|final|util|minim|maxim|"
    "apolog|special|central|modern|normal|stabil|categor|visual|jeopard|mobil|"
    "sanit|standard|scrutin|optim|neutral|hospital|legal|criminal|computer|"
    "critic|familiar|harmon|memor|capital|civil|formal|general|global|immobil|item|local|"
    "marginal|material|monet|national|natural|personal|privat|radical|rational|regular|"
    "social|subsid|symbol|synchron|terror|victim|vandal|urban|econom|custom|sympath|digit|"
    "energ|equal|dramat|mechan|stigmat|agon"
)
