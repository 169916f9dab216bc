"""Head-series routing in ``medanon dicom``: which stacks are head volumes, and what happens to them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from medanon.cli import main
from medanon.core.enum import Status
from medanon.pipeline import deidentify_dicom
from medanon.pipeline.heads import HeadDecision, classify
from medanon.volume.phantom import Phantom, axial_geometry, make_head
from tests.conftest import make_ct, write
from tests.volume.conftest import write_series


def stack(count: int = 40, gap: float = 2.5, **overrides: object) -> list[Dataset]:
    """Headers of an axial CT stack (no pixels needed to decide), 512 x 0.5 mm in plane."""
    fields: dict[str, object] = {"BodyPartExamined": "HEAD", "StudyDescription": "", "SeriesDescription": "",
                                 "Rows": 512, "Columns": 512, "PixelSpacing": ["0.5", "0.5"]}
    fields.update(overrides)
    return [make_ct(ImagePositionPatient=["-128", "-128", f"{i * gap:.2f}"], **fields) for i in range(count)]


def test_a_thin_slice_head_ct_stack_is_a_head_volume() -> None:
    assert classify(stack()).decision is HeadDecision.HEAD


def test_head_words_in_the_description_count_when_body_part_is_empty() -> None:
    assert classify(stack(BodyPartExamined="", SeriesDescription="T1 MPRAGE BRAIN")).decision is HeadDecision.HEAD


@pytest.mark.parametrize(("overrides", "why"), [
    ({"BodyPartExamined": "CHEST"}, "another body part"),
    ({"Modality": "PT"}, "not CT or MR"),
    ({"ImageType": ["ORIGINAL", "PRIMARY", "LOCALIZER"]}, "localizer"),
    ({"Rows": 128, "Columns": 128}, "field of view"),
])
def test_stacks_that_are_not_head_volumes(overrides: dict[str, object], why: str) -> None:
    decided = classify(stack(**overrides))
    assert decided.decision is HeadDecision.NOT_HEAD
    assert why in decided.why


def test_thick_few_or_short_stacks_are_not_volumes() -> None:
    assert "thicker" in classify(stack(gap=8.0)).why
    assert "fewer than" in classify(stack(count=6)).why
    assert "covers" in classify(stack(count=12, gap=1.0)).why
    assert classify(stack(gap=5.0)).decision is HeadDecision.HEAD  # routine 5 mm head CT still renders a face


def test_repeated_positions_count_once() -> None:
    """Two echoes at the same 8 positions are 8 slice positions, not 16."""
    echoes = stack(count=8) + stack(count=8)
    assert "fewer than" in classify(echoes).why


def test_no_body_part_anywhere_leaves_the_render_check_to_decide() -> None:
    assert classify(stack(BodyPartExamined="")).decision is HeadDecision.UNKNOWN


def test_an_enhanced_multiframe_head_is_read_from_its_functional_groups() -> None:
    ds = make_ct(BodyPartExamined="BRAIN", Modality="MR", NumberOfFrames=30, Rows=256, Columns=256)
    shared, orientation, measures = Dataset(), Dataset(), Dataset()
    orientation.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    measures.PixelSpacing = ["1", "1"]
    shared.PlaneOrientationSequence = Sequence([orientation])
    shared.PixelMeasuresSequence = Sequence([measures])
    ds.SharedFunctionalGroupsSequence = Sequence([shared])
    frames = []
    for i in range(30):
        group, position = Dataset(), Dataset()
        position.ImagePositionPatient = ["-128", "-128", str(2.0 * i)]
        group.PlanePositionSequence = Sequence([position])
        frames.append(group)
    ds.PerFrameFunctionalGroupsSequence = Sequence(frames)
    assert classify([ds]).decision is HeadDecision.HEAD


# --- end to end: medanon dicom routes the head series ------------------------------------------

@pytest.fixture(scope="module")
def head() -> Phantom:
    return make_head(*axial_geometry(2.5, 96), "CT", noise=4.0)


def _inputs(folder: Path, head: Phantom, **series_fields: object) -> list[Path]:
    slices = write_series(head, folder / "head")
    for path in slices:
        if series_fields:
            ds = pydicom.dcmread(path)
            for keyword, value in series_fields.items():
                setattr(ds, keyword, value)
            ds.save_as(path, enforce_file_format=True)
    write(make_ct(SOPInstanceUID="1.2.826.0.1.3680043.2.1125.1.77", SeriesInstanceUID="1.2.3.4.77"),
          folder / "other" / "single.dcm")
    return slices


def _pixels_by_position(folder: Path) -> dict[float, np.ndarray]:
    return {float(ds.ImagePositionPatient[2]): ds.pixel_array
            for ds in (pydicom.dcmread(p) for p in folder.rglob("*.dcm"))}


@pytest.mark.slow
def test_a_head_series_is_released_defaced_and_the_rest_goes_per_file(tmp_path: Path, head: Phantom) -> None:
    slices = _inputs(tmp_path / "in", head)
    before = _pixels_by_position(tmp_path / "in" / "head")
    outcome = deidentify_dicom([tmp_path / "in"], tmp_path / "out", key_path=tmp_path / "k.key",
                               screen_pixels=False)
    results = {r.source: r for r in outcome.results}
    assert len(results) == len(slices) + 1
    heads = [r for source, r in results.items() if source.startswith("head/")]
    assert all(r.status is Status.RELEASED for r in heads), {r.reasons[0] for r in heads if r.reasons}
    assert all(any("defaced and checked as one volume" in note for note in r.review) for r in heads)
    assert not any("`medanon deface`" in note for r in heads for note in r.review)  # done, not asked for
    assert results["other/single.dcm"].status is Status.RELEASED
    assert not any("defaced" in note for note in results["other/single.dcm"].review)
    after = {p: a for p, a in _pixels_by_position(tmp_path / "out").items() if p in before}
    assert len(after) == len(slices)
    changed = sum(int(np.count_nonzero(after[p] != before[p])) for p in before)
    assert changed > 1000  # the face went
    report = json.loads(outcome.report_path.read_text(encoding="utf-8"))
    assert json.dumps(report).count("defaced and checked as one volume") >= len(slices)


@pytest.mark.slow
def test_with_routing_off_the_slices_are_released_undefaced(tmp_path: Path, head: Phantom) -> None:
    _inputs(tmp_path / "in", head)
    before = _pixels_by_position(tmp_path / "in" / "head")
    code = main(["dicom", str(tmp_path / "in"), str(tmp_path / "out"), "--key", str(tmp_path / "k.key"),
                  "--no-pixel-screen", "--no-deface", "--workers", "1", "-q"])
    assert code == 0
    after = _pixels_by_position(tmp_path / "out")
    assert all(np.array_equal(after[p], before[p]) for p in before)
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert "`medanon deface`" in json.dumps(report) and "defaced and checked" not in json.dumps(report)


def test_a_head_series_that_cannot_be_defaced_is_withheld_whole(tmp_path: Path) -> None:
    blank = make_head(*axial_geometry(4.0, 40), "CT")
    blank.volume.data[:] = -1000.0  # all air: no head, no brain to protect
    slices = _inputs(tmp_path / "in", blank)
    outcome = deidentify_dicom([tmp_path / "in"], tmp_path / "out", key_path=tmp_path / "k.key",
                               screen_pixels=False)
    heads = [r for r in outcome.results if r.source.startswith("head/")]
    assert len(heads) == len(slices)
    assert all(r.status is not Status.RELEASED and r.output is None for r in heads)
    assert all(r.reasons and r.reasons[0].startswith("head series withheld as a whole") for r in heads)
    assert all(any("withheld as one volume" in note for note in r.review) for r in heads)
    released = list((tmp_path / "out").rglob("*.dcm"))
    assert len(released) == 1  # only the unrelated single CT
    assert len(list((tmp_path / "out" / "quarantine").glob("*.json"))) == len(slices)


@pytest.mark.slow
def test_an_unlabelled_volume_with_a_face_on_its_render_is_routed(tmp_path: Path, head: Phantom) -> None:
    _inputs(tmp_path / "in", head, BodyPartExamined="", StudyDescription="", SeriesDescription="")
    outcome = deidentify_dicom([tmp_path / "in"], tmp_path / "out", key_path=tmp_path / "k.key",
                               screen_pixels=False)
    heads = [r for r in outcome.results if r.source.startswith("head/")]
    assert heads and all(any("names no body part" in note for note in r.review) for r in heads)


# --- medanon case takes the same route ----------------------------------------------------------

@pytest.mark.slow
def test_a_case_defaces_a_head_series_and_keeps_its_previews_out_of_the_shared_output(tmp_path: Path,
                                                                                    head: Phantom) -> None:
    from medanon.case.cleaners import _clean_dicom, review_folder
    from medanon.core.keys import KeyRing
    from medanon.core.policy import Policy

    slices = _inputs(tmp_path / "in", head)
    before = _pixels_by_position(tmp_path / "in" / "head")
    out_dir = tmp_path / "case" / "staging" / "dicom-1"
    results = {r.source: r for r in _clean_dicom(tmp_path / "in", out_dir, Policy.load("publication"),
                                                  KeyRing(bytes(32)))}
    heads = [r for source, r in results.items() if source.startswith("head/")]
    assert len(heads) == len(slices)
    assert all(r.status is Status.RELEASED for r in heads), {r.reasons[0] for r in heads if r.reasons}
    assert all(any("defaced and checked as one volume" in note for note in r.review) for r in heads)
    assert not any("`medanon deface`" in note for r in heads for note in r.review)  # done, not asked for
    assert results["other/single.dcm"].status is Status.RELEASED
    after = {p: a for p, a in _pixels_by_position(out_dir).items() if p in before}
    assert len(after) == len(slices)
    assert sum(int(np.count_nonzero(after[p] != before[p])) for p in before) > 1000  # the face went
    assert not list(out_dir.rglob("*.png"))  # the "before" render shows the face: never in the shared output
    assert list(review_folder(out_dir).glob("*-before.png"))


@pytest.mark.slow
def test_burnt_in_text_on_one_slice_is_filled_and_the_series_is_released_defaced(tmp_path: Path,
                                                                                 head: Phantom) -> None:
    from medanon.pixels.detectors import get_detector
    from tests.pixels.synth import draw_text

    if not get_detector("tesseract").is_available():
        pytest.skip("tesseract-ocr with eng data is not installed")
    slices = _inputs(tmp_path / "in", head)
    marked = pydicom.dcmread(slices[len(slices) // 2])
    image = marked.pixel_array.astype(np.float64)
    # bottom left: behind the head, where defacing clears nothing, so only the redactor can remove it
    x0, y0, x1, y1 = draw_text(image, "MRN889123", 9, (2, image.shape[0] - 12), ink=3000.0)
    marked.PixelData = np.clip(image, 0, 4095).astype(np.uint16).tobytes()
    marked.BurnedInAnnotation = "YES"
    marked.save_as(slices[len(slices) // 2], enforce_file_format=True)
    position = float(marked.ImagePositionPatient[2])
    outcome = deidentify_dicom([tmp_path / "in"], tmp_path / "out", key_path=tmp_path / "k.key",
                               screen_pixels=False)
    heads = [r for r in outcome.results if r.source.startswith("head/")]
    assert all(r.status is Status.RELEASED for r in heads), {r.reasons[0] for r in heads if r.reasons}
    assert all(any("burnt-in text filled" in note for note in r.review) for r in heads)
    after = _pixels_by_position(tmp_path / "out")[position]
    assert image[y0:y1, x0:x1].max() >= 2000  # the text was there
    assert after[y0:y1, x0:x1].max() < 500  # and is gone (background-level fill)


def test_the_header_pass_shared_by_workers_groups_as_one_process_does(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from medanon.pipeline import heads
    from medanon.pipeline.inputs import discover

    for index in range(12):
        series = "1.2.3.4.1" if index % 2 else "1.2.3.4.2"
        write(make_ct(SOPInstanceUID=f"1.2.826.0.1.3680043.2.1125.3.{index}", SeriesInstanceUID=series,
                      ImagePositionPatient=["0", "0", str(index * 2.5)]), tmp_path / f"{index:02d}.dcm")
    (tmp_path / "notes.txt").write_text("not DICOM", encoding="utf-8")
    items = sorted(discover([tmp_path]), key=lambda item: item.source)
    monkeypatch.setattr(heads, "PARALLEL_HEADERS_FROM", 4)
    calls: list[int] = []
    real_pool = heads.ProcessPoolExecutor

    def counting_pool(max_workers: int) -> object:
        calls.append(max_workers)
        return real_pool(max_workers=max_workers)

    monkeypatch.setattr(heads, "ProcessPoolExecutor", counting_pool)

    def grouping(workers: int) -> tuple[list[list[str]], list[str]]:
        stacks, rest = heads._stacks(items, workers)
        return [[item.source for item in stack.items] for stack in stacks], [item.source for item in rest]

    one, two = grouping(1), grouping(2)
    assert calls == [2]  # the second pass really ran in worker processes
    assert one == two
    assert sorted(len(sources) for sources in one[0]) == [6, 6] and one[1] == ["notes.txt"]
