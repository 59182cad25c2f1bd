import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orcon.codes import BiasLaw, Code, CodeSpec
from orcon.codes.tardos import QUANT, gauss_legendre_law
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
    code = Code.derive(CodeSpec(20_000, 2, 4, bias=BiasLaw.ARCSINE), SECRET)
    p = code.probs[:, 1]
    # Under the arcsine law cut at t, r = asin(√p) is uniform on [asin(√t), π/2 - asin(√t)]
    # so P(p < 1/4) = (π/6 - lo) / (π/2 - 2·lo); without a cutoff it would be 1/3.
    lo = math.asin(math.sqrt(code.spec.cutoff))
    expected = (math.pi / 6 - lo) / (math.pi / 2 - 2 * lo)
    assert abs((p < 0.25).mean() - expected) < 0.01
    assert p.min() >= code.spec.cutoff - 1 / QUANT
    assert abs(p.mean() - 0.5) < 0.02


@pytest.mark.parametrize(
    ("c", "values", "weights"),
    [
        (2, [0.5], [1.0]),
        (4, [0.21132, 0.78868], [0.5, 0.5]),
        # Nuida et al. (2009), table for c = 5, 6: weights 0.33201 / 0.33598.
        (6, [0.11270, 0.5, 0.88730], [0.33201, 0.33598, 0.33201]),
    ],
)
def test_biases_follow_nuidas_discrete_law(c, values, weights):
    vals, wts = gauss_legendre_law(c)
    assert np.allclose(vals, values, atol=1e-5) and np.allclose(wts, weights, atol=1e-5)
    code = Code.derive(CodeSpec(30_000, 2, c), SECRET)
    assert code.spec.bias is BiasLaw.GAUSS_LEGENDRE
    p = code.probs[:, 1]
    seen, counts = np.unique(p, return_counts=True)
    assert np.allclose(seen, vals, atol=2 / QUANT)
    freq = counts / p.size
    assert np.all(np.abs(freq - np.array(weights)) < 5 * np.sqrt(0.25 / p.size))
    assert code.uniform == (c <= 2)


def test_bias_laws_must_fit_the_alphabet():
    with pytest.raises(UsageError, match="does not fit"):
        CodeSpec(10, 3, 2, bias=BiasLaw.GAUSS_LEGENDRE)
    with pytest.raises(UsageError, match="unknown bias law 'beta'"):
        CodeSpec(10, 2, 2, bias="beta")
    assert CodeSpec(10, 4, 2).bias is BiasLaw.DIRICHLET


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
