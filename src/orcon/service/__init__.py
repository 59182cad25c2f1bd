"""Use cases. One function per action; each owns its transaction and writes its
ledger event in that same transaction, then seals a signed checkpoint."""
