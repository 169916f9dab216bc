"""End to end on the real heads in ../shared/testdata/heads (skipped when absent).

Both volumes stop near the eyes or the nose (the T1 MR below the nose, the CT at the orbits), so
neither shows a whole face even before defacing: the render check (CenterFace) finds none on them, and
the proof that it sees a real head's face before and not after is tests/volume/test_template_head.py.
These tests prove the real files go through with their geometry, the brain untouched and no face on
any render after.
"""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pydicom
import pytest

from medanon.core.enum import Status
from medanon.pipeline.deface import deface_path
from medanon.volume import deface, read_nifti
from tests.conftest import shared_or_skip

pytestmark = pytest.mark.slow


def test_real_t1_mr_nifti(tmp_path: Path) -> None:
    source = shared_or_skip("testdata", "heads", "mr_t1_head.nii.gz")
    volume, _ = read_nifti(source)
    result = deface(volume, render_before=True)
    assert result.before is not None and len(result.before.images) == len(result.before.angles)
    assert result.after.views_with_face == []
    assert result.plan.protected is not None
    np.testing.assert_array_equal(result.volume.data[result.plan.protected], volume.data[result.plan.protected])
    lost_ml = np.count_nonzero((volume.data > result.plan.threshold) & result.plan.removed) * 0.88 ** 3 / 1000
    assert lost_ml > 50  # eyes, lids, nose bridge and the tissue around them
    out = tmp_path / "out" / "out.nii.gz"
    assert deface_path(source, out, key_path=tmp_path / "k.key").status is Status.RELEASED
    original, written = nib.load(str(source)), nib.load(str(out))
    assert written.shape == original.shape and written.get_data_dtype() == original.get_data_dtype()
    np.testing.assert_array_equal(written.affine, original.affine)


def test_real_tilted_ge_head_ct(tmp_path: Path) -> None:
    folder = shared_or_skip("testdata", "heads", "ct_ge_head")
    out = tmp_path / "out"
    # The burnt-in text screen flags one slice of this series (pixels/ concern); the volume path is tested here.
    result = deface_path(folder, out, key_path=tmp_path / "k.key", screen_pixels=False)
    assert result.status is Status.RELEASED, result.reasons
    def by_height(ds: pydicom.Dataset) -> float:
        return float(ds.ImagePositionPatient[2])

    originals = sorted((pydicom.dcmread(p) for p in folder.glob("*.dcm")), key=by_height)
    written = sorted((pydicom.dcmread(p) for p in out.rglob("*.dcm")), key=by_height)
    assert len(written) == len(originals)
    for old, new in zip(originals, written, strict=True):
        assert list(new.ImagePositionPatient) == list(old.ImagePositionPatient)
        assert list(new.ImageOrientationPatient) == list(old.ImageOrientationPatient)
        assert list(new.PixelSpacing) == list(old.PixelSpacing)
        assert new.get("PatientName") != old.get("PatientName") or not old.get("PatientName")
    assert any((n.pixel_array != o.pixel_array).any() for o, n in zip(originals, written, strict=True))
