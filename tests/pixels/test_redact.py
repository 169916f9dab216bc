"""Burnt-in text redaction (issue 5) on real ultrasounds shipped by pydicom-data and deid-data.

Each output must decode, be valid DICOM, and show no header identifier that Tesseract can read;
lossless inputs must keep every pixel outside the filled boxes bit-identical.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.pixels import get_decoder

from medanon.core.enum import Level
from medanon.examples import all_package_files
from medanon.pixels import RedactionPolicy, redact_burnt_in
from medanon.pixels.codec import decode_all
from medanon.pixels.detectors import get_detector
from medanon.pixels.detectors.tesseract import TesseractConfirmer
from medanon.pixels.redact import _grey_views
from medanon.pixels.words import is_allowed, matches_identifier
from medanon.verify import collect_identifiers

needs_ocr = pytest.mark.skipif(not get_detector("tesseract").is_available(),
                               reason="tesseract-ocr with eng data is not installed")


def _package_file(name: str) -> Path:
    for path in all_package_files():
        if path.name == name:
            return path
    pytest.skip(f"{name} is not shipped by the installed data packages")


def _read(name: str) -> pydicom.Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(_package_file(name))


def _forms(ds: pydicom.Dataset) -> list[str]:
    return [form for identifier in collect_identifiers(ds) for form in identifier.forms]


def _round_trip(ds: pydicom.Dataset) -> pydicom.Dataset:
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    buffer.seek(0)
    return pydicom.dcmread(buffer)


def _ocr_text(ds: pydicom.Dataset) -> str:
    decoded = decode_all(ds)
    ocr = TesseractConfirmer()
    words = []
    for index in {0, len(decoded.frames) - 1}:
        view = _grey_views(decoded.frames[index], decoded.photometric, ds)[0]
        words.extend(text for _, text in ocr.read_words(view, 0.0))
    return " ".join(words)


# (file, what makes it interesting, a header identifier burnt into its pixels)
REAL_FILES = [
    ("GREYSCALE_IMAGE.dcm", "deid-data US, native, name/DOB in the pixels", "patientfi"),
    ("RGB_IMAGE.dcm", "deid-data US, RGB native", None),
    ("US1_J2KR.dcm", "pydicom-data US, JPEG 2000 lossless, name in the pixels", None),
    ("examples_ybr_color.dcm", "pydicom US, 30-frame JPEG baseline YBR_FULL_422", None),
    ("OBXXXX1A_rle.dcm", "pydicom-data US, RLE palette colour", None),
]


@needs_ocr
@pytest.mark.slow
@pytest.mark.parametrize(("name", "why", "burnt"), REAL_FILES, ids=[r[0] for r in REAL_FILES])
def test_real_ultrasound_is_cleaned_decodes_and_shows_no_identifier(name: str, why: str, burnt: str | None) -> None:
    ds = _read(name)
    before = ds.PixelData
    forms = _forms(ds)
    if burnt is not None:  # the input really shows the identifier, so the check below can fail
        assert burnt in _ocr_text(ds).lower()
    outcome = redact_burnt_in(ds, forms)
    assert outcome.dataset is not None, outcome.reason
    assert ds.PixelData == before  # input untouched
    out = _round_trip(outcome.dataset)
    assert out.BurnedInAnnotation == "NO"
    decoded = decode_all(out)
    assert decoded.frames.shape[0] == int(ds.get("NumberOfFrames", 1) or 1)
    assert not matches_identifier(_ocr_text(out), forms)
    if burnt is not None:
        assert burnt not in _ocr_text(out).lower()
    assert outcome.preview_png and outcome.preview_png.startswith(b"\x89PNG")


@needs_ocr
def test_lossless_output_keeps_pixels_outside_the_boxes_bit_identical() -> None:
    ds = _read("OBXXXX1A_rle.dcm")
    outcome = redact_burnt_in(ds, _forms(ds))
    assert outcome.dataset is not None, outcome.reason
    out = _round_trip(outcome.dataset)
    assert out.file_meta.TransferSyntaxUID == ds.file_meta.TransferSyntaxUID  # RLE stays RLE
    original, _ = get_decoder(ds.file_meta.TransferSyntaxUID).as_array(ds, raw=True)
    cleaned, _ = get_decoder(out.file_meta.TransferSyntaxUID).as_array(out, raw=True)
    outside = np.ones(original.shape[:2], dtype=bool)
    for box in [r.box for r in outcome.regions]:
        outside[box.y0:box.y1, box.x0:box.x1] = False
    assert outcome.regions and outcome.zones  # a text zone, but only boxes are filled
    assert np.array_equal(original[outside], cleaned[outside])
    assert not np.array_equal(original[~outside], cleaned[~outside])


@needs_ocr
@pytest.mark.slow
def test_lossy_jpeg_is_re_encoded_with_truthful_lossy_attributes() -> None:
    ds = _read("examples_ybr_color.dcm")
    outcome = redact_burnt_in(ds, _forms(ds))
    assert outcome.dataset is not None, outcome.reason
    out = outcome.dataset
    assert out.LossyImageCompression == "01"
    methods = out.LossyImageCompressionMethod
    assert "ISO_10918_1" in ([methods] if isinstance(methods, str) else list(methods))
    assert outcome.frames == 30
    assert {r.frame for r in outcome.regions} == set(range(30))  # every frame filled


@needs_ocr
def test_missing_ocr_refuses_instead_of_releasing(monkeypatch: pytest.MonkeyPatch) -> None:
    ds = _read("OBXXXX1A_rle.dcm")
    monkeypatch.setattr(TesseractConfirmer, "is_available", lambda self: False)
    outcome = redact_burnt_in(ds, _forms(ds))
    assert outcome.dataset is None
    assert outcome.reason is not None and "OCR is unavailable" in outcome.reason


@needs_ocr
@pytest.mark.slow
def test_limited_access_keeps_more_text_than_publication() -> None:
    ds = _read("US1_J2KR.dcm")
    publication = redact_burnt_in(ds, _forms(ds))
    limited = redact_burnt_in(ds, _forms(ds), RedactionPolicy(Level.LIMITED_ACCESS))
    assert publication.dataset is not None and limited.dataset is not None
    assert len(limited.regions) < len(publication.regions)
    assert limited.kept


def test_allow_list_keeps_markers_and_units_only() -> None:
    assert is_allowed("4.0cm")
    assert is_allowed("R")
    assert is_allowed("LAO")
    assert not is_allowed("")
    assert not is_allowed("08/29/1951")
    assert not is_allowed("SMITH")
    assert not is_allowed("123456")


def test_identifier_matching_tolerates_ocr_misreadings() -> None:
    assert matches_identifier("ZZZ TEST PATIENTFl", ["zzz test patientfive"])
    assert matches_identifier("DOB: 08/29/1951", ["08/29/1951"])
    assert not matches_identifier("Adv Breast L12-5", ["zzz test patientfive"])


@needs_ocr
def test_overlays_curves_and_graphic_annotations_are_removed() -> None:
    ds = _read("OBXXXX1A_rle.dcm")
    ds.add_new(0x60000010, "US", 4)
    ds.add_new(0x60003000, "OW", b"\x00" * 4)
    ds.add_new(0x50000005, "US", 2)
    ds.GraphicAnnotationSequence = [pydicom.Dataset()]
    outcome = redact_burnt_in(ds, _forms(ds))
    assert outcome.dataset is not None, outcome.reason
    out = outcome.dataset
    assert 0x60003000 not in out and 0x60000010 not in out and 0x50000005 not in out
    assert "GraphicAnnotationSequence" not in out
    assert 0x60003000 in ds  # the input keeps them


@needs_ocr
def test_header_saying_burnt_in_text_with_none_found_is_refused() -> None:
    ds = _read("OBXXXX1A_rle.dcm")
    arr = np.zeros((int(ds.Rows), int(ds.Columns)), dtype=np.uint8)
    ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
    ds.PixelData = arr.tobytes()
    ds.BurnedInAnnotation = "YES"
    outcome = redact_burnt_in(ds, _forms(ds))
    assert outcome.dataset is None
    assert outcome.reason is not None and "no text was found" in outcome.reason


def test_strips_beside_each_filled_box_are_read_and_clipped_to_the_frame() -> None:
    from medanon.pixels.model import Region
    from medanon.pixels.redact import STRIP_WIDTH, _strips

    strips = _strips([Region(2, 100, 50, 200, 70), Region(0, 3, 10, 60, 30)], (512, 512))
    width = round(STRIP_WIDTH * 20)
    assert (strips[0].frame, strips[0].box.x0, strips[0].box.x1) == (2, 100 - width, 100)  # left, same frame
    assert (strips[1].box.x0, strips[1].box.x1, strips[1].box.y0, strips[1].box.y1) == (200, 200 + width, 50, 70)
    assert [(s.box.x0, s.box.x1) for s in strips[2:]] == [(60, 100)]  # nothing left of x=3: no strip


@needs_ocr
def test_letters_left_beside_a_filled_box_are_a_remnant_and_flat_strips_are_not_read() -> None:
    from medanon.pixels.detectors import get_detector
    from medanon.pixels.model import Region
    from medanon.pixels.redact import _strips, _verify
    from tests.pixels import synth

    image = synth.anatomy(seed=5)
    synth.draw_text(image, "DO", 16, (70, 52), ink=240)  # what the detector left of "DOB 1961"
    image[50:72, 100:200] = 0.0  # the part it boxed, filled
    ds = synth.mono_dataset(image, bits=8, scale=1.0, modality="OT")
    beside = _strips([Region(0, 100, 50, 200, 72)], (512, 512))
    leftovers = _verify(ds, (), RedactionPolicy(), get_detector("lines"), get_detector("tesseract"), [],
                        np.zeros((512, 512), dtype=bool), {}, beside)
    remnants = [region.box for region, why in leftovers if why.startswith("text beside a filled box")]
    assert [(b.x0, b.x1) for b in remnants] == [(56, 100)]  # the left strip; the right one holds no glyph


def test_a_strip_is_read_only_where_a_glyph_sized_piece_of_its_line_height_lies() -> None:
    from medanon.pixels.model import Box
    from medanon.pixels.redact import _holds_glyph

    strip = Box(56, 50, 100, 72)
    assert _holds_glyph(strip, [np.array([[80, 55, 90, 68]])])  # a letter on the line
    assert not _holds_glyph(strip, [np.array([[80, 55, 90, 58]])])  # a speck: too low for a glyph
    assert not _holds_glyph(strip, [np.array([[80, 20, 90, 45]])])  # above the line
    assert not _holds_glyph(strip, [np.array([[120, 55, 130, 68]])])  # beside the strip
    assert not _holds_glyph(strip, [])


@needs_ocr
def test_two_letter_initials_are_filled_and_a_two_letter_marker_is_kept() -> None:
    from tests.pixels import synth

    image = synth.anatomy(seed=3)
    initials = synth.draw_text(image, "JB", 16, (40, 30), ink=240)
    marker = synth.draw_text(image, "Rt", 16, (440, 30), ink=240)
    ds = synth.mono_dataset(image, bits=8, scale=1.0, modality="OT")
    outcome = redact_burnt_in(ds, ())
    assert outcome.dataset is not None, outcome.reason
    assert any(synth.overlaps(r, initials) for r in outcome.regions)
    assert not any(synth.overlaps(r, marker) for r in outcome.regions)
    assert any(synth.overlaps(r, marker) for r in outcome.kept)


@needs_ocr
def test_text_on_frames_other_than_first_middle_and_last_is_filled_there() -> None:
    """Every frame is searched and read: no frame is inferred from a sample of frames."""
    from tests.pixels import synth

    frames = np.repeat(synth.anatomy(seed=4)[None], 9, axis=0)
    boxes = {2: synth.draw_text(frames[2], "DOE JANE 1961", 14, (30, 440), ink=240),
             6: synth.draw_text(frames[6], "MRN 4471", 16, (300, 40), ink=240)}
    ds = synth.mono_dataset(frames, bits=8, scale=1.0, modality="OT")
    outcome = redact_burnt_in(ds, ("doe jane",))
    assert outcome.dataset is not None, outcome.reason
    assert outcome.frames == 9
    for index, bbox in boxes.items():
        assert any(r.frame == index and synth.overlaps(r, bbox) for r in outcome.regions)
    assert {r.frame for r in outcome.regions} == {2, 6}
    out = decode_all(outcome.dataset).frames
    for index in (0, 1, 3, 4, 5, 7, 8):  # frames without text: untouched
        assert np.array_equal(out[index], decode_all(ds).frames[index])


def test_weak_candidates_need_a_real_word_or_an_identifier_outside_the_text_zone() -> None:
    from medanon.pixels.model import Box
    from medanon.pixels.redact import _decide

    weak = Box(10, 10, 80, 24, score=0.1)
    publication = RedactionPolicy()
    assert _decide(weak, "Ee ab", (), publication) == "ignore"  # OCR noise in anatomy
    assert _decide(weak, "SMITH", (), publication) == "redact"
    assert _decide(weak, "Ee", ("ee ab",), publication) == "ignore"  # too short to match
    assert _decide(weak, "", (), publication, in_zone=True) == "redact"  # ultrasound text zone
    assert _decide(Box(10, 10, 80, 24, score=0.9), "", (), publication) == "redact"  # strong, unread


@needs_ocr
def test_an_implicit_vr_input_is_written_after_redaction() -> None:
    """Its unconverted elements have no VR: the explicit-VR output must still give each one (regression)."""
    ds = _read("GREYSCALE_IMAGE.dcm")
    ds.file_meta.TransferSyntaxUID = pydicom.uid.ImplicitVRLittleEndian
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True, implicit_vr=True)
    buffer.seek(0)
    implicit = pydicom.dcmread(buffer)
    assert implicit.get_item(0x00100010).VR is None  # unconverted: an implicit-VR file stores no VR
    outcome = redact_burnt_in(implicit, _forms(implicit))
    assert outcome.dataset is not None, outcome.reason
    out = _round_trip(outcome.dataset)
    assert out.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian
    assert out.PatientName == implicit.PatientName and out.BurnedInAnnotation == "NO"


@needs_ocr
def test_a_line_the_detector_misses_is_still_found_by_the_whole_frame_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    """The detector can merge a line with neighbouring structure; the whole-frame OCR under it must catch it."""
    from medanon.pixels.detectors.lines import LineTextDetector
    from tests.pixels import synth

    image = synth.anatomy(seed=5)
    name = synth.draw_text(image, "DOE JANE 1961", 18, (30, 450), ink=240)
    ds = synth.mono_dataset(image, bits=8, scale=1.0, modality="OT")
    monkeypatch.setattr(LineTextDetector, "detect_lines", lambda self, view, **kwargs: ([], []))
    outcome = redact_burnt_in(ds, ("doe jane",))
    assert outcome.dataset is not None, outcome.reason
    assert any(synth.overlaps(r, name) for r in outcome.regions)


def test_an_allowed_reading_that_explains_only_part_of_its_box_does_not_keep_the_box() -> None:
    """OCR read a seven-digit ID as "=a"; "a" alone is a marker, but it cannot account for a word-wide box."""
    from medanon.pixels.model import Box
    from medanon.pixels.redact import _decide

    publication = RedactionPolicy()
    word_wide = Box(0, 483, 56, 501, score=0.86)
    assert _decide(word_wide, "=a", (), publication) == "redact"
    marker = Box(10, 10, 22, 28, score=0.86)
    assert _decide(marker, "A", (), publication) == "keep"
    assert _decide(Box(76, 173, 100, 186, score=0.6), "30%", (), publication) == "keep"
