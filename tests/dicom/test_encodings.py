"""Pixel Data and encodings survive the header path untouched, for every transfer syntax and character set."""

from __future__ import annotations

import io
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_charset_files, get_testdata_file

from medanon.core.policy import Policy
from medanon.dicom import deidentify, read

PUBLICATION = Policy.load("publication")

TRANSFER_SYNTAX_FILES = {
    "implicit-le": "MR_small_implicit.dcm",
    "explicit-le": "CT_small.dcm",
    "explicit-be": "MR_small_bigendian.dcm",
    "deflated": "image_dfl.dcm",
    "jpeg-baseline": "SC_rgb_jpeg_dcmtk.dcm",
    "jpeg-lossless": "JPGLosslessP14SV1_1s_1f_8b.dcm",
    "jpeg-ls": "MR_small_jpeg_ls_lossless.dcm",
    "jpeg2000": "MR_small_jp2klossless.dcm",
    "rle": "MR_small_RLE.dcm",
}


def _written(ds: pydicom.Dataset) -> pydicom.Dataset:
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return pydicom.dcmread(io.BytesIO(buffer.getvalue()))


@pytest.mark.parametrize("name", TRANSFER_SYNTAX_FILES.values(), ids=TRANSFER_SYNTAX_FILES.keys())
def test_pixel_data_bytes_and_transfer_syntax_unchanged(name, keys):
    path = get_testdata_file(name)
    if path is None:
        pytest.skip(f"{name} is not shipped by this pydicom")
    original = pydicom.dcmread(path)
    out = _written(deidentify(read(Path(path).read_bytes()), PUBLICATION, keys).dataset)
    assert out.file_meta.TransferSyntaxUID == original.file_meta.TransferSyntaxUID
    assert out.PixelData == original.PixelData


@pytest.mark.parametrize("path", get_charset_files("*.dcm"), ids=lambda p: p.rsplit("/", 1)[-1])
def test_character_sets_decode_and_reencode(path, keys):
    """A kept non-ASCII value reads back the same; the name goes; the character set stays."""
    original = pydicom.dcmread(path)
    if "SOPInstanceUID" not in original or not str(original.get("PatientName", "")):
        pytest.skip("not a storable instance with a patient name")
    text = str(original.PatientName).replace("^", " ")
    original.Manufacturer = text  # LO, kept by the technical allow list, in the file's own character set
    buffer = io.BytesIO()
    original.save_as(buffer)
    out = _written(deidentify(read(buffer.getvalue()), PUBLICATION, keys).dataset)
    assert out.get("SpecificCharacterSet") == original.get("SpecificCharacterSet")
    assert out.Manufacturer == text
    assert str(out.PatientName) == ""
