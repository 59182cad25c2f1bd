"""``orcon marks text preview FILE``: show an author what the fingerprint may change."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from orcon.cli.args import positive
from orcon.errors import UsageError
from orcon.marks.text import decode_text, parse
from orcon.service.sharing import quote_words_needed, text_symbols_needed


def _max_recipients(capacity: int) -> int:
    n = 0
    for k in range(1, 13):
        if text_symbols_needed(10**k) <= capacity:
            n = 10**k
    return n


def cmd_text_preview(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        raise UsageError(f"no such file: {args.file}")
    doc = parse(decode_text(path.read_bytes()), args.locale)
    quote = quote_words_needed(doc, args.recipients)
    carrying = {s.sentence for s in doc.sites}
    plain = [i + 1 for i in range(len(doc.sentences)) if i not in carrying]
    if args.json:
        print(
            json.dumps(
                {
                    "words": doc.words,
                    "symbols": doc.capacity,
                    "fragile_marks": len(doc.gaps),
                    "bits_per_word": round(doc.bits_per_word, 4),
                    "max_recipients": _max_recipients(doc.capacity),
                    "recipients": args.recipients,
                    "quote_words_needed": quote,
                    "sentences": len(doc.sentences),
                    "sentences_without_sites": plain,
                    "sites": [
                        {
                            "sentence": s.sentence,
                            "kind": s.kind,
                            "forms": list(s.forms),
                            "text": doc.source[s.start : s.end],
                        }
                        for s in doc.sites
                    ],
                }
            )
        )
        return 0
    by_sentence: dict[int, list] = {}  # type: ignore[type-arg]
    for s in doc.sites:
        by_sentence.setdefault(s.sentence, []).append(s)
    for si, sites in sorted(by_sentence.items()):
        sent = doc.sentences[si]
        out, pos = [], sent.start
        for s in sites:
            out.append(doc.source[pos : s.start])
            shown = ((f or "∅").strip() or f for f in s.forms)
            out.append("[" + "|".join(shown) + "]")
            pos = s.end
        out.append(doc.source[pos : sent.end])
        print(f"{si + 1:>3}. {' '.join(''.join(out).split())}")
    if plain:
        # Where an author who wants a denser report can reword (docs/marks-text.md).
        print(
            f"\n{len(plain)} of {len(doc.sentences)} sentences read the same in every copy: "
            + ", ".join(map(str, plain))
        )
    print(
        f"\n{doc.capacity} code symbols in {doc.words} words "
        f"({doc.bits_per_word:.2f} bits per word); enough to name the holder of a complete copy "
        f"among up to {_max_recipients(doc.capacity):,} "
        "recipients. Wrap anything that must not change in {{lock}}...{{/lock}}.\n"
        f"Copies also carry {len(doc.gaps)} invisible marks that name the source of a quote "
        "pasted word for word (share with --no-fragile to leave them out)."
    )
    if quote is None:
        print(
            f"Retyped, not even a complete copy can name its holder among {args.recipients:,} "
            f"recipients: its wording carries {doc.capacity} symbols, fewer than that takes; "
            "only the invisible marks of a copy pasted word for word can."
        )
    else:
        print(
            f"Retyped (no invisible marks), a continuous quote needs about {quote} words "
            "(more where its sentences vary little) before it can name its single source "
            f"among {args.recipients:,} recipients; shorter retyped quotes are found but "
            "accuse nobody."
        )
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    marks = sub.add_parser("marks", help="fingerprint authoring tools")
    msub = marks.add_subparsers(dest="media", required=True, metavar="MEDIA")
    text = msub.add_parser("text", help="text fingerprints").add_subparsers(
        dest="action", required=True
    )
    p = text.add_parser("preview", help="show the variant space of a report and its capacity")
    p.add_argument("file")
    p.add_argument("--locale", default="en-GB", choices=["en-GB", "en-US"])
    p.add_argument(
        "--recipients",
        type=positive,
        default=100,
        help="how many people will get a copy (for the quote length; default 100)",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_text_preview)
