"""Patient-space geometry: voxel <-> world for tilted, unevenly spaced, sheared and oblique stacks."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest

from medanon.core.errors import InputError
from medanon.volume import read_nifti
from medanon.volume.grid import resample
from medanon.volume.model import Geometry, Volume
from medanon.volume.phantom import axial_geometry


def _random_indices(shape: tuple[int, int, int], n: int = 200) -> np.ndarray:
    rng = np.random.default_rng(1)
    return rng.uniform(0, 1, (n, 3)) * (np.array(shape) - 1)


@pytest.mark.parametrize("tilt", [0.0, 18.5, -25.0], ids=["axial", "tilt+18.5", "tilt-25"])
def test_world_and_index_invert_each_other_with_gantry_tilt(tilt: float) -> None:
    geometry, shape = axial_geometry(2.0, 40, tilt_degrees=tilt)
    index = _random_indices(shape)
    back = geometry.to_index(geometry.world(index[:, 0], index[:, 1], index[:, 2]))
    np.testing.assert_allclose(back, index, atol=1e-6)


def test_uneven_slice_spacing_maps_each_slice_exactly() -> None:
    positions = np.array([-40.0, -36.0, -31.0, -20.0, -12.0, 0.0, 3.0, 10.0])
    geometry, shape = axial_geometry(2.0, 30, tilt_degrees=10.0, slice_positions=positions)
    index = _random_indices(shape)
    back = geometry.to_index(geometry.world(index[:, 0], index[:, 1], index[:, 2]))
    np.testing.assert_allclose(back, index, atol=1e-6)
    assert np.isnan(geometry.to_index(np.array([[0.0, 0.0, 500.0]]))).all()


def test_duplicate_slice_positions_are_refused() -> None:
    with pytest.raises(InputError, match="monotonic"):
        Geometry(origins=np.zeros((3, 3)), column_step=np.array([1.0, 0, 0]), row_step=np.array([0, 1.0, 0]))


def test_nifti_with_shear_and_oblique_affine_matches_nibabel(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rotation = np.linalg.qr(np.random.default_rng(3).normal(size=(3, 3)))[0]
    affine = np.eye(4)
    affine[:3, :3] = rotation @ np.array([[1.2, 0.3, 0.0], [0.0, 0.9, 0.2], [0.0, 0.0, 2.5]])
    affine[:3, 3] = [-60.0, 40.0, 12.0]
    data = np.arange(5 * 6 * 7, dtype=np.int16).reshape(5, 6, 7)
    path = tmp_path / "oblique.nii.gz"
    nib.save(nib.Nifti1Image(data, affine), str(path))
    volume, _ = read_nifti(path)
    ijk = np.array([[1, 2, 3], [4, 5, 6], [0, 0, 0]])
    expected = nib.affines.apply_affine(affine, ijk)
    got = volume.geometry.world(ijk[:, 2], ijk[:, 1], ijk[:, 0])
    np.testing.assert_allclose(got, expected, atol=1e-6)
    assert volume.data[3, 2, 1] == data[1, 2, 3]


def test_resampling_puts_a_bright_point_where_the_header_says() -> None:
    geometry, shape = axial_geometry(2.0, 30, tilt_degrees=20.0)
    data = np.zeros(shape, dtype=np.float32)
    data[12, 7, 21] = 1000.0
    values, grid = resample(Volume(data=data, geometry=geometry), 1.0)
    peak = grid.world(np.array(np.unravel_index(np.argmax(values), values.shape), dtype=float))
    np.testing.assert_allclose(peak, geometry.world(12, 7, 21), atol=1.0)
