"""Reads of one leak made one: a video's frames that show the same photo."""

from __future__ import annotations

import numpy as np
import pytest

from orcon.codes import Code, CodeSpec, Observation, accuse
from orcon.codes.observation import combined
from orcon.errors import UsageError


def test_combined_reads_multiply_and_erase_only_what_every_read_lost():
    a = Observation.soft(np.array([[0.6, 0.4], [0.5, 0.5], [0.9, 0.1]]), np.array([0, 1, 0]))
    b = Observation.soft(np.array([[0.7, 0.3], [0.2, 0.8], [0.5, 0.5]]), np.array([0, 0, 1]))
    both = combined([a, b])
    assert both.erased.tolist() == [False, False, False]
    ratio = both.likelihoods[:, 1] / both.likelihoods[:, 0]
    assert ratio[0] == pytest.approx((0.4 * 0.3) / (0.6 * 0.7))
    assert ratio[1] == pytest.approx(0.8 / 0.2)  # b alone saw it
    assert ratio[2] == pytest.approx(0.1 / 0.9)  # a alone saw it
    gone = Observation.soft(np.ones((3, 2)), np.ones(3, bool))
    assert combined([gone, gone]).erased.all()
    assert np.allclose(combined([a]).likelihoods, a.likelihoods)
    with pytest.raises(UsageError, match="different lengths"):
        combined([a, Observation.soft(np.ones((2, 2)))])


def test_frames_of_one_copy_combined_name_it_and_noise_combined_names_nobody():
    """Five weak reads of a copy (each alone too noisy to name anyone) combined name its
    holder; five reads of noise combined accuse nobody (the bound holds for any
    observation)."""
    code = Code.derive(CodeSpec(600, 2, 3), b"k" * 32)
    rng = np.random.default_rng(5)
    leaker = 17
    word = code.codeword(leaker).astype(float)

    def read(signal: float) -> Observation:
        llr = signal * (2 * word - 1) + rng.normal(0, 1, word.size)
        p1 = 1 / (1 + np.exp(-llr))
        return Observation.soft(np.stack([1 - p1, p1], axis=1))

    weak = [read(0.2) for _ in range(5)]
    assert not accuse(code, weak[0], 100).accused
    assert [s.index for s in accuse(code, combined(weak), 100).accused] == [leaker]
    noise = [read(0.0) for _ in range(5)]
    assert not accuse(code, combined(noise), 100).accused
