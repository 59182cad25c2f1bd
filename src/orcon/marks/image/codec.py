"""Decoding and encoding image files without adding anything that identifies anyone.

Formats are recognised by content (magic bytes), never by file name. JPEG
copies are re-encoded at the original's estimated quality (from its
quantisation tables, inverting the IJG scaling), PNG copies losslessly; GIF,
AVIF and HEIC are read (a leak or a phone's photo may come so) but not written:
their copies are PNG (GIF) or JPEG at quality 92 (ADR 0006). No
metadata is written: EXIF orientation is applied to the pixels on decoding, so
the copy looks the same and carries nothing but the fingerprint.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from enum import StrEnum

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from orcon.errors import UsageError

MAX_PIXELS = 80_000_000

# IJG (libjpeg) standard luminance quantisation table, JPEG spec Annex K.1.
_STD_LUMA = np.array(
    [16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
     14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
     18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
     49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99],
    dtype=np.float64,
)  # fmt: skip


class ImageFormat(StrEnum):
    JPEG = "jpeg"
    PNG = "png"
    WEBP = "webp"
    TIFF = "tiff"
    BMP = "bmp"


def sniff(data: bytes) -> ImageFormat:
    """Recognise an image format from its first bytes."""
    if data[:3] == b"\xff\xd8\xff":
        return ImageFormat.JPEG
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return ImageFormat.PNG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ImageFormat.WEBP
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return ImageFormat.TIFF
    if data[:2] == b"BM":
        return ImageFormat.BMP
    raise UsageError("unsupported image format: expected JPEG, PNG, WebP, TIFF or BMP")


# Pictures orcon reads but does not write: a GIF (its first frame), an AVIF (what news
# sites' image services send browsers) and HEIC/HEIF (how an iPhone saves a photo). Both
# of the last are ISO base media files whose "ftyp" box names a brand. A photo shared in
# one of them is kept as it came; its copies are written as PNG (a GIF) or JPEG.
_AVIF_BRANDS = (b"avif", b"avis")
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1")
READ_ONLY = {"gif": "GIF", "avif": "AVIF", "heif": "HEIC"}
FORMATS = "JPEG, PNG, WebP, TIFF, BMP, GIF, AVIF or HEIC"


def picture_format(data: bytes) -> str | None:
    """The picture format of a file ("jpeg" … "bmp", "gif", "avif" or "heif"), or None
    when it is no picture orcon reads."""
    try:
        return sniff(data).value
    except UsageError:
        pass
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[4:8] == b"ftyp":
        if data[8:12] in _AVIF_BRANDS:
            return "avif"
        if data[8:12] in _HEIF_BRANDS:
            return "heif"
    return None


def _open_heif() -> None:
    """Let Pillow open HEIC (pillow-heif registers itself with it; once is enough, again
    is harmless)."""
    import pillow_heif

    pillow_heif.register_heif_opener()


def picture_size(data: bytes) -> tuple[int, int]:
    """A picture's width and height from its header alone (any format decode reads)."""
    if picture_format(data) == "heif":
        _open_heif()
    try:
        with Image.open(io.BytesIO(data)) as img:
            return int(img.width), int(img.height)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise UsageError("the picture is corrupt or truncated") from None


def _read_only(data: bytes, fmt: str) -> np.ndarray:
    """Pixels (BGR) of a GIF, AVIF or HEIC picture, read by Pillow (and pillow-heif)."""
    from PIL import ImageOps

    if fmt == "heif":
        _open_heif()
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > MAX_PIXELS:
                raise UsageError(
                    f"image of {img.width}x{img.height} pixels exceeds the "
                    f"{MAX_PIXELS // 10**6} MP limit"
                )
            img.seek(0)  # an animated GIF: its first frame
            rgb = np.asarray(ImageOps.exif_transpose(img).convert("RGB"))
    except Image.DecompressionBombError:
        raise UsageError(f"image exceeds the {MAX_PIXELS // 10**6} MP limit") from None
    except (UnidentifiedImageError, OSError, ValueError, EOFError):
        raise UsageError(f"the {READ_ONLY[fmt]} image is corrupt or truncated") from None
    return np.ascontiguousarray(rgb[:, :, ::-1])


@dataclass(frozen=True, slots=True, eq=False)
class DecodedImage:
    pixels: np.ndarray  # (h, w, 3) uint8 BGR
    format: ImageFormat
    jpeg_quality: int | None


def estimate_jpeg_quality(data: bytes) -> int:
    """Invert the IJG quality scaling of the luminance table; 90 if the tables are custom."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            tables = getattr(im, "quantization", None) or {}
    except (UnidentifiedImageError, OSError):
        return 90
    if 0 not in tables:
        return 90
    luma = np.asarray(tables[0], dtype=np.float64)
    # PIL gives the table in zig-zag order for some versions and natural order for
    # others; the mean ratio is order-independent.
    scale = float(np.mean(luma / _STD_LUMA[: luma.size])) * 100.0
    quality = (200.0 - scale) / 2.0 if scale <= 100 else 5000.0 / scale
    return int(np.clip(round(quality), 1, 100))


def decode(data: bytes) -> DecodedImage:
    """The pixels of a picture in any format :func:`picture_format` knows, with the format
    its copies are written in (its own, or PNG for a GIF and JPEG for AVIF and HEIC)."""
    if not data:
        raise UsageError("the image file is empty")
    other = picture_format(data)
    if other in READ_ONLY:
        copies = ImageFormat.PNG if other == "gif" else ImageFormat.JPEG
        return DecodedImage(_read_only(data, other), copies, None)
    if other is None:
        raise UsageError(f"unsupported image format: expected {FORMATS}")
    fmt = ImageFormat(other)
    try:
        with Image.open(io.BytesIO(data)) as probe:
            w, h = probe.size
    except Image.DecompressionBombError:
        raise UsageError(f"image exceeds the {MAX_PIXELS // 10**6} MP limit") from None
    except (UnidentifiedImageError, OSError, ValueError):
        raise UsageError(f"the {fmt.value.upper()} image is corrupt or truncated") from None
    if w * h > MAX_PIXELS:
        raise UsageError(f"image of {w}x{h} pixels exceeds the {MAX_PIXELS // 10**6} MP limit")
    pixels = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if pixels is None:
        raise UsageError(f"the {fmt.value.upper()} image is corrupt or truncated")
    quality = estimate_jpeg_quality(data) if fmt is ImageFormat.JPEG else None
    return DecodedImage(pixels, fmt, quality)


def encode(pixels: np.ndarray, fmt: ImageFormat, jpeg_quality: int | None = None) -> bytes:
    """Encode without metadata; JPEG at ``jpeg_quality`` (default 92), others losslessly."""
    if fmt is ImageFormat.JPEG:
        params = [cv2.IMWRITE_JPEG_QUALITY, int(jpeg_quality or 92)]
        ok, buf = cv2.imencode(".jpg", pixels, params)
    elif fmt is ImageFormat.WEBP:
        ok, buf = cv2.imencode(".webp", pixels, [cv2.IMWRITE_WEBP_QUALITY, 101])
    elif fmt is ImageFormat.TIFF:
        ok, buf = cv2.imencode(".tiff", pixels)
    elif fmt is ImageFormat.BMP:
        ok, buf = cv2.imencode(".bmp", pixels)
    else:
        ok, buf = cv2.imencode(".png", pixels, [cv2.IMWRITE_PNG_COMPRESSION, 6])
    if not ok:
        raise UsageError(f"could not encode the image as {fmt.value}")
    return bytes(buf.tobytes())
