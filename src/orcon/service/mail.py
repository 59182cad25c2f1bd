"""Sending mail for the leak watch's alerts and the notices to recipients: one SMTP
session a round, with STARTTLS and a login where the mail server asks for them.

The password is a secret like the instance's keys: it is kept in the home's keys
folder (owner-only), never in ``instance.json``, never printed, never logged.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from orcon.errors import UsageError
from orcon.service.instance import Instance
from orcon.store.blobs import atomic_write


@dataclass(frozen=True, slots=True)
class MailServer:
    host: str
    port: int = 25
    starttls: bool = False  # upgrade the session to TLS (the server's certificate is checked)
    user: str = ""  # log in as this user (after STARTTLS), with the stored password


def _password_file(inst: Instance, purpose: str) -> Path:
    return inst.home.keys / f"{purpose}-smtp.password"


def store_password(inst: Instance, purpose: str, password: str) -> None:
    """Keep the mail login's password with the instance's other secrets."""
    password = password.strip("\r\n")
    if not password:
        raise UsageError("the SMTP password is empty")
    atomic_write(_password_file(inst, purpose), password.encode(), mode=0o600)


def stored_password(inst: Instance, purpose: str) -> str | None:
    path = _password_file(inst, purpose)
    return path.read_text() if path.is_file() else None


def check(server: MailServer, password: str | None) -> None:
    """Settings that cannot work, refused when they are made rather than at the first send."""
    if server.user and not server.starttls:
        raise UsageError(
            "an SMTP login needs --starttls: orcon does not send a password over a plain connection"
        )
    if server.user and not password:
        raise UsageError("an SMTP login needs its password (--smtp-password-stdin)")


def _login(smtp: smtplib.SMTP, user: str, password: str) -> None:
    """One login, PLAIN or else LOGIN (over TLS only, see :func:`check`). smtplib's
    ``login`` tries every mechanism in turn after a refused password, sending the same
    wrong password again, and each try counts towards the server's lockout."""
    smtp.ehlo_or_helo_if_needed()
    offered = smtp.esmtp_features.get("auth", "").upper().split()
    smtp.user, smtp.password = user, password
    for mechanism in ("PLAIN", "LOGIN"):
        if mechanism in offered:
            # Raises SMTPAuthenticationError when the password is refused.
            smtp.auth(mechanism, getattr(smtp, f"auth_{mechanism.lower()}"))
            return
    raise smtplib.SMTPNotSupportedError("the mail server offers no PLAIN or LOGIN login")


def set_login(inst: Instance, purpose: str, server: MailServer, password: str | None) -> None:
    """Check the settings with the new password (or the stored one) before keeping
    anything, so that a refused change leaves no password behind."""
    check(server, password or stored_password(inst, purpose))
    if password is not None:
        store_password(inst, purpose, password)


def send_all(
    server: MailServer, password: str | None, messages: Sequence[EmailMessage]
) -> tuple[list[str], list[str], str]:
    """(addresses sent to, addresses not reached, why not). Never raises for the mail
    server's failures: the caller reports them and carries on."""
    sent: list[str] = []
    try:
        with smtplib.SMTP(server.host, server.port, timeout=10) as smtp:
            if server.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if server.user:
                _login(smtp, server.user, password or "")
            for msg in messages:
                try:
                    smtp.send_message(msg)
                    sent.append(str(msg["To"]))
                except smtplib.SMTPRecipientsRefused:
                    continue
    except (OSError, smtplib.SMTPException) as err:
        rest = [str(m["To"]) for m in messages if str(m["To"]) not in sent]
        return sent, rest, f"{type(err).__name__}: {err}"[:300]
    rest = [str(m["To"]) for m in messages if str(m["To"]) not in sent]
    return sent, rest, "refused by the mail server" if rest else ""
