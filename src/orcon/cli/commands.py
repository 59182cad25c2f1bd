"""Instance commands: one subcommand per service call, ``--json`` where a script reads output."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orcon import policy
from orcon.cli.args import json_flag, moment, notice_flag, positive, read_file
from orcon.cli.lazy import Later, open_instance
from orcon.errors import PolicyDenied, UsageError
from orcon.match import scans
from orcon.store.home import resolve_home

if TYPE_CHECKING:
    from orcon.service import (
        bundles,
        control,
        directory,
        instance,
        knowing,
        notices,
        sharing,
        tracing,
    )
    from orcon.service.instance import Instance
    from orcon.store import blobs, ledger
else:  # imported when a command first calls them: see orcon.cli.lazy
    bundles = Later("orcon.service.bundles")
    control = Later("orcon.service.control")
    directory = Later("orcon.service.directory")
    knowing = Later("orcon.service.knowing")
    notices = Later("orcon.service.notices")
    sharing = Later("orcon.service.sharing")
    tracing = Later("orcon.service.tracing")
    instance = Later("orcon.service.instance")
    blobs = Later("orcon.store.blobs")
    ledger = Later("orcon.store.ledger")


def _out(args: argparse.Namespace, data: Any, text: str) -> None:
    print(json.dumps(data, default=str) if getattr(args, "json", False) else text)


def cmd_init(args: argparse.Namespace) -> int:
    home = resolve_home(args.home)
    inst, creds = instance.Instance.init(home, args.org, args.admin_email)
    inst.close()
    _out(
        args,
        {
            "home": str(home.path),
            "org": args.org,
            "admin": creds.email,
            "password": creds.password,
            "token": creds.token,
        },
        f"Created an orcon instance for {args.org} in {home.path}\n"
        f"First administrator: {creds.email}\n  password: {creds.password}\n"
        f"  API token: {creds.token}\n"
        "Keep these safe: they are shown only once.",
    )
    return 0


def cmd_org_add(args: argparse.Namespace) -> int:
    name = directory.add_org(open_instance(args), args.name)
    _out(args, {"org": name}, f"Added organisation {name}")
    return 0


def cmd_org_list(args: argparse.Namespace) -> int:
    orgs = directory.list_orgs(open_instance(args))
    lines = [
        f"{o['name']}{' (originator)' if o['originator'] else ''}"
        f"{' HALTED: ' + str(o['halt_reason']) if o['halted'] else ''} - {o['people']} "
        f"{'person' if o['people'] == 1 else 'people'}"
        f"{', ' + str(o['suspended']) + ' suspended' if o['suspended'] else ''}"
        for o in orgs
    ]
    _out(args, orgs, "\n".join(lines) or "no organisations")
    return 0


def cmd_person_add(args: argparse.Namespace) -> int:
    p = directory.add_person(open_instance(args), args.email, args.org, args.name or "", args.role)
    _out(
        args,
        {"email": p.email, "org": p.org, "role": p.role},
        f"Added {p.email} ({p.org}, {p.role})",
    )
    return 0


def cmd_person_import(args: argparse.Namespace) -> int:
    people = directory.import_people(open_instance(args), read_file(args.file))
    _out(
        args,
        [{"email": p.email, "org": p.org} for p in people],
        f"Imported {len(people)} {'person' if len(people) == 1 else 'people'}",
    )
    return 0


def cmd_person_list(args: argparse.Namespace) -> int:
    people = directory.list_people(open_instance(args), args.org)
    _out(
        args,
        [asdict(p) for p in people],
        "\n".join(
            f"{p.email}\t{p.name}\t{p.org}\t{p.role}" + ("\tsuspended" if p.suspended else "")
            for p in people
        )
        or "nobody",
    )
    return 0


def cmd_person_show(args: argparse.Namespace) -> int:
    inst = open_instance(args)
    acct = directory.account(inst, args.email)
    held = knowing.held_by(inst, acct.email)
    events = control.recent_events(inst, acct.email, limit=args.events)
    if args.json:
        print(
            json.dumps(
                {
                    **asdict(acct),
                    "held": [h.to_json() for h in held],
                    "events": events,
                },
                default=str,
            )
        )
        return 0
    state = (
        f"SUSPENDED since {ledger.iso(acct.suspended_at)[:16]}Z: {acct.suspend_reason}"
        if acct.suspended_at
        else "active"
    )
    sign_in = (
        f"locked until {ledger.iso(acct.locked_until)[:16]}Z"
        if acct.locked_until
        else ("password set" if acct.has_password else "no password")
    )
    print(
        f"{acct.email}{f' ({acct.name})' if acct.name else ''}, {acct.org}, {acct.role}\n"
        f"  {state}; web sign-in: {sign_in}; {acct.live_tokens} live API token"
        f"{'' if acct.live_tokens == 1 else 's'}"
    )
    print(f"  issued copies of {len(held)} item{'' if len(held) == 1 else 's'}:")
    for h in held:
        print(
            f"    {h.item}  {h.title!r}  {h.markings}  first {ledger.iso(h.first_issued)[:16]}Z, "
            f"{h.copies} cop{'y' if h.copies == 1 else 'ies'}"
            f"{' (withdrawn)' if h.withdrawn else ''}"
        )
    print(f"  latest {len(events)} ledger events naming them:")
    for e in events:
        print(f"    {e['seq']:>6}  {e['time']}  {e['kind']}  {e['summary']}")
    return 0


def cmd_person_token(args: argparse.Namespace) -> int:
    scope = "read" if args.read_only else "full"
    token = directory.create_token(open_instance(args), args.email, args.days, "cli", scope)
    shown = {"email": args.email, "token": token, "days": args.days, "read_only": args.read_only}
    _out(args, shown, token)
    return 0


def cmd_person_tokens(args: argparse.Namespace) -> int:
    rows = [t.to_json() for t in directory.live_tokens(open_instance(args), args.email)]
    lines = [
        f"{r['id']:>6}  made {str(r['created_at'])[:16]}Z  "
        + (f"stops {str(r['expires_at'])[:16]}Z" if r["expires_at"] else "does not expire")
        + ("  read-only" if r["read_only"] else "")
        + (f"  last used {str(r['last_used_at'])[:16]}Z" if r["last_used_at"] else "  never used")
        for r in rows
    ]
    _out(args, rows, "\n".join(lines) or f"{args.email} has no live API token")
    return 0


def cmd_person_revoke_tokens(args: argparse.Namespace) -> int:
    if args.token is not None:
        directory.revoke_token(open_instance(args), args.email, args.token, by="cli")
        _out(
            args,
            {"email": args.email, "revoked": 1},
            f"Revoked API token {args.token} of {args.email}",
        )
        return 0
    n = directory.revoke_tokens(open_instance(args), args.email, by="cli")
    _out(
        args,
        {"email": args.email, "revoked": n},
        f"Revoked {n} API token{'' if n == 1 else 's'} of {args.email}"
        if n
        else f"{args.email} has no API token to revoke",
    )
    return 0


def cmd_person_suspend(args: argparse.Namespace) -> int:
    p = directory.suspend(open_instance(args), args.email, args.reason, by="cli")
    _out(
        args,
        {"email": p.email, "suspended": True},
        f"Suspended {p.email} ({p.org}): no further copies, downloads, sign-ins, API access or "
        "onward requests for them. Their copies stay traceable.",
    )
    return 0


def cmd_person_reinstate(args: argparse.Namespace) -> int:
    p = directory.reinstate(open_instance(args), args.email, by="cli")
    _out(args, {"email": p.email, "suspended": False}, f"Reinstated {p.email} ({p.org}).")
    return 0


def cmd_person_password(args: argparse.Namespace) -> int:
    """A forgotten password, or the first one of someone added here: typed twice at a
    terminal, or one line on standard input (--stdin, for scripts), never an argument
    (a command line is seen by other users of the machine and kept in shell history)."""
    inst = open_instance(args)
    if args.stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        if not sys.stdin.isatty():
            raise UsageError("type the password at a terminal, or give --stdin to read it")
        import getpass

        password = getpass.getpass(f"New password for {args.email}: ")
        if getpass.getpass("Again: ") != password:
            raise UsageError("the two passwords differ; nothing was changed")
    directory.set_password(inst, args.email, password, by="cli")
    _out(
        args,
        {"email": args.email, "password_set": True},
        f"Password set for {args.email}; their web sessions are signed out",
    )
    return 0


def cmd_share(args: argparse.Namespace) -> int:
    path = Path(args.file)
    inst = open_instance(args)
    item = sharing.share(
        inst,
        read_file(args.file),
        title=args.title,
        tlp=args.tlp,
        to=args.to or [],
        filename=path.name,
        no_onward=args.no_onward,
        embargo_until=args.embargo_until,
        expires_at=args.expires,
        named=args.named or [],
        max_recipients=args.max_recipients,
        collusion=args.collusion,
        fragile=not args.no_fragile,
        keep_hidden=args.keep_hidden,
        clear_properties=args.clear_properties,
    )
    told = None if args.no_notice else notices.shared(inst, item.id)
    _out(
        args,
        {"id": item.id, "markings": item.markings, "code_length": item.code_length}
        | ({"notice": told.to_json()} if told else {}),
        f"Shared {item.id}: {item.title}\n  {item.markings}\n"
        f"  recipients: {', '.join(item.recipient_orgs) or '-'}\n"
        f"  fingerprint: {item.code_length} symbols, up to {item.max_recipients} recipients, "
        + (
            f"coalitions of {item.collusion}"
            if item.kind == "photo"
            else "one leaker per copy (text: identification code, docs/marks-text.md)"
        )
        + (f"\n  notice: {told.in_words()}" if told else ""),
    )
    return 0


def cmd_copy(args: argparse.Namespace) -> int:
    if args.zip and not args.all:
        raise UsageError("--zip is for --all: every copy in one archive")
    if args.zip and args.out_dir:
        raise UsageError("give --out-dir DIR or --zip FILE, not both")
    inst = open_instance(args)
    if args.zip:
        return _copy_zip(args, inst)
    if args.all:
        if not args.out_dir:
            raise UsageError("--all needs --out-dir DIR (one file per person) or --zip FILE")
        out_dir = Path(args.out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        people = sharing.entitled(inst, args.item)
        done: list[dict[str, str]] = []
        progress = _copies_progress(args)
        for i, email in enumerate(people, 1):
            cp = sharing.issue_copy(inst, args.item, email, by="cli")
            target = out_dir / cp.filename
            blobs.atomic_write(target, cp.data, mode=0o600)
            done.append({"person": email, "path": str(target)})
            if progress:
                progress(i, len(people))
        if progress:
            print(file=sys.stderr)
        _out(
            args,
            done,
            "\n".join(f"{d['person']} -> {d['path']}" for d in done)
            or "nobody may receive this item",
        )
        return 0
    if not args.for_ or not args.out:
        raise UsageError("give --for EMAIL --out PATH, or --all --out-dir DIR")
    cp = sharing.issue_copy(inst, args.item, args.for_, by="cli")
    out = Path(args.out)
    if out.is_dir():
        out = out / cp.filename
    if not out.parent.is_dir():
        raise UsageError(f"the folder {out.parent} does not exist")
    blobs.atomic_write(out, cp.data, mode=0o600)
    _out(
        args,
        {"person": cp.person, "path": str(out), "markings": cp.item.markings},
        f"Copy for {cp.person} written to {out}\n  {cp.item.markings}",
    )
    return 0


def _copies_progress(
    args: argparse.Namespace, what: str = "copies issued"
) -> Callable[[int, int], None] | None:
    """A "12/40 copies issued" line rewritten in place, on a terminal only."""
    if not sys.stderr.isatty() or args.json:
        return None

    def progress(done: int, total: int) -> None:
        count = f"{done}/{total}" if total else str(done)  # 0: the total is not known yet
        print(f"\r  {count} {what}", end="", file=sys.stderr, flush=True)

    return progress


def cmd_status(args: argparse.Namespace) -> int:
    from orcon.service import health

    checks = health.report(open_instance(args))
    lines = [f"{c.state:<5} {c.name:<9} {c.said}" for c in checks]
    _out(args, health.to_json(checks), "\n".join(lines))
    return 0 if health.worst(checks) == "ok" else 1


def cmd_backup(args: argparse.Namespace) -> int:
    from orcon.service import backups

    progress = _copies_progress(args, "files backed up")
    inst = open_instance(args)
    since = Path(args.since) if args.since else None
    if args.file == "-":  # to a pipe (an encryption tool): the summary goes to stderr
        if sys.stdout.isatty():
            raise UsageError("`orcon backup -` writes the archive to standard output: pipe it")
        done = backups.backup_to(inst, sys.stdout.buffer, progress, since=since)
    else:
        done = backups.backup(inst, Path(args.file), progress, since=since)
    if progress:
        print(file=sys.stderr)
    where = "standard output" if done.path == "-" else done.path
    summary = (
        f"Backed up {done.items} item{'' if done.items == 1 else 's'} and "
        f"{done.ledger_entries} ledger entries ({done.files} files, "
        f"{done.bytes / 2**20:.1f} MiB) to {where}"
        + (
            f"\nIncremental: {done.carried} unchanged files are left to the backup of "
            f"{done.base} ({args.since}); restoring needs both: "
            f"orcon restore {where if done.path != '-' else 'THIS'} {args.since}"
            if done.base
            else ""
        )
        + "\nIt holds the instance's keys: keep it as safe as the instance itself."
    )
    if done.path == "-":
        print(json.dumps(asdict(done)) if args.json else summary, file=sys.stderr)
    else:
        _out(args, asdict(done), summary)
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from orcon.service import backups

    progress = _copies_progress(args, "files restored")
    if "-" in args.file and len(args.file) > 1:
        raise UsageError("several backups are restored from files, not standard input")
    source = sys.stdin.buffer if args.file == ["-"] else [Path(f) for f in args.file]
    if args.check:
        done = backups.check(source, progress)
        if progress:
            print(file=sys.stderr)
        _out(
            args,
            asdict(done),
            f"The backup of {done.backed_up} restores: {done.files} files as recorded, "
            f"{done.items} item{'' if done.items == 1 else 's'} whose originals decrypt, "
            f"ledger verified ({done.ledger_entries} entries, root {done.ledger_root[:16]}...). "
            "Nothing was kept.",
        )
        return 0
    done = backups.restore(source, resolve_home(args.home), progress)
    if progress:
        print(file=sys.stderr)
    _out(
        args,
        asdict(done),
        f"Restored the backup of {done.backed_up} into {done.home}"
        + (
            ", its database into PostgreSQL (ORCON_DATABASE_URL)"
            if done.database != "sqlite"
            else ""
        )
        + f": {done.items} item{'' if done.items == 1 else 's'}, every original checked, "
        f"ledger verified ({done.ledger_entries} entries, root {done.ledger_root[:16]}...)",
    )
    return 0


def _copy_zip(args: argparse.Namespace, inst: Instance) -> int:
    """Every copy in one archive, as the web's "Download every copy" sends it."""
    target = Path(args.zip)
    if target.suffix.lower() != ".zip":
        raise UsageError(f"--zip {target}: give a file name ending in .zip")
    if not target.parent.is_dir():
        raise UsageError(f"the folder {target.parent} does not exist")
    progress = _copies_progress(args)
    made = bundles.bundle(inst, args.item, by="cli", progress=progress)
    blobs.atomic_write_chunks(target, made.chunks, mode=0o600)
    if progress:
        print(file=sys.stderr)
    tally = made.tally
    refused = "".join(f"\n  not issued: {who}: {why}" for who, why in tally.refused)
    _out(
        args,
        {
            "path": str(target),
            "copies": tally.issued,
            "not_issued": [{"person": who, "reason": why} for who, why in tally.refused],
            "markings": made.item.markings,
        },
        f"{tally.issued} {'copy' if tally.issued == 1 else 'copies'} written to {target} "
        f"(with {bundles.MANIFEST} and {bundles.README}){refused}\n  {made.item.markings}",
    )
    return 0


def cmd_trace(args: argparse.Namespace) -> int:
    if args.report:
        from orcon.service.report import check_report_target

        check_report_target(Path(args.report))
    inst = open_instance(args)

    def progress(step: str) -> None:
        print(f"  {step}…", file=sys.stderr, flush=True)

    result = tracing.trace(
        inst,
        read_file(args.file),
        progress=progress if sys.stderr.isatty() else None,
        pages=args.pages,
    )
    if args.report:
        from orcon.service.report import write_report

        write_report(inst, result, read_file(args.file), Path(args.report))
    if args.json:
        print(json.dumps(result.to_json()))
        return 0
    if result.verdict == "no-match":
        print("No match: the file does not come from any shared item.")
        for note in result.notes:
            print(f"  {note}")
    for part in (result, *result.others):
        if part.verdict != "no-match":
            _print_part(part)
    if args.report:
        print(f"Evidence report: {args.report}")
    return 0


def _print_part(result: tracing.TraceResult) -> None:
    """One shared item found in the leak, its verdict and notes."""
    if result.verdict == "inconclusive":
        print(
            f"Item {result.item}: inconclusive - nobody can be accused at the "
            f"{result.false_accusation_bound:g} bound "
            f"({result.read} symbols read, {result.erased} erased)."
        )
    else:
        print(f"Item {result.item}: accused")
        for a in result.accused:
            print(
                f"  {a.person} ({a.org}): the chance that an innocent recipient scores this high "
                f"is below {a.p_value:.1e}"
            )
        print(
            f"  Nobody is accused unless that chance is at most "
            f"{result.false_accusation_bound:g}/{result.population} "
            f"for the {result.population} "
            f"{'recipient' if result.population == 1 else 'recipients'}."
        )
    for note in result.notes:
        print(f"  {note}")


def cmd_knew(args: argparse.Namespace) -> int:
    holders = knowing.who_knew(open_instance(args), args.item, args.before)
    _out(
        args,
        [h.to_json() for h in holders],
        "\n".join(
            f"{ledger.iso(h.first_issued)}  {h.person} ({h.org}), {h.copies_in_words}, "
            f"ledger entry {h.ledger_seq}"
            for h in holders
        )
        or f"nobody had been issued {args.item} before {ledger.iso(args.before)}",
    )
    return 0


def cmd_halt(args: argparse.Namespace) -> int:
    control.halt(open_instance(args), args.org, args.reason)
    _out(
        args,
        {"org": args.org, "halted": True},
        f"Halted {args.org}: no further copies, downloads or API access for its people.",
    )
    return 0


def cmd_resume(args: argparse.Namespace) -> int:
    control.resume(open_instance(args), args.org)
    _out(args, {"org": args.org, "halted": False}, f"Resumed sharing with {args.org}.")
    return 0


def cmd_onward_request(args: argparse.Namespace) -> int:
    r = control.request_onward(open_instance(args), args.item, args.by, args.to, args.reason or "")
    _out(args, _onward(r), f"Request {r.id}: {r.item} -> {r.to_org} (pending)")
    return 0


def _onward(r: control.OnwardInfo) -> dict[str, Any]:
    return {
        "id": r.id,
        "item": r.item,
        "from": r.from_org,
        "to": r.to_org,
        "by": r.requested_by,
        "reason": r.reason,
        "status": r.status,
        "created_at": ledger.iso(r.created_at),
    }


def cmd_onward_list(args: argparse.Namespace) -> int:
    reqs = control.list_requests(open_instance(args), args.status)
    _out(
        args,
        [_onward(r) for r in reqs],
        "\n".join(
            f"{r.id}\t{r.status}\t{r.item}\t{r.from_org} -> {r.to_org}\t{r.reason}" for r in reqs
        )
        or "no requests",
    )
    return 0


def cmd_onward_decide(args: argparse.Namespace) -> int:
    inst = open_instance(args)
    r = control.decide_request(inst, args.id, args.approve)
    told = notices.approved(inst, r.item, r.to_org) if args.approve else None
    _out(
        args,
        _onward(r) | ({"notice": told.to_json()} if told else {}),
        f"Request {r.id} {r.status}." + (f" {r.to_org}: {told.in_words()}." if told else ""),
    )
    return 0


def cmd_ledger_verify(args: argparse.Namespace) -> int:
    if args.from_url:
        from orcon.service.remote import http_fetcher, verify_remote

        if not args.key:
            raise UsageError("--from-url needs --key VKEY (the instance's ledger verifier key)")
        token = args.token or os.environ.get("ORCON_TOKEN")
        remote = verify_remote(http_fetcher(args.from_url, token), args.key)
        _out(
            args,
            {
                "origin": remote.origin,
                "entries": remote.size,
                "root": remote.root.hex(),
                "withheld": remote.withheld,
            },
            f"Remote ledger {remote.origin} verified from its tiles: {remote.size} entries, "
            f"root {remote.root.hex()}"
            + (
                f"; {remote.withheld} of them concern others and were withheld from this "
                "account (their hashes are in the verified tree)"
                if remote.withheld
                else ""
            ),
        )
        return 0
    report = control.verify_ledger(open_instance(args))
    _out(
        args,
        {"entries": report.entries, "checkpoints": report.checkpoints, "root": report.root.hex()},
        f"Ledger verified: {report.entries} entries, {report.checkpoints} signed checkpoints, "
        f"root {report.root.hex()}",
    )
    return 0


def cmd_ledger_rotate(args: argparse.Namespace) -> int:
    vkey = control.rotate_ledger_key(open_instance(args))
    _out(
        args,
        {"verifier_key": vkey},
        f"The ledger is now signed with a new key: {vkey}\n(the rotation is recorded in the ledger "
        "and sealed with the old key; auditors keep trusting the root key)",
    )
    return 0


def cmd_ledger_checkpoint(args: argparse.Namespace) -> int:
    from orcon.service import transparency

    inst = open_instance(args)
    print(transparency.checkpoint_note(inst), end="")
    print(f"verifier key: {inst.verifier.vkey}", file=sys.stderr)
    return 0


def cmd_ledger_trust(args: argparse.Namespace) -> int:
    from orcon.service import transparency

    name = transparency.trust_witness(open_instance(args), args.vkey)
    _out(args, {"witness": name}, f"Trusting witness {name}")
    return 0


def cmd_ledger_events(args: argparse.Namespace) -> int:
    from orcon.service import events

    f = events.Filter(
        args.kind or (), args.search or "", args.since, args.until, args.start
    ).checked()
    inst = open_instance(args)
    if args.all:
        found: Any = events.every(inst, f)
    else:
        found = events.page(inst, f, args.limit)
    shown = 0
    for e in found:
        shown += 1
        if args.jsonl:
            print(json.dumps(e.to_json()))
        else:
            summary = control.summary(json.loads(e.body))
            print(f"{e.seq:>7}  {ledger.iso(e.time)[:19]}Z  {e.kind:<20} {summary}")
    if not shown and not args.jsonl:
        print("no ledger event matches", file=sys.stderr)
    return 0


def cmd_ledger_receipt(args: argparse.Namespace) -> int:
    from orcon.service.receipts import receipt

    text = json.dumps(receipt(open_instance(args), args.seq), indent=1)
    if args.out:
        blobs.atomic_write(Path(args.out), text.encode(), mode=0o644)
        print(f"Receipt for ledger entry {args.seq} written to {args.out}")
    else:
        print(text)
    return 0


def cmd_ledger_check_receipt(args: argparse.Namespace) -> int:
    from orcon.service.receipts import verify_receipt

    try:
        rec = json.loads(read_file(args.file))
    except ValueError:
        raise UsageError(f"{args.file} is not a JSON receipt") from None
    cp = verify_receipt(rec, args.key)
    print(f"Receipt verified: entry {rec['index']} is in the log {cp.origin} of size {cp.size}")
    return 0


def cmd_ledger_witness(args: argparse.Namespace) -> int:
    import time

    import httpx

    from orcon.service.remote import WitnessState, http_fetcher, witness_once

    state = WitnessState(Path(args.state))
    cosigner = state.cosigner(args.name)
    print(f"witness key (give it to the log operator): {cosigner.vkey}", flush=True)
    fetch = http_fetcher(args.url, args.token or os.environ.get("ORCON_TOKEN"))

    def post(size: int, line: str) -> None:
        r = httpx.post(
            args.url.rstrip("/") + "/ledger/cosignature",
            json={"size": size, "line": line},
            timeout=20,
        )
        if r.status_code != 201:
            print(
                f"the log did not accept the cosignature: HTTP {r.status_code} {r.text}",
                file=sys.stderr,
            )

    while True:
        cp = witness_once(fetch, post, state, args.log_key, cosigner)
        print(f"cosigned {cp.origin} at size {cp.size}", flush=True)
        if args.once:
            return 0
        time.sleep(args.interval)


def cmd_serve(args: argparse.Namespace) -> int:
    from orcon.api.serve import serve

    return serve(resolve_home(args.home), args.host, args.port, args.secure_cookies)


def cmd_demo(args: argparse.Namespace) -> int:
    from orcon.cli.demo import run_demo

    return run_demo(keep=args.keep)


def token_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--token",
        metavar="TOKEN",
        help="an API token of an account on that instance, which reading its events needs "
        "(default: $ORCON_TOKEN)",
    )


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    def cmd(name: str, fn: Any, help_: str, parent: Any = sub) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = parent.add_parser(name, help=help_)
        p.set_defaults(run=fn)
        return p

    p = cmd("init", cmd_init, "create an instance: database, blob store, keys")
    p.add_argument("--org", required=True, help="your (originator) organisation")
    p.add_argument("--admin-email", default="admin@localhost", help="first administrator's e-mail")
    json_flag(p)

    p = cmd(
        "status",
        cmd_status,
        "how the instance is doing: database, ledger, backup, outbox, watch, disk "
        "(exits 1 when something needs attention, for monitoring)",
    )
    json_flag(p)

    p = cmd("backup", cmd_backup, "back the whole instance up into one file, checked")
    p.add_argument(
        "file",
        help="a new file, outside the instance home (a tar archive); - for standard output, "
        "to pipe it into an encryption tool",
    )
    p.add_argument(
        "--since",
        metavar="BASE",
        help="incremental: only the database and the files changed since BASE, an earlier "
        "backup of this instance (whole or incremental); restoring needs BASE too",
    )
    json_flag(p)
    p = cmd(
        "restore",
        cmd_restore,
        "restore a backup into a new instance home (--home); with ORCON_DATABASE_URL set, "
        "its database into that empty PostgreSQL database",
    )
    p.add_argument(
        "file",
        nargs="+",
        help="a file written by `orcon backup`, - for standard input; an incremental backup "
        "with the backups it was made on, in any order",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="a drill: restore into a temporary folder with every check, keep nothing",
    )
    json_flag(p)

    org = sub.add_parser("org", help="partner organisations").add_subparsers(
        dest="action", required=True
    )
    p = cmd("add", cmd_org_add, "register a partner organisation", org)
    p.add_argument("name")
    json_flag(p)
    p = cmd("list", cmd_org_list, "list organisations and their state", org)
    json_flag(p)

    person = sub.add_parser("person", help="people who receive copies").add_subparsers(
        dest="action", required=True
    )
    p = cmd("add", cmd_person_add, "add a person", person)
    p.add_argument("email")
    p.add_argument("--org", required=True)
    p.add_argument("--name")
    p.add_argument("--role", default="recipient", choices=["recipient", "analyst", "admin"])
    json_flag(p)
    p = cmd(
        "import",
        cmd_person_import,
        "import people from a CSV (email,name,org); all or nothing",
        person,
    )
    p.add_argument("file")
    json_flag(p)
    p = cmd("list", cmd_person_list, "list people", person)
    p.add_argument("--org")
    json_flag(p)
    p = cmd(
        "show",
        cmd_person_show,
        "one person: their account, every item they were issued, their latest events",
        person,
    )
    p.add_argument("email")
    p.add_argument("--events", type=positive, default=20, metavar="N", help="ledger events shown")
    json_flag(p)
    p = cmd("token", cmd_person_token, "create an API token for a person (shown once)", person)
    p.add_argument("email")
    p.add_argument(
        "--days", type=positive, metavar="N", help="the token stops by itself after N days"
    )
    p.add_argument(
        "--read-only",
        action="store_true",
        help="the API's reading (GET) calls only: for a collector or a script that fetches",
    )
    json_flag(p)
    p = cmd("tokens", cmd_person_tokens, "a person's live API tokens (never their values)", person)
    p.add_argument("email")
    json_flag(p)
    p = cmd("revoke-tokens", cmd_person_revoke_tokens, "end all of a person's API tokens", person)
    p.add_argument("email")
    p.add_argument(
        "--token", type=positive, metavar="N", help="only this one (its number: person tokens)"
    )
    json_flag(p)
    p = cmd(
        "suspend",
        cmd_person_suspend,
        "stop one person at once (copies, sign-in, API), leaving their organisation alone",
        person,
    )
    p.add_argument("email")
    p.add_argument("--reason", required=True, help="recorded in the ledger and shown to them")
    json_flag(p)
    p = cmd("reinstate", cmd_person_reinstate, "end a person's suspension", person)
    p.add_argument("email")
    json_flag(p)
    p = cmd("password", cmd_person_password, "set a person's web password (a reset)", person)
    p.add_argument("email")
    p.add_argument("--stdin", action="store_true", help="read it as one line from standard input")
    json_flag(p)

    p = cmd("share", cmd_share, "share a photo or a report under handling markings")
    p.add_argument(
        "file",
        help="a photo (JPEG, PNG, WebP, TIFF, BMP, GIF, AVIF, HEIC) or a report (Word .docx, "
        "UTF-8 text or Markdown)",
    )
    p.add_argument("--title", required=True, help="what partners see the item as")
    p.add_argument("--tlp", required=True, help="clear, green, amber, amber+strict or red")
    p.add_argument(
        "--to", action="append", metavar="ORG", help="recipient organisation (repeatable)"
    )
    p.add_argument("--named", action="append", metavar="EMAIL", help="named recipient (TLP:RED)")
    p.add_argument("--no-onward", action="store_true", help="no onward dissemination (ORCON)")
    p.add_argument(
        "--embargo-until", type=moment, metavar="ISO8601", help="not to be published before"
    )
    p.add_argument(
        "--expires", type=moment, metavar="ISO8601", help="no copies issued from this time"
    )
    p.add_argument(
        "--max-recipients",
        type=positive,
        default=policy.DEFAULT_MAX_RECIPIENTS,
        help="how many people copies may ever go to (default %(default)s); sizes the code",
    )
    p.add_argument(
        "--collusion",
        type=positive,
        default=policy.DEFAULT_COLLUSION,
        help="largest coalition the fingerprint must resist (default 3)",
    )
    p.add_argument(
        "--no-fragile",
        action="store_true",
        help="text reports: no invisible marks in copies (the wording alone carries the code)",
    )
    p.add_argument(
        "--keep-hidden",
        action="store_true",
        help="Word reports: share even with comments, tracked changes or hidden text in it "
        "(every copy carries them; refused without this)",
    )
    p.add_argument(
        "--clear-properties",
        action="store_true",
        help="Word reports: empty the author, last saved by, comments, manager and company "
        "properties, so no copy carries them (your file is not changed)",
    )
    notice_flag(p)
    json_flag(p)

    p = cmd("copy", cmd_copy, "issue fingerprinted copies")
    p.add_argument("item", help="the item's id (itm_…)")
    p.add_argument("--for", dest="for_", metavar="EMAIL", help="the person the copy is for")
    p.add_argument("--out", metavar="PATH", help="where to write that person's copy")
    p.add_argument("--all", action="store_true", help="a copy for everyone entitled to the item")
    p.add_argument("--out-dir", metavar="DIR", help="with --all: the folder the copies go to")
    p.add_argument(
        "--zip",
        metavar="FILE",
        help="with --all: every copy in one .zip, with a list of who and each file's SHA-256",
    )
    json_flag(p)

    p = cmd("trace", cmd_trace, "find which item a leak came from and whose copy it was")
    p.add_argument(
        "file",
        help="the leak: a picture, a text, a saved web page (.html, .mhtml), a PDF, a Word "
        "document, a video, a ZIP archive or an e-mail (.eml or .msg); exit 0 whatever the verdict",
    )
    json_flag(p)
    p.add_argument(
        "--report",
        metavar="OUT.html",
        help="write an evidence report (HTML; PDF when OUT ends in .pdf)",
    )
    p.add_argument(
        "--pages",
        type=positive,
        default=scans.PDF_MAX_PAGES,
        metavar="N",
        help="read the text of the first N pages of a scanned PDF (no text layer) by OCR, "
        f"a few seconds a page (default {scans.PDF_MAX_PAGES}; the pages after them, up to "
        f"the {scans.PDF_PHOTO_PAGES}th, are looked at for shared photos only)",
    )

    p = cmd("knew", cmd_knew, "who had been issued an item before a time")
    p.add_argument("item", help="the item's id (itm_…)")
    p.add_argument(
        "--before", type=moment, required=True, metavar="ISO8601", help="e.g. when it was published"
    )
    json_flag(p)

    p = cmd("halt", cmd_halt, "halt all sharing with a partner organisation at once")
    p.add_argument("org")
    p.add_argument("--reason", required=True, help="recorded in the ledger")
    json_flag(p)
    p = cmd("resume", cmd_resume, "resume sharing with a halted organisation")
    p.add_argument("org")
    json_flag(p)

    onward = sub.add_parser("onward", help="onward-dissemination requests").add_subparsers(
        dest="action", required=True
    )
    p = cmd("request", cmd_onward_request, "ask to pass an item to another organisation", onward)
    p.add_argument("item")
    p.add_argument("--by", required=True, metavar="EMAIL", help="the requesting recipient")
    p.add_argument("--to", required=True, metavar="ORG")
    p.add_argument("--reason")
    json_flag(p)
    p = cmd("list", cmd_onward_list, "list requests", onward)
    p.add_argument("--status", choices=["pending", "approved", "refused"])
    json_flag(p)
    for verb, approve in (("approve", True), ("refuse", False)):
        p = cmd(verb, cmd_onward_decide, f"{verb} a request", onward)
        p.add_argument("id", type=positive)
        p.set_defaults(approve=approve)
        json_flag(p)

    led = sub.add_parser("ledger", help="the tamper-evident ledger").add_subparsers(
        dest="action", required=True
    )
    p = cmd(
        "verify", cmd_ledger_verify, "check the whole log; exit 1 naming the first bad entry", led
    )
    p.add_argument("--from-url", metavar="URL", help="verify a remote instance through its tiles")
    p.add_argument("--key", metavar="VKEY", help="the remote instance's ledger verifier key")
    token_flag(p)
    json_flag(p)
    p = cmd("checkpoint", cmd_ledger_checkpoint, "print the latest signed checkpoint", led)
    p = cmd(
        "rotate-key", cmd_ledger_rotate, "replace the ledger signing key (recorded in the log)", led
    )
    json_flag(p)
    p = cmd("trust-witness", cmd_ledger_trust, "accept cosignatures from a partner's witness", led)
    p.add_argument("vkey")
    json_flag(p)
    p = cmd(
        "events",
        cmd_ledger_events,
        "list or export events: by kind, text, time, from a sequence number",
        led,
    )
    p.add_argument("--kind", action="append", metavar="KIND", help="e.g. copy.issued (repeatable)")
    p.add_argument("--search", metavar="TEXT", help="events whose body holds TEXT (an item id…)")
    p.add_argument("--since", type=moment, metavar="ISO8601", help="at or after this time")
    p.add_argument("--until", type=moment, metavar="ISO8601", help="before this time")
    p.add_argument(
        "--start",
        type=int,
        metavar="SEQ",
        help="from this sequence number on, oldest first (a collector's cursor)",
    )
    many = p.add_mutually_exclusive_group()
    many.add_argument(
        "--limit",
        type=positive,
        default=50,
        help="at most N events (default 50, newest first unless --start)",
    )
    many.add_argument(
        "--all", action="store_true", help="every matching event, oldest first (an export)"
    )
    p.add_argument(
        "--jsonl",
        action="store_true",
        help="one JSON object a line: the event, its canonical body and leaf hash",
    )
    p = cmd("receipt", cmd_ledger_receipt, "export an offline-verifiable receipt for an entry", led)
    p.add_argument("seq", type=int)
    p.add_argument("--out", metavar="FILE")
    p = cmd("check-receipt", cmd_ledger_check_receipt, "verify a receipt offline", led)
    p.add_argument("file")
    p.add_argument("--key", required=True, metavar="VKEY")
    p = cmd("witness", cmd_ledger_witness, "cosign a remote log; refuse forks and rollbacks", led)
    p.add_argument("url")
    p.add_argument("--state", required=True, metavar="DIR", help="the witness's key and state")
    p.add_argument("--log-key", required=True, metavar="VKEY", help="the log's verifier key")
    p.add_argument("--name", default="witness.local/orcon", help="the witness's key name")
    token_flag(p)
    p.add_argument("--once", action="store_true", help="cosign once and exit")
    p.add_argument("--interval", type=float, default=60.0, help="seconds between rounds")

    p = cmd("serve", cmd_serve, "run the web interface and REST API")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument(
        "--secure-cookies",
        action="store_true",
        help="served over HTTPS (e.g. behind a proxy): mark session cookies Secure and send "
        "Strict-Transport-Security",
    )

    p = cmd("demo", cmd_demo, "a scripted story on a fresh temporary instance")
    p.add_argument("--keep", action="store_true", help="keep the temporary instance afterwards")


__all__ = ["PolicyDenied", "add_parsers"]
