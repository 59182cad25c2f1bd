"""Auditing an orcon instance from outside, over its tiles: verify and witness.

``verify_remote`` rebuilds the whole log from the tiles, checks every entry
against its leaf hash and the tree against the signed checkpoint. A witness
keeps the last checkpoint it cosigned; it cosigns a new one only if the new tree
contains the old one (RFC 9162 consistency), and refuses a fork or a rollback.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from orcon.errors import UsageError, VerificationError
from orcon.ledger.checkpoint import Checkpoint
from orcon.ledger.merkle import MerkleTree, verify_consistency
from orcon.ledger.note import Cosigner, open_note, split_note
from orcon.ledger.tiles import WITHHELD, fetch_tree
from orcon.store.blobs import atomic_write
from orcon.store.ledger import KeyChain, canonical_json

Fetch = Callable[[str], bytes]


def http_fetcher(base: str, token: str | None = None, timeout: float = 20.0) -> Fetch:
    """``token``: an account's API token, which the log's entry bundles need (its hash
    tiles and checkpoint are public)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    client = httpx.Client(
        base_url=base.rstrip("/") + "/", timeout=timeout, follow_redirects=False, headers=headers
    )

    def fetch(path: str) -> bytes:
        try:
            r = client.get(path)
        except httpx.HTTPError as err:
            raise UsageError(f"cannot fetch {base}/{path}: {err}") from None
        if r.status_code in (401, 403) and path.startswith("ledger/tile/entries/"):
            how = "was refused" if token else "needs an account"
            raise UsageError(
                f"reading the log's events {how} ({base}/{path}: HTTP {r.status_code}): give "
                "an API token of an account on that instance (--token, or ORCON_TOKEN)"
            )
        if r.status_code != 200:
            raise VerificationError(f"{base}/{path} answered HTTP {r.status_code}")
        return r.content

    return fetch


@dataclass(frozen=True, slots=True)
class RemoteReport:
    origin: str
    size: int
    root: bytes
    withheld: int = 0  # events this account may not read (their hashes verified all the same)


def _fetch_verified(fetch: Fetch, root_vkey: str) -> tuple[Checkpoint, str, MerkleTree, int]:
    """Fetch the checkpoint and the tiles; check every entry, the key chain and the signature."""
    note = fetch("ledger/checkpoint").decode("utf-8")
    text, _ = split_note(note)
    unverified = Checkpoint.from_text(text)
    tree, entries = fetch_tree(unverified.size, lambda p: fetch("ledger/" + p))
    chain = KeyChain(root_vkey)
    for i, e in enumerate(entries):
        if e == WITHHELD:
            continue  # not for this account: its leaf hash, in the tree, stands for it
        try:
            body = json.loads(e)
            ok = canonical_json(body) == e.decode() and body.get("seq") == i
        except (ValueError, UnicodeDecodeError, TypeError):
            ok = False
        if not ok:
            raise VerificationError(f"ledger entry {i} is not a canonical event with its own index")
        chain.observe(i, body)
    cp = Checkpoint.from_text(open_note(note, chain.for_size(unverified.size)))
    if tree.root() != cp.root:
        raise VerificationError("the tiles do not add up to the signed checkpoint's root")
    return cp, text, tree, entries.count(WITHHELD)


def verify_remote(fetch: Fetch, vkey: str) -> RemoteReport:
    """``vkey`` is the log's pinned root key (GET /ledger/key at first contact)."""
    cp, _, _, withheld = _fetch_verified(fetch, vkey)
    return RemoteReport(cp.origin, cp.size, cp.root, withheld)


@dataclass(frozen=True, slots=True)
class WitnessState:
    directory: Path

    def cosigner(self, name: str) -> Cosigner:
        path = self.directory / "witness.key"
        if path.exists():
            key = Ed25519PrivateKey.from_private_bytes(path.read_bytes())
        else:
            key = Ed25519PrivateKey.generate()
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            atomic_write(path, key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()))
        return Cosigner(name, key)

    def last(self) -> dict[str, object] | None:
        p = self.directory / "last.json"
        return dict(json.loads(p.read_text())) if p.exists() else None

    def save(self, data: dict[str, object]) -> None:
        atomic_write(self.directory / "last.json", json.dumps(data).encode())


def witness_once(
    fetch: Fetch,
    post: Callable[[int, str], None],
    state: WitnessState,
    log_vkey: str,
    cosigner: Cosigner,
    now: int | None = None,
) -> Checkpoint:
    """Check the log grew consistently since the last cosigned checkpoint; cosign and post."""
    cp, text, tree, _ = _fetch_verified(fetch, log_vkey)
    last = state.last()
    if last is not None:
        old_size, old_root = int(last["size"]), bytes.fromhex(str(last["root"]))  # type: ignore[call-overload]
        if last["origin"] != cp.origin:
            raise VerificationError("the log's origin changed")
        if cp.size < old_size:
            raise VerificationError(
                f"rollback: the log shrank from {old_size} to {cp.size} entries"
            )
        try:
            verify_consistency(
                old_size, cp.size, tree.consistency_proof(old_size), old_root, cp.root
            )
        except VerificationError:
            raise VerificationError(
                f"FORK: the log at size {cp.size} does not contain the tree of size {old_size} "
                "this witness cosigned; refusing to cosign"
            ) from None
    line = cosigner.cosign(text, int(now if now is not None else time.time()))
    post(cp.size, line)
    state.save({"origin": cp.origin, "size": cp.size, "root": cp.root.hex(), "cosignature": line})
    return cp


__all__ = [
    "RemoteReport",
    "WitnessState",
    "http_fetcher",
    "split_note",
    "verify_remote",
    "witness_once",
]
