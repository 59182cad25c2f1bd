"""The largest number a row's id or a ledger sequence number can be.

Both databases store them as signed 64-bit integers. A larger number, typed into a
command or an address, names no row; it must be refused as such before it reaches
the database driver, which cannot even bind it (SQLite raises OverflowError,
PostgreSQL "out of range"). No import beyond this line: the CLI reads it while
parsing arguments.
"""

ROW_MAX = 2**63 - 1
