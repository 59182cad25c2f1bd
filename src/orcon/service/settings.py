"""The instance's settings for notices and the leak watch, kept in ``instance.json``.

A setting can matter as much as an action: switching on automatic halts, naming
items in e-mail that crosses other people's mail systems, or pointing alerts at a
new webhook. Each change is therefore a ledger event (``settings.changed``: who,
which settings, each value before and after; a secret or password only as
"changed"), written in the same transaction in which the file is replaced, so a
change without its record cannot happen.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from orcon.service import mail
from orcon.service.instance import Instance
from orcon.store import ledger
from orcon.store.blobs import atomic_write
from orcon.store.ledger import EventKind

SECRET = "changed"  # what the ledger says of a secret that changed, never the secret


def changes(
    before: Mapping[str, Any], after: Mapping[str, Any], secrets: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Each setting whose value moved: [before, after], or SECRET for a secret."""
    moved = {}
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            moved[key] = SECRET if key in secrets else [before.get(key), after.get(key)]
    return moved


def save(
    inst: Instance,
    section: str,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    *,
    by: str,
    secrets: frozenset[str] = frozenset(),
    password: str | None = None,
) -> dict[str, Any]:
    """Replace one section of the settings (and, given, the section's mail password),
    recording what changed; returns the changes (empty: nothing was written)."""
    moved = changes(before, after, secrets)
    new_password = password is not None and password.strip("\r\n") != mail.stored_password(
        inst, section
    )
    if new_password:
        moved["smtp_password"] = SECRET
    if not moved:
        return moved
    info: dict[str, Any] = dict(inst.home.info())
    info[section] = dict(after)
    with inst.transaction() as s:
        event = {"by": by, "settings": section, "changed": moved}
        ledger.append(s, EventKind.SETTINGS_CHANGED, event, inst.clock())
        # Inside the transaction: if a file cannot be written, the event is not either.
        if new_password and password is not None:
            mail.store_password(inst, section, password)
        atomic_write(inst.home.manifest, json.dumps(info, indent=1).encode(), mode=0o600)
    return moved
