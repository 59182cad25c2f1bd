import math

import pytest

from orcon.codes import Decoder, plan
from orcon.errors import UsageError


def test_plan_matches_the_laarhoven_de_weger_anchor_plus_the_decoder_split():
    # (π²/2)·c²·ln(n/ε) = 1,636 for n=1e3, c=4, ε=1e-6; we add ln 3 for three decoders.
    anchor = math.pi**2 / 2 * 16 * math.log(1e3 / 1e-6)
    assert round(anchor) == 1636
    assert plan(1000, 4, 1e-6) == math.ceil(math.pi**2 / 2 * 16 * (math.log(1e9) + math.log(3)))


def test_plan_grows_with_population_coalition_and_erasures_and_shrinks_with_q():
    assert plan(10**5, 4) > plan(10**3, 4)
    assert plan(1000, 5) > plan(1000, 4)
    assert plan(1000, 4, erasure_rate=0.5) == pytest.approx(2 * plan(1000, 4), abs=2)
    assert plan(1000, 4, q=4) < plan(1000, 4, q=2)


def test_plan_for_a_single_leaker_is_a_short_identification_code():
    m = plan(100, 1)
    assert 20 < m < 200


@pytest.mark.parametrize(
    "args", [(0, 2), (10, 0), (10, 2, 0.0), (10, 2, 1e-6, 1), (10, 2, 1e-6, 2, 1.0)]
)
def test_plan_rejects_nonsense(args):
    with pytest.raises(UsageError):
        plan(*args)


def test_fewest_agreeing_symbols_is_where_the_exact_tail_first_accuses():
    import numpy as np

    from orcon.codes import Code, CodeSpec, Observation, accuse, fewest_agreeing

    assert fewest_agreeing(60, 1e-6, 0.5) == 27  # 2^-27 <= 0.5e-6/60 < 2^-26
    assert fewest_agreeing(60, 1e-6, 1.0) == 26
    with pytest.raises(UsageError):
        fewest_agreeing(0, 1e-6, 0.5)
    # A text-style code (c = 1, uniform symbols): k - 1 agreeing reads accuse nobody,
    # k agreeing reads accuse exactly the recipient they agree with. A read this short
    # is scored by the symmetric decoder alone, holding all of ε.
    n = 60
    code = Code.derive(CodeSpec(200, 2, 1), b"fewest-agreeing-test-secret-0123")
    k = fewest_agreeing(n, 1e-6, 1.0)
    word = code.codeword(17).astype(np.int64)
    for reads, expected in ((k - 1, []), (k, [17])):
        erased = np.ones(200, dtype=bool)
        erased[:reads] = False
        obs = Observation.hard(np.where(erased, -1, word), 2)
        verdict = accuse(code, obs, n)
        assert [s.index for s in verdict.accused] == expected, reads
        assert verdict.decoders == (Decoder.SYMMETRIC,)


def test_the_side_informed_decoder_joins_from_twice_the_fewest_agreeing_symbols():
    import numpy as np

    from orcon.codes import Code, CodeSpec, Observation, accuse, fewest_agreeing

    n = 60
    code = Code.derive(CodeSpec(200, 2, 1), b"fewest-agreeing-test-secret-0123")
    twice = 2 * fewest_agreeing(n, 1e-6, 1.0)
    word = code.codeword(5).astype(np.int64)
    for reads, decoders in (
        (twice - 1, (Decoder.SYMMETRIC,)),
        (twice, (Decoder.SYMMETRIC, Decoder.SIDE_INFORMED)),
    ):
        obs = Observation.hard(np.where(np.arange(200) < reads, word, -1), 2)
        verdict = accuse(code, obs, n)
        assert verdict.decoders == decoders, reads
        assert [s.index for s in verdict.accused] == [5]
    # Decoders asked for by name are run as asked.
    obs = Observation.hard(np.where(np.arange(200) < 30, word, -1), 2)
    pair = [Decoder.SYMMETRIC, Decoder.SIDE_INFORMED]
    assert accuse(code, obs, n, decoders=pair).decoders == tuple(pair)
