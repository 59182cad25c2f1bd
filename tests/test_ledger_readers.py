"""Which ledger events a partner's account reads (orcon.policy.partner_may_read)."""

from __future__ import annotations

from orcon.policy import partner_may_read

PEOPLE = frozenset({"d.okafor@harbour.example"})


def _reads(event: dict[str, object]) -> bool:
    return partner_may_read({"seq": 9, "time": "t", **event}, "Harbour City PD", PEOPLE)


def test_a_partner_reads_what_names_it_or_its_people() -> None:
    assert _reads({"kind": "item.shared", "item": "itm_1", "to": ["Bureau", "Harbour City PD"]})
    assert _reads({"kind": "copy.issued", "item": "itm_1", "person": "D.Okafor@harbour.example"})
    assert _reads({"kind": "org.halted", "org": "harbour city pd", "reason": "inquiry"})
    assert _reads({"kind": "item.remarked", "item": "itm_1",
                   "changed": {"to": [["Harbour City PD"], []]}})  # fmt: skip


def test_a_partner_does_not_read_others_business_or_the_originators_investigations() -> None:
    assert not _reads({"kind": "item.shared", "item": "itm_2", "to": ["Bureau"]})
    assert not _reads({"kind": "person.suspended", "person": "a@bureau.example"})
    assert not _reads({"kind": "org.added", "org": "Harbour City PD Reserve"})  # not a substring
    # The originator's own work is withheld even where it names the partner's people.
    for kind in ("trace.run", "watch.alert", "fact.registered", "backup.taken"):
        assert not _reads({"kind": kind, "accused": ["d.okafor@harbour.example"]})


def test_every_reader_gets_what_verifying_the_log_needs() -> None:
    for kind in ("instance.created", "key.rotated", "instance.restored"):
        assert _reads({"kind": kind, "verifier_key": "x"})
