"""The Tesseract engines behind the OCR confirmer: in this process (tesserocr) or the program.

Each test renders its own text with Pillow; none relies on files outside pip or Debian packages.
A missing engine must make the confirmer unavailable and redaction refuse (fail closed).
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from medanon.pixels import redact as redact_module
from medanon.pixels import redact_burnt_in
from medanon.pixels.detectors._tesseract_engines import (
    InProcessTesseract,
    OcrFailed,
    TesseractProgram,
    choose,
    tessdata_dir,
)
from medanon.pixels.detectors.tesseract import TesseractConfirmer
from medanon.pixels.model import Box
from tests.pixels import synth

needs_tesserocr = pytest.mark.skipif(not InProcessTesseract().is_available(),
                                     reason="tesserocr or the eng language data is not installed")


def _word_frame(text: str) -> tuple[np.ndarray, Box]:
    """A dark 2-D uint8 frame with ``text`` in bright letters, and a box around it."""
    image = Image.new("L", (320, 80), 20)
    draw = ImageDraw.Draw(image)
    draw.text((16, 24), text, fill=235, font=ImageFont.load_default(size=22))
    x0, y0, x1, y1 = image.getbbox() or (0, 0, 320, 80)
    return np.asarray(image), Box(max(0, x0 - 4), max(0, y0 - 4), x1 + 4, y1 + 4, 0.3)


@needs_tesserocr
def test_in_process_engine_reads_a_word_the_test_renders() -> None:
    frame, box = _word_frame("KETTERING 2041")
    confirmer = TesseractConfirmer(backend="tesserocr")
    assert confirmer.engine.name == "tesserocr"
    [text] = confirmer.read_boxes([(frame, box)])
    assert "KETTERING" in text and "2041" in text


@needs_tesserocr
def test_in_process_engine_loads_the_model_once_and_reuses_it() -> None:
    engine = InProcessTesseract()
    first = engine._api()
    frame, _ = _word_frame("ALPHA")
    engine.read_tsv(255 - frame, 7)
    assert engine._api() is first


@needs_tesserocr
def test_per_crop_confidence_floor_drops_low_confidence_readings() -> None:
    frame, box = _word_frame("KETTERING 2041")
    confirmer = TesseractConfirmer(backend="tesserocr")
    read, dropped = confirmer.read_boxes([(frame, box), (frame, box)], [20.0, 101.0])
    assert "KETTERING" in read and dropped == ""


def test_missing_language_data_makes_the_engine_unavailable_and_reading_fail_loudly() -> None:
    engine = InProcessTesseract(language="zz-not-installed")
    assert not engine.is_available()
    with pytest.raises(OcrFailed):
        engine.read_tsv(np.full((40, 40), 255, dtype=np.uint8), 7)


def test_tessdata_prefix_is_searched_first(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "qq.traineddata").write_bytes(b"")
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))
    tessdata_dir.cache_clear()
    try:
        assert tessdata_dir("qq") == str(tmp_path)
    finally:
        tessdata_dir.cache_clear()


def test_backend_choice() -> None:
    assert isinstance(choose("program", None, "eng", 5.0), TesseractProgram)
    assert isinstance(choose("tesserocr", None, "eng", 5.0), InProcessTesseract)
    # An explicit program path asks for the program even when tesserocr is installed.
    assert isinstance(choose("auto", "/nonexistent/tesseract", "eng", 5.0), TesseractProgram)
    with pytest.raises(ValueError, match="unknown Tesseract backend"):
        choose("cloud", None, "eng", 5.0)


def test_auto_prefers_the_in_process_engine_when_installed() -> None:
    expected = "tesserocr" if InProcessTesseract().is_available() else "tesseract program"
    assert TesseractConfirmer().engine.name == expected


def test_redaction_refuses_when_the_ocr_engine_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    image = synth.uniform(value=30.0)
    synth.draw_text(image, "PATIENT SMITH 1961", 16, (40, 40), ink=240)
    ds = synth.mono_dataset(image, bits=8, scale=1.0, modality="OT")
    missing = TesseractConfirmer(backend="tesserocr", language="zz-not-installed")
    real = redact_module.get_detector
    monkeypatch.setattr(redact_module, "get_detector",
                        lambda name: missing if name == "tesseract" else real(name))
    outcome = redact_burnt_in(ds, ["smith"])
    assert outcome.dataset is None
    assert outcome.reason is not None and "OCR is unavailable" in outcome.reason
