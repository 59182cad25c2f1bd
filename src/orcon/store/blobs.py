"""Encrypted blob store for originals.

Each item's original is encrypted with its own random 256-bit data key
(AES-256-GCM, the item id as associated data so a blob cannot be swapped
between items); the data key is stored wrapped by the instance master key
(RFC 3394 AES key wrap). Files are written atomically: temporary file, fsync,
rename — a crash leaves either the whole blob or none.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from orcon.errors import StorageError

_NONCE = 12
_WRAPPED = 40  # a 256-bit key wrapped by RFC 3394


def atomic_write(path: Path, data: bytes, mode: int = 0o600) -> None:
    atomic_write_chunks(path, [data], mode)


def atomic_write_chunks(path: Path, chunks: Iterable[bytes], mode: int = 0o600) -> None:
    """Write ``chunks`` to ``path`` so that it holds all of them or is left as it was
    (a file written while the chunks are made, such as an archive, and broken off)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            for data in chunks:
                fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class BlobStore:
    def __init__(self, root: Path, master_key: bytes) -> None:
        self._root = root
        self._master = master_key

    def _path(self, item_id: str) -> Path:
        return self._root / item_id[-2:] / f"{item_id}.blob"

    def put(self, item_id: str, data: bytes) -> bytes:
        """Encrypt and store; return the wrapped data key to keep with the item."""
        key = AESGCM.generate_key(bit_length=256)
        nonce = secrets.token_bytes(_NONCE)
        sealed = nonce + AESGCM(key).encrypt(nonce, data, item_id.encode())
        atomic_write(self._path(item_id), sealed)
        return aes_key_wrap(self._master, key)

    def get(self, item_id: str, wrapped_key: bytes) -> bytes:
        try:
            sealed = self._path(item_id).read_bytes()
        except FileNotFoundError:
            raise StorageError(
                f"the original of item {item_id} is missing from the blob store"
            ) from None
        try:
            key = aes_key_unwrap(self._master, wrapped_key)
            return AESGCM(key).decrypt(sealed[:_NONCE], sealed[_NONCE:], item_id.encode())
        except (InvalidTag, InvalidUnwrap):
            raise StorageError(
                f"the original of item {item_id} failed its integrity check"
            ) from None

    def seal(self, item_id: str, wrapped_key: bytes, label: str, data: bytes) -> bytes:
        """Encrypt data that belongs with an item (kept in the database) under its key.

        The associated data binds it to the item and the label, so sealed data
        cannot be moved to another item or used for another purpose.
        """
        key = aes_key_unwrap(self._master, wrapped_key)
        nonce = secrets.token_bytes(_NONCE)
        return nonce + AESGCM(key).encrypt(nonce, data, f"{item_id}/{label}".encode())

    def unseal(self, item_id: str, wrapped_key: bytes, label: str, sealed: bytes) -> bytes:
        try:
            key = aes_key_unwrap(self._master, wrapped_key)
            aad = f"{item_id}/{label}".encode()
            return AESGCM(key).decrypt(sealed[:_NONCE], sealed[_NONCE:], aad)
        except (InvalidTag, InvalidUnwrap):
            raise StorageError(
                f"the {label} of item {item_id} failed its integrity check"
            ) from None

    def put_derived(self, name: str, data: bytes) -> None:
        """Keep data derived from many items (a cache, such as the words of every shared
        text) encrypted like an item: under a data key of its own, wrapped by the master
        key and kept in front of it, bound to its name."""
        key = AESGCM.generate_key(bit_length=256)
        nonce = secrets.token_bytes(_NONCE)
        sealed = AESGCM(key).encrypt(nonce, data, f"derived/{name}".encode())
        atomic_write(self._derived(name), aes_key_wrap(self._master, key) + nonce + sealed)

    def get_derived(self, name: str) -> bytes | None:
        """Derived data kept by :meth:`put_derived`, or None when there is none or it fails
        its integrity check (it is a cache: the caller rebuilds it)."""
        try:
            raw = self._derived(name).read_bytes()
            key = aes_key_unwrap(self._master, raw[:_WRAPPED])
            nonce, sealed = raw[_WRAPPED : _WRAPPED + _NONCE], raw[_WRAPPED + _NONCE :]
            return AESGCM(key).decrypt(nonce, sealed, f"derived/{name}".encode())
        except (OSError, InvalidTag, InvalidUnwrap, ValueError):
            return None

    def _derived(self, name: str) -> Path:
        return self._root / "derived" / f"{name}.sealed"

    def delete(self, item_id: str) -> None:
        self._path(item_id).unlink(missing_ok=True)
