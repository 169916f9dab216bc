"""The skin render behind the face check: no false holes, symmetric light, smoothing at the source's scale."""

from __future__ import annotations

import numpy as np

from medanon.volume import segment
from medanon.volume.grid import Grid, resample
from medanon.volume.model import Geometry, Volume
from medanon.volume.phantom import axial_geometry, make_head
from medanon.volume.render import render_views, smoothing_mm


def _ball_with_a_deep_well(spacing: float = 1.5, size: int = 80) -> tuple[np.ndarray, Grid]:
    """A 40 mm ball with a 6 mm wide, 30 mm deep well drilled towards the viewer at 0 degrees (+A)."""
    grid = Grid(origin=np.full(3, -spacing * (size - 1) / 2), spacing=spacing, shape=(size, size, size))
    axis = grid.axis(0)
    x, y, z = np.meshgrid(axis, axis, axis, indexing="ij")
    ball = x ** 2 + y ** 2 + z ** 2 <= 40.0 ** 2
    well = (x ** 2 + z ** 2 <= 3.0 ** 2) & (y > 10.0)
    return np.where(ball & ~well, 100.0, 0.0).astype(np.float32), grid


def test_a_deep_narrow_pit_is_drawn_as_surface_not_as_a_black_hole() -> None:
    """A ray that passes the skin's outer voxels without meeting the smooth surface nearby (eye
    fissure, nostril) must still land on the skin: a black dot on the face reads as an eye."""
    values, grid = _ball_with_a_deep_well()
    skin = segment.skin_mask(values, 50.0)
    image = render_views(values, skin, 50.0, grid, angles=(0.0,))[0]
    rows, columns = np.indices(image.shape)
    centre = np.array(image.shape) / 2
    inside = (rows - centre[0]) ** 2 + (columns - centre[1]) ** 2 <= (30.0 / 1.5) ** 2  # well inside the rim
    assert image[inside].min() > 0


def test_light_comes_from_the_viewer_so_mirror_views_look_alike() -> None:
    """The synthetic head is left-right symmetric: its -30 and +30 degree renders are mirror images."""
    head = make_head(*axial_geometry(2.5, 96), "MR", noise=0.0).volume
    values, grid = resample(head, 1.5)
    level = segment.skin_threshold(values, "MR")
    left, right = render_views(values, segment.skin_mask(values, level), level, grid, angles=(-30.0, 30.0))
    mirrored = np.fliplr(right).astype(float)
    difference = np.abs(left.astype(float) - mirrored)[(left > 0) & (mirrored > 0)]
    assert np.median(difference) < 12  # identical up to one pixel of grid offset at edges


def test_the_lit_skin_uses_the_whole_grey_range() -> None:
    """Contrast is normalised over the skin, so a faint surface still gives the detector full contrast."""
    head = make_head(*axial_geometry(2.5, 96), "MR").volume
    values, grid = resample(head, 1.5)
    level = segment.skin_threshold(values, "MR")
    image = render_views(values, segment.skin_mask(values, level), level, grid, angles=(0.0,))[0]
    skin = image[image > 0]
    assert np.percentile(skin, 99) >= 250 and np.percentile(skin, 1) <= 40


def test_coarser_sources_are_smoothed_more() -> None:
    assert smoothing_mm(1.0) == smoothing_mm(0.5)  # fine sources share the floor
    assert smoothing_mm(5.0) > smoothing_mm(2.5) >= smoothing_mm(1.0)


def test_smoothing_follows_the_volume_geometry_not_the_voxel_count() -> None:
    """Same head sampled at 2.5 and 4 mm: the render of the coarser one is smoothed more (its terraces)."""
    from medanon.volume.check import _coarsest_step

    fine = Volume(np.zeros((3, 3, 3), np.float32), Geometry(np.array([[0, 0, 0], [0, 0, 2.5], [0, 0, 5.0]]),
                                                            np.array([1.0, 0, 0]), np.array([0, 1.0, 0])))
    coarse = Volume(np.zeros((3, 3, 3), np.float32), Geometry(np.array([[0, 0, 0], [0, 0, 4.0], [0, 0, 8.0]]),
                                                              np.array([1.0, 0, 0]), np.array([0, 1.0, 0])))
    assert _coarsest_step(fine) == 2.5 and _coarsest_step(coarse) == 4.0


def test_a_face_turned_right_is_found_as_surely_as_the_same_face_turned_left() -> None:
    """The detectors do not answer the same for a face and its mirror image; the check asks about both."""
    from medanon.volume.check import check_faces

    head = make_head(*axial_geometry(2.5, 96), "CT", noise=4.0)
    check = check_faces(head.volume, angles=(-30.0, 30.0))
    assert [bool(boxes) for boxes in check.faces] == [True, True]
    left, right = check.images
    np.testing.assert_allclose(left.astype(float).mean(), right[:, ::-1].astype(float).mean(), rtol=0.05)


def test_faces_found_on_the_mirror_image_are_mapped_back_onto_the_view() -> None:
    from PIL import Image

    from medanon.volume import _faces
    from medanon.volume.check import check_faces

    head = make_head(*axial_geometry(2.5, 96), "MR")
    image = check_faces(head.volume, angles=(0.0,)).images[0]
    big = np.asarray(Image.fromarray(image).resize((image.shape[1] * 2, image.shape[0] * 2)))
    wide = np.zeros((big.shape[0], big.shape[1] * 2), dtype=np.uint8)
    wide[:, : big.shape[1]] = big  # the face in the left half, nothing in the right half
    boxes = _faces.find_faces(wide)
    assert boxes and all(x + w <= big.shape[1] + 4 for x, _, w, _ in boxes)


def test_a_head_lying_chin_up_is_seen_from_the_ring_of_views_above() -> None:
    """Chin-up 20 degrees, the face turns away from a level camera; the check also looks from above."""
    from medanon.volume.check import EXTRA_ELEVATIONS, check_faces

    head = make_head(*axial_geometry(2.5, 96), "MR", pitch_degrees=-20.0)
    check = check_faces(head.volume)
    assert 20.0 in EXTRA_ELEVATIONS and set(check.rings) == set(EXTRA_ELEVATIONS)
    raised_images, raised_faces = check.rings[20.0]
    assert all(raised_faces) and len(raised_images) == len(check.angles)
    assert check.views_with_face == list(check.angles)
    sheet = check.preview()
    assert sheet.height == 2 * max(image.shape[0] for image in check.images)  # level row and raised row
