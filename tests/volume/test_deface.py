"""Defacing synthetic heads: face found on renders before, none after; brain untouched; geometry kept."""

from __future__ import annotations

import numpy as np
import pytest

from medanon.core.errors import UnsupportedInput, VerificationFailed
from medanon.volume import Defaced, check_faces, cut, deface
from medanon.volume.model import Volume
from medanon.volume.phantom import Phantom, axial_geometry, make_head

FRONTAL_VIEWS = (-15.0, 0.0, 15.0)
WIDEST_VIEWS = (-45.0, 45.0)


@pytest.fixture(scope="module")
def mr_head() -> Phantom:
    geometry, shape = axial_geometry(2.5, 96)
    return make_head(geometry, shape, "MR")


@pytest.fixture(scope="module")
def tilted_ct_head() -> Phantom:
    positions = np.concatenate([np.arange(-110.0, 0.0, 2.5), np.arange(0.0, 118.0, 4.0)])  # uneven spacing
    geometry, shape = axial_geometry(2.5, 96, tilt_degrees=18.5, slice_positions=positions)
    return make_head(geometry, shape, "CT", noise=4.0)


@pytest.fixture(scope="module")
def defaced(mr_head: Phantom, tilted_ct_head: Phantom) -> dict[str, tuple[Phantom, Defaced]]:
    return {name: (head, deface(head.volume)) for name, head in (("mr", mr_head), ("tilted_ct", tilted_ct_head))}


@pytest.mark.parametrize("head", ["mr", "tilted_ct"])
def test_face_found_before_and_at_no_view_after(head: str, defaced: dict[str, tuple[Phantom, Defaced]]) -> None:
    _, result = defaced[head]
    assert result.before is not None
    assert set(FRONTAL_VIEWS) <= set(result.before.views_with_face)
    if head == "mr":  # the synthetic nose hides one eye at +30
        assert set(WIDEST_VIEWS) <= set(result.before.views_with_face)
        assert len(result.before.views_with_face) >= 6
    else:  # 4 mm slices over the face: fewer views (measured in bench/bench_deface.py)
        assert len(result.before.views_with_face) >= 4
    assert result.after.views_with_face == []
    assert len(result.after.angles) == 7 and min(result.after.angles) == -45 and max(result.after.angles) == 45


@pytest.mark.parametrize("head", ["mr", "tilted_ct"])
def test_no_brain_voxel_changes_and_the_face_regions_go(head: str, defaced: dict[str, tuple[Phantom, Defaced]]) -> None:
    phantom, result = defaced[head]
    changed = result.volume.data != phantom.volume.data
    assert not changed[phantom.brain].any()
    assert changed[phantom.face].mean() > 0.9
    assert result.volume.data.shape == phantom.volume.data.shape
    assert changed[phantom.regions["eyeballs"]].mean() > 0.95  # the back of the eyeball goes too
    # Eyes and lids: at least what a template-mask defacer takes (96-100 %, bench/bench_deface.py).
    assert result.plan.removed[phantom.regions["eyes"]].mean() >= 0.96
    assert result.volume.geometry is phantom.volume.geometry
    assert result.volume.data is not phantom.volume.data  # input not modified


@pytest.mark.parametrize("pitch", [-20.0, 20.0], ids=["chin-up", "chin-down"])
def test_pitched_head_is_still_defaced_without_touching_the_brain(pitch: float) -> None:
    geometry, shape = axial_geometry(2.5, 96)
    pitched = make_head(geometry, shape, "MR", pitch_degrees=pitch)
    result = deface(pitched.volume, render_before=False)
    changed = result.volume.data != pitched.volume.data
    assert not changed[pitched.brain].any()
    assert changed[pitched.face].mean() > 0.9
    assert result.after.views_with_face == []


def test_a_cut_that_leaves_the_face_is_caught_by_the_render_check(mr_head: Phantom,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cut, "CUT_DIRECTIONS", np.array([150.0]))  # trims behind the neck, leaves the face
    with pytest.raises(VerificationFailed, match="face is still detected"):
        deface(mr_head.volume, render_before=False)


def test_a_detector_that_fails_means_quarantine_not_clean(mr_head: Phantom, monkeypatch: pytest.MonkeyPatch) -> None:
    from medanon.volume import _faces

    def broken(image: np.ndarray) -> list:
        raise RuntimeError("cascade missing")

    monkeypatch.setattr(_faces, "find_faces", broken)
    with pytest.raises(VerificationFailed, match="could not run"):
        deface(mr_head.volume, render_before=False)


def test_a_volume_without_a_head_is_refused() -> None:
    geometry, shape = axial_geometry(2.5, 40)
    noise = np.random.default_rng(0).normal(10, 2, shape).astype(np.float32)
    with pytest.raises(UnsupportedInput):
        deface(Volume(data=noise, geometry=geometry, modality="MR"))


def test_the_render_sees_the_face_where_the_header_puts_it(mr_head: Phantom) -> None:
    """Flipping the header's anterior direction (not the data) turns the face away from the front view."""
    check = check_faces(mr_head.volume, angles=(0.0,))
    geometry = mr_head.volume.geometry
    flipped = type(geometry)(origins=geometry.origins * np.array([1, -1, 1]),
                             column_step=geometry.column_step, row_step=geometry.row_step * np.array([1, -1, 1]))
    away = check_faces(Volume(data=mr_head.volume.data, geometry=flipped, modality="MR"), angles=(0.0,))
    assert check.views_with_face == [0.0]
    assert away.views_with_face == []


@pytest.mark.parametrize("orientation", ["sagittal", "coronal"])
def test_sagittal_and_coronal_stacks_are_cut_in_patient_space(orientation: str) -> None:
    """The cut itself (the render check's false positives are measured in bench/, not here)."""
    from medanon.volume.phantom import plane_geometry

    phantom = make_head(*plane_geometry(orientation), "MR")
    plan = cut.plan_defacing(phantom.volume)
    assert not plan.removed[phantom.brain].any()
    assert plan.removed[phantom.face].mean() > 0.9



def test_an_mr_stored_with_an_offset_is_cut_as_without_it(mr_head: Phantom) -> None:
    """Air at 1000 instead of 0 (a scanner's or a pipeline's offset): the skin threshold follows the air,
    so the same voxels go; measured from 0 the whole volume was "body" and the volume was refused."""
    plan = cut.plan_defacing(mr_head.volume)
    shifted = Volume(data=mr_head.volume.data + 1000.0, geometry=mr_head.volume.geometry, modality="MR")
    shifted_plan = cut.plan_defacing(shifted)
    assert shifted_plan.threshold == pytest.approx(plan.threshold + 1000.0, abs=1.0)
    np.testing.assert_array_equal(shifted_plan.removed, plan.removed)
