"""Path parameters the API and the web pages share.

A row number in an address (``/api/outbox/12``, ``/ledger/receipt/40``) is read
into the database's 64-bit integers: a larger number, typed or probed, must be
refused as an address that names nothing, not reach the database driver, which
cannot even bind it (SQLite raises OverflowError, PostgreSQL "out of range").
"""

from typing import Annotated

from fastapi import Path

ROW_MAX = 2**63 - 1

RowId = Annotated[int, Path(ge=0, le=ROW_MAX)]
