"""What happens to a photo between a recipient and the front page.

Deterministic simulations of real leak pipelines — recompression, resizing for
the web, cropping to a column, rotation, a phone photo of a screen, captions and
logos, colour edits — used by ``orcon demo``, the tests and the benchmark. Each
takes and returns a BGR uint8 array; randomness comes in as a Generator.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

Attack = Callable[[np.ndarray, np.random.Generator], np.ndarray]


def jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    _, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    return np.asarray(cv2.imdecode(buf, cv2.IMREAD_COLOR))


def rescale_area(img: np.ndarray, area: float) -> np.ndarray:
    h, w = img.shape[:2]
    f = float(np.sqrt(area))
    return np.asarray(cv2.resize(img, (round(w * f), round(h * f)), interpolation=cv2.INTER_AREA))


def crop_area(img: np.ndarray, area: float, rng: np.random.Generator) -> np.ndarray:
    """Keep a random window of the given fraction of the area, aspect ratio varied ±30 %."""
    h, w = img.shape[:2]
    aspect = float(np.exp(rng.uniform(-0.3, 0.3)))
    ch = min(h, round(np.sqrt(area * h * w / aspect)))
    cw = min(w, round(area * h * w / ch))
    y = int(rng.integers(0, h - ch + 1))
    x = int(rng.integers(0, w - cw + 1))
    return img[y : y + ch, x : x + cw].copy()


def rotate(img: np.ndarray, degrees: float) -> np.ndarray:
    """Rotate about the centre and crop to the largest upright rectangle inside."""
    h, w = img.shape[:2]
    rot = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    out = cv2.warpAffine(img, rot, (w, h), flags=cv2.INTER_LINEAR)
    a = abs(np.radians(degrees))
    s, c = np.sin(a), np.cos(a)
    side_w = (w * c - h * s) / (c * c - s * s) if c * c - s * s > 0 else w
    side_h = (h * c - w * s) / (c * c - s * s) if c * c - s * s > 0 else h
    cw, ch = int(max(16, min(w, side_w))), int(max(16, min(h, side_h)))
    return out[(h - ch) // 2 : (h + ch) // 2, (w - cw) // 2 : (w + cw) // 2].copy()


def screen_photo(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A phone photo of a screen: corners moved 5 %, blur, sensor noise, JPEG."""
    h, w = img.shape[:2]
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    jitter = rng.uniform(-0.05, 0.05, size=(4, 2)) * np.array([w, h])
    dst = (src + jitter).astype(np.float32)
    dst -= dst.min(axis=0)
    size = (int(dst[:, 0].max()) + 1, int(dst[:, 1].max()) + 1)
    warped = cv2.warpPerspective(
        img, cv2.getPerspectiveTransform(src, dst), size, borderValue=(30, 30, 30)
    )
    soft = np.asarray(cv2.GaussianBlur(warped, (0, 0), 1.0))
    noisy = soft.astype(np.float32) + rng.normal(0, 4.0, soft.shape).astype(np.float32)
    return jpeg(np.clip(noisy, 0, 255).astype(np.uint8), 80)


def grayscale(img: np.ndarray) -> np.ndarray:
    return np.asarray(cv2.cvtColor(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR))


def colour_edit(
    img: np.ndarray,
    gamma: float = 0.8,
    brightness: float = 12.0,
    contrast: float = 1.15,
    saturation: float = 1.4,
) -> np.ndarray:
    x = img.astype(np.float32) / 255.0
    x = np.power(x, gamma)
    x = (x - 0.5) * contrast + 0.5 + brightness / 255.0
    hsv = cv2.cvtColor(np.clip(x, 0, 1).astype(np.float32), cv2.COLOR_BGR2HSV)
    hsv[:, :, 1] = np.clip(hsv[:, :, 1] * saturation, 0, 1)
    out = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)
    return np.clip(np.rint(out * 255.0), 0, 255).astype(np.uint8)


def blur(img: np.ndarray, sigma: float) -> np.ndarray:
    return np.asarray(cv2.GaussianBlur(img, (0, 0), sigma))


def noise(img: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    out = img.astype(np.float32) + rng.normal(0, sigma, img.shape).astype(np.float32)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def caption(img: np.ndarray, fraction: float = 0.15, text: str = "EXCLUSIVE") -> np.ndarray:
    """A newspaper caption bar over the bottom ``fraction`` of the height, with a logo."""
    out = img.copy()
    h, w = out.shape[:2]
    bar = max(1, round(h * fraction))
    out[h - bar :] = (20, 20, 20)
    scale = max(0.5, bar / 40)
    cv2.putText(
        out,
        text,
        (w // 20, h - bar // 3),
        cv2.FONT_HERSHEY_SIMPLEX,
        scale,
        (255, 255, 255),
        max(1, round(scale * 2)),
        cv2.LINE_AA,
    )
    return out


def logo(img: np.ndarray, fraction: float = 0.15) -> np.ndarray:
    """An opaque logo block in a corner covering ``fraction`` of the area."""
    out = img.copy()
    h, w = out.shape[:2]
    side_h, side_w = round(h * np.sqrt(fraction)), round(w * np.sqrt(fraction))
    out[:side_h, w - side_w :] = (0, 0, 200)
    cv2.circle(out, (w - side_w // 2, side_h // 2), min(side_h, side_w) // 3, (255, 255, 255), -1)
    return out


def flip(img: np.ndarray) -> np.ndarray:
    return np.asarray(cv2.flip(img, 1))


def newspaper(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Crop to a column, resize for the web, recompress — the typical front-page chain."""
    return jpeg(rescale_area(crop_area(img, 0.6, rng), 0.5), 60)


SINGLE: dict[str, Attack] = {
    "none": lambda x, r: x,
    "jpeg20": lambda x, r: jpeg(x, 20),
    "downscale25%area": lambda x, r: rescale_area(x, 0.25),
    "crop40%area": lambda x, r: crop_area(x, 0.4, r),
    "rotate10": lambda x, r: rotate(x, float(r.choice([-10.0, 10.0]))),
    "screen-photo": screen_photo,
    "grayscale": lambda x, r: grayscale(x),
    "colour-edit": lambda x, r: colour_edit(x),
    "blur1.5": lambda x, r: blur(x, 1.5),
    "noise8": lambda x, r: noise(x, 8.0, r),
    "caption15%": lambda x, r: caption(x),
    "logo15%": lambda x, r: logo(x),
    "flip": lambda x, r: flip(x),
    "crop+resize+jpeg60": lambda x, r: jpeg(rescale_area(crop_area(x, 0.6, r), 0.5), 60),
}


def average(copies: list[np.ndarray]) -> np.ndarray:
    return np.clip(np.rint(np.mean([c.astype(np.float32) for c in copies], axis=0)), 0, 255).astype(
        np.uint8
    )


def mosaic(copies: list[np.ndarray]) -> np.ndarray:
    """Vertical strips, one from each copy."""
    out = copies[0].copy()
    w = out.shape[1]
    k = len(copies)
    for i, c in enumerate(copies):
        out[:, i * w // k : (i + 1) * w // k] = c[:, i * w // k : (i + 1) * w // k]
    return out
