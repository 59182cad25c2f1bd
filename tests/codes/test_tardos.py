import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orcon.codes import Code, CodeSpec
from orcon.codes.tardos import QUANT
from orcon.errors import UsageError

SECRET = bytes(range(32))


@given(
    secret=st.binary(min_size=16, max_size=64),
    length=st.integers(1, 300),
    q=st.sampled_from([2, 3, 4, 16]),
    c=st.integers(1, 6),
    index=st.integers(0, 10**9),
)
@settings(max_examples=60, deadline=None)
def test_codewords_are_deterministic_and_block_consistent(secret, length, q, c, index):
    spec = CodeSpec(length, q, c)
    a = Code.derive(spec, secret)
    b = Code.derive(spec, secret)
    assert np.array_equal(a.counts, b.counts)
    word = a.codeword(index)
    assert np.array_equal(word, b.codeword(index))
    assert word.shape == (length,) and word.max() < q
    # Deriving a block must give the same codeword as deriving one recipient alone.
    block = a.codewords(max(0, index - 2), index + 3)
    assert np.array_equal(block[min(index, 2)], word)


def test_counts_are_exact_distributions_respecting_the_cutoff():
    for q in (2, 3, 5, 32):
        code = Code.derive(CodeSpec(2000, q, 4), SECRET)
        assert (code.counts.sum(axis=1) == QUANT).all()
        assert code.counts.min() >= np.ceil(code.spec.cutoff * QUANT)


def test_symbol_frequencies_match_the_declared_biases():
    code = Code.derive(CodeSpec(64, 3, 3), SECRET)
    words = code.codewords(0, 40_000)
    for a in range(3):
        freq = (words == a).mean(axis=0)
        sd = np.sqrt(code.probs[:, a] * (1 - code.probs[:, a]) / words.shape[0])
        assert np.all(np.abs(freq - code.probs[:, a]) < 5 * sd + 1e-9)


def test_biases_follow_the_arcsine_law():
    code = Code.derive(CodeSpec(20_000, 2, 4), SECRET)
    p = code.probs[:, 1]
    # Under the arcsine law cut at t, r = asin(√p) is uniform on [asin(√t), π/2 - asin(√t)]
    # so P(p < 1/4) = (π/6 - lo) / (π/2 - 2·lo); without a cutoff it would be 1/3.
    lo = math.asin(math.sqrt(code.spec.cutoff))
    expected = (math.pi / 6 - lo) / (math.pi / 2 - 2 * lo)
    assert abs((p < 0.25).mean() - expected) < 0.01
    assert p.min() >= code.spec.cutoff - 1 / QUANT
    assert abs(p.mean() - 0.5) < 0.02


@given(st.binary(min_size=16, max_size=32), st.binary(min_size=16, max_size=32))
@settings(max_examples=20, deadline=None)
def test_codewords_of_different_items_are_independent(s1, s2):
    if s1 == s2:
        return
    spec = CodeSpec(4096, 2, 1)
    w1 = Code.derive(spec, s1).codeword(7).astype(float)
    w2 = Code.derive(spec, s2).codeword(7).astype(float)
    # Uniform independent bits agree on about half of 4096 positions (sd 32).
    assert abs((w1 == w2).mean() - 0.5) < 6 * 0.5 / 64


def test_repr_never_shows_the_key():
    code = Code.derive(CodeSpec(10), SECRET)
    assert "key" not in repr(code).lower() and SECRET.hex() not in repr(code)


@pytest.mark.parametrize(
    "kwargs",
    [dict(length=0), dict(length=10, q=1), dict(length=10, c=0), dict(length=10, cutoff=0.7)],
)
def test_bad_specs_are_usage_errors(kwargs):
    with pytest.raises(UsageError):
        CodeSpec(**kwargs)


def test_short_secret_is_refused():
    with pytest.raises(UsageError, match="at least 16 bytes"):
        Code.derive(CodeSpec(10), b"short")
