"""Exact innocent tails: checked against enumeration of every possible codeword."""

import itertools

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from orcon.codes import Code, CodeSpec, Decoder, Observation, accuse, chernoff_pvalue
from orcon.codes.accuse import decoder_model, decoder_shares
from orcon.codes.exact import exact_pvalue, exact_threshold
from orcon.codes.scores import score_table


def _truth(table: np.ndarray, probs: np.ndarray, scores: list[float]) -> np.ndarray:
    """P(innocent score >= s) by enumerating all 2^m codewords with their probabilities."""
    m = table.shape[0]
    words = np.array(list(itertools.product([0, 1], repeat=m)))
    weight = np.prod(np.where(words == 1, probs[:, 1], probs[:, 0]), axis=1)
    score = table[np.arange(m), words].sum(axis=1)
    return np.minimum(1.0, [weight[score >= s - 1e-9].sum() for s in scores])


def _leak(code: Code, c: int, seed: int, erased: float) -> Observation:
    rng = np.random.default_rng(seed)
    m = code.spec.length
    y = code.codewords(0, c)[rng.integers(0, c, m), np.arange(m)]
    return Observation.hard(y, 2, rng.random(m) < erased)


@given(
    c=st.integers(1, 6),
    decoder=st.sampled_from(list(Decoder)),
    seed=st.integers(0, 10_000),
    erased=st.sampled_from([0.0, 0.3]),
)
@settings(max_examples=40, deadline=None)
def test_the_exact_tail_is_the_true_tail_never_below_it(c, decoder, seed, erased):
    code = Code.derive(CodeSpec(13, 2, c), seed.to_bytes(4, "big") * 8)
    obs = _leak(code, max(c, 1), seed, erased)
    if decoder is Decoder.SIDE_INFORMED:
        assume(c >= 2)  # the colluders but one as the side
        table = decoder_model(code, obs, decoder, c, list(range(c)), 0).table
    else:
        table = score_table(decoder, code.probs, obs, c)
    scores = np.linspace(table.min(1).sum(), table.max(1).sum(), 9).tolist()
    exact = exact_pvalue(table, code.probs, np.array(scores))
    if exact is None:  # more than three classes (the adaptive decoder can make them)
        return
    truth = _truth(table, code.probs, scores)
    assert np.all(exact >= truth)  # a proof: never below the truth
    assert np.allclose(exact, np.maximum(truth, 1e-300), rtol=1e-6, atol=0)
    assert np.all(exact <= chernoff_pvalue(table, code.probs, np.array(scores)) * (1 + 1e-6))


def test_soft_reads_are_left_to_the_chernoff_bound():
    code = Code.derive(CodeSpec(200, 2, 4), b"soft" * 8)
    lik = np.random.default_rng(0).random((200, 2)) + 0.1
    table = score_table(Decoder.SYMMETRIC, code.probs, Observation.soft(lik), 4)
    assert exact_pvalue(table, code.probs, np.array([1.0])) is None
    assert exact_threshold(table, code.probs, 1e-6) is None


def test_the_exact_threshold_is_where_the_tail_crosses_alpha():
    code = Code.derive(CodeSpec(400, 2, 3), b"thr" * 11)
    table = score_table(Decoder.LOG_LIKELIHOOD, code.probs, _leak(code, 3, 1, 0.0), 3)
    tau = exact_threshold(table, code.probs, 1e-9)
    assert tau is not None
    at, below = exact_pvalue(table, code.probs, np.array([tau, tau - 0.05]))
    assert at <= 1e-9 < below
    # Exact is below the bound, so the threshold is too: more colluders can be reached.
    assert tau < float(np.log(1e9)) * 10 and chernoff_pvalue(table, code.probs, [tau])[0] > at


def test_accusations_on_hard_reads_carry_the_exact_pvalue():
    c, n = 3, 1000
    code = Code.derive(CodeSpec(600, 2, c), b"acc" * 11)
    obs = _leak(code, c, 7, 0.0)
    plain = [Decoder.SYMMETRIC, Decoder.LOG_LIKELIHOOD, Decoder.ADAPTIVE]
    verdict = accuse(code, obs, n, decoders=plain)
    assert verdict.accused and all(s.index < c for s in verdict.accused)
    share = dict(zip(plain, decoder_shares(plain), strict=True))
    for s in verdict.accused:
        table = score_table(s.decoder, code.probs, obs, c)
        exact = exact_pvalue(table, code.probs, np.array([s.score]))
        assert exact is not None
        assert s.p_value == pytest.approx(min(1.0, exact[0] / share[s.decoder]))


@pytest.mark.parametrize(("c", "decoder"), [(3, Decoder.LOG_LIKELIHOOD), (6, Decoder.SYMMETRIC)])
def test_the_exact_tail_matches_simulated_innocents_at_full_length(c, decoder):
    # 200,000 innocents of a code as long as a real one: the empirical tail agrees
    # with the exact one within sampling error (a bound would sit well above it).
    code = Code.derive(CodeSpec(400, 2, c), b"calibrate" * 4)
    obs = _leak(code, c, 11, 0.25)
    table = score_table(decoder, code.probs, obs, c)
    innocents = code.codewords(1000, 201_000)
    scores = table[np.arange(code.spec.length), innocents].sum(axis=1)
    points = np.quantile(scores, [0.5, 0.9, 0.99, 0.999])
    exact = exact_pvalue(table, code.probs, points)
    assert exact is not None
    empirical = np.array([(scores >= s - 1e-9).mean() for s in points])
    sd = np.sqrt(exact * (1 - exact) / scores.size)
    assert np.all(np.abs(empirical - exact) <= 4 * sd + 1e-12), (empirical, exact)
