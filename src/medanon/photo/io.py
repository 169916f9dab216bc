"""Reading photographs to bare pixels, and writing fresh files from pixels only.

Cleaning metadata by deleting known tags always misses one (a vendor APP segment, a second EXIF
block, a thumbnail inside Photoshop's resources). medanon never edits the input file: it decodes it
to a pixel array, applies the EXIF orientation so the picture looks the same, keeps the ICC colour
profile (dermatology needs colour) and writes a new file from the array and that profile alone.
Everything else the input carried is left behind by construction.

Formats read: JPEG (and MPO), PNG, TIFF, WebP, GIF, BMP through Pillow; HEIC/HEIF/AVIF through
pillow-heif. Lossy inputs are written as JPEG (quality 95, no chroma subsampling), lossless ones as
PNG, so no input is degraded by a lossy round trip it did not already have.
"""

from __future__ import annotations

import importlib.util
import io
import warnings
from dataclasses import dataclass
from functools import cache

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from medanon.core.errors import InputError, UnsupportedInput

#: Formats whose pixels are already lossy: their output is JPEG.
LOSSY_FORMATS = frozenset({"JPEG", "MPO", "HEIF", "AVIF"})
#: Formats medanon reads (Pillow's names).
READABLE_FORMATS = frozenset({"JPEG", "MPO", "PNG", "TIFF", "WEBP", "GIF", "BMP", "HEIF", "AVIF"})
#: Largest image decoded, in pixels (a decompression bomb is refused, not decoded).
MAX_PIXELS = 200_000_000
JPEG_QUALITY = 95
_ORIENTATION = 0x0112


@dataclass
class Photo:
    """A decoded photograph: pixels in display orientation, its ICC profile, and what it came from.

    ``pixels`` is ``uint8`` (rows, columns) for grey or (rows, columns, 3|4) for RGB/RGBA, or
    ``uint16`` (rows, columns) for 16-bit grey. ``metadata`` lists the kinds of metadata the input
    carried (for the report; never their values).
    """

    pixels: np.ndarray
    icc_profile: bytes | None
    source_format: str
    orientation: int
    metadata: list[str]
    lossless_source: bool = False

    @property
    def output_format(self) -> str:
        """JPEG for a lossy RGB or grey source, PNG for everything else (alpha, 16 bit, lossless)."""
        lossy = self.source_format in LOSSY_FORMATS or (self.source_format == "WEBP" and not self.lossless_source)
        eight_bit = self.pixels.dtype == np.uint8 and (self.pixels.ndim == 2 or self.pixels.shape[2] == 3)
        return "JPEG" if lossy and eight_bit else "PNG"


@cache
def _register_heif() -> bool:
    try:
        import pillow_heif
    except ImportError:
        return False
    pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)
    return True


def read_photo(data: bytes, source: str = "") -> Photo:
    """Decode ``data`` to display-oriented pixels plus ICC profile.

    Raises
    ------
    InputError
        If the bytes are not an image medanon can read, or decoding fails.
    UnsupportedInput
        If the file holds several pages or frames (only MPO's extra pictures, which are previews or
        depth maps, are dropped), or it is larger than :data:`MAX_PIXELS`.
    """
    _register_heif()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            image_format = (image.format or "").upper()
            if image_format not in READABLE_FORMATS:
                raise InputError(f"not a supported photograph format ({image_format or 'unknown'})", item=source)
            if image.width * image.height > MAX_PIXELS:
                raise UnsupportedInput(f"image larger than {MAX_PIXELS} pixels", item=source)
            frames = getattr(image, "n_frames", 1)
            if frames > 1 and image_format not in ("MPO", "HEIF", "AVIF"):
                raise UnsupportedInput(f"{frames} pages or frames in one file: split them first", item=source)
            metadata = describe_metadata(image)
            orientation = _orientation(image)
            lossless = image_format == "WEBP" and b"VP8L" in data[:4096]
            if not _fast_decodable(image):
                image.load()
            # a CMYK profile does not describe the RGB pixels written out
            icc = image.info.get("icc_profile") if image.mode != "CMYK" else None
            pixels = _fast_jpeg_pixels(data, image, orientation)
            if pixels is None:
                oriented = ImageOps.exif_transpose(image) if orientation != 1 else image
                pixels = _to_array(oriented)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as exc:
        raise InputError(f"cannot decode the image: {type(exc).__name__}", item=source) from exc
    return Photo(pixels, icc if isinstance(icc, bytes) and icc else None, image_format, orientation, metadata,
                 lossless)


def _fast_decodable(image: Image.Image) -> bool:
    """A plain JPEG (not MPO) in RGB or grey: OpenCV's libjpeg-turbo decodes it straight into an array.

    Pillow decodes the same file into its own buffer and copies it out for numpy (three copies of a
    12-megapixel image, about 0.15 s); OpenCV writes the array once (about 0.05 s).
    """
    return image.format == "JPEG" and image.mode in ("RGB", "L") and importlib.util.find_spec("cv2") is not None


def _fast_jpeg_pixels(data: bytes, image: Image.Image, orientation: int) -> np.ndarray | None:
    """The pixels of a plain JPEG decoded by OpenCV, EXIF orientation applied; ``None`` to use Pillow.

    OpenCV is told to ignore the orientation tag, and :func:`_orient` applies the value Pillow read,
    so both paths agree on what the picture looks like. A decode failure or a size that differs from
    the header also falls back to Pillow (which then raises if the file is really broken).
    """
    if not _fast_decodable(image) or not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        image.load()  # Pillow raises on a truncated file, where OpenCV would return a half-grey picture
        return None
    import cv2

    grey = image.mode == "L"
    flags = (cv2.IMREAD_GRAYSCALE if grey else cv2.IMREAD_COLOR_RGB) | cv2.IMREAD_IGNORE_ORIENTATION
    pixels = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    if pixels is None or pixels.shape[:2] != (image.height, image.width):
        image.load()
        return None
    return _orient(pixels, orientation)


def _orient(pixels: np.ndarray, orientation: int) -> np.ndarray:
    """``pixels`` as displayed under EXIF ``orientation`` (1-8), the transform Pillow's exif_transpose applies."""
    if orientation in (5, 6, 7, 8):
        pixels = np.swapaxes(pixels, 0, 1)  # transpose: 5 is exactly this
        pixels = {5: pixels, 6: pixels[:, ::-1], 7: pixels[::-1, ::-1], 8: pixels[::-1]}[orientation]
    else:
        pixels = {1: pixels, 2: pixels[:, ::-1], 3: pixels[::-1, ::-1], 4: pixels[::-1]}[orientation]
    return np.ascontiguousarray(pixels)


def _orientation(image: Image.Image) -> int:
    try:
        value = int(image.getexif().get(_ORIENTATION, 1) or 1)
    except Exception:  # a damaged EXIF block must not stop the read: orientation then stays as stored
        return 1
    return value if 1 <= value <= 8 else 1


def _to_array(image: Image.Image) -> np.ndarray:
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N"):
        return np.asarray(image, dtype=np.uint16).copy()
    if mode == "I":
        array = np.asarray(image)
        if array.min(initial=0) >= 0 and array.max(initial=0) <= 65535:
            return array.astype(np.uint16)
        raise UnsupportedInput(f"{mode} images outside 0..65535 are not supported")
    if mode in ("1", "L"):
        return np.asarray(image.convert("L")).copy()
    if mode in ("LA", "RGBA", "PA") or (mode == "P" and "transparency" in image.info):
        return np.asarray(image.convert("RGBA")).copy()
    if mode == "CMYK":  # leaves the CMYK profile behind: the pixels are now RGB
        return np.asarray(image.convert("RGB")).copy()
    return np.asarray(image.convert("RGB")).copy()


def describe_metadata(image: Image.Image) -> list[str]:
    """The kinds of metadata an opened image carries (names only, for the report)."""
    info = image.info
    kinds = set()
    try:
        exif = image.getexif()
    except Exception:
        exif = None
    if exif:
        kinds.add("exif")
        kinds.update(_exif_kinds(exif))
    for key, kind in (("xmp", "xmp"), ("XML:com.adobe.xmp", "xmp"), ("photoshop", "iptc/photoshop"),
                      ("comment", "comment"), ("icc_profile", "icc (kept)"), ("thumbnails", "thumbnail"),
                      ("depth_images", "depth image")):
        if info.get(key):
            kinds.add(kind)
    if image.format == "PNG":
        texts = getattr(image, "text", {}) or {}
        if texts:
            kinds.add("png text")
    if image.format == "TIFF":
        tags = getattr(image, "tag_v2", {}) or {}
        if any(tag in tags for tag in (315, 316, 306, 270, 271, 272, 305, 33432, 700, 33723, 34377)):
            kinds.add("tiff tags")
    app = getattr(image, "applist", None) or []
    vendor = {marker for marker, _ in app if marker not in ("APP0", "APP1", "APP2", "APP13")}
    if vendor:
        kinds.add("vendor app segments")
    return sorted(kinds)


#: EXIF tags (IFD0 and Exif IFD) whose presence the report names: dates, serials, owner, maker notes.
_EXIF_KINDS = {0x0132: "dates", 0x9003: "dates", 0x9004: "dates", 0xA431: "serials", 0xA435: "serials",
               0xA430: "owner name", 0x013B: "owner name", 0x927C: "maker notes"}


def _exif_kinds(exif: Image.Exif) -> set[str]:
    """Kinds inside an EXIF block: GPS, thumbnail (IFD1), dates, serials, owner, maker notes."""
    from PIL.ExifTags import IFD

    kinds = set()
    try:
        exif_ifd = exif.get_ifd(IFD.Exif)
        if exif.get_ifd(IFD.GPSInfo):
            kinds.add("gps")
        if exif.get_ifd(IFD.IFD1):
            kinds.add("thumbnail")
    except Exception:  # a damaged block: the rewrite drops it all the same
        return {"exif (unreadable parts)"}
    kinds.update(kind for tag, kind in _EXIF_KINDS.items() if tag in exif or tag in exif_ifd)
    return kinds


def write_photo(pixels: np.ndarray, output_format: str, icc_profile: bytes | None) -> bytes:
    """A new file holding ``pixels`` and, if given, the ICC profile; nothing else.

    Pillow writes JPEG as SOI, a JFIF APP0 without thumbnail, APP2 ICC, the image, EOI; PNG as IHDR,
    iCCP, IDAT, IEND. No EXIF, XMP, text, comment or date is passed to it, so none is written.

    Raises
    ------
    ValueError
        If ``output_format`` is not ``"JPEG"`` or ``"PNG"``.
    """
    image = Image.fromarray(pixels)
    buffer = io.BytesIO()
    options: dict[str, object] = {}
    if icc_profile:
        options["icc_profile"] = icc_profile
    if output_format == "JPEG":
        image.convert("RGB" if image.mode not in ("L", "RGB") else image.mode).save(
            buffer, "JPEG", quality=JPEG_QUALITY, subsampling=0, **options)
    elif output_format == "PNG":
        image.save(buffer, "PNG", **options)
    else:
        raise ValueError(f"medanon writes photographs as JPEG or PNG, not {output_format}")
    return buffer.getvalue()


def decode_output(data: bytes) -> np.ndarray:
    """Pixels of a file medanon wrote, as ``uint8`` RGB (for the residual face check).

    A JPEG is decoded by OpenCV (one copy, about three times faster than through Pillow); anything
    else, or a JPEG OpenCV cannot read, through Pillow.
    """
    if data.startswith(b"\xff\xd8") and importlib.util.find_spec("cv2") is not None:
        import cv2

        pixels = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR_RGB | cv2.IMREAD_IGNORE_ORIENTATION)
        if pixels is not None:
            return pixels
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB")).copy()
