"""Shared fixtures: a fresh instance on SQLite and (when reachable) on PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage import data

PG_URL = os.environ.get("ORCON_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_available() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_URL.replace("+psycopg", ""), connect_timeout=3):
            return None
    except Exception as err:  # any failure means: skip with the reason
        return f"PostgreSQL not reachable at {PG_URL}: {err}"


_PG_SKIP = _pg_available()


class Clock:
    """A settable clock, so tests can move time (expiry, lockout) without sleeping."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if request.param == "sqlite":
        monkeypatch.delenv("ORCON_DATABASE_URL", raising=False)
        yield "sqlite"
        return
    with _pg_schema() as url:
        monkeypatch.setenv("ORCON_DATABASE_URL", url)
        yield "postgresql"


@contextlib.contextmanager
def _pg_schema() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL schema, dropped afterwards (skips the test
    where PostgreSQL cannot be reached)."""
    if _PG_SKIP:
        pytest.skip(_PG_SKIP)
    import psycopg

    schema = "orcon_test_" + secrets.token_hex(6)
    plain = PG_URL.replace("+psycopg", "")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def empty_postgresql() -> Iterator[str]:
    """A database URL for an empty PostgreSQL schema of its own (say, to restore into)."""
    with _pg_schema() as url:
        yield url


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def inst(tmp_path: Path, database: str, clock: Clock):  # type: ignore[no-untyped-def]
    from orcon.service.instance import Instance
    from orcon.store.home import Home

    instance, _ = Instance.init(Home(tmp_path / "home"), "Northshire Constabulary", clock=clock)
    yield instance
    instance.close()


def _jpeg(rgb: np.ndarray, width: int = 1000, quality: int = 90) -> bytes:
    img = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    h, w = img.shape[:2]
    img = cv2.resize(img, (width, round(h * width / w)), interpolation=cv2.INTER_AREA)
    return cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])[1].tobytes()


@pytest.fixture(scope="session")
def photo() -> bytes:
    return _jpeg(data.coffee())


@pytest.fixture(scope="session")
def large_photo() -> bytes:
    """The same scene at 1600 px, the size the image benchmarks measure. Until the
    registration fix of 2026-12-02 a newspaper-style leak (crop, shrink, recompress) went
    unnamed under 1-3 % of random instance keys, never by accusing an innocent; since, 120
    of 120 at 1000 px and 1600 px, and 200 of 200 with six recipients (BENCHMARKS.md)."""
    return _jpeg(data.coffee(), width=1600)


@pytest.fixture(scope="session")
def other_photo() -> bytes:
    return _jpeg(data.rocket())


@pytest.fixture(scope="session")
def unrelated_photo() -> bytes:
    return _jpeg(data.chelsea())


@pytest.fixture(scope="session")
def word_report():  # type: ignore[no-untyped-def]
    """Lay a Markdown report out as an analyst writes it in Word: its headings as Word
    headings, each other block one paragraph; with ``bold``, the fourth to eighth words
    of each paragraph in a bold run of their own. Returns the python-docx Document (add
    to it, then save it)."""
    import docx

    def build(markdown: str, bold: bool = False):  # type: ignore[no-untyped-def]
        document = docx.Document()
        for block in markdown.split("\n\n"):
            block = block.strip()
            if block.startswith("#"):
                document.add_heading(block.lstrip("#").strip(), level=1)
            elif block and not block.startswith(">"):
                words = " ".join(block.split()).split(" ")
                if not bold:
                    document.add_paragraph(" ".join(words))
                    continue
                para = document.add_paragraph(" ".join(words[:3]) + " ")
                para.add_run(" ".join(words[3:8]) + " ").bold = True
                para.add_run(" ".join(words[8:]))
        return document

    return build


class _Inbox:
    """What a test mail server received, message by message. ``refuse`` maps an address
    to the answer it gets instead of "250 OK" (e.g. "550 no such user")."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.refuse: dict[str, str] = {}

    async def handle_RCPT(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append(envelope.content)
        return "250 OK"


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp():  # type: ignore[no-untyped-def]
    from aiosmtpd.controller import Controller

    inbox = _Inbox()
    ctl = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    ctl.start()
    yield ctl, inbox
    ctl.stop()


@pytest.fixture
def smtp_later():  # type: ignore[no-untyped-def]
    """A mail server that is down until the test starts it: yields (port, start, inbox),
    where ``start()`` brings it up on that port."""
    from aiosmtpd.controller import Controller

    inbox, port = _Inbox(), _free_port()
    ctl = Controller(inbox, hostname="127.0.0.1", port=port)
    started: list[bool] = []

    def start() -> None:
        ctl.start()
        started.append(True)

    yield port, start, inbox
    if started:
        ctl.stop()


@pytest.fixture
def smtp_login(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """A mail server that takes mail only after STARTTLS and a login (user "orcon",
    password "relay secret"), with a certificate for 127.0.0.1 that this process and
    its children trust (SSL_CERT_FILE). Yields (controller, inbox, logins seen)."""
    import datetime as dt
    import ipaddress
    import ssl

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "smtp-cert.pem", tmp_path / "smtp-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    logins: list[tuple[str, str]] = []

    def authenticator(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        assert isinstance(auth_data, LoginPassword)
        pair = (auth_data.login.decode(), auth_data.password.decode())
        logins.append(pair)
        return AuthResult(success=pair == ("orcon", "relay secret"), handled=False)

    inbox = _Inbox()
    ctl = Controller(
        inbox,
        hostname="127.0.0.1",
        port=_free_port(),
        tls_context=context,
        require_starttls=True,
        authenticator=authenticator,
        auth_require_tls=True,
    )
    ctl.start()
    yield ctl, inbox, logins
    ctl.stop()
