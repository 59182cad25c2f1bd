"""Argument types shared by the CLI commands: each gives a one-line error."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from orcon.errors import UsageError
from orcon.store.limits import ROW_MAX


def json_flag(p: argparse.ArgumentParser) -> None:
    """``--json``: the same answer as one JSON object, for scripts."""
    p.add_argument("--json", action="store_true", help="print one JSON object (for scripts)")


def read_file(path: str) -> bytes:
    """A file named on the command line, or a one-line error saying why it cannot be read."""
    p = Path(path)
    if p.is_dir():
        raise UsageError(f"{path} is a folder: name a file in it")
    if not p.is_file():
        raise UsageError(f"no such file: {path}")
    try:
        return p.read_bytes()
    except OSError as err:
        raise UsageError(f"cannot read {path}: {err.strerror}") from None


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, got {value}")
    if value > ROW_MAX:  # no count, id or sequence number orcon stores is this large
        raise argparse.ArgumentTypeError(f"{text} is too large")
    return value


def number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def moment(text: str) -> datetime:
    """ISO 8601 date or date-time; without a zone it is taken as UTC."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an ISO 8601 time such as 2026-12-01T09:00Z, got {text!r}"
        ) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def notice_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--no-notice",
        action="store_true",
        help="do not e-mail the recipients about it (when notices are set up: orcon notify)",
    )


def smtp_login_flags(p: argparse.ArgumentParser) -> None:
    """STARTTLS and a login, for a mail server that asks for them."""
    p.add_argument(
        "--starttls", dest="starttls", action="store_true", default=None,
        help="upgrade to TLS before sending (the server's certificate is checked)",
    )  # fmt: skip
    p.add_argument("--no-starttls", dest="starttls", action="store_false")
    p.add_argument("--smtp-user", help="log in as this user (needs --starttls); '' for none")
    p.add_argument(
        "--smtp-password-stdin",
        action="store_true",
        help="read the login's password from standard input (kept with the keys, never shown)",
    )


def read_smtp_password(args: argparse.Namespace) -> str | None:
    """The password given on standard input, or None when none was asked for."""
    if not args.smtp_password_stdin:
        return None
    return sys.stdin.readline().rstrip("\r\n")
