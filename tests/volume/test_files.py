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


# --- releasing a defaced series: flushed first, then all slices or none ----------------------------------------

def _checked_slices(folder: Path, count: int = 5) -> list[tuple[Path, Path]]:
    """Checked temp files and their final names, as ``_deface_datasets`` hands them to the release."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for index in range(count):
        temp = folder / f".medanon-{index}.tmp"
        temp.write_bytes(f"slice {index}".encode())
        written.append((temp, folder / f"{index}.dcm"))
    return written


def test_a_series_is_flushed_before_any_slice_gets_its_final_name(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from medanon import dicom
    from medanon.pipeline.deface import _release_series

    written = _checked_slices(tmp_path)
    flushed: list[list[Path]] = []

    def record(paths: list[Path]) -> None:
        assert not any(final.exists() for _, final in written)  # nothing released before the flush
        flushed.append(list(paths))

    monkeypatch.setattr(dicom, "make_durable", record)
    checked = [temp.read_bytes() for temp, _ in written]
    _release_series(written)
    assert flushed == [[temp for temp, _ in written]]
    assert [final.read_bytes() for _, final in written] == checked  # the checked bytes, under their final names


def test_a_series_that_cannot_be_flushed_releases_no_slice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from medanon import dicom
    from medanon.core.errors import MedanonError
    from medanon.pipeline.deface import _release_series

    def fail(paths: list[Path]) -> None:
        raise OSError(5, "I/O error")

    monkeypatch.setattr(dicom, "make_durable", fail)
    written = _checked_slices(tmp_path)
    with pytest.raises(MedanonError, match="flushed"):
        _release_series(written)
    assert not any(final.exists() for _, final in written)


def test_a_slice_that_fails_late_takes_back_the_slices_released_before_it(tmp_path: Path) -> None:
    from medanon.core.errors import MedanonError
    from medanon.pipeline.deface import _release_series

    written = _checked_slices(tmp_path)
    written[3][1].write_bytes(b"another instance under the same name")  # the 4th slice cannot be released
    written[1][1].write_bytes(written[1][0].read_bytes())  # an identical earlier release (a re-run) is fine
    with pytest.raises(MedanonError, match="no slice of the series was released"):
        _release_series(written)
    assert [final.exists() for _, final in written] == [False, True, False, True, False]
    assert written[3][1].read_bytes() == b"another instance under the same name"  # not ours: left alone
    assert written[1][1].read_bytes() == b"slice 1"  # was there before: left alone


@pytest.mark.slow
def test_a_series_whose_last_slice_clashes_is_withheld_and_nothing_of_it_is_linked(head: Phantom,
                                                                                   tmp_path: Path) -> None:
    write_series(head, tmp_path / "series")
    first = tmp_path / "first"
    assert deface_path(tmp_path / "series", first, key_path=tmp_path / "k.key",
                       screen_pixels=False).status is Status.RELEASED
    names = sorted(p.relative_to(first) for p in first.rglob("*.dcm"))
    second = tmp_path / "second"
    clash = second / names[-1]
    clash.parent.mkdir(parents=True)
    clash.write_bytes(b"another instance under the same name")
    result = deface_path(tmp_path / "series", second, key_path=tmp_path / "k.key", screen_pixels=False)
    assert result.status is Status.QUARANTINED
    assert "no slice of the series was released" in result.reasons[0]
    assert [p.relative_to(second) for p in second.rglob("*.dcm")] == [names[-1]]
    assert not [p for p in second.rglob(".medanon-*")]



@pytest.mark.parametrize("kind", ["nifti", "dicom"])
def test_the_file_written_holds_the_volume_that_passed_the_check(kind: str, tmp_path: Path) -> None:
    """Removed voxels are written in the file's stored units, so the released file is the defaced volume the
    render check saw, voxel for voxel."""
    import copy

    from medanon.volume import deface, read_nifti, read_series, write_pixels
    from medanon.volume import write_nifti as write_defaced_nifti

    head = make_head(*axial_geometry(2.5, 96), "CT", noise=4.0)
    if kind == "nifti":
        loaded, image = read_nifti(write_nifti(head, tmp_path / "in.nii.gz"))
        result = deface(loaded, render_before=False)
        write_defaced_nifti(image, result.plan.removed, tmp_path / "out.nii.gz")
        written = read_nifti(tmp_path / "out.nii.gz")[0].data
    else:
        datasets = [pydicom.dcmread(p) for p in write_series(head, tmp_path / "series")]
        series = read_series(datasets)
        result = deface(series.volume, render_before=False)
        targets = [copy.deepcopy(ds) for ds in datasets]
        write_pixels(datasets, targets, series, result.plan.removed)
        written = read_series(targets).volume.data
    assert result.plan.removed.sum() > 1000
    np.testing.assert_array_equal(written, result.volume.data)
