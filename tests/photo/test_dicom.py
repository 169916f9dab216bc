"""Faces in a DICOM photograph: pydicom-data's OT-PAL-8-face.dcm (palette colour, no file meta)."""

from __future__ import annotations

import copy
import io
from pathlib import Path

import numpy as np
import pydicom
import pytest

from medanon import dicom
from medanon.photo import detect_faces
from medanon.photo.dicom import obscure_dicom_faces
from tests.photo.conftest import detectors_or_skip


@pytest.fixture
def face_dicom() -> pydicom.Dataset:
    from pydicom.data import get_testdata_file

    path = get_testdata_file("OT-PAL-8-face.dcm")
    if path is None:
        pytest.skip("pydicom-data's OT-PAL-8-face.dcm is not installed")
    return dicom.read(Path(path))


def test_face_in_dicom_photo_is_obscured_and_rechecked(face_dicom: pydicom.Dataset) -> None:
    detectors_or_skip()
    original_bytes = face_dicom.PixelData
    result = obscure_dicom_faces(face_dicom)
    out = result.dataset
    assert result.outcome.faces and result.outcome.residual == []
    assert face_dicom.PixelData == original_bytes  # input untouched
    assert out.PhotometricInterpretation == "RGB" and "RedPaletteColorLookupTableData" not in out
    saved = io.BytesIO()
    out.save_as(saved, enforce_file_format=True)
    again = pydicom.dcmread(io.BytesIO(saved.getvalue()))
    pixels = again.pixel_array
    assert detect_faces(pixels) == []
    centre = max(result.outcome.faces, key=lambda f: f.width * f.height)
    patch = pixels[centre.y0:centre.y1, centre.x0:centre.x1]
    assert np.all(patch == patch[0, 0])  # uncompressed: exactly one flat colour


def test_far_pixels_of_the_dicom_photo_are_unchanged(face_dicom: pydicom.Dataset) -> None:
    detectors_or_skip()
    from pydicom.pixels import apply_color_lut

    from medanon.photo.dicom import _ensure_transfer_syntax

    result = obscure_dicom_faces(face_dicom)
    reference = copy.deepcopy(face_dicom)
    _ensure_transfer_syntax(reference)
    before = apply_color_lut(reference.pixel_array, reference)
    if before.dtype != np.uint8:
        before = (before.astype(np.uint32) >> 8).astype(np.uint8)
    after = result.dataset.pixel_array
    mask = np.ones(after.shape[:2], bool)
    for region in result.outcome.obscured:
        mask[region.y0:region.y1, region.x0:region.x1] = False
    assert mask.any() and np.array_equal(after[mask], before[mask])


def test_consent_leaves_dicom_pixels_alone(face_dicom: pydicom.Dataset) -> None:
    detectors_or_skip()
    result = obscure_dicom_faces(face_dicom, consent="FORM-88")
    assert result.outcome.faces and not result.outcome.obscured
    assert result.dataset.PixelData == face_dicom.PixelData


def test_photographic_datasets_are_recognised(face_dicom: pydicom.Dataset) -> None:
    from medanon.photo import is_photograph
    from tests.conftest import make_ct

    assert is_photograph(face_dicom)  # secondary capture, palette colour
    assert not is_photograph(make_ct())


def test_a_declared_frame_count_of_one_survives_obscuring(face_dicom: pydicom.Dataset) -> None:
    """Multi-frame IODs require NumberOfFrames even for one frame; pydicom's set_pixel_data drops it."""
    detectors_or_skip()
    face_dicom.NumberOfFrames = 1
    out = obscure_dicom_faces(face_dicom).dataset
    assert out.NumberOfFrames == 1
