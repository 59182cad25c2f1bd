"""orcon: originator-controlled sharing with per-recipient fingerprints.

The package is layered (see docs/architecture.md): a pure core (``orcon.codes``
and friends) that performs no I/O, services that own transactions, and thin
edges (CLI, API) that only call services.
"""

__version__ = "0.1.0"
