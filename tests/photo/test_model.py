"""FaceBox refuses boxes that cannot exist, so a detector bug cannot pass an empty region to the filler."""

from __future__ import annotations

import pytest

from medanon.photo import FaceBox


@pytest.mark.parametrize("box", [(5, 5, 5, 9), (5, 5, 9, 4), (-1, 0, 4, 4)])
def test_empty_or_negative_boxes_are_refused(box: tuple[int, int, int, int]) -> None:
    with pytest.raises(ValueError):
        FaceBox(*box)


def test_float_coordinates_are_refused() -> None:
    with pytest.raises(TypeError):
        FaceBox(0.5, 0, 4, 4)  # type: ignore[arg-type]


def test_clipped_keeps_the_visible_part_and_drops_boxes_outside() -> None:
    assert FaceBox.clipped(-10.0, -5.0, 20.2, 30.0, 15, 25).as_tuple() == (0, 0, 15, 25)
    assert FaceBox.clipped(30.0, 30.0, 40.0, 40.0, 15, 25) is None


def test_overlap_measures() -> None:
    a, b = FaceBox(0, 0, 10, 10), FaceBox(5, 5, 15, 15)
    assert a.intersection(b) == 25
    assert a.iou(b) == pytest.approx(25 / 175)
    assert a.iou(FaceBox(20, 20, 30, 30)) == 0.0
