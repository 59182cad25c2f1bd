"""``orcon marks text preview FILE``: show an author what the fingerprint may change."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from orcon.cli.args import json_flag, positive, read_file
from orcon.cli.lazy import Later

if TYPE_CHECKING:
    from orcon.service import sharing
else:  # imported when the command runs: see orcon.cli.lazy
    sharing = Later("orcon.service.sharing")


def cmd_text_preview(args: argparse.Namespace) -> int:
    data = read_file(args.file)
    view = sharing.text_preview(data, args.locale, args.recipients)
    if args.json:
        print(json.dumps(view))
        return 0
    for line in view["marked"]:
        print(f"{line['sentence']:>3}. {line['text']}")
    plain = view["sentences_without_sites"]
    if plain:
        # Where an author who wants a denser report can reword (docs/marks-text.md).
        print(
            f"\n{len(plain)} of {view['sentences']} sentences read the same in every copy: "
            + ", ".join(map(str, plain))
            + " (reword them, or write your own wordings: {{alt:later|afterwards}})"
        )
    if view["hidden_content"]:
        print(
            "\nThe Word document holds " + ", ".join(view["hidden_content"]) + ": every copy "
            "would carry them, so sharing refuses it until they are removed (or --keep-hidden)."
        )
    if view["document_properties"]:
        print(
            "\nEvery copy carries the document's properties as they are: "
            + ", ".join(view["document_properties"])
            + " (if partners should not see them, share it with --clear-properties, or "
            "remove them in Word: File > Info > Check for Issues > Inspect Document > "
            "Document Properties and Personal Information)."
        )
    capacity, quote, most = view["symbols"], view["quote_words_needed"], view["max_recipients"]
    print(
        f"\n{capacity} code symbol{'' if capacity == 1 else 's'} in {view['words']} words "
        f"({view['bits_per_word']:.2f} bits per word); "
        + (
            f"it may be shared with up to {most:,} recipients (--max-recipients), enough to "
            "name the holder of a complete copy among them"
            if most
            else "too few to share it with anyone: write wordings of your own"
        )
        + ". Wrap anything that must not change in {{lock}}...{{/lock}}.\n"
        f"Copies also carry {view['fragile_marks']} invisible marks that name the source of a "
        "quote pasted word for word (share with --no-fragile to leave them out)."
    )
    if quote is None:
        print(
            f"Retyped, not even a complete copy can name its holder among {args.recipients:,} "
            f"recipients: its wording carries {capacity} symbol{'' if capacity == 1 else 's'}, "
            "fewer than that takes; "
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
    json_flag(p)
    p.set_defaults(run=cmd_text_preview)
