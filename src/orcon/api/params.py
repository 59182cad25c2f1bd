"""Path parameters the API and the web pages share.

A row number in an address (``/api/outbox/12``, ``/ledger/receipt/40``) past
ROW_MAX is an address that names nothing (orcon.store.limits).
"""

from typing import Annotated

from fastapi import Path

from orcon.store.limits import ROW_MAX

RowId = Annotated[int, Path(ge=0, le=ROW_MAX)]
