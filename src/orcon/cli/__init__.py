"""The ``orcon`` command line: parse, call a service, render.

Exit codes: 0 ok, 1 a check failed or was denied, 2 usage or input error.
A user mistake prints one clear line on stderr; tracebacks only with ``--verbose``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from orcon import __version__
from orcon.cli import codes, commands, items, marks, notify, watch
from orcon.errors import OrconError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"orcon: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    ap = _Parser(
        prog="orcon", description="Originator-controlled sharing with per-recipient fingerprints."
    )
    ap.add_argument("--version", action="version", version=f"orcon {__version__}")
    ap.add_argument(
        "--home", metavar="DIR", help="instance home (default: $ORCON_HOME or ~/.orcon)"
    )
    ap.add_argument("--verbose", action="store_true", help="show tracebacks on errors")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    commands.add_parsers(sub)
    items.add_parsers(sub)
    codes.add_parsers(sub)
    marks.add_parsers(sub)
    watch.add_parsers(sub)
    notify.add_parsers(sub)
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except OrconError as err:
        if args.verbose:
            raise
        print(f"orcon: error: {err.diagnostics()}", file=sys.stderr)
        return err.exit_code
    except BrokenPipeError:  # output piped into head & co.
        return 0
    except KeyboardInterrupt:
        print("orcon: interrupted", file=sys.stderr)
        return 130


__all__ = ["build_parser", "main"]
