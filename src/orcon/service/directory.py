"""Organisations, people, API tokens and passwords."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError
from argon2.exceptions import VerificationError as Argon2Mismatch
from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import Session, contains_eager

from orcon.errors import PolicyDenied, UsageError
from orcon.policy import OrgView, PersonView, Role, suspension
from orcon.service.instance import Instance
from orcon.store import ledger
from orcon.store.ledger import EventKind
from orcon.store.limits import ROW_MAX
from orcon.store.models import ApiToken, Org, Person

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
USE_NOTED = timedelta(minutes=10)  # a token's last use is written at most this often
PEOPLE_BOUND = 500  # at most this many ids bound in one query (databases cap parameters)
LOCKOUT_AFTER = 5
LOCKOUT_FOR = timedelta(minutes=15)
PASSWORD_MIN, PASSWORD_MAX = 10, 1024  # argon2 hashes any length; a megabyte "password" is abuse


@dataclass(frozen=True, slots=True)
class PersonInfo:
    id: int
    email: str
    name: str
    org: str
    role: str
    suspended: bool = False


def _info(p: Person) -> PersonInfo:
    return PersonInfo(p.id, p.email, p.name, p.org.name, p.role, p.suspended_at is not None)


def find_org(s: Session, name: str) -> Org:
    org = s.scalars(select(Org).where(func.lower(Org.name) == name.strip().lower())).first()
    if org is None:
        raise UsageError(f"unknown organisation {name!r}")
    return org


def org_view(org: Org) -> OrgView:
    """What the policy decides on about an organisation."""
    return OrgView(org.id, org.is_originator, org.halted_at is not None, org.halt_reason, org.name)


def person_view(p: Person) -> PersonView:
    """What the policy decides on about a person."""
    return PersonView(
        p.id, p.org_id, Role(p.role), p.suspended_at is not None, p.suspend_reason, p.email
    )


def find_person(s: Session, email: str) -> Person:
    p = s.scalars(select(Person).where(Person.email == email.strip().lower())).first()
    if p is None:
        raise UsageError(f"unknown person {email!r}")
    return p


def add_org(inst: Instance, name: str) -> str:
    name = name.strip()
    if not name or len(name) > 200 or any(ch in name for ch in "\n\r\t"):
        raise UsageError("an organisation name must be 1..200 characters on one line")
    with inst.transaction() as s:
        if s.scalars(select(Org).where(func.lower(Org.name) == name.lower())).first():
            raise UsageError(f"organisation {name!r} already exists")
        now = inst.clock()
        s.add(Org(name=name, is_originator=False, created_at=now))
        ledger.append(s, EventKind.ORG_ADDED, {"org": name}, now)
    return name


def list_orgs(inst: Instance) -> list[dict[str, object]]:
    with inst.reading() as s:
        return [
            {
                "name": o.name,
                "originator": o.is_originator,
                "halted": o.halted_at is not None,
                "halt_reason": o.halt_reason,
                "people": len(o.people),
                "suspended": sum(1 for p in o.people if p.suspended_at is not None),
            }
            for o in s.scalars(select(Org).order_by(Org.name))
        ]


def _validate_person(email: str, name: str, role: str) -> tuple[str, str, Role]:
    email = email.strip().lower()
    if not EMAIL.match(email) or len(email) > 320:
        raise UsageError(f"invalid e-mail address {email!r}")
    if len(name) > 200 or "\n" in name:
        raise UsageError("a name must be at most 200 characters on one line")
    try:
        r = Role(role)
    except ValueError:
        raise UsageError(f"invalid role {role!r}: use admin, analyst or recipient") from None
    return email, name.strip(), r


def _add_person(s: Session, email: str, org: str, name: str, role: str, now: datetime) -> Person:
    email, name, r = _validate_person(email, name, role)
    o = find_org(s, org)
    if r is not Role.RECIPIENT and not o.is_originator:
        raise UsageError("only people of the originator organisation can be admins or analysts")
    if s.scalars(select(Person).where(Person.email == email)).first():
        raise UsageError(f"a person with e-mail {email} already exists")
    p = Person(email=email, name=name, org_id=o.id, role=r.value, created_at=now)
    s.add(p)
    s.flush()
    ledger.append(s, EventKind.PERSON_ADDED, {"person": email, "org": o.name, "role": r.value}, now)
    return p


def add_person(
    inst: Instance,
    email: str,
    org: str,
    name: str = "",
    role: str = "recipient",
    password: str | None = None,
) -> PersonInfo:
    """A new person, with an initial password to sign in with if one is given (in the same
    transaction: nobody is left added without the password they were meant to have)."""
    if password is not None:
        _check_password(password)
    with inst.transaction() as s:
        p = _add_person(s, email, org, name, role, inst.clock())
        if password is not None:
            p.password_hash = PasswordHasher().hash(password)
            s.flush()  # before the refresh, which would drop an unwritten change
        s.refresh(p)
        return _info(p)


def import_people(inst: Instance, data: bytes) -> list[PersonInfo]:
    """Import a CSV with header ``email,name,org``: all rows or none; errors name the line.

    Spreadsheets in much of Europe save CSV with semicolons (the comma is their decimal
    mark) and some export tab-separated text; the header says which, so all three are
    read. The text must be UTF-8: a legacy export (Windows-1252, say) is refused rather
    than guessed at, since a wrongly decoded name would be recorded as it came out."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise UsageError(
            f"line {line}: the CSV file is not UTF-8 text (byte 0x{data[err.start]:02x}); "
            "save it as UTF-8 (in Excel: 'CSV UTF-8 (Comma delimited)')"
        ) from None
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise UsageError("the CSV file is empty") from None
    except csv.Error as err:
        raise UsageError(f"line 1: malformed CSV: {err}") from None
    if header != ["email", "name", "org"]:
        raise UsageError(f"line 1: the header must be 'email,name,org', got {','.join(header)!r}")
    rows: list[tuple[int, list[str]]] = []
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append((reader.line_num, row))
    except csv.Error as err:
        raise UsageError(f"line {reader.line_num}: malformed CSV: {err}") from None
    if not rows:
        raise UsageError("the CSV file has a header but no people")
    with inst.transaction() as s:
        now = inst.clock()
        # The organisations and the addresses already taken, read once: a file of tens
        # of thousands of people is checked in memory, row by row, in the file's order.
        orgs = {o.name.strip().lower(): o for o in s.scalars(select(Org))}
        wanted = [row[0].strip().lower() for _, row in rows if row]
        existing: set[str] = set()
        for at in range(0, len(wanted), PEOPLE_BOUND):
            chunk = wanted[at : at + PEOPLE_BOUND]
            existing.update(s.scalars(select(Person.email).where(Person.email.in_(chunk))))
        in_file: set[str] = set()
        people: list[tuple[Person, Org]] = []
        for line, row in rows:
            if len(row) != 3:
                raise UsageError(f"line {line}: expected 3 fields (email,name,org), got {len(row)}")
            try:
                email, name, _ = _validate_person(row[0], row[1], Role.RECIPIENT.value)
            except UsageError as err:
                raise UsageError(f"line {line}: {err}") from None
            org = orgs.get(row[2].strip().lower())
            if org is None:
                raise UsageError(f"line {line}: unknown organisation {row[2]!r}")
            if email in in_file:
                raise UsageError(f"line {line}: {email} appears twice in the file")
            if email in existing:
                raise UsageError(f"line {line}: a person with e-mail {email} already exists")
            in_file.add(email)
            person = Person(
                email=email, name=name, org_id=org.id, role=Role.RECIPIENT.value, created_at=now
            )
            people.append((person, org))
        s.add_all([p for p, _ in people])
        s.flush()
        events = [
            (EventKind.PERSON_ADDED, {"person": p.email, "org": o.name, "role": p.role})
            for p, o in people
        ]
        ledger.append_many(s, events, now)
        return [PersonInfo(p.id, p.email, p.name, o.name, p.role) for p, o in people]


@dataclass(frozen=True, slots=True)
class Standing:
    """A signed-in person as each web request sees them: what stops them now, and the
    stamp their session must carry (:func:`password_stamp`)."""

    person: PersonInfo
    halted: str | None  # their organisation is halted: the reason ("" if none was given)
    suspended: str | None  # they are suspended: the reason
    stamp: str


def person_status(inst: Instance, email: str) -> Standing | None:
    with inst.reading() as s:
        p = s.scalars(select(Person).where(Person.email == email.strip().lower())).first()
        if p is None:
            return None
        halt = None if p.org.halted_at is None else (p.org.halt_reason or "")
        held = None if p.suspended_at is None else (p.suspend_reason or "")
        return Standing(_info(p), halt, held, password_stamp(p.password_hash))


def password_stamp(password_hash: str | None) -> str:
    """A short digest of a person's password hash that a web session carries: when the
    password changes, every session signed in with the old one no longer matches."""
    return hashlib.sha256(b"orcon session\0" + (password_hash or "").encode()).hexdigest()[:16]


def list_people(inst: Instance, org: str | None = None) -> list[PersonInfo]:
    with inst.reading() as s:
        q = select(Person).order_by(Person.email)
        if org:
            q = q.where(Person.org_id == find_org(s, org).id)
        return [_info(p) for p in s.scalars(q)]


@dataclass(frozen=True, slots=True)
class Account:
    """How a person signs in, as an administrator looking after accounts needs to see it."""

    email: str
    name: str
    org: str
    role: str
    has_password: bool
    locked_until: datetime | None
    live_tokens: int
    suspended_at: datetime | None = None
    suspend_reason: str | None = None


def _accounts(s: Session, people: Sequence[Person], now: datetime) -> list[Account]:
    tokens = select(ApiToken.person_id, func.count()).where(live_token(now))
    if len(people) <= PEOPLE_BOUND:  # a page of people; for everyone, no list of ids to bind
        tokens = tokens.where(ApiToken.person_id.in_([p.id for p in people]))
    live = dict(s.execute(tokens.group_by(ApiToken.person_id)).all())
    return [
        Account(
            p.email,
            p.name,
            p.org.name,
            p.role,
            p.password_hash is not None,
            p.locked_until if p.locked_until is not None and p.locked_until > now else None,
            int(live.get(p.id, 0)),
            p.suspended_at,
            p.suspend_reason,
        )
        for p in people
    ]


def live_token(now: datetime) -> Any:
    """Tokens that work at ``now``: not revoked, not expired (a query condition)."""
    return ApiToken.revoked_at.is_(None) & (
        ApiToken.expires_at.is_(None) | (ApiToken.expires_at > now)
    )


def account(inst: Instance, email: str) -> Account:
    """One person's account, as the People table shows it."""
    with inst.reading() as s:
        return _accounts(s, [find_person(s, email)], inst.clock())[0]


def _people_found(q: Any, query: str) -> Any:
    """``q`` joined with each person's organisation and, with a ``query``, cut to the
    people whose address, name or organisation holds it (any case; % and _ are plain
    characters)."""
    q = q.join(Org, Person.org_id == Org.id)
    needle = query.strip().lower()
    if not needle:
        return q
    cols = (Person.email, Person.name, Org.name)
    return q.where(or_(*(func.lower(c).contains(needle, autoescape=True) for c in cols)))


def accounts(inst: Instance, query: str = "", limit: int | None = None) -> list[Account]:
    """Everyone (or those whose address, name or organisation contains ``query``, in any
    case; or the first ``limit`` of them), staff first then by organisation and address,
    with their sign-in state. Searched, sorted and cut in the database: a directory of
    tens of thousands of people is not read whole to show a page of it."""
    staff_first = case(
        (Person.role == Role.ADMIN.value, 0), (Person.role == Role.ANALYST.value, 1), else_=2
    )
    q = (
        _people_found(select(Person), query)
        .options(contains_eager(Person.org))
        .order_by(staff_first, func.lower(Org.name), Person.email)
    )
    with inst.reading() as s:
        people = s.scalars(q.limit(limit)).all()
        return _accounts(s, people, inst.clock())


def count_accounts(inst: Instance, query: str = "") -> int:
    """How many people :func:`accounts` finds, without reading them."""
    q = _people_found(select(func.count()).select_from(Person), query)
    with inst.reading() as s:
        return int(s.scalar(q) or 0)


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


TOKEN_DAYS_MAX = 3650


TOKEN_SCOPES = ("full", "read")  # read: the API's reading (GET) calls only


def new_token(
    s: Session,
    person: Person,
    now: datetime,
    days: int | None = None,
    by: str | None = None,
    scope: str = "full",
) -> str:
    """A new API token (shown once, kept hashed); with ``days``, it stops by itself then.
    ``by``: who made it (an administrator, ``cli``, or the person), for the ledger;
    ``scope`` "read" for a token that may only read."""
    if days is not None and not 1 <= days <= TOKEN_DAYS_MAX:
        raise UsageError(f"a token's lifetime is 1 to {TOKEN_DAYS_MAX} days")
    if scope not in TOKEN_SCOPES:
        raise UsageError(f"a token's access is {' or '.join(TOKEN_SCOPES)}, not {scope!r}")
    token = "orc_" + secrets.token_urlsafe(32)
    expires = None if days is None else now + timedelta(days=days)
    row = ApiToken(
        person_id=person.id,
        token_hash=_hash_token(token),
        created_at=now,
        expires_at=expires,
        scope=scope,
    )
    s.add(row)
    s.flush()  # its number, for the ledger: the one handle a token has besides its value
    event: dict[str, object] = {"person": person.email, "token": row.id}
    if by is not None:
        event["by"] = by
    if scope != "full":
        event["scope"] = scope
    if expires is not None:
        event["expires_at"] = ledger.iso(expires)
    ledger.append(s, EventKind.TOKEN_CREATED, event, now)
    return token


def create_token(
    inst: Instance,
    email: str,
    days: int | None = None,
    by: str | None = None,
    scope: str = "full",
) -> str:
    with inst.transaction() as s:
        return new_token(s, find_person(s, email), inst.clock(), days, by, scope)


OWN_TOKEN_DAYS_MAX = 365


def create_own_token(
    inst: Instance, email: str, password: str, days: int, scope: str = "full"
) -> str:
    """A person makes an API token for their own scripts, proving their password again:
    a session cookie someone took from a browser must not be able to mint a credential
    that outlives it. A wrong password counts towards the lockout, as a failed sign-in
    does. A token one makes for oneself always expires, within a year."""
    if not 1 <= days <= OWN_TOKEN_DAYS_MAX:
        raise UsageError(f"a token you make for yourself lasts 1 to {OWN_TOKEN_DAYS_MAX} days")
    token = ""
    with inst.transaction() as s:  # a failure is counted and logged: it commits too
        p = find_person(s, email)
        now = inst.clock()
        if ok := _attempt(s, p, password, now):
            _refuse_if_stopped(p)
            token = new_token(s, p, now, days, by=p.email, scope=scope)
    if not ok:
        raise PolicyDenied("the password is wrong, or the account is locked")
    return token


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A live API token as its owner and administrators see it: never its value (only
    its hash is kept), but its number, when it was made, when it stops and its access."""

    id: int
    created_at: datetime
    expires_at: datetime | None
    scope: str
    last_used_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_at": ledger.iso(self.created_at),
            "expires_at": ledger.iso(self.expires_at) if self.expires_at else None,
            "read_only": self.scope == "read",
            "last_used_at": ledger.iso(self.last_used_at) if self.last_used_at else None,
        }


def live_tokens(inst: Instance, email: str) -> list[TokenInfo]:
    """A person's live API tokens, the newest first."""
    with inst.reading() as s:
        p = find_person(s, email)
        rows = s.scalars(
            select(ApiToken)
            .where(ApiToken.person_id == p.id, live_token(inst.clock()))
            .order_by(ApiToken.id.desc())
        ).all()
        return [TokenInfo(r.id, r.created_at, r.expires_at, r.scope, r.last_used_at) for r in rows]


def revoke_token(inst: Instance, email: str, token: int, by: str) -> None:
    """End one of a person's API tokens, named by its number (the rest go on working)."""
    with inst.transaction() as s:
        p = find_person(s, email)
        now = inst.clock()
        row = None
        if 0 <= token <= ROW_MAX:
            q = select(ApiToken).where(ApiToken.id == token, ApiToken.person_id == p.id)
            row = s.scalars(q.where(live_token(now))).first()
        if row is None:
            raise UsageError(f"unknown API token {token} of {p.email} (or it has ended)")
        row.revoked_at = now
        event = {"by": by, "person": p.email, "tokens": 1, "token": token}
        ledger.append(s, EventKind.TOKENS_REVOKED, event, now)


def revoke_tokens(inst: Instance, email: str, by: str) -> int:
    """End every API token of a person at once (someone who left, or an account taken
    over): how many were live. One token alone is ended by its number (revoke_token)."""
    with inst.transaction() as s:
        p = find_person(s, email)
        now = inst.clock()
        live = s.scalars(select(ApiToken).where(ApiToken.person_id == p.id, live_token(now))).all()
        for row in live:
            row.revoked_at = now
        if live:
            event = {"by": by, "person": p.email, "tokens": len(live)}
            ledger.append(s, EventKind.TOKENS_REVOKED, event, now)
        return len(live)


def authenticate_token(inst: Instance, token: str, writes: bool = True) -> PersonInfo:
    """The person behind a bearer token; refuses revoked tokens and halted organisations,
    and a read-only token for a call that ``writes`` (anything but a GET)."""
    with inst.reading() as s:
        row = s.scalars(select(ApiToken).where(ApiToken.token_hash == _hash_token(token))).first()
        if row is None or row.revoked_at is not None:
            raise PolicyDenied("invalid or revoked API token")
        if row.expires_at is not None and row.expires_at <= inst.clock():
            raise PolicyDenied(f"this API token expired on {ledger.iso(row.expires_at)[:16]}Z")
        if writes and row.scope == "read":
            raise PolicyDenied(
                "this API token is read-only: it may read (GET) but not change anything"
            )
        p = s.get(Person, row.person_id)
        assert p is not None
        _refuse_if_stopped(p)
        info = _info(p)
        now, last, token_id = inst.clock(), row.last_used_at, row.id
    if last is None or now - last >= USE_NOTED:
        with inst.transaction() as s:  # at most once in USE_NOTED per token
            s.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
    return info


def _stopped(p: Person) -> str | None:
    """Why a suspended person, or one of a halted organisation, may not sign in or use a
    token; None for everyone else."""
    if p.suspended_at is not None:
        return suspension(replace(person_view(p), email=""))
    if p.org.halted_at is not None:
        return "sharing with your organisation is halted by the originator"
    return None


def _refuse_if_stopped(p: Person) -> None:
    if (why := _stopped(p)) is not None:
        raise PolicyDenied(why)


REASON_MAX = 500


def stated_reason(reason: str, doing: str) -> str:
    """The reason for halting, suspending or withdrawing: required, and one line short
    enough to show on the page the person refused reads (it is also in the ledger)."""
    reason = reason.strip()
    if not reason:
        raise UsageError(f"a reason is required to {doing} (--reason)")
    if len(reason) > REASON_MAX or "\n" in reason:
        raise UsageError(f"a reason must be at most {REASON_MAX} characters on one line")
    return reason


def suspend(inst: Instance, email: str, reason: str, by: str) -> PersonInfo:
    """Stop one person at once (every copy, download, sign-in, API token and onward
    request), as when a trace names them: the rest of their organisation carries on. The
    person and their issued copies stay on record, so their copies stay traceable."""
    reason = stated_reason(reason, "suspend a person")
    with inst.transaction() as s:
        p = find_person(s, email)
        if p.email == by.strip().lower():
            raise UsageError("you cannot suspend yourself")
        if p.suspended_at is not None:
            raise UsageError(f"{p.email} is already suspended (since {ledger.iso(p.suspended_at)})")
        if p.role == Role.ADMIN.value:
            others = s.scalar(
                select(func.count())
                .select_from(Person)
                .where(
                    Person.role == Role.ADMIN.value,
                    Person.suspended_at.is_(None),
                    Person.id != p.id,
                )
            )
            if not others:
                raise UsageError(f"{p.email} is the only administrator left who is not suspended")
        now = inst.clock()
        p.suspended_at, p.suspend_reason = now, reason
        event = {"by": by, "person": p.email, "org": p.org.name, "reason": reason}
        ledger.append(s, EventKind.PERSON_SUSPENDED, event, now)
        return _info(p)


def reinstate(inst: Instance, email: str, by: str) -> PersonInfo:
    """End a suspension: the person's password and API tokens work again as they were."""
    with inst.transaction() as s:
        p = find_person(s, email)
        if p.suspended_at is None:
            raise UsageError(f"{p.email} is not suspended")
        now = inst.clock()
        p.suspended_at, p.suspend_reason = None, None
        ledger.append(s, EventKind.PERSON_REINSTATED, {"by": by, "person": p.email}, now)
        return _info(p)


def _check_password(password: str) -> None:
    if len(password) < PASSWORD_MIN:
        raise UsageError(f"a password needs at least {PASSWORD_MIN} characters")
    if len(password) > PASSWORD_MAX:
        raise UsageError(f"a password may have at most {PASSWORD_MAX} characters")


def set_password(inst: Instance, email: str, password: str, by: str) -> None:
    """An administrator or the operator (``by``) sets someone's password, as when it is
    forgotten; the account's lockout ends and the ledger records who did it (never the
    password)."""
    _check_password(password)
    with inst.transaction() as s:
        p = find_person(s, email)
        p.password_hash = PasswordHasher().hash(password)
        p.failed_logins, p.locked_until = 0, None
        ledger.append(s, EventKind.PASSWORD_SET, {"by": by, "person": p.email}, inst.clock())


def change_password(inst: Instance, email: str, current: str, new: str) -> str:
    """A person changes their own password, proving the current one; a wrong one counts
    towards the lockout as a failed sign-in does. Returns the new :func:`password_stamp`."""
    _check_password(new)
    if new == current:
        raise UsageError("the new password is the same as the current one")
    stamp = ""
    with inst.transaction() as s:  # a failure is counted and logged: it commits too
        p = find_person(s, email)
        now = inst.clock()
        if ok := _attempt(s, p, current, now):
            p.password_hash = PasswordHasher().hash(new)
            ledger.append(s, EventKind.PASSWORD_SET, {"by": p.email, "person": p.email}, now)
            stamp = password_stamp(p.password_hash)
    if not ok:
        raise PolicyDenied("the current password is wrong, or the account is locked")
    return stamp


def _attempt(s: Session, p: Person, password: str, now: datetime) -> bool:
    """Check a password against a person's, with the lockout: a failure is counted (and
    locks the account at the fifth) and written to the ledger."""
    if p.locked_until is not None and p.locked_until > now:
        ledger.append(s, EventKind.LOGIN_FAILED, {"person": p.email, "locked": True}, now)
        return False
    try:
        ok = p.password_hash is not None and PasswordHasher().verify(p.password_hash, password)
    except (Argon2Mismatch, InvalidHashError):
        ok = False
    if ok:
        p.failed_logins = 0
        return True
    p.failed_logins += 1
    if p.failed_logins >= LOCKOUT_AFTER:
        p.locked_until = now + LOCKOUT_FOR
        p.failed_logins = 0
    ledger.append(s, EventKind.LOGIN_FAILED, {"person": p.email}, now)
    return False


def login(inst: Instance, email: str, password: str) -> PersonInfo:
    """Password login with lockout after repeated failures; every attempt is in the ledger."""
    ok, refused = False, None
    with inst.transaction() as s:
        now = inst.clock()
        p = s.scalars(select(Person).where(Person.email == email.strip().lower())).first()
        if p is None:
            ledger.append(s, EventKind.LOGIN_FAILED, {"person": email.strip().lower()[:320]}, now)
        elif ok := _attempt(s, p, password, now):
            # The right password of someone stopped is on record as refused, not as a login.
            if (refused := _stopped(p)) is not None:
                event = {"person": p.email, "refused": refused}
                ledger.append(s, EventKind.LOGIN_FAILED, event, now)
            else:
                ledger.append(s, EventKind.LOGIN, {"person": p.email}, now)
        info = _info(p) if ok and p is not None else None
    if info is None:
        raise PolicyDenied("wrong e-mail or password, or the account is locked")
    if refused is not None:
        raise PolicyDenied(refused)
    return info
