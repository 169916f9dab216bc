"""``deface_path``: NIfTI and DICOM series in, same geometry out, headers de-identified, fail closed."""

from __future__ import annotations

import json
from pathlib import Path

import nibabel as nib
import numpy as np
import pydicom
import pytest

from medanon.core.enum import Status
from medanon.pipeline.deface import deface_path
from medanon.volume.phantom import Phantom, axial_geometry, make_head
from tests.volume.conftest import write_multiframe, write_nifti, write_series


@pytest.fixture(scope="module")
def head() -> Phantom:
    geometry, shape = axial_geometry(2.5, 96, tilt_degrees=12.0)
    return make_head(geometry, shape, "CT", noise=3.0)


def test_nifti_keeps_shape_affine_dtype_and_brain(head: Phantom, tmp_path: Path) -> None:
    source = write_nifti(head, tmp_path / "in.nii.gz")
    before = source.read_bytes()
    out = tmp_path / "out" / "defaced.nii.gz"
    result = deface_path(source, out, key_path=tmp_path / "k.key", preview_dir=tmp_path / "previews")
    assert result.status is Status.RELEASED, result.reasons
    original, defaced = nib.load(str(source)), nib.load(str(out))
    assert defaced.shape == original.shape
    np.testing.assert_array_equal(defaced.affine, original.affine)
    assert defaced.get_data_dtype() == original.get_data_dtype()
    old, new = np.asanyarray(original.dataobj), np.asanyarray(defaced.dataobj)
    brain = head.brain.transpose(2, 1, 0)
    np.testing.assert_array_equal(new[brain], old[brain])
    assert (new != old)[head.face.transpose(2, 1, 0)].mean() > 0.9
    assert b"Doe" not in bytes(defaced.header["descrip"])
    assert source.read_bytes() == before  # input untouched
    assert sorted(p.name.split("-")[1] for p in (tmp_path / "previews").iterdir()) == ["after.png", "before.png"]
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".medanon-")]


def test_dicom_series_keeps_geometry_and_brain_and_changes_only_pixels_and_header(head: Phantom,
                                                                                 tmp_path: Path) -> None:
    paths = write_series(head, tmp_path / "series")
    out = tmp_path / "out"
    result = deface_path(tmp_path / "series", out, key_path=tmp_path / "k.key", screen_pixels=False)
    assert result.status is Status.RELEASED, result.reasons
    written = sorted(out.rglob("*.dcm"))
    assert len(written) == len(paths)
    index_of = {tuple(float(v) for v in pydicom.dcmread(p).ImagePositionPatient): i for i, p in enumerate(paths)}
    changed_face = []
    for path in written:
        new = pydicom.dcmread(path)
        index = index_of[tuple(float(v) for v in new.ImagePositionPatient)]
        old = pydicom.dcmread(paths[index])
        assert list(new.ImageOrientationPatient) == list(old.ImageOrientationPatient)
        assert list(new.PixelSpacing) == list(old.PixelSpacing)
        assert "Doe" not in str(new.get("PatientName", "")) and new.get("PatientID") != old.PatientID
        assert new.SOPInstanceUID != old.SOPInstanceUID
        assert new.pixel_array.dtype == old.pixel_array.dtype
        np.testing.assert_array_equal(new.pixel_array[head.brain[index]], old.pixel_array[head.brain[index]])
        changed_face.extend((new.pixel_array != old.pixel_array)[head.face[index]])
    assert np.mean(changed_face) > 0.9


def test_a_volume_that_cannot_be_defaced_is_quarantined_with_a_reason(tmp_path: Path) -> None:
    geometry, shape = axial_geometry(2.5, 40)
    blank = make_head(geometry, shape, "MR")
    blank.volume.data[:] = 0.0
    source = write_nifti(blank, tmp_path / "in.nii")
    out = tmp_path / "out" / "x.nii.gz"
    result = deface_path(source, out, key_path=tmp_path / "k.key")
    assert result.status is Status.QUARANTINED
    assert not out.exists()
    records = list((tmp_path / "out" / "quarantine").glob("*.json"))
    assert len(records) == 1 and json.loads(records[0].read_text())["reasons"]


def test_two_series_in_one_folder_fail_and_write_nothing(head: Phantom, tmp_path: Path) -> None:
    write_series(head, tmp_path / "mixed" / "a")
    write_series(head, tmp_path / "mixed" / "b")
    result = deface_path(tmp_path / "mixed", tmp_path / "out", key_path=tmp_path / "k.key", screen_pixels=False)
    assert result.status is Status.FAILED and "series" in result.reasons[0]
    assert not list((tmp_path / "out").rglob("*.dcm"))


def test_enhanced_multiframe_keeps_frames_and_positions(head: Phantom, tmp_path: Path) -> None:
    source = write_multiframe(head, tmp_path / "enhanced.dcm")
    out = tmp_path / "out"
    result = deface_path(source, out, key_path=tmp_path / "k.key", screen_pixels=False)
    assert result.status is Status.RELEASED, result.reasons
    (written,) = list(out.rglob("*.dcm"))
    old, new = pydicom.dcmread(source), pydicom.dcmread(written)
    assert int(new.NumberOfFrames) == int(old.NumberOfFrames)
    positions = [list(g.PlanePositionSequence[0].ImagePositionPatient) for g in new.PerFrameFunctionalGroupsSequence]
    assert positions == [list(g.PlanePositionSequence[0].ImagePositionPatient)
                         for g in old.PerFrameFunctionalGroupsSequence]
    brain = head.brain[::-1]  # frames were stored superior to inferior
    np.testing.assert_array_equal(new.pixel_array[brain], old.pixel_array[brain])
    assert (new.pixel_array != old.pixel_array)[head.face[::-1]].mean() > 0.9
    assert "Doe" not in str(new.get("PatientName", ""))
