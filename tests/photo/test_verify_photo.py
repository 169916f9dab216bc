"""The independent metadata check flags each kind of leak (it is not vacuous)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from medanon.verify.photo import check_photo_bytes, exiftool_available, exiftool_findings
from tests.photo import planted

PIXELS = np.full((32, 48, 3), 90, np.uint8)


def test_built_in_check_names_every_planted_jpeg_category() -> None:
    found = {f.where for f in check_photo_bytes(planted.jpeg_with_everything(PIXELS))}
    assert {"exif", "xmp", "iptc", "comment", "thumbnail", "vendor app segment", "trailing data"} <= found


def test_built_in_check_names_png_text_exif_and_time_chunks() -> None:
    found = {f.where for f in check_photo_bytes(planted.png_with_everything(PIXELS))}
    assert {"png text", "exif", "date"} <= found


def test_built_in_check_refuses_formats_it_cannot_prove() -> None:
    assert [f.where for f in check_photo_bytes(planted.tiff_with_everything(PIXELS))] == ["unknown format"]


def test_bare_pillow_jpeg_and_png_pass() -> None:
    for kind in ("JPEG", "PNG"):
        buffer = io.BytesIO()
        Image.fromarray(PIXELS).save(buffer, kind)
        assert check_photo_bytes(buffer.getvalue()) == []


@pytest.mark.skipif(not exiftool_available(), reason="exiftool not installed (Debian libimage-exiftool-perl)")
def test_exiftool_reading_names_gps_and_xmp(tmp_path) -> None:
    path = tmp_path / "leaky.jpg"
    path.write_bytes(planted.jpeg_with_everything(PIXELS))
    found = {f.where for f in exiftool_findings(path)}
    assert {"exif", "gps", "xmp", "iptc", "comment"} <= found
    assert all(planted.SECRET_NAME not in f.message for f in exiftool_findings(path))
