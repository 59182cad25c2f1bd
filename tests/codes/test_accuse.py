import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orcon.codes import (
    Code,
    CodeSpec,
    Decoder,
    Observation,
    accuse,
    chernoff_pvalue,
    chernoff_threshold,
    importance_pvalue,
    plan,
)
from orcon.codes.accuse import DEFAULT_SHARES, decoder_model, decoder_shares, side_recipients
from orcon.codes.scores import (
    SIDE_SLACK,
    BlockLayout,
    score_codewords,
    score_table,
    side_informed_blocks,
    side_informed_table,
)
from orcon.errors import UsageError

SECRET = b"orcon-test-secret-0123456789abcdef"
SIDE = Decoder.SIDE_INFORMED


def interleave(words, rng):
    m = words.shape[1]
    return words[rng.integers(0, words.shape[0], m), np.arange(m)]


def test_interleaving_coalition_is_caught_and_nobody_else():
    n, c = 1000, 4
    code = Code.derive(CodeSpec(plan(n, c), 2, c), SECRET)
    rng = np.random.default_rng(5)
    colluders = [12, 400, 401, 999]
    y = interleave(code.codewords(0, n)[colluders], rng)
    verdict = accuse(code, Observation.hard(y, 2), n)
    accused = {s.index for s in verdict.accused}
    assert accused and accused <= set(colluders)
    assert verdict.population == n and verdict.epsilon == 1e-6
    assert all(s.p_value <= 1e-9 for s in verdict.accused)


def test_single_leaker_identified_with_a_short_plain_code():
    n = 100
    m = plan(n, 1)
    code = Code.derive(CodeSpec(m, 2, 1), SECRET)
    y = code.codeword(42).copy()
    flip = np.random.default_rng(0).random(m) < 0.05
    y[flip] ^= 1
    verdict = accuse(code, Observation.hard(y, 2), n)
    assert [s.index for s in verdict.accused] == [42]


def test_unmarked_original_accuses_nobody():
    """An all-erased leak (nothing read) and an independent random leak both accuse nobody."""
    code = Code.derive(CodeSpec(500, 2, 3), SECRET)
    erased = Observation.hard(np.full(500, -1), 2)
    v = accuse(code, erased, 200)
    assert v.accused == () and v.read == 0 and v.erased == 500
    other = Code.derive(CodeSpec(500, 2, 3), b"another-item-secret-000000")
    v = accuse(code, Observation.hard(other.codeword(3), 2), 200)
    assert v.accused == ()


def test_soft_input_and_erasures_still_name_the_leaker():
    n, m = 1000, 800
    code = Code.derive(CodeSpec(m, 2, 2), SECRET)
    rng = np.random.default_rng(3)
    word = code.codeword(77)
    # Gaussian channel: reader sees ±1 + noise(σ=1); likelihoods from the model.
    r = (2.0 * word - 1) + rng.normal(0, 1.0, m)
    lik = np.stack([np.exp(-((r + 1) ** 2) / 2), np.exp(-((r - 1) ** 2) / 2)], axis=1)
    erased = rng.random(m) < 0.5
    verdict = accuse(code, Observation.soft(lik, erased), n)
    assert [s.index for s in verdict.accused] == [77]
    assert verdict.erased == int(erased.sum())


def test_qary_symbols_majority_attack():
    n, c, q = 1000, 3, 4
    code = Code.derive(CodeSpec(plan(n, c, q=q), q, c), SECRET)
    words = code.codewords(0, n)[[5, 6, 700]]
    counts = np.stack([(words == a).sum(axis=0) for a in range(q)])
    y = counts.argmax(axis=0)
    verdict = accuse(code, Observation.hard(y, q), n)
    assert verdict.accused and {s.index for s in verdict.accused} <= {5, 6, 700}


def test_explicit_recipient_subset_is_the_population():
    code = Code.derive(CodeSpec(400, 2, 2), SECRET)
    issued = [3, 4, 5, 90, 91, 5000]
    y = code.codeword(5000)
    v = accuse(code, Observation.hard(y, 2), issued)
    assert v.population == len(issued)
    assert [s.index for s in v.accused] == [5000]
    assert {s.index for s in v.candidates} <= set(issued)


def _innocent_scores(code, table, count, start=10**6):
    return np.concatenate(
        [
            score_codewords(table, code.codewords(a, a + 5000))
            for a in range(start, start + count, 5000)
        ]
    ).astype(np.float64)


@pytest.mark.parametrize(
    ("decoder", "q"),
    [(d, 2) for d in Decoder] + [(Decoder.SYMMETRIC, 4), (Decoder.LOG_LIKELIHOOD, 4)],
)
def test_chernoff_pvalues_are_conservative_against_simulated_innocents(decoder, q):
    """Calibration: innocents with bound <= α are at most a fraction α (plus sampling slack)."""
    code = Code.derive(CodeSpec(300, q, 3), SECRET)
    rng = np.random.default_rng(11)
    words = code.codewords(0, 3)
    y = interleave(words, rng)
    obs = Observation.hard(y, q)
    if decoder is SIDE:  # two of the colluders as the side (many classes: the bound is used)
        table = side_informed_table(code.probs, obs, 3, words[:2])
    else:
        table = score_table(decoder, code.probs, obs, 3)
    scores = _innocent_scores(code, table, 60_000)
    for alpha in (1e-1, 1e-2, 1e-3):
        tau = chernoff_threshold(table, code.probs, alpha)
        frac = (scores >= tau).mean()
        assert frac <= alpha + 4 * np.sqrt(alpha / scores.size)
    # And each score's bound is above the empirical tail at that score.
    probe = np.quantile(scores, [0.9, 0.99, 0.999])
    bounds = chernoff_pvalue(table, code.probs, probe)
    empirical = np.array([(scores >= s).mean() for s in probe])
    assert np.all(bounds >= empirical * 0.9)


def test_importance_sampling_estimate_is_below_the_bound_and_close_to_the_truth():
    code = Code.derive(CodeSpec(200, 2, 2), SECRET)
    y = code.codeword(0)
    obs = Observation.hard(y, 2)
    table = score_table(Decoder.SYMMETRIC, code.probs, obs, 2)
    scores = _innocent_scores(code, table, 100_000)
    s = float(np.quantile(scores, 0.999))
    est = importance_pvalue(table, code.probs, s, np.random.default_rng(0), samples=20_000)
    truth = (scores >= s).mean()
    assert est.estimate <= est.bound
    assert abs(est.estimate - truth) < 0.35 * truth


@given(
    seed=st.integers(0, 2**32 - 1),
    c=st.integers(1, 4),
    attack=st.sampled_from(["interleave", "majority", "minority", "all0", "all1", "coin"]),
    erasure=st.sampled_from([0.0, 0.25, 0.5]),
)
@settings(max_examples=40, deadline=None)
def test_accusation_never_names_an_innocent(seed, c, attack, erasure):
    """In simulation the accused are always colluders (ε = 1e-6, so a failure is a real bug)."""
    n = 300
    rng = np.random.default_rng(seed)
    code = Code.derive(CodeSpec(120 * c, 2, c), seed.to_bytes(4, "big") * 4)
    colluders = rng.choice(n, size=c, replace=False)
    w = code.codewords(0, n)[colluders]
    ones = w.sum(axis=0)
    m = w.shape[1]
    if attack == "interleave":
        y = interleave(w, rng)
    elif attack == "majority":
        y = (2 * ones > c).astype(int)
    elif attack == "minority":
        y = np.where((ones == 0) | (ones == c), w[0], (2 * ones <= c).astype(int))
    elif attack in ("all0", "all1"):
        y = np.where((ones == 0) | (ones == c), w[0], int(attack == "all1"))
    else:
        y = np.where((ones == 0) | (ones == c), w[0], rng.integers(0, 2, m))
    y = np.where(rng.random(m) < erasure, -1, np.asarray(y, dtype=np.int64))
    verdict = accuse(code, Observation.hard(y, 2), n)
    assert {s.index for s in verdict.accused} <= set(colluders.tolist())


def test_bad_arguments_are_usage_errors():
    code = Code.derive(CodeSpec(50, 2, 2), SECRET)
    obs = Observation.hard(code.codeword(0), 2)
    with pytest.raises(UsageError, match="epsilon"):
        accuse(code, obs, 10, epsilon=2.0)
    with pytest.raises(UsageError, match="positions"):
        accuse(code, Observation.hard(np.zeros(10, dtype=int), 2), 10)
    with pytest.raises(UsageError):
        Observation.hard(np.array([0, 5]), 2)
    with pytest.raises(UsageError):
        Observation.soft(np.array([[1.0, -1.0]]))
    with pytest.raises(UsageError):
        accuse(code, obs, 10, decoders=())


def test_the_normal_tail_used_by_the_bound_is_never_below_the_true_one():
    import math

    from orcon.codes.tail import _log_ndtr_upper

    x = np.linspace(-37.0, 8.0, 4501)
    # log Φ(x) from math.erfc, accurate over this whole range.
    exact = np.array([math.log(0.5 * math.erfc(-v / math.sqrt(2.0))) for v in x])
    upper = _log_ndtr_upper(x)
    assert np.all(upper >= exact - 1e-12)  # an upper bound: p-values stay proofs
    assert np.allclose(upper[x >= -5], exact[x >= -5], rtol=0, atol=1e-12)
    assert np.all(upper - exact <= 0.04)  # and a tight one


def test_c1_codes_drop_the_decoders_that_need_biases_and_still_assume_a_partner():
    code = Code.derive(CodeSpec(64, 2, 1), b"c1-secret-0123456789abcdef012345")
    obs = Observation.hard(code.codeword(4), 2)
    one = accuse(code, obs, 100)
    # Uniform biases: the log-likelihood and adaptive decoders add nothing; the
    # side-informed one assumes a coalition of two (text items are c = 1 codes).
    assert one.decoders == (Decoder.SYMMETRIC, SIDE) and len(one.ranked) == 2
    alone = accuse(code, obs, 100, decoders=[Decoder.SYMMETRIC])
    assert [s.index for s in one.accused] == [4] == [s.index for s in alone.accused]
    sym, _ = decoder_shares(one.decoders)
    assert one.accused[0].p_value <= alone.accused[0].p_value / sym * (1 + 1e-9)


def test_c2_codes_have_uniform_biases_and_drop_the_decoders_that_need_biases():
    code = Code.derive(CodeSpec(200, 2, 2), SECRET)
    assert code.uniform
    rng = np.random.default_rng(2)
    verdict = accuse(code, Observation.hard(interleave(code.codewords(0, 2), rng), 2), 100)
    assert verdict.decoders == (Decoder.SYMMETRIC, SIDE)
    assert {s.index for s in verdict.accused} & {0, 1}
    assert not {s.index for s in verdict.accused} - {0, 1}


def test_the_default_decoders_share_epsilon_by_weight():
    code = Code.derive(CodeSpec(plan(100, 4), 2, 4), SECRET)
    obs = Observation.hard(interleave(code.codewords(0, 4), np.random.default_rng(3)), 2)
    verdict = accuse(code, obs, 100)
    assert set(verdict.decoders) == set(DEFAULT_SHARES) and sum(DEFAULT_SHARES.values()) == 1
    for sus in verdict.candidates[:3]:
        model = decoder_model(code, obs, sus.decoder, 4, verdict.ranked, sus.index)
        raw = chernoff_pvalue(model.table, model.law, np.array([sus.score]))[0]
        assert sus.p_value == pytest.approx(min(1.0, raw / DEFAULT_SHARES[sus.decoder]))
    # Fewer decoders renormalise the same weights.
    assert decoder_shares([Decoder.SYMMETRIC, Decoder.ADAPTIVE]) == [0.5, 0.5]
    llr, side = decoder_shares([Decoder.LOG_LIKELIHOOD, SIDE])
    assert llr + side == pytest.approx(1.0)
    assert side / llr == pytest.approx(
        DEFAULT_SHARES[SIDE] / DEFAULT_SHARES[Decoder.LOG_LIKELIHOOD]
    )
    # The pair that codes with uniform biases run splits ε evenly.
    assert decoder_shares([Decoder.SYMMETRIC, SIDE]) == [0.5, 0.5]


def test_a_perfect_read_is_accused_with_the_exact_chance_of_a_perfect_match():
    for m in (64, 89, 3000):
        code = Code.derive(CodeSpec(m, 2, 1), SECRET)
        obs = Observation.hard(code.codeword(3), 2)
        verdict = accuse(code, obs, 1000, decoders=[Decoder.SYMMETRIC])
        assert [s.index for s in verdict.accused] == [3]
        # Uniform symbols: an innocent matches all m with probability 2^-m (floored at 1e-300).
        assert verdict.accused[0].p_value == pytest.approx(max(2.0**-m, 1e-300), rel=1e-9)


def _side_table_by_hand(probs, lik, erased, c, side, slack):
    """The side-informed model written out position by position, symbol by symbol."""
    m, q = probs.shape
    out = np.zeros((m, q))
    for i in range(m):
        if erased[i]:
            continue

        def shown(own, i=i):
            unknown = c - len(side) - (0 if own is None else 1)
            law = [
                (sum(int(w[i] == y) for w in side) + int(own == y) + unknown * probs[i, y]) / c
                for y in range(q)
            ]
            return sum(lik[i, y] * ((1 - slack) * law[y] + slack * probs[i, y]) for y in range(q))

        for a in range(q):
            out[i, a] = np.log(shown(a) / shown(None))
    return out


@given(
    seed=st.integers(0, 2**32 - 1),
    q=st.sampled_from([2, 3]),
    c=st.integers(2, 4),
    data=st.data(),
)
@settings(max_examples=40, deadline=None)
def test_side_informed_table_is_the_written_out_model(seed, q, c, data):
    s = data.draw(st.integers(1, c - 1))
    rng = np.random.default_rng(seed)
    m = 12
    probs = rng.dirichlet(np.ones(q), m)
    lik = rng.random((m, q)) + 0.01
    erased = rng.random(m) < 0.2
    side = rng.integers(0, q, (s, m))
    obs = Observation.soft(lik, erased)
    got = side_informed_table(probs, obs, c, side)
    want = _side_table_by_hand(probs, obs.likelihoods, erased, c, side, SIDE_SLACK)
    assert np.allclose(got, want, rtol=1e-12, atol=1e-12)


def test_side_informed_pvalues_hold_for_every_innocent_whoever_is_ranked():
    """Innocent p-values of the side-informed decoder alone, pooled over trials where
    innocents are ranked first (a single leaker against a c = 3 code, so two
    innocents are taken as fellow colluders every time): P(p <= α) <= α."""
    c, n, m = 3, 40, 80
    ps, ranked_innocents = [], 0
    for t in range(120):
        code = Code.derive(CodeSpec(m, 2, c), t.to_bytes(4, "big") * 8)
        leaker = t % n
        y = code.codeword(leaker).astype(np.int64)
        y = np.where(np.random.default_rng(t).random(m) < 0.3, -1, y)
        verdict = accuse(code, Observation.hard(y, 2), n, decoders=[SIDE], top=n)
        assert verdict.decoders == (SIDE,) and len(verdict.candidates) == n
        ranked_innocents += len(set(verdict.ranked) - {leaker})
        ps += [s.p_value for s in verdict.candidates if s.index != leaker]
    ps_arr = np.array(ps)
    assert ranked_innocents >= 120  # innocents were in the ranking most of the time
    for alpha in (0.01, 0.05, 0.2):
        frac = float((ps_arr <= alpha).mean())
        assert frac <= alpha + 3 * np.sqrt(alpha * (1 - alpha) / ps_arr.size)


def test_side_information_catches_a_three_colluder_coalition_at_the_capacity_floor():
    """At 2c²ln(n/ε) symbols (c = 3, n = 10³) under interleaving, the side-informed
    decoder names a colluder in trials where the single-recipient decoders cannot."""
    n, c = 1000, 3
    length = int(np.ceil(2 * c * c * np.log(n / 1e-6)))
    with_side = without = 0
    plain = [Decoder.SYMMETRIC, Decoder.LOG_LIKELIHOOD, Decoder.ADAPTIVE]
    for t in range(24):
        code = Code.derive(CodeSpec(length, 2, c), b"floor" + t.to_bytes(4, "big") * 7)
        rng = np.random.default_rng(t)
        colluders = rng.choice(n, c, replace=False)
        obs = Observation.hard(interleave(code.codewords(0, n)[colluders], rng), 2)
        full, single = accuse(code, obs, n), accuse(code, obs, n, decoders=plain)
        for verdict in (full, single):
            assert {s.index for s in verdict.accused} <= set(colluders.tolist())
        with_side += bool(full.accused)
        without += bool(single.accused)
        if full.accused and full.accused[0].decoder is SIDE:
            top = side_recipients(full.ranked, full.accused[0].index, c)
            assert full.accused[0].index not in top and len(top) == c - 1
    assert with_side >= 22 and with_side > without


def test_side_informed_decoder_needs_a_coalition_and_someone_else():
    code = Code.derive(CodeSpec(64, 2, 1), SECRET)
    obs = Observation.hard(code.codeword(4), 2)
    # One recipient: nobody can be a fellow colluder, so the decoder is dropped.
    assert SIDE not in accuse(code, obs, [4]).decoders
    with pytest.raises(UsageError, match="side"):
        score_table(SIDE, code.probs, obs, 1)
    with pytest.raises(UsageError, match="fellow colluders"):
        side_informed_table(code.probs, obs, 2, np.zeros((2, 64), dtype=np.int64))


@given(seed=st.integers(0, 2**32 - 1), c=st.integers(2, 4), hard=st.booleans())
@settings(max_examples=30, deadline=None)
def test_blocks_of_one_position_are_the_position_model(seed, c, hard):
    rng = np.random.default_rng(seed)
    m = 16
    probs = np.tile(rng.uniform(0.1, 0.9, (m, 1)), (1, 2))
    probs[:, 0] = 1 - probs[:, 1]
    lik = np.eye(2)[rng.integers(0, 2, m)] if hard else rng.random((m, 2)) + 0.05
    obs = Observation.soft(lik, rng.random(m) < 0.25)
    side = rng.integers(0, 2, (c - 1, m))
    blocked = obs.with_blocks(np.arange(m))
    layout = BlockLayout.of(blocked)
    table, law = side_informed_blocks(probs, blocked, c, side, layout)
    flat = side_informed_table(probs, obs, c, side)
    read = np.nonzero(~obs.erased)[0]
    assert np.allclose(table[:, :2], flat[read], atol=1e-12)
    assert np.allclose(law[:, :2], probs[read], atol=1e-15)
    words = rng.integers(0, 2, (5, m))
    rows = np.arange(read.size)
    by_block = table[rows, layout.outcomes(words)].sum(axis=1)
    assert np.allclose(by_block, flat[np.arange(m), words].sum(axis=1), atol=1e-9)


def test_block_patterns_enumerate_each_blocks_symbols_in_order():
    obs = Observation.hard(np.array([1, 0, -1, 1, 1]), 2).with_blocks(np.array([7, 3, 7, 7, 3]))
    layout = BlockLayout.of(obs)
    # Read positions by block, erased ones left out: block 7 -> (0, 3), block 3 -> (1, 4).
    assert layout.pos.tolist() == [[0, 3], [1, 4]]
    words = np.array([[1, 0, 0, 1, 1], [0, 1, 1, 0, 0]])
    assert layout.outcomes(words).tolist() == [[3, 2], [0, 1]]
    with pytest.raises(UsageError, match="blocks have shape"):
        obs.with_blocks(np.zeros(3))


def test_block_side_information_keeps_innocent_pvalues_and_sharpens_mixed_leaks():
    """Leaks mixed block by block from two copies of a c = 1 code (text's case):
    innocents' side-informed p-values pooled over trials satisfy P(p <= α) <= α,
    and the block model scores the second colluder higher than the position model."""
    n, m, size = 40, 96, 3
    blocks = np.arange(m) // size
    ps, gain = [], []
    for t in range(80):
        code = Code.derive(CodeSpec(m, 2, 1), b"blocks" + t.to_bytes(4, "big") * 7)
        rng = np.random.default_rng(t)
        pair = rng.choice(n, 2, replace=False)
        words = code.codewords(0, n)[pair]
        y = np.where((blocks % 2 == 0), words[0], words[1]).astype(np.int64)
        y = np.where(rng.random(m) < 0.3, -1, y)
        obs = Observation.hard(y, 2).with_blocks(blocks)
        verdict = accuse(code, obs, n, decoders=[SIDE], top=n)
        ps += [s.p_value for s in verdict.candidates if s.index not in pair]
        if set(verdict.ranked) == set(pair.tolist()):
            a, b = verdict.ranked
            flat = side_informed_table(code.probs, obs, 2, code.codeword(a)[None])
            model = decoder_model(code, obs, SIDE, 1, verdict.ranked, b)
            gain.append(
                model.scores(code.codeword(b))[0] - score_codewords(flat, code.codeword(b)[None])[0]
            )
    ps_arr = np.array(ps)
    for alpha in (0.01, 0.05, 0.2):
        assert (ps_arr <= alpha).mean() <= alpha + 3 * np.sqrt(alpha * (1 - alpha) / ps_arr.size)
    assert len(gain) >= 40 and np.median(gain) > 0
