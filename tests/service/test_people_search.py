"""The People table's search, order and page, done in the database."""

from __future__ import annotations

from orcon.service import directory


def _directory(inst) -> None:  # type: ignore[no-untyped-def]
    directory.add_org(inst, "metro Police")
    directory.add_org(inst, "Bureau 100%")
    directory.add_person(inst, "z.analyst@localhost", inst.org_name, "Zed", role="analyst")
    for i in range(12):
        directory.add_person(inst, f"officer{i:02}@metro.example", "metro Police", f"Officer {i}")
    directory.add_person(inst, "a_b@bureau.example", "Bureau 100%", "Ann Bee")
    directory.add_person(inst, "ab@bureau.example", "Bureau 100%", "Ab Plain")


def test_staff_first_then_by_organisation_and_address_a_page_at_a_time(inst):
    _directory(inst)
    everyone = [a.email for a in directory.accounts(inst)]
    assert everyone[:2] == ["admin@localhost", "z.analyst@localhost"]
    assert everyone[2:4] == ["a_b@bureau.example", "ab@bureau.example"]  # "bureau" < "metro"
    assert everyone[4:] == [f"officer{i:02}@metro.example" for i in range(12)]
    assert [a.email for a in directory.accounts(inst, limit=5)] == everyone[:5]
    assert directory.count_accounts(inst) == len(everyone) == 16


def test_search_any_case_any_field_with_percent_and_underscore_as_plain_characters(inst):
    _directory(inst)
    assert directory.count_accounts(inst, "METRO police") == 12
    assert [a.email for a in directory.accounts(inst, "officer 1")] == [
        "officer01@metro.example", "officer10@metro.example", "officer11@metro.example",
    ]  # fmt: skip
    assert [a.email for a in directory.accounts(inst, "a_b")] == ["a_b@bureau.example"]
    assert (
        directory.count_accounts(inst, "100%") == 2 and directory.count_accounts(inst, "0%B") == 0
    )
    assert (
        directory.accounts(inst, "nobody") == [] and directory.count_accounts(inst, "nobody") == 0
    )


def test_live_tokens_are_counted_for_the_people_of_a_page(inst):
    _directory(inst)
    for _ in range(2):
        directory.create_token(inst, "officer03@metro.example")
    directory.create_token(inst, "ab@bureau.example")
    shown = {a.email: a.live_tokens for a in directory.accounts(inst, "example", limit=20)}
    assert shown["officer03@metro.example"] == 2 and shown["ab@bureau.example"] == 1
    assert sum(shown.values()) == 3
