"""The face scan: small faces in large pictures, tiling, the residual check's windows, ``min_face``."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from medanon.photo import FaceBox, clean_photo, detect_faces
from medanon.photo.faces import ScanPlan
from medanon.photo.faces.scan import _split, recheck_windows
from tests.photo.conftest import ASTRONAUT_FACE, detectors_or_skip


def _small_face_picture(astronaut: np.ndarray, width: int, face_width: int) -> tuple[np.ndarray, FaceBox]:
    """A plain 4:3 picture ``width`` pixels wide with the astronaut's face pasted ``face_width`` wide."""
    x0, y0, x1, y1 = ASTRONAUT_FACE
    crop = Image.fromarray(astronaut[y0:y1, x0:x1])
    face_height = round(face_width * crop.height / crop.width)
    canvas = np.full((width * 3 // 4, width, 3), (176, 168, 150), np.uint8)
    x, y = width * 2 // 3, width // 4
    canvas[y:y + face_height, x:x + face_width] = np.asarray(crop.resize((face_width, face_height),
                                                                          Image.Resampling.LANCZOS))
    return canvas, FaceBox(x, y, x + face_width, y + face_height)


def _jpeg(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def _covered(label: FaceBox, regions: list[FaceBox]) -> float:
    mask = np.zeros((label.y1, label.x1), bool)
    for r in regions:
        mask[r.y0:r.y1, r.x0:r.x1] = True
    return float(mask[label.y0:label.y1, label.x0:label.x1].mean())


def test_a_small_face_in_a_large_picture_is_obscured(astronaut: np.ndarray) -> None:
    """A 20-px face in a 2000-px picture: each detector's own shrunk copy misses it, the scan does not."""
    detectors_or_skip()
    picture, label = _small_face_picture(astronaut, 2000, 20)
    assert not any(b.intersection(label) for b in detect_faces(picture))  # the search without a scan
    cleaned = clean_photo(_jpeg(picture), "small-face.jpg", screen_text=False)
    assert _covered(label, cleaned.outcome.obscured) == 1.0
    assert cleaned.outcome.residual == [] and cleaned.outcome.min_face == 20
    out = np.asarray(Image.open(io.BytesIO(cleaned.data))).astype(int)
    assert out[label.y0:label.y1, label.x0:label.x1].std() < 4  # filled flat
    assert np.abs(out[:200, :200] - picture[:200, :200].astype(int)).mean() < 3  # far pixels kept


@pytest.mark.slow
def test_a_20px_face_in_a_12_megapixel_picture_is_obscured(astronaut: np.ndarray) -> None:
    detectors_or_skip()
    picture, label = _small_face_picture(astronaut, 4000, 20)
    cleaned = clean_photo(_jpeg(picture), "twelve-mp.jpg", screen_text=False)
    assert _covered(label, cleaned.outcome.obscured) == 1.0 and cleaned.outcome.residual == []


def test_a_larger_min_face_skips_small_faces_and_says_so(astronaut: np.ndarray) -> None:
    """The trade-off is the caller's, and visible: min_face 120 does not search for a 20-px face."""
    detectors_or_skip()
    picture, label = _small_face_picture(astronaut, 2000, 20)
    cleaned = clean_photo(_jpeg(picture), "small-face.jpg", screen_text=False, min_face=120)
    assert not any(r.intersection(label) for r in cleaned.outcome.obscured)
    assert cleaned.outcome.min_face == 120 and cleaned.outcome.to_dict()["min_face"] == 120


def test_a_large_face_is_found_by_both_detectors_in_the_overview(astronaut: np.ndarray) -> None:
    detectors_or_skip()
    big = np.asarray(Image.fromarray(astronaut).resize((2048, 2048)))
    face = FaceBox(*(4 * v for v in ASTRONAUT_FACE))
    boxes = detect_faces(big, plan=ScanPlan(min_face=400))  # the overview alone
    assert {b.detector for b in boxes if b.intersection(face) >= 0.5 * b.width * b.height} == {"centerface", "haar"}


@pytest.mark.parametrize("length", [100, 1024, 2048, 2049, 3000, 4000, 9000])
def test_tiles_cover_the_whole_length_with_the_overlap(length: int) -> None:
    overlap = 300
    starts, side = _split(length, 2048, overlap)
    assert side % 32 == 0 and side <= 2048 + 31
    assert starts[0] == 0 and starts[-1] + side >= length
    for left, right in zip(starts, starts[1:], strict=False):
        assert left + side - right >= overlap  # neighbours share at least the overlap


def test_residual_windows_reach_past_every_fill_and_merge() -> None:
    regions = [FaceBox(1000, 1000, 1200, 1250), FaceBox(1150, 1100, 1300, 1300), FaceBox(3500, 200, 3600, 320)]
    windows = recheck_windows(regions, 4000, 3000)
    assert len(windows) == 2  # the two touching fills share one window
    for region in regions:
        assert any(w.x0 < region.x0 - 200 and w.y0 < region.y0 - 100 and w.x1 >= min(4000, region.x1 + 200)
                   for w in windows)


def test_scan_plan_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        ScanPlan(min_face=0)
    assert ScanPlan(min_face=10).fine_scale() == 1.0 and ScanPlan(min_face=80).fine_scale() == 0.25


@pytest.mark.parametrize(("token", "word"), [("SMITH,", True), ("Jane", True), ("(4471902)", True),
                                              ("03/04/1961", True), ("1961", True), ("mRN", False), ("Wy", False),
                                              ("|", False), ("123", False), ("bcd", False), ("oe", False)])
def test_what_counts_as_a_printed_word(token: str, word: bool) -> None:
    from medanon.photo.text import is_word

    assert is_word(token) is word


def test_residual_check_searches_small_faces_next_to_fills_only(astronaut: np.ndarray) -> None:
    """A small face beside a filled region is found again at full scale; far from every fill it is
    left to the first scan (those pixels were already searched at that scale)."""
    detectors_or_skip()
    picture, label = _small_face_picture(astronaut, 2000, 20)
    beside = FaceBox(label.x1 + 5, label.y0, label.x1 + 120, label.y0 + 140)
    far = FaceBox(50, 1300, 160, 1440)
    near = detect_faces(picture, plan=ScanPlan(), windows=recheck_windows([beside], 2000, 1500))
    assert any(b.intersection(label) for b in near)
    away = detect_faces(picture, plan=ScanPlan(), windows=recheck_windows([far], 2000, 1500))
    assert not any(b.intersection(label) for b in away)


def test_residual_strips_hold_every_face_not_inside_a_fill() -> None:
    """The safety of leaving out a fill's inside: every box the fine pass answers for (up to the
    largest face the overview may miss) that lies in a window and is not wholly inside a fill lies
    wholly in one strip; and the strips never cover more than the windows."""
    from medanon.photo.faces.scan import largest_missed, recheck_strips

    rng = np.random.default_rng(6)
    plan = ScanPlan()
    columns, rows = 4000, 3000
    largest = int(largest_missed(plan, plan.overview_side / columns))
    fills = [FaceBox(300, 0, 2300, 2400), FaceBox(2500, 1800, 3900, 3000), FaceBox(3000, 200, 3200, 400)]
    windows, strips = recheck_windows(fills, columns, rows, plan), recheck_strips(fills, columns, rows, plan)
    area = sum((w.x1 - w.x0) * (w.y1 - w.y0) for w in strips)
    assert area < sum((w.x1 - w.x0) * (w.y1 - w.y0) for w in windows)  # the large fills' insides are left out
    checked = 0
    for _ in range(20000):
        side = int(rng.integers(8, largest + 1))
        x0, y0 = int(rng.integers(0, columns - side)), int(rng.integers(0, rows - side))
        box = (x0, y0, x0 + side, y0 + side)
        if not any(w.x0 <= box[0] and w.y0 <= box[1] and box[2] <= w.x1 and box[3] <= w.y1 for w in windows):
            continue  # outside every window: the first scan's search stands
        if any(f.x0 <= box[0] and f.y0 <= box[1] and box[2] <= f.x1 and box[3] <= f.y1 for f in fills):
            continue  # wholly inside a flat fill: no face
        checked += 1
        assert any(s.x0 <= box[0] and s.y0 <= box[1] and box[2] <= s.x1 and box[3] <= s.y1 for s in strips), box
    assert checked > 1000


def test_residual_strips_find_the_faces_the_whole_windows_find(astronaut: np.ndarray) -> None:
    """Small faces above, below, beside and at the corners of a large fill are found again by the
    strips as by the whole window."""
    from medanon.photo.faces.scan import recheck_strips

    detectors_or_skip()
    x0, y0, x1, y1 = ASTRONAUT_FACE
    crop = Image.fromarray(astronaut[y0:y1, x0:x1])
    picture = np.full((1500, 2000, 3), (176, 168, 150), np.uint8)
    fill = FaceBox(500, 300, 1500, 1200)
    picture[fill.y0:fill.y1, fill.x0:fill.x1] = 128
    labels = []
    for x, y, width in ((900, 240, 24), (900, 1210, 30), (440, 700, 24), (1510, 700, 40), (430, 230, 30),
                        (1505, 1205, 24), (980, 20, 60)):
        height = round(width * crop.height / crop.width)
        picture[y:y + height, x:x + width] = np.asarray(crop.resize((width, height), Image.Resampling.LANCZOS))
        labels.append(FaceBox(x, y, x + width, y + height))
    windows, areas = recheck_windows([fill], 2000, 1500), recheck_strips([fill], 2000, 1500)
    assert len(areas) == 4  # the fill's inside is left out
    whole = detect_faces(picture, plan=ScanPlan(), windows=windows)
    strips = detect_faces(picture, plan=ScanPlan(), windows=windows, fine_windows=areas)
    found_whole = [any(b.intersection(label) for b in whole) for label in labels]
    found_strips = [any(b.intersection(label) for b in strips) for label in labels]
    assert sum(found_whole) >= len(labels) - 1  # the comparison means something
    assert found_strips == found_whole
