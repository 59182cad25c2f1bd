"""Modules the command line imports on first use, not at start.

Every ``orcon`` command used to import every service (and with them OpenCV,
SQLAlchemy, httpx, feedparser) before parsing its arguments: about 0.7 s of a
1 s start, paid by ``--help`` and by scripts that call orcon in a loop. A CLI
module names the services it calls through :func:`later`; a service is
imported when a command first touches it, so each command pays only for its
own. Type checkers see the real modules (``if TYPE_CHECKING`` at each site).
"""

from __future__ import annotations

import argparse
import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from orcon.service.instance import Instance


class Later:
    """Stands in for a module until an attribute is asked for."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def _module(self) -> ModuleType:
        return importlib.import_module(self._name)

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._module(), attr)

    def __repr__(self) -> str:
        return f"<module {self._name!r}, imported on first use>"


def open_instance(args: argparse.Namespace) -> Instance:
    """The instance the command's ``--home`` names (or $ORCON_HOME, or ~/.orcon)."""
    from orcon.service.instance import Instance
    from orcon.store.home import resolve_home

    return Instance.open(resolve_home(args.home))
