"""Property tests of the pure policy: decisions over markings and organisation state."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from orcon.policy import (
    ItemView,
    OrgView,
    PersonView,
    Role,
    Tlp,
    audience_problem,
    decide,
    decide_approval,
    decide_onward,
    publication,
)

NOW = datetime(2026, 11, 24, tzinfo=UTC)
ids = st.integers(1, 6)


@st.composite
def worlds(draw):  # type: ignore[no-untyped-def]
    org_id = draw(ids)
    org = OrgView(org_id, draw(st.booleans()), draw(st.booleans()), "reason")
    suspended = draw(st.booleans())
    person = PersonView(
        draw(ids), org_id, draw(st.sampled_from(list(Role))), suspended, "named by a trace"
    )
    expires = draw(st.one_of(st.none(), st.integers(-5, 5).map(lambda d: NOW + timedelta(days=d))))
    item = ItemView(
        draw(st.sampled_from(list(Tlp))),
        draw(st.booleans()),
        frozenset(draw(st.sets(ids, max_size=4))),
        frozenset(draw(st.sets(ids, max_size=3))),
        expires,
        draw(st.booleans()),
        "shared by mistake",
    )
    return person, item, org


@given(worlds())
def test_a_halted_org_receives_nothing(world):
    person, item, org = world
    if org.halted:
        assert not decide(person, item, org, NOW)


@given(worlds())
def test_a_suspended_person_receives_nothing_and_is_told_why(world):
    person, item, org = world
    decision = decide(person, item, org, NOW)
    if person.suspended:
        assert not decision
        assert decision.reason == "your account is suspended by the originator: named by a trace"
    # The same person unsuspended is decided on the markings and the organisation alone.
    free = replace(person, suspended=False, suspend_reason=None)
    assert "suspended" not in decide(free, item, org, NOW).reason


@given(worlds())
def test_a_withdrawn_item_goes_to_nobody_not_even_onward(world):
    person, item, org = world
    if item.withdrawn:
        decision = decide(person, item, org, NOW)
        assert not decision
        assert not decide_onward(item, org, OrgView(99, False, False))
        if not person.suspended and not org.halted:
            assert decision.reason == "the originator has withdrawn this item: shared by mistake"


@given(worlds())
def test_an_expired_item_goes_to_nobody(world):
    person, item, org = world
    if item.expires_at is not None and item.expires_at <= NOW:
        assert not decide(person, item, org, NOW)


@given(worlds())
def test_red_only_reaches_named_people_outside_originator_staff(world):
    person, item, org = world
    allowed = decide(person, item, org, NOW)
    staff = org.is_originator and person.role in (Role.ADMIN, Role.ANALYST)
    if item.tlp is Tlp.RED and allowed and not staff:
        assert person.id in item.named_people


@given(worlds())
def test_amber_and_strict_stay_inside_recipient_orgs(world):
    person, item, org = world
    allowed = decide(person, item, org, NOW)
    staff = org.is_originator and person.role in (Role.ADMIN, Role.ANALYST)
    if item.tlp in (Tlp.AMBER, Tlp.AMBER_STRICT) and allowed and not staff:
        assert org.id in item.recipient_orgs or person.id in item.named_people


@given(worlds())
def test_clear_and_green_reach_every_active_person(world):
    person, item, org = world
    live = (
        not org.halted
        and not person.suspended
        and not item.withdrawn
        and (item.expires_at is None or item.expires_at > NOW)
    )
    if item.tlp in (Tlp.CLEAR, Tlp.GREEN) and live:
        assert decide(person, item, org, NOW)


@given(worlds(), st.booleans())
def test_red_and_strict_never_go_onward(world, halted):
    _, item, org = world
    target = OrgView(99, False, halted)
    if item.tlp in (Tlp.RED, Tlp.AMBER_STRICT):
        assert not decide_onward(item, org, target)


@given(worlds())
def test_a_suspended_person_cannot_ask_for_onward_dissemination(world):
    person, item, org = world
    target = OrgView(99, False, False)
    decision = decide_onward(item, org, target, person)
    if person.suspended:
        assert not decision and "suspended" in decision.reason
    else:
        assert bool(decision) == bool(decide_onward(item, org, target))


@given(worlds(), st.booleans())
def test_an_approval_is_never_wider_than_a_request_filed_now(world, halted):
    person, item, org = world
    target = OrgView(99, False, halted, name="Bureau")
    approval = decide_approval(item, org, target, person)
    if approval:
        assert decide_onward(item, org, target, person)
        assert not person.suspended and not target.halted
    elif person.suspended:
        assert approval.reason.startswith("the person who asked is suspended")
    elif halted:
        assert approval.reason == "sharing with Bureau is halted by the originator"


@given(
    st.sampled_from(list(Tlp)),
    st.one_of(st.none(), st.integers(-48, 48).map(lambda h: NOW + timedelta(hours=h))),
)
def test_only_clear_may_be_public_and_only_after_its_embargo(tlp, embargo):
    item = ItemView(tlp, False, frozenset(), frozenset(), None, embargo_until=embargo)
    verdict = publication(item, NOW)
    assert bool(verdict) == (tlp is Tlp.CLEAR and (embargo is None or embargo <= NOW))
    if embargo is not None and embargo > NOW:
        assert verdict.reason.startswith("public before its embargo lifted at ")


@given(st.sampled_from(list(Tlp)), st.integers(0, 2), st.integers(0, 2))
def test_markings_that_would_reach_nobody_are_named(tlp, orgs, named):
    problem = audience_problem(tlp, orgs, named)
    reaches = {
        Tlp.RED: named > 0,
        Tlp.AMBER: orgs + named > 0,
        Tlp.AMBER_STRICT: orgs + named > 0,
    }.get(tlp, True)
    assert (problem is None) == reaches


def test_tlp_parsing_accepts_the_usual_spellings():
    assert Tlp.parse("amber+strict") is Tlp.AMBER_STRICT
    assert Tlp.parse("TLP:AMBER_STRICT") is Tlp.AMBER_STRICT
    assert Tlp.parse("white") is Tlp.CLEAR
    try:
        Tlp.parse("purple")
    except ValueError as err:
        assert "invalid TLP" in str(err)
    else:
        raise AssertionError("purple is not a TLP")
