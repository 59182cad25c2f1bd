"""Who may receive what: a pure decision over handling markings and organisation state.

FIRST TLP 2.0 semantics (https://www.first.org/tlp/), as they bind recipients
*inside* orcon:

* TLP:CLEAR — disclosure is not limited: any registered person may receive.
* TLP:GREEN — the community: people of any organisation registered in this instance.
* TLP:AMBER — the recipient organisations (those the item was shared with, or
  to which onward dissemination was approved).
* TLP:AMBER+STRICT — the recipient organisations only; never onward.
* TLP:RED — the named individual recipients only; never onward.

Over all markings: a suspended person receives nothing, nor does a halted
organisation's people (suspension stops one person, as when a trace names them;
halting stops a whole partner); an item the originator withdrew, or one that
expired, goes to nobody; *no onward dissemination* (ORCON) lets only the
originator widen the audience. Embargo does not restrict receipt: it is a
marking carried on every copy. The originator's own staff (admins, analysts)
may always access their items while they are live.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

# What an item is shared for when its author does not say: how many people copies
# may ever go to, and the largest coalition the fingerprint code must resist.
DEFAULT_MAX_RECIPIENTS = 1000
DEFAULT_COLLUSION = 3


class Tlp(StrEnum):
    CLEAR = "CLEAR"
    GREEN = "GREEN"
    AMBER = "AMBER"
    AMBER_STRICT = "AMBER+STRICT"
    RED = "RED"

    @classmethod
    def parse(cls, text: str) -> Tlp:
        norm = text.strip().upper().removeprefix("TLP:").replace("_", "+").replace(" ", "")
        if norm == "WHITE":  # TLP 1.0 name, replaced by CLEAR in TLP 2.0
            norm = "CLEAR"
        try:
            return cls(norm)
        except ValueError:
            raise ValueError(
                f"invalid TLP {text!r}: use clear, green, amber, amber+strict or red"
            ) from None


class Role(StrEnum):
    ADMIN = "admin"
    ANALYST = "analyst"
    RECIPIENT = "recipient"


@dataclass(frozen=True, slots=True)
class PersonView:
    id: int
    org_id: int
    role: Role
    suspended: bool = False
    suspend_reason: str | None = None
    # Named in refusals, as OrgView.name is.
    email: str = ""


@dataclass(frozen=True, slots=True)
class OrgView:
    id: int
    is_originator: bool
    halted: bool
    halt_reason: str | None = None
    # Named in refusals: the originator's staff read them too (issuing a copy for someone).
    name: str = ""


@dataclass(frozen=True, slots=True)
class ItemView:
    tlp: Tlp
    no_onward: bool
    recipient_orgs: frozenset[int]
    named_people: frozenset[int]
    expires_at: datetime | None
    withdrawn: bool = False
    withdraw_reason: str | None = None
    # Decides nothing about copies (a marking for readers), only whether it may be public.
    embargo_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Allow:
    reason: str = "allowed"

    def __bool__(self) -> bool:
        return True


@dataclass(frozen=True, slots=True)
class Deny:
    reason: str

    def __bool__(self) -> bool:
        return False


Decision = Allow | Deny


def decide(person: PersonView, item: ItemView, org: OrgView, now: datetime) -> Decision:
    """May ``person`` (of ``org``) receive a copy of ``item`` at ``now``?"""
    if org.id != person.org_id:
        return Deny("internal error: organisation does not match the person")
    if person.suspended:
        return Deny(suspension(person))
    if org.halted:
        why = f": {org.halt_reason}" if org.halt_reason else ""
        return Deny(f"sharing with {_org_name(org)} is halted by the originator{why}")
    if item.withdrawn:
        return Deny(withdrawal(item))
    if item.expires_at is not None and now >= item.expires_at:
        return Deny("the item has expired")
    if org.is_originator and person.role in (Role.ADMIN, Role.ANALYST):
        return Allow("originator staff")
    if item.tlp is Tlp.RED:
        return (
            Allow("named recipient")
            if person.id in item.named_people
            else Deny("TLP:RED: only the named recipients may receive this item")
        )
    if item.tlp is Tlp.CLEAR or item.tlp is Tlp.GREEN:
        return Allow(f"TLP:{item.tlp.value}")
    if org.id in item.recipient_orgs or person.id in item.named_people:
        return Allow(f"TLP:{item.tlp.value}: recipient organisation")
    return Deny(f"TLP:{item.tlp.value}: {_org_name(org)} is not a recipient of this item")


def _org_name(org: OrgView) -> str:
    return org.name or "your organisation"


def suspension(person: PersonView) -> str:
    """The refusal a suspended person meets, with the originator's reason."""
    who = f"the account of {person.email}" if person.email else "your account"
    why = f": {person.suspend_reason}" if person.suspend_reason else ""
    return f"{who} is suspended by the originator{why}"


def withdrawal(item: ItemView) -> str:
    why = f": {item.withdraw_reason}" if item.withdraw_reason else ""
    return f"the originator has withdrawn this item{why}"


def decide_onward(
    item: ItemView, from_org: OrgView, to_org: OrgView, requester: PersonView | None = None
) -> Decision:
    """May a request to pass ``item`` from ``from_org`` to ``to_org`` (by ``requester``)
    even be filed?"""
    if requester is not None and requester.suspended:
        return Deny(suspension(requester))
    if item.withdrawn:
        return Deny(withdrawal(item))
    if from_org.halted:
        return Deny(f"sharing with {_org_name(from_org)} is halted by the originator")
    if from_org.id not in item.recipient_orgs:
        return Deny("only a recipient organisation can request onward dissemination")
    if to_org.id in item.recipient_orgs:
        return Deny("that organisation already receives this item")
    if item.tlp in (Tlp.RED, Tlp.AMBER_STRICT):
        return Deny(f"TLP:{item.tlp.value} never leaves its recipients")
    return Allow("the originator will approve or refuse")


def decide_approval(
    item: ItemView, from_org: OrgView, to_org: OrgView, requester: PersonView
) -> Decision:
    """May the originator approve a request filed earlier? It is decided again because
    the world may have moved since it was filed: the item withdrawn, either organisation
    halted, the requester suspended (perhaps for leaking), or the target made a recipient
    by another request. Refusing a request is always possible."""
    if requester.suspended:
        who = requester.email or "the person who asked"
        why = f": {requester.suspend_reason}" if requester.suspend_reason else ""
        return Deny(f"{who} is suspended by the originator{why}")
    if to_org.halted:
        return Deny(f"sharing with {_org_name(to_org)} is halted by the originator")
    return decide_onward(item, from_org, to_org)


def publication(item: ItemView, at: datetime) -> Decision:
    """Was it allowed to be public at ``at``? Only TLP:CLEAR may be disclosed without
    limit (FIRST TLP 2.0), and an embargo holds back even that until it lifts. A press
    release shared as CLEAR and embargoed to 09:00 is a breach when printed at 08:00
    and expected at 10:00; anything else in public is a breach whenever it appears."""
    if item.embargo_until is not None and at < item.embargo_until:
        lifts = item.embargo_until.strftime("%Y-%m-%d %H:%MZ")
        return Deny(f"public before its embargo lifted at {lifts}")
    if item.tlp is not Tlp.CLEAR:
        return Deny(f"TLP:{item.tlp.value} is not for public disclosure")
    if item.embargo_until is not None:
        return Allow("TLP:CLEAR, public after its embargo lifted")
    return Allow("TLP:CLEAR: may be disclosed without limit")


def audience_problem(tlp: Tlp, orgs: int, named: int) -> str | None:
    """Markings under which an item would reach nobody, refused when it is shared and
    when it is marked again."""
    if tlp is Tlp.RED and not named:
        return "TLP:RED goes only to the people named as its recipients: name at least one"
    if tlp not in (Tlp.CLEAR, Tlp.GREEN) and not orgs and not named:
        return f"TLP:{tlp.value} needs at least one recipient organisation or named person"
    return None


# Reading the ledger. Every account may verify the whole log, but a partner reads only
# the events that concern it: another partner's shares, suspensions and requests are
# that partner's business, and the originator's investigations (traces, leak alerts,
# the sensitive facts it watches for) are nobody else's. A withheld event still counts
# in the tree: its hash is in the public hash tiles, so the log verifies all the same.

# What every reader needs to verify the log: the keys that sign its checkpoints.
EVENTS_FOR_EVERY_READER = frozenset({"instance.created", "key.rotated", "instance.restored"})
# The originator's own work on leaks and on the instance: never shown to a partner,
# even where it names the partner's people.
EVENTS_FOR_STAFF_ONLY = frozenset(
    {
        "trace.run",
        "watch.alert",
        "fact.registered",
        "fact.removed",
        "watch.source.added",
        "watch.source.removed",
        "backup.taken",
        "settings.changed",
    }
)


def _mentions(value: object, names: frozenset[str]) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in names
    if isinstance(value, dict):
        return any(_mentions(v, names) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_mentions(v, names) for v in value)
    return False


def partner_may_read(event: dict[str, object], org: str, people: frozenset[str]) -> bool:
    """May a partner organisation (its name, its people's addresses) read this event?
    Only if every reader needs it, or it names the organisation or one of its people
    and is not the originator's own investigation."""
    kind = str(event.get("kind", ""))
    if kind in EVENTS_FOR_EVERY_READER:
        return True
    if kind in EVENTS_FOR_STAFF_ONLY:
        return False
    names = frozenset({org.strip().lower(), *(p.strip().lower() for p in people)})
    return _mentions({k: v for k, v in event.items() if k not in ("kind", "seq", "time")}, names)
