"""The pipeline cleans files held only for burnt-in text (issue 5) instead of quarantining them."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pydicom
import pytest

from medanon.core.enum import Status
from medanon.examples import deid_data_files
from medanon.pipeline import deidentify_dicom
from medanon.pixels.detectors import get_detector


@pytest.mark.slow
@pytest.mark.skipif(not get_detector("tesseract").is_available(), reason="tesseract-ocr is not installed")
def test_burnt_in_ultrasound_is_redacted_released_and_previewed(tmp_path: Path) -> None:
    found = [p for p in deid_data_files() if p.name == "GREYSCALE_IMAGE.dcm"]
    if not found:
        pytest.skip("deid-data is not installed")
    source = tmp_path / "in" / "us.dcm"
    source.parent.mkdir()
    shutil.copyfile(found[0], source)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert str(pydicom.dcmread(source).BurnedInAnnotation) == "YES"
        outcome = deidentify_dicom([source.parent], tmp_path / "out", "publication",
                                   key_path=tmp_path / "k.key", workers=1)
        (result,) = outcome.results
        assert result.status is Status.RELEASED, result.reasons
        released = pydicom.dcmread(tmp_path / "out" / str(result.output))
    assert released.BurnedInAnnotation == "NO"
    methods = {item.CodeValue for item in released.DeidentificationMethodCodeSequence}
    assert {"113101", "113103"} <= methods  # Clean Pixel Data and Clean Graphics recorded
    released.pixel_array  # noqa: B018 - decodes
    previews = [line for line in result.review if line.startswith("before/after preview: ")]
    assert len(previews) == 1
    preview = tmp_path / "out" / previews[0].split(": ", 1)[1].split(" ", 1)[0]
    assert preview.read_bytes().startswith(b"\x89PNG")
