"""C2SP signed notes with Ed25519 (https://c2sp.org/signed-note).

A note is UTF-8 text ending in a newline, a blank line, then signature lines
``— <key name> base64(key ID || signature)``. The key ID is the first four
bytes of SHA-256(key name || 0x0A || 0x01 || public key). Verifier keys travel
as ``<name>+<hex key ID>+base64(0x01 || public key)``, the encoding of the Go
``sumdb/note`` package, so Go witnesses and tools read our checkpoints.

Rules we enforce (fail closed): the note parses strictly; signatures by unknown
keys are ignored; a signature by a known key that does not verify rejects the
whole note; a note with no verified known signature is rejected.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from orcon.errors import UsageError, VerificationError

ED25519 = 0x01
_DASH = "\u2014 "
MAX_SIGNATURES = 100


def key_id(name: str, alg: int, public: bytes) -> int:
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + public).digest()
    return int.from_bytes(digest[:4], "big")


def _check_name(name: str) -> None:
    if not name or "+" in name or any(ch.isspace() for ch in name):
        raise UsageError(f"a key name must be non-empty without spaces or '+': {name!r}")


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def parse_vkey(vkey: str, alg: int) -> tuple[str, int, bytes]:
    """Parse ``name+hexid+base64(alg||key)`` into (name, key ID, public key); the ID must match."""
    parts = vkey.strip().split("+", 2)
    if len(parts) != 3 or len(parts[1]) != 8:
        raise UsageError(f"malformed verifier key: {vkey!r}")
    name, hexid, b64 = parts
    _check_name(name)
    try:
        raw = base64.b64decode(b64, validate=True)
        kid = int(hexid, 16)
    except (binascii.Error, ValueError):
        raise UsageError(f"malformed verifier key: {vkey!r}") from None
    if len(raw) != 33 or raw[0] != alg:
        raise UsageError(f"not a key of signature type 0x{alg:02x} with 32 bytes")
    if key_id(name, alg, raw[1:]) != kid:
        raise UsageError("verifier key ID does not match its public key")
    return name, kid, raw[1:]


@dataclass(frozen=True, slots=True)
class Verifier:
    name: str
    id: int
    public_key: Ed25519PublicKey

    @classmethod
    def from_vkey(cls, vkey: str) -> Verifier:
        """Parse ``name+hexid+base64(0x01||key)``; the ID must match the key."""
        name, kid, raw = parse_vkey(vkey, ED25519)
        return cls(name, kid, Ed25519PublicKey.from_public_bytes(raw))

    @property
    def vkey(self) -> str:
        raw = bytes([ED25519]) + _raw_public(self.public_key)
        return f"{self.name}+{self.id:08x}+{base64.b64encode(raw).decode()}"


@dataclass(frozen=True, slots=True, eq=False)
class Signer:
    name: str
    private_key: Ed25519PrivateKey

    def __post_init__(self) -> None:
        _check_name(self.name)

    def __repr__(self) -> str:
        return f"Signer({self.name!r})"

    @classmethod
    def from_skey(cls, skey: str) -> Signer:
        """Parse the Go ``PRIVATE+KEY+name+hexid+base64(0x01||seed)`` encoding."""
        parts = skey.split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise UsageError("malformed signer key")
        try:
            raw = base64.b64decode(parts[4], validate=True)
        except binascii.Error:
            raise UsageError("malformed signer key") from None
        if len(raw) != 33 or raw[0] != ED25519:
            raise UsageError("signer key is not an Ed25519 seed of 32 bytes")
        signer = cls(parts[2], Ed25519PrivateKey.from_private_bytes(raw[1:]))
        if f"{signer.verifier.id:08x}" != parts[3].lower():
            raise UsageError("signer key ID does not match its key")
        return signer

    @property
    def verifier(self) -> Verifier:
        public = self.private_key.public_key()
        return Verifier(self.name, key_id(self.name, ED25519, _raw_public(public)), public)

    def signature_line(self, text: str) -> str:
        sig = self.private_key.sign(text.encode("utf-8"))
        blob = self.verifier.id.to_bytes(4, "big") + sig
        return f"{_DASH}{self.name} {base64.b64encode(blob).decode()}\n"


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise UsageError("note text must end with a newline")
    if any(ord(ch) < 0x20 and ch != "\n" for ch in text):
        raise UsageError("note text must not contain control characters")


def sign_note(text: str, signers: Iterable[Signer]) -> str:
    _check_text(text)
    lines = [s.signature_line(text) for s in signers]
    if not lines:
        raise UsageError("a note needs at least one signer")
    return text + "\n" + "".join(lines)


def split_note(note: str) -> tuple[str, list[tuple[str, bytes]]]:
    """Split a note into its text and (key name, signature blob) pairs, strictly."""
    if any(ord(ch) < 0x20 and ch != "\n" for ch in note):
        raise VerificationError("note contains control characters")
    cut = note.rfind("\n\n")
    if cut < 0 or not note.endswith("\n"):
        raise VerificationError("malformed note: no signature block")
    text, block = note[: cut + 1], note[cut + 2 :]
    sigs: list[tuple[str, bytes]] = []
    for line in block[:-1].split("\n"):
        if not line.startswith(_DASH):
            raise VerificationError(f"malformed signature line: {line!r}")
        name, _, b64 = line[len(_DASH) :].partition(" ")
        try:
            blob = base64.b64decode(b64, validate=True)
        except binascii.Error:
            raise VerificationError(f"malformed signature for {name!r}") from None
        if not name or " " in b64 or len(blob) < 5:
            raise VerificationError(f"malformed signature line: {line!r}")
        sigs.append((name, blob))
    if not sigs or len(sigs) > MAX_SIGNATURES:
        raise VerificationError(f"a note needs 1..{MAX_SIGNATURES} signatures, got {len(sigs)}")
    return text, sigs


def open_note(note: str, verifiers: Iterable[Verifier]) -> str:
    """Return the note's text if a known key signed it; raise VerificationError otherwise."""
    text, sigs = split_note(note)
    known = {(v.name, v.id): v for v in verifiers}
    verified = 0
    for name, blob in sigs:
        v = known.get((name, int.from_bytes(blob[:4], "big")))
        if v is None:
            continue
        try:
            v.public_key.verify(blob[4:], text.encode("utf-8"))
        except InvalidSignature:
            raise VerificationError(f"signature by {name} does not verify") from None
        verified += 1
    if not verified:
        raise VerificationError("note carries no signature by a known key")
    return text


COSIGNATURE_V1 = 0x04


@dataclass(frozen=True, slots=True, eq=False)
class Cosigner:
    """A witness key: C2SP tlog-cosignature/v1 over Ed25519 (timestamped)."""

    name: str
    private_key: Ed25519PrivateKey

    def __post_init__(self) -> None:
        _check_name(self.name)

    def __repr__(self) -> str:
        return f"Cosigner({self.name!r})"

    @property
    def id(self) -> int:
        return key_id(self.name, COSIGNATURE_V1, _raw_public(self.private_key.public_key()))

    @property
    def vkey(self) -> str:
        raw = bytes([COSIGNATURE_V1]) + _raw_public(self.private_key.public_key())
        return f"{self.name}+{self.id:08x}+{base64.b64encode(raw).decode()}"

    def cosign(self, checkpoint_text: str, timestamp: int) -> str:
        """The signature line for a checkpoint body (text up to, not including, signatures)."""
        _check_text(checkpoint_text)
        msg = f"cosignature/v1\ntime {timestamp}\n{checkpoint_text}".encode()
        blob = (
            self.id.to_bytes(4, "big") + timestamp.to_bytes(8, "big") + self.private_key.sign(msg)
        )
        return f"{_DASH}{self.name} {base64.b64encode(blob).decode()}\n"


def verify_cosignature(checkpoint_text: str, line: str, vkey: str) -> int:
    """Check one cosignature line against a witness vkey; return its timestamp."""
    name, kid, public = parse_vkey(vkey, COSIGNATURE_V1)
    if not line.startswith(_DASH) or not line.endswith("\n"):
        raise VerificationError("malformed cosignature line")
    got_name, _, b64 = line[len(_DASH) : -1].partition(" ")
    try:
        blob = base64.b64decode(b64, validate=True)
    except binascii.Error:
        raise VerificationError("malformed cosignature") from None
    if got_name != name or len(blob) != 4 + 8 + 64 or int.from_bytes(blob[:4], "big") != kid:
        raise VerificationError(f"cosignature is not by witness {name}")
    ts = int.from_bytes(blob[4:12], "big")
    msg = f"cosignature/v1\ntime {ts}\n{checkpoint_text}".encode()
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(blob[12:], msg)
    except InvalidSignature:
        raise VerificationError(f"cosignature by {name} does not verify") from None
    return ts
