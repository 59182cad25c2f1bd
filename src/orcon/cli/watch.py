"""``orcon watch``: sources, sensitive facts, alert delivery, and running the watch."""

from __future__ import annotations

import argparse
import json
import time
from typing import TYPE_CHECKING

from orcon.cli.args import json_flag, moment, positive, read_smtp_password, smtp_login_flags
from orcon.cli.lazy import Later, open_instance
from orcon.cli.notify import print_tried

if TYPE_CHECKING:
    from orcon.service import watching
else:  # imported when a command first calls them: see orcon.cli.lazy
    watching = Later("orcon.service.watching")


def cmd_add(args: argparse.Namespace) -> int:
    sid = watching.add_source(open_instance(args), args.url, args.kind, args.interval)
    print(f"Watching {args.url} ({args.kind}, every {args.interval} s) as source {sid}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    rows = watching.list_sources(open_instance(args))
    if args.json:
        print(json.dumps(rows))
    else:
        for r in rows:
            err = f"  ERROR: {r['last_error']}" if r["last_error"] else ""
            print(
                f"{r['id']}\t{r['kind']}\t{r['url']}\t"
                f"last polled {r['last_polled'] or 'never'}{err}"
            )
    return 0


def cmd_fact(args: argparse.Namespace) -> int:
    fid = watching.add_fact(open_instance(args), args.text, args.item, args.embargo_until)
    print(f"Registered sensitive fact {fid} (its text is not written to the ledger)")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    url = watching.remove_source(open_instance(args), args.source)
    print(f"Stopped watching {url}; its alerts stay on record")
    return 0


def cmd_facts(args: argparse.Namespace) -> int:
    rows = watching.list_facts(open_instance(args))
    if args.json:
        print(json.dumps(rows))
    elif not rows:
        print('no sensitive fact is registered (orcon watch fact "TEXT" --item ITEM)')
    for r in [] if args.json else rows:
        until = f" until {str(r['embargo_until'])[:16]}Z" if r["embargo_until"] else ""
        state = "watched" if r["watched"] else "no longer watched (its embargo has passed)"
        item = f" item {r['item']}" if r["item"] else ""
        print(f"{r['id']}	{r['text']!r}{item}{until}: {state}")
    return 0


def cmd_forget(args: argparse.Namespace) -> int:
    watching.remove_fact(open_instance(args), args.fact)
    print(f"Forgot sensitive fact {args.fact}: it is no longer looked for; its alerts stay")
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    inst = open_instance(args)
    cfg = watching.load_config(inst)
    for name in ("webhook_url", "webhook_secret", "smtp_host", "mail_from"):
        value = getattr(args, name)
        if value is not None:
            setattr(cfg, name, value)
    if args.smtp_port is not None:
        cfg.smtp_port = args.smtp_port
    if args.mail_to is not None:
        cfg.mail_to = args.mail_to
    if args.auto_halt is not None:
        cfg.auto_halt = args.auto_halt
    if args.auto_suspend is not None:
        cfg.auto_suspend = args.auto_suspend
    if args.starttls is not None:
        cfg.smtp_starttls = args.starttls
    if args.smtp_user is not None:
        cfg.smtp_user = args.smtp_user
    watching.save_config(inst, cfg, by="cli", password=read_smtp_password(args))
    shown = {**cfg.__dict__, "webhook_secret": "***" if cfg.webhook_secret else ""}
    print(json.dumps(shown))
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    return print_tried(watching.test_delivery(open_instance(args)), args.json)


def cmd_run(args: argparse.Namespace) -> int:
    from orcon.watch.fetch import Fetcher

    watcher = watching.Watcher(open_instance(args), Fetcher(min_interval=args.min_interval))
    while True:
        alerts = watcher.run_once(force=args.once)
        for a in alerts:
            details = a["details"]
            what = details.get("verdict") if isinstance(details, dict) else ""
            print(f"ALERT {a['kind']}: {a['article']} {what or ''}", flush=True)
        if args.once:
            return 0
        time.sleep(args.every)


def cmd_alerts(args: argparse.Namespace) -> int:
    rows = watching.list_alerts(open_instance(args))
    if args.json:
        print(json.dumps(rows))
    else:
        for r in rows:
            print(
                f"{r['created_at']}  {r['kind']}  {r['article']}  item={r['item']}  {r['delivery']}"
            )
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    w = sub.add_parser("watch", help="the leak watch").add_subparsers(dest="action", required=True)
    p = w.add_parser("add", help="watch an RSS/Atom feed or a web page")
    p.add_argument("url")
    p.add_argument("--kind", choices=["feed", "page"], default="feed")
    p.add_argument("--interval", type=positive, default=300, help="seconds between polls")
    p.set_defaults(run=cmd_add)
    p = w.add_parser("list", help="watched sources and their state")
    json_flag(p)
    p.set_defaults(run=cmd_list)
    p = w.add_parser("fact", help="register a sensitive fact (e.g. a name under embargo)")
    p.add_argument("text")
    p.add_argument("--item", help="the item the fact belongs to (for the who-knew list)")
    p.add_argument("--embargo-until", type=moment, metavar="ISO8601")
    p.set_defaults(run=cmd_fact)
    p = w.add_parser("remove", help="stop watching a source (its number or address)")
    p.add_argument("source", help="as orcon watch list shows it: the number or the address")
    p.set_defaults(run=cmd_remove)
    p = w.add_parser("facts", help="the registered sensitive facts, and whether each is watched")
    json_flag(p)
    p.set_defaults(run=cmd_facts)
    p = w.add_parser("forget", help="stop looking for a sensitive fact")
    p.add_argument("fact", type=positive, help="its number, as orcon watch facts shows it")
    p.set_defaults(run=cmd_forget)
    p = w.add_parser("config", help="alert delivery: webhook, e-mail, automatic suspension or halt")
    p.add_argument("--webhook-url")
    p.add_argument("--webhook-secret")
    p.add_argument("--smtp-host")
    p.add_argument("--smtp-port", type=positive)
    p.add_argument("--mail-from")
    p.add_argument("--mail-to", action="append")
    smtp_login_flags(p)
    p.add_argument("--auto-halt", dest="auto_halt", action="store_true", default=None)
    p.add_argument("--no-auto-halt", dest="auto_halt", action="store_false")
    p.add_argument(
        "--auto-suspend",
        dest="auto_suspend",
        action="store_true",
        default=None,
        help="suspend each person a trace of an article names (their organisation carries on)",
    )
    p.add_argument("--no-auto-suspend", dest="auto_suspend", action="store_false")
    p.set_defaults(run=cmd_config)
    p = w.add_parser(
        "test",
        help="send a test alert every way alerts go (webhook, e-mail) now; "
        "exits 1 unless each gets through",
    )
    p.add_argument("--json", action="store_true", help="one JSON array")
    p.set_defaults(run=cmd_test)
    p = w.add_parser("run", help="poll the sources (continuously, or --once)")
    p.add_argument("--once", action="store_true", help="poll every source once now and exit")
    p.add_argument("--every", type=float, default=60.0, help="seconds between rounds")
    p.add_argument(
        "--min-interval", type=float, default=1.0, help="seconds between requests to a host"
    )
    p.set_defaults(run=cmd_run)
    p = w.add_parser("alerts", help="recent alerts")
    json_flag(p)
    p.set_defaults(run=cmd_alerts)
