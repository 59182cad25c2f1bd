"""Schema upgrades keep what an instance already holds traceable."""

from __future__ import annotations

import numpy as np
import pytest
from alembic import command
from sqlalchemy import select

from orcon.codes import BiasLaw, Code, CodeSpec
from orcon.codes.tardos import default_cutoff
from orcon.service import directory, sharing
from orcon.store.db import _alembic_config
from orcon.store.models import Item


def _run(inst, verb: str, target: str) -> None:  # type: ignore[no-untyped-def]
    with inst.engine.begin() as conn:
        cfg = _alembic_config()
        cfg.attributes["connection"] = conn
        getattr(command, verb)(cfg, target)


def _shared_photo(inst, photo) -> tuple[str, Item, Code]:  # type: ignore[no-untyped-def]
    """Share a photo now; return its id, its row and its code as stored."""
    directory.add_org(inst, "Metro Police")
    directory.add_person(inst, "a@metro.example", "Metro Police", "A")
    item = sharing.share(inst, photo, title="Scene", tlp="amber", to=["Metro Police"])
    with inst.reading() as s:
        row = s.scalars(select(Item).where(Item.id == item.id)).one()
        return item.id, row, sharing.item_code(inst, row)


def test_items_made_before_the_cutoff_change_keep_tardos_cutoff(inst, photo):
    item_id, row, _ = _shared_photo(inst, photo)
    assert row.code_cutoff == default_cutoff(row.code_c) == 1 / (30 * row.code_c)

    # An instance that held this item before revision 0004 had no cutoff column.
    _run(inst, "downgrade", "0003")
    _run(inst, "upgrade", "head")

    with inst.reading() as s:
        row = s.scalars(select(Item).where(Item.id == item_id)).one()
        code = sharing.item_code(inst, row)
    legacy = 1 / (300 * row.code_c)
    assert abs(row.code_cutoff - legacy) < 1e-15
    expected = Code.derive(
        CodeSpec(row.code_length, row.code_q, row.code_c, legacy, BiasLaw.ARCSINE),
        sharing.item_secret(inst, item_id),
    )
    assert np.array_equal(code.counts, expected.counts)
    assert np.array_equal(code.codewords(0, 5), expected.codewords(0, 5))


def test_items_made_before_the_discrete_law_keep_arcsine_biases(inst, photo):
    item_id, row, new_code = _shared_photo(inst, photo)
    assert row.code_bias == BiasLaw.GAUSS_LEGENDRE.value
    # Nuida's law for c = 4: two bias values, symmetric about 1/2.
    assert sorted(set(np.round(new_code.probs[:, 1], 3))) == [0.211, 0.789]

    # An instance that held this item before revision 0005 had drawn it from the arcsine law.
    _run(inst, "downgrade", "0004")
    _run(inst, "upgrade", "head")

    with inst.reading() as s:
        row = s.scalars(select(Item).where(Item.id == item_id)).one()
        code = sharing.item_code(inst, row)
    assert row.code_bias == BiasLaw.ARCSINE.value
    expected = Code.derive(
        CodeSpec(row.code_length, row.code_q, row.code_c, row.code_cutoff, BiasLaw.ARCSINE),
        sharing.item_secret(inst, item_id),
    )
    assert np.array_equal(code.counts, expected.counts)
    assert len(set(code.counts[:, 1].tolist())) > 100  # a continuous law, not two values


def test_a_shared_report_keeps_its_sites_when_the_wording_rules_change(inst, monkeypatch):
    from pathlib import Path

    from orcon.marks.text import document
    from orcon.service import tracing

    report = (Path(__file__).parents[1] / "data" / "reports" / "canal-street.md").read_bytes()
    directory.add_org(inst, "Metro Police")
    people = [
        directory.add_person(inst, f"o{i}@metro.example", "Metro Police", f"O {i}").email
        for i in range(4)
    ]
    item = sharing.share(inst, report, title="Canal", tlp="amber", to=["Metro Police"])
    leak = sharing.issue_copy(inst, item.id, people[2]).data.decode()
    with inst.reading() as s:
        row = s.scalars(select(Item).where(Item.id == item.id)).one()
    assert row.text_model is not None and b"approximately" not in row.text_model  # sealed

    # A later release finds other sites in the same text (here: none at all).
    monkeypatch.setattr(document, "candidates", lambda *a, **k: [])
    assert document.parse(report.decode()).capacity == 0
    inst.cache.clear()
    with inst.reading() as s:
        row = s.scalars(select(Item).where(Item.id == item.id)).one()
        assert sharing.text_document(inst, row).symbols == row.code_length
    result = tracing.trace(inst, " ".join(leak.lower().split()).encode())
    assert [a.person for a in result.accused] == [people[2]]


def test_a_damaged_text_model_is_a_storage_error_not_a_wrong_reading(inst):
    from pathlib import Path

    from orcon.errors import StorageError
    from orcon.service import tracing

    report = (Path(__file__).parents[1] / "data" / "reports" / "canal-street.md").read_bytes()
    directory.add_org(inst, "Metro Police")
    directory.add_person(inst, "a@metro.example", "Metro Police", "A")
    item = sharing.share(inst, report, title="Canal", tlp="amber", to=["Metro Police"])
    copy = sharing.issue_copy(inst, item.id, "a@metro.example").data
    with inst.transaction() as s:
        row = s.scalars(select(Item).where(Item.id == item.id)).one()
        assert row.text_model is not None
        row.text_model = row.text_model[:-1] + bytes([row.text_model[-1] ^ 1])
    inst.cache.clear()
    with pytest.raises(StorageError, match=r"text model of item .* integrity"):
        tracing.trace(inst, copy)


def test_the_head_revision_constant_matches_the_migrations():
    from alembic.script import ScriptDirectory

    from orcon.store.db import HEAD_REVISION

    assert ScriptDirectory.from_config(_alembic_config()).get_current_head() == HEAD_REVISION


def test_an_old_schema_is_upgraded_when_the_instance_is_opened(inst, tmp_path):
    from orcon.service.instance import Instance
    from orcon.store.db import HEAD_REVISION, current_revision

    _run(inst, "downgrade", "0003")
    assert current_revision(inst.engine) == "0003"
    home = inst.home
    inst.close()
    again = Instance.open(home)
    try:
        assert current_revision(again.engine) == HEAD_REVISION
    finally:
        again.close()


def test_instance_caches_are_separate_lrus_per_kind():
    from orcon.service.instance import Caches

    cache = Caches()
    for i in range(10):
        cache.put("text", i, f"doc {i}")
    cache.put("embedder", "photo", "mask")
    for i in range(5):
        cache.put("embedder", f"p{i}", i)  # evicts embedders only
    assert cache.get("embedder", "photo") is None
    assert [cache.get("text", i) for i in (1, 2, 9)] == [None, "doc 2", "doc 9"]
    cache.get("text", 2)  # recently used survives the next insert
    cache.put("text", 10, "doc 10")
    assert cache.get("text", 2) == "doc 2" and cache.get("text", 3) is None


def test_the_upgrade_to_0009_reads_when_markings_last_changed_off_the_ledger(inst, clock, photo):
    from orcon.service import markings

    item_id, _, _ = _shared_photo(inst, photo)
    clock.advance(hours=1)
    changed = clock.now
    markings.remark(inst, item_id, markings.Change(tlp="green"), "wider", by="cli")
    _run(inst, "downgrade", "0008")
    _run(inst, "upgrade", "head")
    with inst.reading() as s:
        row = s.get(Item, item_id)
        assert row is not None and row.markings_changed_at == changed
    assert [c.reason for c in markings.history(inst, item_id)] == ["wider"]
    other = sharing.share(inst, photo, title="Other", tlp="green")
    with inst.reading() as s:
        row = s.get(Item, other.id)
        assert row is not None and row.markings_changed_at is None
    assert markings.history(inst, other.id) == []


def test_the_migrations_build_the_schema_the_models_describe(inst):
    """A column added to a model without its migration (or the other way round) would
    work in a test database made from the models and fail on an upgraded instance."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from orcon.store.models import Base

    with inst.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        drift = [
            d
            for d in compare_metadata(ctx, Base.metadata)
            if not (isinstance(d, tuple) and d[:1] == ("remove_table",))
            or d[1].name != "alembic_version"
        ]
    assert drift == []


def test_the_upgrade_to_0010_adds_the_outbox_and_keeps_what_was_shared(inst, photo):
    from orcon.service import outbox

    item_id, _, _ = _shared_photo(inst, photo)
    _run(inst, "downgrade", "0009")
    _run(inst, "upgrade", "head")
    assert outbox.waiting(inst) == [] and sharing.get_item(inst, item_id).title == "Scene"
