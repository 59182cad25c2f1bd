"""Which homographies can carry a leak onto its shared photo."""

from __future__ import annotations

import numpy as np

from orcon.match.image import _plausible

POINTS = np.array([[100, 80], [400, 90], [380, 300], [120, 310]], np.float32)


def _similarity(scale: float, degrees: float) -> np.ndarray:
    t = np.radians(degrees)
    c, s = scale * np.cos(t), scale * np.sin(t)
    return np.array([[c, -s, 30.0], [s, c, -12.0], [0.0, 0.0, 1.0]])


def test_what_crops_resizes_rotations_and_screen_photos_do_is_plausible():
    for scale, degrees in ((1.0, 0), (1.9, 0), (0.25, 10), (4.0, -30), (1.2, 180)):
        assert _plausible(_similarity(scale, degrees), POINTS), (scale, degrees)
    screen = _similarity(1.5, 5)
    screen[2, :2] = (2e-4, -1e-4)  # a phone held at an angle to the screen
    assert _plausible(screen, POINTS)


def test_a_chance_alignment_of_corners_is_not():
    """The false match that lost a newspaper page's quote (a page of type matched
    another photo with 51 inliers): mirrored and squashed to nothing. Also a reflection,
    a map that stretches one way twenty times more than the other, and absurd scales."""
    seen = np.array(  # as RANSAC fitted it, and where its 51 inliers lay in the page
        [[-1.43237516, 1.63313352, 500.67609714], [-1.77139382, 2.02365589, 618.7291828],
         [-0.0028619, 0.00326777, 1.0]]
    )  # fmt: skip
    assert not _plausible(seen, np.array([[312.5, 193.4]]))
    mirror = np.array([[-1.0, 0.0, 500.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    squash = np.array([[4.0, 0.0, 0.0], [0.0, 0.2, 0.0], [0.0, 0.0, 1.0]])
    for bad in (mirror, squash, _similarity(50.0, 0), _similarity(0.01, 0)):
        assert not _plausible(bad, POINTS)
    assert not _plausible(_similarity(1.0, 0), POINTS[:0])
