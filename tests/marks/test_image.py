"""Image fingerprints: round trips, the leaks they survive, and every error path."""

import io

import cv2
import numpy as np
import pytest
from PIL import Image
from skimage import data
from skimage.metrics import structural_similarity

from orcon.codes import Code, CodeSpec, accuse, plan
from orcon.errors import CapacityError, MatchError, UsageError
from orcon.marks.image import Embedder, decode, embed, read, read_pixels, register
from orcon.marks.image import attacks as A

KEY = b"image-test-item-secret-0123456789"
N, C = 200, 2
M = plan(N, C)
CODE = Code.derive(CodeSpec(M, 2, C), KEY)
LEAKER = 77


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return np.ascontiguousarray(cv2.cvtColor(data.coffee(), cv2.COLOR_RGB2BGR))


@pytest.fixture(scope="module")
def copy(photo) -> np.ndarray:
    return Embedder(photo, M, KEY).mark(CODE.codeword(LEAKER))


def named(leak: np.ndarray, original: np.ndarray) -> list[int]:
    reading = read_pixels(leak, original, KEY, M)
    return [s.index for s in accuse(CODE, reading.observation, N).accused]


def test_copy_is_invisible_by_psnr_and_ssim(photo, copy):
    mse = np.mean((copy.astype(float) - photo) ** 2)
    assert 10 * np.log10(255**2 / mse) >= 42.0
    gray = [cv2.cvtColor(x, cv2.COLOR_BGR2GRAY) for x in (photo, copy)]
    assert structural_similarity(*gray) >= 0.985


def test_copies_are_deterministic_and_differ_between_recipients(photo, copy):
    again = Embedder(photo, M, KEY).mark(CODE.codeword(LEAKER))
    assert np.array_equal(copy, again)
    other = Embedder(photo, M, KEY).mark(CODE.codeword(LEAKER + 1))
    assert not np.array_equal(copy, other)


@pytest.mark.parametrize(
    "attack",
    [
        "none",
        "jpeg20",
        "crop40%area",
        "rotate10",
        "flip",
        "caption15%",
        "screen-photo",
        "crop+resize+jpeg60",
        "grayscale",
    ],
)
def test_the_leaker_and_only_the_leaker_is_named(photo, copy, attack):
    leak = A.SINGLE[attack](copy, np.random.default_rng(3))
    assert named(leak, photo) == [LEAKER]


def test_two_colluders_averaging_name_a_colluder_and_no_innocent(photo):
    emb = Embedder(photo, M, KEY)
    leak = A.jpeg(A.average([emb.mark(CODE.codeword(5)), emb.mark(CODE.codeword(6))]), 80)
    accused = set(named(leak, photo))
    assert accused and accused <= {5, 6}


def test_unmarked_original_accuses_nobody(photo):
    assert named(A.jpeg(photo, 70), photo) == []


def test_file_round_trip_keeps_format_size_quality_and_adds_no_metadata(photo):
    buf = io.BytesIO()
    exif = Image.Exif()
    exif[0x013B] = "Officer Jane Example"  # Artist
    Image.fromarray(cv2.cvtColor(photo, cv2.COLOR_BGR2RGB)).save(buf, "JPEG", quality=85, exif=exif)
    original = buf.getvalue()
    marked = embed(original, CODE.codeword(LEAKER), KEY)
    out = decode(marked)
    assert out.format.value == "jpeg" and out.pixels.shape == photo.shape
    assert abs((out.jpeg_quality or 0) - 85) <= 2
    with Image.open(io.BytesIO(marked)) as im:
        assert not im.getexif()
    reading = read(marked, original, KEY, M)
    assert [s.index for s in accuse(CODE, reading.observation, N).accused] == [LEAKER]
    png = cv2.imencode(".png", photo)[1].tobytes()
    assert decode(embed(png, CODE.codeword(1), KEY)).format.value == "png"


def test_too_small_image_says_how_small():
    tiny = np.random.default_rng(0).integers(0, 255, (80, 100, 3), dtype=np.uint8)
    with pytest.raises(CapacityError, match=r"too small: at least \d+x\d+ is needed"):
        Embedder(tiny, 2000, KEY)


def test_flat_image_is_refused():
    flat = np.full((600, 800, 3), 128, np.uint8)
    with pytest.raises(CapacityError, match="too flat"):
        Embedder(flat, M, KEY)


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        (b"", "empty"),
        (b"\x00\x00\x01\x00" + bytes(100), "unsupported image format"),  # a Windows icon
        (b"GIF89a" + bytes(100), "the GIF image is corrupt or truncated"),
        (b"\xff\xd8\xff\xe0" + bytes(50), "corrupt or truncated"),
    ],
)
def test_bad_files_are_usage_errors(payload, needle):
    with pytest.raises(UsageError, match=needle):
        decode(payload)


def test_truncated_jpeg_is_refused(photo):
    data_ = cv2.imencode(".jpg", photo)[1].tobytes()
    with pytest.raises(UsageError):
        decode(data_[: len(data_) // 3])


def test_registration_finds_newspaper_crops_to_a_fraction_of_a_pixel():
    # Crop windows of 60 % of the area, shrunk to half the area, JPEG 60: the true map from
    # leak to original is known, and the mark's chips are five pixels wide at this size.
    # (OpenCV's phaseCorrelate windowing its inputs in place once made this 1.4-7.5 px.)
    big = cv2.resize(cv2.cvtColor(data.coffee(), cv2.COLOR_RGB2GRAY), (1600, 1067))
    rng = np.random.default_rng(1)
    errors = []
    for _ in range(12):
        h = int(rng.integers(650, 950))
        w = min(1600, int(0.6 * 1600 * 1067 / h))
        y, x = int(rng.integers(0, 1067 - h + 1)), int(rng.integers(0, 1600 - w + 1))
        lh, lw = round(h * 0.5**0.5), round(w * 0.5**0.5)
        leak = cv2.resize(big[y : y + h, x : x + w], (lw, lh), interpolation=cv2.INTER_AREA)
        leak = cv2.imdecode(cv2.imencode(".jpg", leak, [cv2.IMWRITE_JPEG_QUALITY, 60])[1], 0)
        sx, sy = lw / w, lh / h
        truth = np.array(
            [[1 / sx, 0, 0.5 / sx - 0.5 + x], [0, 1 / sy, 0.5 / sy - 0.5 + y], [0, 0, 1]]
        )
        corners = np.array([[0, 0], [lw, 0], [lw, lh], [0, lh]], np.float32).reshape(-1, 1, 2)
        found = cv2.perspectiveTransform(corners, register(leak, big).homography)
        errors.append(float(np.abs(found - cv2.perspectiveTransform(corners, truth)).max()))
    assert max(errors) < 1.5, errors


def test_unrelated_image_cannot_be_registered(photo):
    other = np.ascontiguousarray(cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    with pytest.raises(MatchError):
        read_pixels(other, photo, KEY, M)


def test_codeword_must_fit_the_layout(photo):
    with pytest.raises(UsageError, match="codeword has shape"):
        Embedder(photo, M, KEY).mark(np.zeros(M + 1, dtype=np.uint8))
