"""``orcon item list`` and ``orcon item show``: the originator's register of what was
shared, and who holds a copy, without remembering item ids from the day they were made."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import TYPE_CHECKING

from orcon.cli.args import json_flag, moment, notice_flag, positive
from orcon.cli.lazy import Later, open_instance
from orcon.errors import UsageError

if TYPE_CHECKING:
    from orcon.service import knowing, markings, notices, sharing
    from orcon.store import ledger
else:  # imported when a command first calls them: see orcon.cli.lazy
    knowing = Later("orcon.service.knowing")
    markings = Later("orcon.service.markings")
    notices = Later("orcon.service.notices")
    sharing = Later("orcon.service.sharing")
    ledger = Later("orcon.store.ledger")


def _state(info: sharing.ItemInfo) -> str:
    if info.withdrawn_at is None:
        return ""
    return f" · WITHDRAWN {ledger.iso(info.withdrawn_at)[:16]}Z: {info.withdraw_reason}"


def _copies(n: int) -> str:
    if n == 0:
        return "no copy issued"
    return "1 person holds a copy" if n == 1 else f"{n} people hold a copy"


def cmd_list(args: argparse.Namespace) -> int:
    rows = sharing.list_items(open_instance(args), args.limit, args.search or "")
    if args.json:
        print(json.dumps([{**info.to_json(), "holders": n} for info, n in rows]))
        return 0
    if not rows:
        print(
            f"no item's title or id holds {args.search!r}"
            if args.search
            else "nothing has been shared yet (orcon share FILE --title … --tlp …)"
        )
        return 0
    for info, n in rows:
        print(
            f"{info.id}  {ledger.iso(info.created_at)[:16]}Z  {info.kind} ({info.format})  "
            f"{info.title!r}\n    {info.markings} · to {info.shared_with} · {_copies(n)}"
            f"{_state(info)}"
        )
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    inst = open_instance(args)
    info = sharing.get_item(inst, args.item)
    holders = knowing.who_knew(inst, info.id, inst.clock())
    wording = sharing.item_wording(inst, info.id) if args.wording else None
    if args.json:
        extra: dict[str, object] = {"wording": wording} if wording is not None else {}
        extra["markings_history"] = [
            {**asdict(c), "at": ledger.iso(c.at)} for c in markings.history(inst, info.id)
        ]
        print(json.dumps({**info.to_json(), "holders": [h.to_json() for h in holders], **extra}))
        return 0
    code = f"fingerprint of {info.code_length} symbols for up to {info.max_recipients:,} recipients"
    if info.kind == "photo":
        code += f", coalitions of {info.collusion}"
    print(
        f"{info.title} ({info.id})\n  {info.markings}\n"
        f"  {info.kind} ({info.format}), shared {ledger.iso(info.created_at)[:16]}Z; {code}\n"
        f"  shared with: {info.shared_with}"
    )
    if info.withdrawn_at is not None:
        print(
            f"  WITHDRAWN {ledger.iso(info.withdrawn_at)[:16]}Z: {info.withdraw_reason} (nobody "
            "receives it; its copies stay traceable)"
        )
    for change in markings.history(inst, info.id):
        print(
            f"  marked {ledger.iso(change.at)[:16]}Z by {change.by}: {change.in_words()} "
            f"({change.reason}; ledger entry {change.ledger_seq})"
        )
    if not holders:
        print("  nobody has been issued a copy yet")
    for h in holders:
        print(
            f"  {h.person} ({h.org}): first issued {ledger.iso(h.first_issued)[:19]}Z, "
            f"{h.copies_in_words}, ledger entry {h.ledger_seq}"
        )
    if wording is not None:
        print(
            f"  where copies differ: {len(wording['sites'])} places, {wording['symbols']} "
            f"symbols in {wording['words']} words (as kept when it was shared)"
        )
        for line in wording["marked"]:
            print(f"  {line['sentence']:>4}. {line['text']}")
    return 0


def cmd_withdraw(args: argparse.Namespace) -> int:
    info = sharing.withdraw(open_instance(args), args.item, args.reason, by="cli")
    if args.json:
        print(json.dumps(info.to_json()))
    else:
        print(
            f"Withdrew {info.id} ({info.title!r}): nobody receives a copy of it now. The "
            "copies already issued stay on record and traceable."
        )
    return 0


def cmd_reinstate(args: argparse.Namespace) -> int:
    info = sharing.reinstate(open_instance(args), args.item, by="cli")
    if args.json:
        print(json.dumps(info.to_json()))
    else:
        print(f"Reinstated {info.id} ({info.title!r}): it reaches {info.shared_with} again.")
    return 0


def _either(args: argparse.Namespace, value: str, lift: str) -> markings.Moment:
    if getattr(args, value) is not None and getattr(args, lift):
        raise UsageError(
            f"--{value.replace('_', '-')} and --{lift.replace('_', '-')} contradict each other"
        )
    if getattr(args, lift):
        return None
    moment_ = getattr(args, value)
    return markings.KEEP if moment_ is None else moment_


def cmd_mark(args: argparse.Namespace) -> int:
    change = markings.Change(
        tlp=args.tlp,
        no_onward=args.no_onward,
        embargo_until=_either(args, "embargo_until", "no_embargo"),
        expires_at=_either(args, "expires", "no_expiry"),
        add_orgs=args.add_to or (),
        remove_orgs=args.remove_to or (),
        add_named=args.add_named or (),
        remove_named=args.remove_named or (),
    )
    inst = open_instance(args)
    info = markings.remark(inst, args.item, change, args.reason, by="cli")
    told = None if args.no_notice else notices.remarked(inst, info.id)
    if args.json:
        print(json.dumps(info.to_json() | ({"notice": told.to_json()} if told else {})))
    else:
        print(
            f"{info.id} ({info.title!r}) is now {info.markings}, to {info.shared_with}. "
            "Copies issued from now on carry these markings; the fingerprints do not change."
            + (f"\n  notice: {told.in_words()}" if told else "")
        )
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    item = sub.add_parser(
        "item",
        help="shared items: list them, show who holds a copy, change markings, withdraw them",
    )
    isub = item.add_subparsers(dest="action", required=True)
    p = isub.add_parser("list", help="every shared item, newest first, with its holders' count")
    p.add_argument("--search", metavar="TEXT", help="only items whose title or id holds TEXT")
    p.add_argument("--limit", type=positive, metavar="N", help="only the newest N")
    json_flag(p)
    p.set_defaults(run=cmd_list)
    p = isub.add_parser("show", help="one item: its markings, fingerprint and who holds a copy")
    p.add_argument("item", help="the item's id (itm_…)")
    p.add_argument(
        "--wording",
        action="store_true",
        help="for a report: every place where its copies read differently",
    )
    json_flag(p)
    p.set_defaults(run=cmd_show)
    p = isub.add_parser("withdraw", help="stop an item reaching anyone, at once")
    p.add_argument("item", help="the item's id (itm_…)")
    p.add_argument("--reason", required=True, help="recorded in the ledger, shown to partners")
    json_flag(p)
    p.set_defaults(run=cmd_withdraw)
    p = isub.add_parser(
        "mark",
        help="change an item's markings or audience: release it, move its embargo, add a partner",
    )
    p.add_argument("item", help="the item's id (itm_…)")
    p.add_argument("--reason", required=True, help="recorded in the ledger with the change")
    p.add_argument("--tlp", help="the new TLP: clear, green, amber, amber+strict or red")
    onward = p.add_mutually_exclusive_group()
    onward.add_argument(
        "--no-onward", action="store_true", default=None, help="no onward dissemination (ORCON)"
    )
    onward.add_argument(
        "--onward", dest="no_onward", action="store_false", help="allow onward requests again"
    )
    p.add_argument("--embargo-until", type=moment, metavar="ISO8601", help="a new embargo")
    p.add_argument("--no-embargo", action="store_true", help="lift the embargo now")
    p.add_argument("--expires", type=moment, metavar="ISO8601", help="a new expiry")
    p.add_argument("--no-expiry", action="store_true", help="never expire")
    for flag, what in (
        ("--add-to", "ORG"),
        ("--remove-to", "ORG"),
        ("--add-named", "EMAIL"),
        ("--remove-named", "EMAIL"),
    ):
        noun = "recipient organisation" if what == "ORG" else "named recipient"
        verb = "add a" if flag.startswith("--add") else "take out a"
        p.add_argument(flag, action="append", metavar=what, help=f"{verb} {noun} (repeatable)")
    notice_flag(p)
    json_flag(p)
    p.set_defaults(run=cmd_mark)
    p = isub.add_parser("reinstate", help="undo a withdrawal")
    p.add_argument("item", help="the item's id (itm_…)")
    json_flag(p)
    p.set_defaults(run=cmd_reinstate)
