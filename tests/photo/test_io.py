"""Metadata removal by re-encoding: every planted category gone, pixels kept, orientation applied."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from medanon.core.errors import InputError, UnsupportedInput
from medanon.photo.io import read_photo, write_photo
from medanon.verify.photo import check_photo_bytes, exiftool_available, exiftool_findings
from tests.photo import planted

MAKERS = {
    "jpeg": planted.jpeg_with_everything,
    "png": planted.png_with_everything,
    "tiff": planted.tiff_with_everything,
    "webp": planted.webp_with_everything,
    "heic": planted.heic_with_everything,
    "avif": planted.avif_with_everything,
}


def _pixels() -> np.ndarray:
    rows, columns = np.mgrid[0:96, 0:128]
    return np.stack([rows * 2, columns * 2, (rows + columns) % 256], axis=2).astype(np.uint8)


def _make(kind: str) -> bytes:
    try:
        return MAKERS[kind](_pixels())
    except (ImportError, KeyError, OSError) as exc:
        pytest.skip(f"cannot write a {kind} test file here: {exc}")


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_rewritten_photo_holds_no_planted_metadata(kind: str, tmp_path) -> None:
    data = _make(kind)
    assert any(secret.encode() in data for secret in planted.SECRETS)  # the input does carry them
    photo = read_photo(data, kind)
    assert "exif" in photo.metadata
    out = write_photo(photo.pixels, photo.output_format, photo.icc_profile)
    for secret in planted.SECRETS:
        assert secret.encode() not in out
    assert check_photo_bytes(out) == []
    if exiftool_available():
        path = tmp_path / ("out.jpg" if photo.output_format == "JPEG" else "out.png")
        path.write_bytes(out)
        assert exiftool_findings(path) == []


@pytest.mark.parametrize("kind", ["png", "tiff"])
def test_lossless_inputs_keep_their_pixels_exactly(kind: str) -> None:
    photo = read_photo(_make(kind))
    out = write_photo(photo.pixels, photo.output_format, photo.icc_profile)
    assert photo.output_format == "PNG"
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(out))), _pixels())


def test_jpeg_pixels_change_only_by_codec_noise() -> None:
    photo = read_photo(_make("jpeg"))
    out = np.asarray(Image.open(io.BytesIO(write_photo(photo.pixels, "JPEG", None)))).astype(int)
    assert np.abs(out - _pixels().astype(int)).mean() < 3


def test_exif_orientation_is_applied_before_it_is_dropped() -> None:
    pixels = _pixels()
    data = planted.jpeg_with_everything(pixels, orientation=6)  # 6: rotate 90 degrees clockwise to display
    photo = read_photo(data)
    assert photo.orientation == 6
    assert photo.pixels.shape[:2] == (pixels.shape[1], pixels.shape[0])
    expected = np.rot90(pixels, k=-1).astype(int)
    assert np.abs(photo.pixels.astype(int) - expected).mean() < 4
    out = Image.open(io.BytesIO(write_photo(photo.pixels, "JPEG", None)))
    assert out.getexif().get(0x0112) is None


def test_icc_profile_is_kept() -> None:
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    buffer = io.BytesIO()
    Image.fromarray(_pixels()).save(buffer, "JPEG", icc_profile=icc, exif=planted.exif_block().tobytes())
    photo = read_photo(buffer.getvalue())
    out = write_photo(photo.pixels, photo.output_format, photo.icc_profile)
    assert Image.open(io.BytesIO(out)).info.get("icc_profile") == icc
    assert check_photo_bytes(out) == []


def test_unreadable_bytes_are_refused() -> None:
    with pytest.raises(InputError, match="cannot decode"):
        read_photo(b"\xff\xd8\xff\xe0 not really a jpeg", "broken.jpg")
    with pytest.raises(InputError):
        read_photo(b"%PDF-1.4 a document", "letter.jpg")


def test_multi_page_tiff_is_refused() -> None:
    buffer = io.BytesIO()
    first, second = Image.fromarray(_pixels()), Image.fromarray(_pixels()[::-1].copy())
    first.save(buffer, "TIFF", save_all=True, append_images=[second])
    with pytest.raises(UnsupportedInput, match="pages"):
        read_photo(buffer.getvalue())


@pytest.mark.parametrize("orientation", range(1, 9))
def test_fast_jpeg_decode_shows_what_pillow_shows(orientation: int) -> None:
    """OpenCV decodes plain JPEGs; every EXIF orientation must look as Pillow's exif_transpose makes it."""
    from PIL import ImageOps

    image = Image.fromarray(np.kron(_pixels(), np.ones((2, 3, 1), np.uint8)))
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95, exif=exif.tobytes())
    expected = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(buffer.getvalue()))).convert("RGB"))
    photo = read_photo(buffer.getvalue())
    assert photo.orientation == orientation and photo.pixels.shape == expected.shape
    assert np.abs(photo.pixels.astype(int) - expected.astype(int)).max() <= 1


def test_truncated_jpeg_is_refused_not_half_decoded() -> None:
    buffer = io.BytesIO()
    Image.fromarray(np.kron(_pixels(), np.ones((4, 4, 1), np.uint8))).save(buffer, "JPEG", quality=95)
    data = buffer.getvalue()
    with pytest.raises(InputError, match="cannot decode"):
        read_photo(data[: len(data) // 2], "cut.jpg")
