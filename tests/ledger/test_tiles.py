"""C2SP tiles: paths, contents, and reconstructing a log from them; witness cosignatures."""

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from orcon.errors import UsageError, VerificationError
from orcon.ledger.merkle import MerkleTree, leaf_hash
from orcon.ledger.note import Cosigner, verify_cosignature
from orcon.ledger.tiles import (
    TileRef,
    bundle,
    fetch_tree,
    hash_tile,
    parse_tile_path,
    tile_path,
    tiles_for,
    unbundle,
)


def test_paths_follow_the_spec_examples():
    assert tile_path(TileRef(0, 1234067, 256)) == "tile/0/x001/x234/067"
    assert tile_path(TileRef(2, 5, 17)) == "tile/2/005.p/17"
    assert tile_path(TileRef(None, 0, 3)) == "tile/entries/000.p/3"
    for ref in (TileRef(0, 1234067, 256), TileRef(3, 0, 9), TileRef(None, 42, 256)):
        assert parse_tile_path(tile_path(ref)) == ref
    for bad in ("tile/0/1234", "tile/64/000", "tile/0/000.p/0", "tile/00/000", "../etc"):
        with pytest.raises(UsageError):
            parse_tile_path(bad)


def test_tile_counts_match_the_spec_example_of_70000():
    refs = [r for r in tiles_for(70_000) if r.level is not None]
    by_level = {lv: [r for r in refs if r.level == lv] for lv in (0, 1, 2)}
    assert len(by_level[0]) == 274 and by_level[0][-1].width == 112
    assert [r.width for r in by_level[1]] == [256, 17]
    assert [r.width for r in by_level[2]] == [1]


@pytest.mark.parametrize("size", [1, 255, 256, 257, 600, 70_000])
def test_a_log_rebuilt_from_its_tiles_has_the_same_root(size):
    entries = [f"event {i}".encode() for i in range(size)]
    tree = MerkleTree([leaf_hash(e) for e in entries])
    served = {}
    for ref in tiles_for(size):
        if ref.level is None:
            chunk = entries[ref.index * 256 : ref.index * 256 + ref.width]
            served[tile_path(ref)] = bundle(chunk)
        else:
            served[tile_path(ref)] = hash_tile(tree, ref, size)
    rebuilt, got = fetch_tree(size, served.__getitem__)
    assert rebuilt.root() == tree.root() and got == entries
    # A tampered entry is caught against its tile.
    key = tile_path(TileRef(None, 0, min(size, 256)))
    bad = dict(served)
    bad[key] = bundle([b"forged", *unbundle(served[key])[1:]])
    with pytest.raises(VerificationError, match="entry 0"):
        fetch_tree(size, bad.__getitem__)


def test_cosignature_round_trip_and_rejections():
    w = Cosigner("witness.example/w1", Ed25519PrivateKey.generate())
    body = "orcon.local/x\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
    line = w.cosign(body, 1_700_000_000)
    assert verify_cosignature(body, line, w.vkey) == 1_700_000_000
    with pytest.raises(VerificationError):
        verify_cosignature(body.replace("5", "6"), line, w.vkey)
    other = Cosigner("witness.example/w1", Ed25519PrivateKey.generate())
    with pytest.raises(VerificationError):
        verify_cosignature(body, line, other.vkey)
