"""SQLAlchemy 2 models: the instance's durable state.

Copies are not stored (a copy is a pure function of the original, the item
secret and the recipient index); what is stored is who was issued which index,
which the ledger records too. Originals live encrypted in the blob store.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class Org(Base):
    __tablename__ = "orgs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    is_originator: Mapped[bool] = mapped_column(Boolean, default=False)
    halted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    halt_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    people: Mapped[list[Person]] = relationship(back_populates="org")


class Person(Base):
    __tablename__ = "people"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    role: Mapped[str] = mapped_column(String(20), default="recipient")
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    suspend_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    org: Mapped[Org] = relationship(back_populates="people")


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # full | read (the API's reading calls only)
    scope: Mapped[str] = mapped_column(String(10), default="full", server_default="full")
    # When a request last used it (kept to the nearest ten minutes: see directory.USE_NOTED)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Item(Base):
    __tablename__ = "items"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(20))  # photo | text
    media_format: Mapped[str] = mapped_column(String(20))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    code_length: Mapped[int] = mapped_column(Integer)
    code_q: Mapped[int] = mapped_column(Integer, default=2)
    code_c: Mapped[int] = mapped_column(Integer)
    code_cutoff: Mapped[float] = mapped_column(Float, nullable=True)
    # orcon.codes.BiasLaw value; rows made before revision 0005 hold "arcsine".
    code_bias: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # Text items: their sites and sentences (orcon.marks.text.to_model), sealed under the item key.
    text_model: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    max_recipients: Mapped[int] = mapped_column(Integer)
    tlp: Mapped[str] = mapped_column(String(20))
    no_onward: Mapped[bool] = mapped_column(Boolean, default=False)
    embargo_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int] = mapped_column(ForeignKey("people.id"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    withdraw_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # The last item.remarked event's time (migration 0009): None, never re-marked.
    markings_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ItemOrg(Base):
    """An organisation the item is shared with (directly, or by approved onward dissemination)."""

    __tablename__ = "item_orgs"
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id"), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), primary_key=True)
    via_onward: Mapped[bool] = mapped_column(Boolean, default=False)


class ItemPerson(Base):
    """A person named on the item (the only recipients allowed under TLP:RED)."""

    __tablename__ = "item_people"
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)


class Recipient(Base):
    """Who holds which codeword index of an item (mirrors copy.issued ledger events)."""

    __tablename__ = "recipients"
    __table_args__ = (UniqueConstraint("item_id", "code_index"),)
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    code_index: Mapped[int] = mapped_column(Integer)
    first_issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ledger_seq: Mapped[int] = mapped_column(Integer)


class OnwardRequest(Base):
    __tablename__ = "onward_requests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id"))
    from_org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    to_org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    requested_by: Mapped[int] = mapped_column(ForeignKey("people.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="pending")
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LedgerEntry(Base):
    """One event of the Merkle log: index ``seq``, canonical JSON ``body``, its leaf hash."""

    __tablename__ = "ledger_entries"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LedgerCheckpoint(Base):
    __tablename__ = "ledger_checkpoints"
    size: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ItemFeatures(Base):
    """Keypoint descriptors of a photo, for finding which item a leak came from."""

    __tablename__ = "item_features"
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id"), primary_key=True)
    keypoints: Mapped[bytes] = mapped_column(LargeBinary)  # float32 (k, 2) in feature-image pixels
    descriptors: Mapped[bytes] = mapped_column(LargeBinary)  # uint8 (k, 32) ORB
    scale: Mapped[str] = mapped_column(String(40))  # feature image / original


class Witness(Base):
    """A partner's witness key trusted to cosign this instance's checkpoints."""

    __tablename__ = "witnesses"
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    vkey: Mapped[str] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Cosignature(Base):
    __tablename__ = "ledger_cosignatures"
    size: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    witness: Mapped[str] = mapped_column(ForeignKey("witnesses.name"), primary_key=True)
    line: Mapped[str] = mapped_column(Text)
    timestamp: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WatchSource(Base):
    __tablename__ = "watch_sources"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # feed | page
    interval_s: Mapped[int] = mapped_column(Integer, default=300)
    etag: Mapped[str | None] = mapped_column(String(400), nullable=True)
    last_modified: Mapped[str | None] = mapped_column(String(100), nullable=True)
    last_polled: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WatchSeen(Base):
    __tablename__ = "watch_seen"
    url_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SensitiveFact(Base):
    __tablename__ = "sensitive_facts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(String(500))
    item_id: Mapped[str | None] = mapped_column(ForeignKey("items.id"), nullable=True)
    embargo_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Alert(Base):
    __tablename__ = "alerts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # item | fact
    article_url: Mapped[str] = mapped_column(String(2000))
    source_url: Mapped[str] = mapped_column(String(2000))
    item_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    fact_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    details: Mapped[str] = mapped_column(Text)  # JSON: verdict or who-knew list
    delivery: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WaitingMail(Base):
    """A notice or alert the mail server (or an alert the watch's webhook) did not take,
    kept until it is sent or an administrator drops it (``orcon outbox``)."""

    __tablename__ = "mail_outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purpose: Mapped[str] = mapped_column(String(10))  # notify | watch | webhook: whose settings
    about: Mapped[str] = mapped_column(String(10))  # shared | remarked | alert
    to_addr: Mapped[str] = mapped_column(String(2000))  # an address, or a webhook's URL
    item_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    alert_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    was: Mapped[str | None] = mapped_column(Text, nullable=True)  # markings before a change
    message: Mapped[str] = mapped_column(Text)  # the e-mail, or the webhook's JSON body
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    next_try_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
