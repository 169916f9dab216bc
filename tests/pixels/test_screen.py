"""The burnt-in text screen on synthetic images: text is found, clean images pass, failures close.

Images are generated with numpy and Pillow's default font (tests/pixels/synth.py). Most tests run
the geometric detector alone (``confirmer=None``), which must find text and pass clean images by
itself; the OCR confirmer has its own tests in test_detectors.py.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np
import pytest
from pydicom.dataset import Dataset

from medanon.pixels import Box, Region, Screening, screen_for_text
from medanon.pixels.frames import frames_to_check
from tests.pixels import synth

SIZES = (10, 14, 20, 32)
CORNERS = {
    "top-left": lambda size, shape: (6, 4),
    "top-right": lambda size, shape: (shape[1] - 14 * size, 4),
    "bottom-left": lambda size, shape: (6, shape[0] - 2 * size),
    "bottom-right": lambda size, shape: (shape[1] - 14 * size, shape[0] - 2 * size),
    "inside": lambda size, shape: (shape[1] // 3, shape[0] // 2),
}
TEXT = "DOE JANE 1234567"


def regions_over(screening: Screening, bbox: synth.BBox, frame: int = 0) -> list[Region]:
    return [r for r in screening.regions if r.frame == frame and synth.overlaps(r, bbox)]


def geometric(ds: Dataset, **kwargs: object) -> Screening:
    return screen_for_text(ds, confirmer=None, **kwargs)  # type: ignore[arg-type]


# -- text is found ------------------------------------------------------------------------------
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("corner", sorted(CORNERS))
def test_white_text_on_ct_like_slice_is_found_in_every_corner(corner: str, size: int) -> None:
    image = synth.anatomy(seed=size)
    bbox = synth.draw_text(image, TEXT, size, CORNERS[corner](size, image.shape), ink=255)
    screening = geometric(synth.mono_dataset(image))
    assert screening.error is None
    assert regions_over(screening, bbox), f"{corner} text at {size} px missed"


@pytest.mark.parametrize("size", SIZES)
def test_dark_text_on_bright_background_is_found(size: int) -> None:
    image = synth.uniform(value=230.0)
    bbox = synth.draw_text(image, "Referred by Dr Smith", size, (20, 200), ink=0)
    screening = geometric(synth.mono_dataset(image))
    assert regions_over(screening, bbox)


@pytest.mark.parametrize("background", ["uniform", "noisy", "gradient", "anatomy"])
@pytest.mark.parametrize("ink", [255.0, 0.0, 180.0], ids=["white", "black", "grey"])
def test_text_is_found_on_every_background_and_ink(background: str, ink: float) -> None:
    image = getattr(synth, background)()
    bbox = synth.draw_text(image, "DOB 04/03/1961", 14, (150, 300), ink=ink)
    screening = geometric(synth.mono_dataset(image))
    assert regions_over(screening, bbox), f"{ink} text on {background} missed"


def test_region_box_covers_the_text_line() -> None:
    image = synth.uniform(value=20.0)
    bbox = synth.draw_text(image, TEXT, 14, (40, 60), ink=250)
    (region,) = geometric(synth.mono_dataset(image)).regions
    assert region.x0 <= bbox[0] + 2 and region.x1 >= bbox[2] - 2
    assert region.y0 <= bbox[1] + 2 and region.y1 >= bbox[3] - 2
    assert region.x1 - region.x0 < 1.5 * (bbox[2] - bbox[0])


def test_signed_ct_values_with_text_at_the_top_of_the_range() -> None:
    image = synth.anatomy(seed=7)  # 0..255 -> stored as -1024..+3056 like Hounsfield units
    bbox = synth.draw_text(image, "ST ELSEWHERE GENERAL", 12, (10, 480), ink=255)
    ds = synth.mono_dataset(image, signed=True, scale=16.0, offset=-1024.0)
    assert regions_over(geometric(ds), bbox)


def test_monochrome1_is_screened() -> None:
    image = synth.gradient()
    bbox = synth.draw_text(image, "R LATERAL DECUBITUS", 16, (30, 30), ink=10)
    ds = synth.mono_dataset(image, photometric="MONOCHROME1", modality="CR")
    assert regions_over(geometric(ds), bbox)


def test_eight_bit_greyscale_is_screened() -> None:
    image = synth.noisy(mean=60.0, sd=8.0)
    bbox = synth.draw_text(image, "Gen OB 28Hz 11cm", 12, (5, 100), ink=230)
    ds = synth.mono_dataset(image, bits=8, scale=1.0)
    assert regions_over(geometric(ds), bbox)


def test_rgb_text_in_colour_is_found() -> None:
    image = np.stack([synth.noisy(mean=30.0, sd=6.0, seed=s) for s in range(3)], axis=-1)
    yellow = synth.draw_text(image, "PATIENT 0113 496", 14, (10, 10), ink=(250, 230, 40))
    blue = synth.draw_text(image, "ACC 77812 SERIES", 14, (300, 400), ink=(20, 40, 255))
    screening = geometric(synth.rgb_dataset(image))
    assert regions_over(screening, yellow)
    assert regions_over(screening, blue), "saturated blue text needs the brightest-channel view"


def test_palette_colour_is_expanded_through_its_lookup_table() -> None:
    rng = np.random.default_rng(3)
    indices = rng.integers(0, 40, (300, 400)).astype(np.float64)
    bbox = synth.draw_text(indices, "SMITH JOHN 45Y", 14, (20, 250), ink=255)
    lut = np.zeros((256, 3))
    lut[:, 0] = np.linspace(0, 65535, 256)  # a red ramp: the text is bright red
    lut[:, 1] = np.linspace(0, 20000, 256)
    ds = synth.palette_dataset(np.round(indices), lut)
    assert regions_over(geometric(ds), bbox)


def test_multiframe_text_only_in_the_last_frame_is_found_there() -> None:
    frames = np.stack([synth.anatomy(seed=s) for s in range(5)])
    bbox = synth.draw_text(frames[-1], TEXT, 14, (8, 8), ink=255)
    screening = geometric(synth.mono_dataset(frames))
    assert screening.frames_checked == (0, 1, 2, 3, 4)
    assert {r.frame for r in screening.regions} == {4}
    assert regions_over(screening, bbox, frame=4)


def test_multiframe_rgb_text_in_the_middle_frame_is_found() -> None:
    frames = np.stack([np.full((240, 320, 3), 25.0) for _ in range(7)])
    bbox = synth.draw_text(frames[3], "DOE JANE 7781", 12, (10, 200), ink=(255, 255, 255))
    screening = geometric(synth.rgb_dataset(frames))
    assert screening.frames_checked == tuple(range(7))
    assert regions_over(screening, bbox, frame=3)
    assert all(r.frame == 3 for r in screening.regions)


def test_frames_to_check_are_first_middle_and_last() -> None:
    assert frames_to_check(1) == (0,)
    assert frames_to_check(2) == (0, 1)
    assert frames_to_check(30) == (0, 15, 29)


def test_explicit_frames_are_checked_instead() -> None:
    frames = np.stack([synth.uniform(value=30.0) for _ in range(6)])
    bbox = synth.draw_text(frames[1], TEXT, 14, (8, 8), ink=255)
    screening = geometric(synth.mono_dataset(frames), frames=[1])
    assert screening.frames_checked == (1,)
    assert regions_over(screening, bbox, frame=1)


# -- clean images pass --------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("background", ["uniform", "noisy", "gradient", "anatomy"])
def test_backgrounds_without_text_give_no_region(background: str, seed: int) -> None:
    maker = getattr(synth, background)
    image = maker(seed=seed) if background in ("noisy", "anatomy") else maker()
    screening = geometric(synth.mono_dataset(image))
    assert screening.error is None
    assert screening.regions == ()
    assert screening.clean


def test_circles_and_bars_without_text_give_no_region() -> None:
    image = synth.uniform(value=30.0)
    rows, cols = np.mgrid[0:512, 0:512]
    for k, x in enumerate(range(40, 480, 40)):  # a row of similar discs, like vertebrae or vessels
        image[np.hypot(rows - 100, cols - x) < 6 + k % 3] = 220
    image[300:304, 50:450] = 240  # a ruler bar
    image[250:262, 60:460] = 200  # a thick bar
    for x in range(50, 450, 25):  # ticks under the ruler
        image[304:312, x:x + 2] = 240
    screening = geometric(synth.mono_dataset(image))
    assert screening.regions == ()


def test_rgb_without_text_gives_no_region() -> None:
    """A grey ultrasound-like image with colour Doppler blobs (red and blue), no text."""
    image = np.repeat(synth.anatomy(seed=5)[..., None], 3, axis=-1)
    rows, cols = np.mgrid[0:512, 0:512]
    for k, (y, x) in enumerate([(200, 180), (230, 260), (320, 300), (150, 330)]):
        blob = np.exp(-((rows - y) ** 2 + (cols - x) ** 2) / (2 * 12.0**2))[..., None]
        colour = np.array([230.0, 30.0, 30.0]) if k % 2 else np.array([30.0, 60.0, 240.0])
        image = image * (1 - blob) + colour * blob
    assert geometric(synth.rgb_dataset(image)).regions == ()


def test_a_lone_marker_letter_is_not_a_line_of_text() -> None:
    image = synth.anatomy(seed=4)
    synth.draw_text(image, "R", 40, (420, 420), ink=255)
    assert geometric(synth.mono_dataset(image)).regions == ()


# -- fail closed, never touch the input ---------------------------------------------------------
def test_truncated_pixel_data_sets_error() -> None:
    ds = synth.mono_dataset(synth.uniform())
    ds.PixelData = ds.PixelData[:1000]
    screening = screen_for_text(ds)
    assert screening.error is not None and "decode" in screening.error
    assert not screening.clean


def test_missing_transfer_syntax_sets_error() -> None:
    ds = synth.mono_dataset(synth.uniform())
    del ds.file_meta.TransferSyntaxUID
    screening = screen_for_text(ds)
    assert screening.error is not None
    assert not screening.clean


def test_bad_number_of_frames_sets_error() -> None:
    ds = synth.mono_dataset(synth.uniform())
    ds.NumberOfFrames = 0
    screening = screen_for_text(ds)
    assert screening.error is not None and "NumberOfFrames" in screening.error


def test_frame_beyond_the_last_sets_error() -> None:
    ds = synth.mono_dataset(synth.uniform())
    assert "does not exist" in (screen_for_text(ds, frames=[3]).error or "")


def test_regions_found_before_a_failure_are_kept_with_the_error() -> None:
    frames = np.stack([synth.uniform(value=30.0) for _ in range(3)])
    synth.draw_text(frames[0], TEXT, 14, (8, 8), ink=255)
    screening = geometric(synth.mono_dataset(frames), frames=[0, 9])
    assert screening.error is not None
    assert screening.frames_checked == (0,)
    assert screening.regions and not screening.clean


def test_no_pixel_data_gives_nothing_to_screen() -> None:
    ds = synth.mono_dataset(synth.uniform())
    del ds.PixelData
    screening = screen_for_text(ds)
    assert screening.error is None and screening.regions == () and screening.frames_checked == ()
    assert "no pixel data" in screening.notes


@pytest.mark.parametrize("kind", ["mono16", "rgb-multiframe", "palette"])
def test_dataset_is_unchanged_after_screening(kind: str) -> None:
    if kind == "mono16":
        image = synth.anatomy()
        synth.draw_text(image, TEXT, 14, (8, 8), ink=255)
        ds = synth.mono_dataset(image)
    elif kind == "rgb-multiframe":
        ds = synth.rgb_dataset(np.full((3, 64, 80, 3), 50.0))
    else:
        ds = synth.palette_dataset(np.zeros((64, 80)), np.zeros((256, 3)))
    before = copy.deepcopy(ds)
    pixel_bytes = bytes(ds.PixelData)
    screen_for_text(ds)
    assert ds == before
    assert ds.file_meta == before.file_meta
    assert bytes(ds.PixelData) == pixel_bytes
    assert getattr(ds, "_pixel_array", None) is None, "the decoded array was cached on the dataset"


# -- detectors: missing, failing, confirming ----------------------------------------------------
class StubDetector:
    """A TextDetector whose answers the test decides."""

    DEPENDENCIES: tuple[str, ...] = ("nothing",)

    def __init__(self, name: str, boxes: Sequence[Box] = (), *, available: bool = True,
                 fail: bool = False) -> None:
        self.name = name
        self.boxes = list(boxes)
        self.available = available
        self.fail = fail
        self.seen: list[Sequence[Box] | None] = []

    def is_available(self) -> bool:
        return self.available

    def detect(self, frame: np.ndarray, candidates: Sequence[Box] | None = None) -> list[Box]:
        self.seen.append(candidates)
        if self.fail:
            raise RuntimeError("boom")
        if candidates is None:
            return list(self.boxes)
        return [c for c in candidates if any(c.overlaps(b) for b in self.boxes)]


STRONG = Box(10, 10, 60, 24, 0.9)
WEAK = Box(100, 100, 140, 112, 0.2)


def clean_ds() -> Dataset:
    return synth.mono_dataset(synth.uniform())


def test_unavailable_searcher_sets_error() -> None:
    screening = screen_for_text(clean_ds(), detector=StubDetector("x", available=False))
    assert screening.error is not None and "unavailable" in screening.error
    assert not screening.clean


def test_failing_searcher_sets_error() -> None:
    screening = screen_for_text(clean_ds(), detector=StubDetector("x", fail=True), confirmer=None)
    assert screening.error is not None and "boom" in screening.error


def test_confirmer_sees_only_weak_candidates_and_may_clear_them() -> None:
    confirmer = StubDetector("ocr", boxes=[])
    screening = screen_for_text(clean_ds(), detector=StubDetector("geo", [STRONG, WEAK]),
                                confirmer=confirmer)
    assert confirmer.seen == [[WEAK]]
    assert [r.box for r in screening.regions] == [STRONG]
    assert screening.detectors == ("geo", "ocr")


def test_confirmed_weak_candidate_is_kept_and_marked() -> None:
    screening = screen_for_text(clean_ds(), detector=StubDetector("geo", [WEAK]),
                                confirmer=StubDetector("ocr", boxes=[WEAK]))
    (region,) = screening.regions
    assert region.confirmed and (region.x0, region.y0) == (WEAK.x0, WEAK.y0)


def test_failing_confirmer_keeps_weak_candidates_and_says_so() -> None:
    screening = screen_for_text(clean_ds(), detector=StubDetector("geo", [STRONG, WEAK]),
                                confirmer=StubDetector("ocr", fail=True))
    assert len(screening.regions) == 2
    assert screening.error is None
    assert any("failed" in note for note in screening.notes)


def test_unavailable_confirmer_keeps_weak_candidates_and_says_so() -> None:
    screening = screen_for_text(clean_ds(), detector=StubDetector("geo", [WEAK]),
                                confirmer=StubDetector("ocr", [], available=False))
    assert [r.box for r in screening.regions] == [WEAK]
    assert screening.detectors == ("geo",)
    assert any("unavailable" in note for note in screening.notes)


def test_unknown_detector_name_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown text detector 'nope'"):
        screen_for_text(clean_ds(), detector="nope")


def test_multiframe_text_on_a_frame_between_first_middle_and_last_is_found() -> None:
    """Every frame is screened: text on frame 1 of 5 (not first, middle or last) is found there."""
    frames = np.stack([synth.anatomy(seed=s) for s in range(5)])
    bbox = synth.draw_text(frames[1], TEXT, 14, (8, 8), ink=255)
    screening = geometric(synth.mono_dataset(frames))
    assert {r.frame for r in screening.regions} == {1}
    assert regions_over(screening, bbox, frame=1)
