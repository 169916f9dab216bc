"""Records of the screen refuse contradictions when created (STYLE.md section 4)."""

from __future__ import annotations

import pytest

from medanon.pixels import Box, Region, Screening


@pytest.mark.parametrize(
    ("coords", "message"),
    [
        ((10, 5, 10, 20), "empty"),
        ((10, 5, 9, 20), "empty"),
        ((0, 20, 5, 20), "empty"),
        ((0, 20, 5, 3), "empty"),
        ((-1, 0, 5, 5), "outside"),
        ((0, -3, 5, 5), "outside"),
    ],
)
def test_box_refuses_empty_or_negative_boxes(coords: tuple[int, int, int, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Box(*coords)
    with pytest.raises(ValueError, match=message):
        Region(0, *coords)


def test_box_refuses_score_outside_unit_interval() -> None:
    with pytest.raises(ValueError, match="score"):
        Box(0, 0, 4, 4, 1.5)


def test_box_refuses_non_integer_coordinates() -> None:
    with pytest.raises(TypeError, match="x1 must be an int"):
        Box(0, 0, 4.5, 4)  # type: ignore[arg-type]


def test_region_refuses_negative_frame() -> None:
    with pytest.raises(ValueError, match="frame"):
        Region(-1, 0, 0, 4, 4)


def test_region_round_trips_through_box() -> None:
    box = Box(3, 4, 30, 16, 0.7, True)
    region = Region.from_box(2, box)
    assert region.frame == 2 and region.box == box


def test_box_union_and_overlap() -> None:
    a, b = Box(0, 0, 10, 10, 0.2), Box(12, 0, 20, 10, 0.9, True)
    assert not a.overlaps(b)
    assert not a.overlaps(b, margin=1)  # columns 10 and 11 still separate them
    assert a.overlaps(b, margin=2)
    assert a.union(b) == Box(0, 0, 20, 10, 0.9, True)


def test_screening_refuses_regions_on_frames_not_checked() -> None:
    with pytest.raises(ValueError, match="not checked"):
        Screening(regions=(Region(3, 0, 0, 4, 4),), frames_checked=(0,))


def test_screening_refuses_an_empty_error_reason() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        Screening(error="")


def test_clean_only_without_regions_and_without_error() -> None:
    assert Screening(frames_checked=(0,)).clean
    assert not Screening(frames_checked=(0,), error="could not decode frame 0").clean
    assert not Screening(regions=(Region(0, 0, 0, 4, 4),), frames_checked=(0,)).clean
