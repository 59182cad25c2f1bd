"""Keyed pseudo-random streams for codewords and biases.

A recipient's codeword must be derivable on demand from (item secret, recipient
index) and unpredictable to anyone without the secret, including colluders who
see their own codewords. We therefore use AES-256 in counter mode (a standard
PRF assumption) rather than a statistical generator: recipient ``j`` owns the
keystream blocks ``[j * B, (j + 1) * B)`` where ``B`` is the number of 16-byte
blocks one codeword needs. Any contiguous run of recipients is one call, which
keeps scoring 10^5 recipients a single vectorised pass.

Sub-keys are separated with HKDF-SHA256 (RFC 5869) so that the bias stream and
the codeword stream can never overlap.
"""

from __future__ import annotations

import numpy as np
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from orcon.errors import UsageError

_BLOCK = 16
MIN_SECRET_BYTES = 16


def derive_key(secret: bytes, label: str, length: int = 32) -> bytes:
    """Derive an independent sub-key of ``secret`` for the purpose named by ``label``."""
    if len(secret) < MIN_SECRET_BYTES:
        raise UsageError(
            f"a code secret needs at least {MIN_SECRET_BYTES} bytes, got {len(secret)}"
        )
    return HKDF(
        algorithm=hashes.SHA256(), length=length, salt=None, info=label.encode("utf-8")
    ).derive(secret)


class StreamBuffer:
    """Reusable buffers for :func:`keystream_u16`, so hot loops do not fault in fresh pages.

    The input buffer is only ever read (it stays all-zero); the output buffer is
    overwritten by each call, so an array returned by one call is valid until the next.
    """

    __slots__ = ("_out", "_zeros")

    def __init__(self) -> None:
        self._zeros = bytearray()
        self._out = bytearray()

    def take(self, size: int) -> tuple[memoryview, bytearray]:
        if len(self._zeros) < size:
            self._zeros = bytearray(size)
            self._out = bytearray(size + _BLOCK - 1)
        return memoryview(self._zeros)[:size], self._out


def keystream_u16(
    key: bytes, first_block: int, n_blocks: int, buffer: StreamBuffer | None = None
) -> np.ndarray:
    """Return ``n_blocks`` AES-CTR blocks starting at block counter ``first_block`` as uint16.

    The counter is the full 128-bit big-endian block, so offsets up to 2^128 are valid.
    """
    if first_block < 0 or n_blocks < 0:
        raise ValueError("block counters are non-negative")
    nonce = first_block.to_bytes(_BLOCK, "big")
    enc = Cipher(algorithms.AES(key), modes.CTR(nonce)).encryptor()
    size = n_blocks * _BLOCK
    zeros, out = (buffer or StreamBuffer()).take(size)
    enc.update_into(zeros, out)
    return np.frombuffer(out, dtype="<u2", count=size // 2)


def blocks_for(symbols: int) -> int:
    """16-byte blocks needed for ``symbols`` 16-bit uniforms."""
    return -(-2 * symbols // _BLOCK)
