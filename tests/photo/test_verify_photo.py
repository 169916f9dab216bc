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


@pytest.mark.skipif(not exiftool_available(), reason="exiftool not installed (Debian libimage-exiftool-perl)")
def test_long_running_exiftool_reads_what_a_one_off_run_reads(tmp_path) -> None:
    """The stay-open exiftool is only a faster way to ask: same tags as a fresh process, file after file."""
    import shutil
    import subprocess

    from medanon.verify import photo

    executable = shutil.which("exiftool")
    assert executable is not None
    leaky, bare = tmp_path / "leaky.jpg", tmp_path / "bare.jpg"
    leaky.write_bytes(planted.jpeg_with_everything(PIXELS))
    Image.fromarray(PIXELS).save(bare, "JPEG")
    for path in (leaky, bare, leaky):
        answer = photo._server(executable).read(path)
        assert answer is not None
        one_off = subprocess.run([executable, *photo._EXIFTOOL_ARGUMENTS, str(path)], capture_output=True, check=False)
        assert _tags(answer) == _tags(one_off.stdout)


def _tags(reply: bytes) -> dict[str, object]:
    """exiftool's tags without the System group (file dates such as the access time change with each read)."""
    import json

    return {key: value for key, value in json.loads(reply)[0].items() if not key.startswith("System:")}


@pytest.mark.skipif(not exiftool_available(), reason="exiftool not installed (Debian libimage-exiftool-perl)")
def test_a_dead_long_running_exiftool_does_not_hide_leaks(tmp_path) -> None:
    import shutil

    from medanon.verify import photo

    path = tmp_path / "leaky.jpg"
    path.write_bytes(planted.jpeg_with_everything(PIXELS))
    assert "gps" in {f.where for f in exiftool_findings(path)}
    server = photo._server(shutil.which("exiftool") or "")
    assert server._process is not None
    server._process.kill()
    server._process.wait()
    assert {"exif", "gps", "xmp"} <= {f.where for f in exiftool_findings(path)}
