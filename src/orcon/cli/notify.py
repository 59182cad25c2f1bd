"""``orcon notify``: e-mail notices to recipients when an item is shared with them or
its markings change (docs/instance.md, "Telling recipients")."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict

from orcon.cli.args import positive, read_smtp_password, smtp_login_flags
from orcon.service import mail, notices
from orcon.service.instance import Instance
from orcon.store.home import resolve_home


def cmd_config(args: argparse.Namespace) -> int:
    inst = Instance.open(resolve_home(args.home))
    cfg = notices.load_config(inst)
    if args.off:
        cfg.smtp_host = ""
    for name in ("smtp_host", "smtp_port", "mail_from", "base_url", "titles", "starttls"):
        value = getattr(args, name)
        if value is not None:
            setattr(cfg, name, value)
    if args.smtp_user is not None:
        cfg.smtp_user = args.smtp_user
    mail.set_login(inst, "notify", cfg.server(), read_smtp_password(args))
    notices.save_config(inst, cfg)
    print(json.dumps(asdict(cfg) | {"enabled": cfg.enabled}))
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
