"""``orcon notify``: e-mail notices to recipients when an item is shared with them or
its markings change (docs/instance.md, "Telling recipients"); ``orcon outbox``: the
notices and leak alerts the mail server has not taken yet."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING

from orcon.cli.args import positive, read_smtp_password, smtp_login_flags
from orcon.cli.lazy import Later, open_instance
from orcon.errors import UsageError

if TYPE_CHECKING:
    from orcon.service import mail, notices, outbox
else:  # imported when a command first calls them: see orcon.cli.lazy
    mail = Later("orcon.service.mail")
    notices = Later("orcon.service.notices")
    outbox = Later("orcon.service.outbox")


def cmd_config(args: argparse.Namespace) -> int:
    inst = open_instance(args)
    cfg = notices.load_config(inst)
    if args.off:
        cfg.smtp_host = ""
    for name in ("smtp_host", "smtp_port", "mail_from", "base_url", "titles", "starttls"):
        value = getattr(args, name)
        if value is not None:
            setattr(cfg, name, value)
    if args.smtp_user is not None:
        cfg.smtp_user = args.smtp_user
    notices.save_config(inst, cfg, by="cli", password=read_smtp_password(args))
    print(json.dumps(asdict(cfg) | {"enabled": cfg.enabled}))
    return 0


def print_tried(tried: list[mail.Tried], as_json: bool) -> int:
    """What a delivery test did, one line each; exit 1 unless every way got through."""
    if as_json:
        print(json.dumps([asdict(t) for t in tried]))
    for t in [] if as_json else tried:
        print(f"{'ok' if t.ok else 'FAILED'}  {t.channel}: {t.said}")
    return 0 if all(t.ok for t in tried) else 1


def cmd_test(args: argparse.Namespace) -> int:
    return print_tried([notices.test(open_instance(args), args.address)], args.json)


def cmd_outbox_list(args: argparse.Namespace) -> int:
    rows = outbox.waiting(open_instance(args))
    if args.json:
        print(json.dumps([w.to_json() for w in rows]))
        return 0
    if not rows:
        print("The outbox is empty: every notice and alert has been sent.")
        return 0
    for w in rows:
        what = f"{w.about} {w.item}" if w.item else f"{w.about} {w.alert}"
        print(
            f"{w.id:>5}  {w.to}  {what}  queued {iso_minute(w.queued_at)}, "
            f"{w.attempts} {'try' if w.attempts == 1 else 'tries'}, "
            f"next {iso_minute(w.next_try_at)}  ({w.last_error})"
        )
    return 0


def iso_minute(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%d %H:%M UTC")


def cmd_outbox_retry(args: argparse.Namespace) -> int:
    done = outbox.retry(open_instance(args), everything=not args.due)
    print(json.dumps(done.to_json()) if args.json else done.in_words())
    return 1 if done.waiting else 0


def cmd_outbox_drop(args: argparse.Namespace) -> int:
    if bool(args.ids) == args.all:
        raise UsageError("name the mail to drop by number (orcon outbox list), or give --all")
    inst = open_instance(args)
    gone = outbox.drop(inst, None if args.all else args.ids, by="cli", reason=args.reason)
    print(f"dropped {len(gone)} unsent {'mail' if len(gone) == 1 else 'mails'}")
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    n = sub.add_parser(
        "notify", help="e-mail recipients when an item is shared with them or its markings change"
    ).add_subparsers(dest="action", required=True)
    p = n.add_parser("config", help="the mail server and what notices say (prints the settings)")
    p.add_argument("--smtp-host", help="the mail server; notices are off until it is set")
    p.add_argument("--smtp-port", type=positive)
    p.add_argument("--mail-from", help="the sender address")
    p.add_argument(
        "--base-url", help="where recipients sign in, e.g. https://orcon.northshire.example"
    )
    p.add_argument(
        "--titles",
        dest="titles",
        action="store_true",
        default=None,
        help="name the item in each notice (off by default: a title can itself be sensitive)",
    )
    p.add_argument("--no-titles", dest="titles", action="store_false")
    smtp_login_flags(p)
    p.add_argument("--off", action="store_true", help="stop sending notices")
    p.set_defaults(run=cmd_config)
    p = n.add_parser(
        "test",
        help="send a test message with these settings now (nothing shared in it); "
        "exits 1 if the mail server does not take it",
    )
    p.add_argument("address", help="where to send it, e.g. your own address")
    p.add_argument("--json", action="store_true", help="one JSON array")
    p.set_defaults(run=cmd_test)

    o = sub.add_parser(
        "outbox", help="notices and leak alerts the mail server has not taken yet"
    ).add_subparsers(dest="action", required=True)
    p = o.add_parser("list", help="what waits to be sent, and why it was not")
    p.add_argument("--json", action="store_true", help="one JSON array")
    p.set_defaults(run=cmd_outbox_list)
    p = o.add_parser(
        "retry",
        help="try to send everything now (orcon serve also tries, after a growing pause); "
        "exits 1 while some mail still waits",
    )
    p.add_argument("--due", action="store_true", help="only what is due for another try")
    p.add_argument("--json", action="store_true", help="one JSON object")
    p.set_defaults(run=cmd_outbox_retry)
    p = o.add_parser("drop", help="give up on mail unsent (the ledger keeps who dropped what)")
    p.add_argument("ids", nargs="*", type=positive, metavar="ID", help="as orcon outbox list shows")
    p.add_argument("--all", action="store_true", help="everything in the outbox")
    p.add_argument("--reason", default="", help="why, for the ledger")
    p.set_defaults(run=cmd_outbox_drop)
