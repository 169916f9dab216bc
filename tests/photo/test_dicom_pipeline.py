"""``medanon dicom`` on a photograph whose header wrongly says it shows no face: the face is filled anyway."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pydicom
from pydicom.uid import ExplicitVRLittleEndian

from medanon.core.enum import Status
from medanon.core.results import ItemResult
from medanon.pipeline import deidentify_dicom
from tests.conftest import make_ct, write
from tests.photo.conftest import ASTRONAUT_FACE, detectors_or_skip

VL_PHOTOGRAPHIC = "1.2.840.10008.5.1.4.1.1.77.1.4"


def vl_photo(pixels: np.ndarray) -> pydicom.Dataset:
    ds = make_ct(SOPClassUID=VL_PHOTOGRAPHIC, SOPInstanceUID="1.2.826.0.1.3680043.2.1125.1.61", Modality="XC",
                 BurnedInAnnotation="NO", RecognizableVisualFeatures="NO")
    for keyword in ("SliceThickness", "PixelSpacing", "ImagePositionPatient", "ImageOrientationPatient", "KVP"):
        delattr(ds, keyword)
    ds.file_meta.MediaStorageSOPClassUID = VL_PHOTOGRAPHIC
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.set_pixel_data(pixels, "RGB", 8, generate_instance_uid=False)
    return ds


def test_face_in_a_released_dicom_photograph_is_filled(tmp_path: Path, astronaut: np.ndarray) -> None:
    detectors_or_skip()
    write(vl_photo(astronaut), tmp_path / "in" / "photo.dcm")
    outcome = deidentify_dicom([tmp_path / "in"], tmp_path / "out", key_path=tmp_path / "k.key",
                               screen_pixels=False)
    [result] = outcome.results
    assert result.status is Status.RELEASED, result.reasons
    report = json.loads(outcome.report_path.read_text())
    assert report["items"][0]["actions_by_code"].get("FILL", 0) >= 1  # the report says what was filled
    released = pydicom.dcmread(tmp_path / "out" / str(result.output))
    x0, y0, x1, y1 = ASTRONAUT_FACE
    face = released.pixel_array[y0:y1, x0:x1]
    assert np.all(face == face[0, 0])
    far = (slice(400, 512), slice(0, 120))
    assert np.array_equal(released.pixel_array[far], astronaut[far])


def _other_image(pixels: np.ndarray, **header: str) -> pydicom.Dataset:
    """An 'OT' image whose header says nothing about faces: the modality alone makes it a face risk."""
    ds = vl_photo(pixels)
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"  # secondary capture
    ds.Modality = "OT"
    del ds.RecognizableVisualFeatures
    for keyword, value in header.items():
        setattr(ds, keyword, value)
    return ds


def _run_one(tmp_path: Path, ds: pydicom.Dataset) -> ItemResult:
    write(ds, tmp_path / "in" / "image.dcm")
    outcome = deidentify_dicom([tmp_path / "in"], tmp_path / "out", key_path=tmp_path / "k.key",
                               screen_pixels=False)
    [result] = outcome.results
    return result


def test_other_modality_image_without_a_face_is_released_with_a_review_note(tmp_path: Path) -> None:
    detectors_or_skip()
    gradient = np.tile(np.linspace(0, 255, 256, dtype=np.uint8)[None, :, None], (256, 1, 3))
    result = _run_one(tmp_path, _other_image(gradient))
    assert result.status is Status.RELEASED, result.reasons
    assert any("none found by the face detectors" in note for note in result.review)


def test_other_modality_image_with_a_face_has_it_filled(tmp_path: Path, astronaut: np.ndarray) -> None:
    detectors_or_skip()
    result = _run_one(tmp_path, _other_image(astronaut))
    assert result.status is Status.RELEASED, result.reasons
    released = pydicom.dcmread(tmp_path / "out" / str(result.output))
    x0, y0, x1, y1 = ASTRONAUT_FACE
    face = released.pixel_array[y0:y1, x0:x1]
    assert np.all(face == face[0, 0])


def test_header_saying_a_face_is_shown_withholds_when_no_face_is_found(tmp_path: Path) -> None:
    detectors_or_skip()
    flat = np.full((128, 128, 3), 90, dtype=np.uint8)
    result = _run_one(tmp_path, _other_image(flat, RecognizableVisualFeatures="YES"))
    assert result.status is Status.QUARANTINED
    assert any("found none to obscure" in reason for reason in result.reasons)
