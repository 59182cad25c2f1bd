"""Sending mail for the leak watch's alerts and the notices to recipients: one SMTP
session a round, with STARTTLS and a login where the mail server asks for them. Mail
the server did not take for a passing reason is kept in the outbox for another try
(:mod:`orcon.service.outbox`): a leak alert lost to a restarting mail relay is a leak
nobody hears of.

The password is a secret like the instance's keys: it is kept in the home's keys
folder (owner-only), never in ``instance.json``, never printed, never logged.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from sqlalchemy.orm import Session

from orcon.errors import UsageError
from orcon.service.instance import Instance
from orcon.store.blobs import atomic_write
from orcon.store.models import WaitingMail

FIRST_PAUSE, LONGEST_PAUSE = timedelta(minutes=1), timedelta(hours=1)


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
    if not 0 < server.port < 65536:
        raise UsageError(f"{server.port} is not a port number")
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


@dataclass(frozen=True, slots=True)
class Sent:
    """What a round of mail did, message by message: "sent", "failed" (worth trying
    again: the server was down, refused the login, or said "try later") or "refused"
    (the server will never take it, such as an address it does not know)."""

    results: tuple[str, ...]
    error: str = ""

    def where(self, result: str) -> list[int]:
        return [i for i, r in enumerate(self.results) if r == result]


def _permanent(err: smtplib.SMTPException) -> bool:
    """A 5xx answer about one message: sending it again would be refused again."""
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in err.recipients.values())
    return isinstance(err, smtplib.SMTPResponseException) and err.smtp_code >= 500


def send_all(server: MailServer, password: str | None, messages: Sequence[EmailMessage]) -> Sent:
    """Send each message in one session. Never raises for the mail server's failures:
    the caller reports them, and keeps what failed for another try."""
    results = ["failed"] * len(messages)
    error = ""
    try:
        with smtplib.SMTP(server.host, server.port, timeout=10) as smtp:
            if server.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if server.user:
                _login(smtp, server.user, password or "")
            for i, msg in enumerate(messages):
                try:
                    smtp.send_message(msg)
                    results[i] = "sent"
                except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as err:
                    results[i] = "refused" if _permanent(err) else "failed"
                    error = error or f"{type(err).__name__}: {err}"[:300]
                    smtp.rset()
    except (OSError, smtplib.SMTPException) as err:
        error = f"{type(err).__name__}: {err}"[:300]
    return Sent(tuple(results), error)


@dataclass(frozen=True, slots=True)
class Tried:
    """What a test of one way of delivering did: where it went, whether it got through,
    and what the far end said (or why it could not be reached)."""

    channel: str
    ok: bool
    said: str


def message(
    sender: str, to: Sequence[str], subject: str, body: str, when: datetime | None = None
) -> EmailMessage:
    """A message as orcon sends every one: dated when it is written (``when``, or now),
    so one sent late from the outbox says when, with a Message-ID of the sender's domain."""
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"], msg["To"] = sender, ", ".join(to)
    msg["Date"] = format_datetime(when or datetime.now(UTC))
    msg["Message-ID"] = make_msgid("orcon", sender.rpartition("@")[2] or "localhost")
    msg.set_content(body)
    return msg


def test_message(sender: str, to: Sequence[str], org: str, what: str) -> EmailMessage:
    """A message that carries nothing shared: it shows that the settings for ``what``
    reach an inbox, before the first real notice or alert depends on them."""
    return message(
        sender,
        to,
        f"orcon test message: {what}",
        f"This message tests the mail settings of {org}'s orcon for {what}.\n\n"
        "It carries nothing shared. If it reached you, those settings work: the mail "
        "server took the message from orcon, and it was delivered here.\n",
    )


def try_mail(server: MailServer, password: str | None, msg: EmailMessage) -> Tried:
    """Send one test message now, with no outbox: the answer is for the person testing."""
    result = send_all(server, password, [msg])
    channel = f"e-mail to {msg['To']} via {server.host}:{server.port}"
    if result.results == ("sent",):
        return Tried(channel, True, "the mail server took the message")
    return Tried(channel, False, result.error or "the mail server did not take the message")


def pause(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed try: doubling from a minute, at
    most an hour, so a relay that is down for a day is not hammered and one back after
    a minute is used at once."""
    wait: timedelta = FIRST_PAUSE * 2 ** min(attempts - 1, 12)
    return min(wait, LONGEST_PAUSE)


def keep(
    s: Session,
    purpose: str,
    about: str,
    msg: EmailMessage,
    now: datetime,
    error: str,
    *,
    item: str | None = None,
    alert: int | None = None,
    was: str | None = None,
) -> None:
    """Put a message the mail server did not take into the outbox, in the caller's
    transaction."""
    keep_raw(s, purpose, about, str(msg["To"]), msg.as_string(), now, error,
             item=item, alert=alert, was=was)  # fmt: skip


def keep_raw(
    s: Session,
    purpose: str,
    about: str,
    to: str,
    message: str,
    now: datetime,
    error: str,
    *,
    item: str | None = None,
    alert: int | None = None,
    was: str | None = None,
) -> None:
    """Put anything that waits for another try into the outbox: an e-mail as text, or a
    webhook's body (``to`` its URL)."""
    s.add(
        WaitingMail(
            purpose=purpose,
            about=about,
            to_addr=to,
            item_id=item,
            alert_id=alert,
            was=was,
            message=message,
            queued_at=now,
            attempts=1,
            next_try_at=now + pause(1),
            last_error=error,
        )
    )
