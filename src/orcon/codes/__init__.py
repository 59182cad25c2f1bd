"""Collusion-secure fingerprint codes with a calibrated false-accusation bound.

This package knows nothing about images, text or people: recipients are
integers, symbols are integers in ``0..q-1`` and leaks arrive as
:class:`Observation` likelihoods. See docs/codes.md for what it guarantees.
"""

from orcon.codes.accuse import DEFAULT_EPSILON, Suspect, Verdict, accuse
from orcon.codes.observation import Observation
from orcon.codes.planner import fewest_agreeing, plan
from orcon.codes.scores import Decoder
from orcon.codes.tail import chernoff_pvalue, chernoff_threshold, importance_pvalue
from orcon.codes.tardos import BiasLaw, Code, CodeSpec

__all__ = [
    "DEFAULT_EPSILON",
    "BiasLaw",
    "Code",
    "CodeSpec",
    "Decoder",
    "Observation",
    "Suspect",
    "Verdict",
    "accuse",
    "chernoff_pvalue",
    "chernoff_threshold",
    "fewest_agreeing",
    "importance_pvalue",
    "plan",
]
