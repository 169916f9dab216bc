"""``medanon photo IN OUT``: cleaned files, quarantine records without copies, previews, report.json."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from medanon.cli import EXIT_OK, EXIT_USAGE, EXIT_WITHHELD, main
from medanon.core.enum import Status
from medanon.pipeline.photo import PhotoOptions, deidentify_photos
from medanon.verify.photo import check_photo_bytes
from tests.conftest import shared_or_skip
from tests.photo import planted
from tests.photo.conftest import ASTRONAUT_FACE, detectors_or_skip

PATIENT_FILE_NAME = "Quartermain_Zebedee_2019-03-04.jpg"


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")


def _inputs(tmp_path: Path, astronaut: np.ndarray) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / PATIENT_FILE_NAME).write_bytes(planted.jpeg_with_everything(astronaut, orientation=1))
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff not an image")
    return folder


def test_cli_cleans_quarantines_and_reports(tmp_path: Path, astronaut: np.ndarray, capsys) -> None:
    detectors_or_skip()
    folder = _inputs(tmp_path, astronaut)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    out = tmp_path / "out"
    code = main(["photo", str(folder), str(out), "--key", str(tmp_path / "k.key"), "--no-text-screen"])
    assert code == EXIT_WITHHELD  # the broken file is withheld
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # inputs untouched
    released = sorted(out.glob("photo-*.jpg"))
    assert len(released) == 1 and "Quartermain" not in released[0].name
    data = released[0].read_bytes()
    assert check_photo_bytes(data) == []
    assert not any(secret.encode() in data for secret in planted.SECRETS)
    pixels = np.asarray(Image.open(io.BytesIO(data)))
    x0, y0, x1, y1 = ASTRONAUT_FACE
    assert pixels[y0:y1, x0:x1].astype(int).std() < 4
    records = [json.loads(p.read_text()) for p in (out / "quarantine").glob("*.json")]
    assert [r["source"] for r in records] == ["broken.jpg"]
    assert all(p.suffix in (".json", ".txt") for p in (out / "quarantine").iterdir())  # never a copy
    report = json.loads((out / "report.json").read_text())
    assert report["counts"]["released"] == 1 and report["counts"]["failed"] == 1
    item = next(i for i in report["items"] if i["status"] == "released")
    codes = {a["path"].split("[")[0]: a["code"] for a in item["actions"]}
    assert codes["metadata:exif"] == "X" and codes["face-region"] == "FILL"
    assert len(list((out / "previews").glob("*.jpg"))) == 1
    printed = capsys.readouterr().out
    assert planted.SECRET_NAME not in printed and planted.SECRET_SERIAL not in printed


def test_consent_flag_is_named_in_the_report(tmp_path: Path, astronaut: np.ndarray) -> None:
    detectors_or_skip()
    folder = _inputs(tmp_path, astronaut)
    (folder / "broken.jpg").unlink()
    outcome = deidentify_photos([folder], tmp_path / "out", key_path=tmp_path / "k.key",
                                options=PhotoOptions(consent="FORM-2024-17", screen_text=False, previews=False))
    [result] = outcome.results
    assert result.status is Status.RELEASED
    assert any(a.code == "K" and "FORM-2024-17" in a.reason for a in result.actions) or \
        any("FORM-2024-17" in note for note in result.review)
    report = json.loads(outcome.report_path.read_text())
    assert "FORM-2024-17" in json.dumps(report["items"])


def test_cli_refuses_empty_consent(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    assert main(["photo", str(folder), str(tmp_path / "out"), "--consent", " ", "--key",
                 str(tmp_path / "k.key")]) == EXIT_USAGE


def test_unavailable_detector_quarantines_instead_of_releasing(tmp_path: Path, astronaut: np.ndarray,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from medanon.photo.faces import get_detector

    monkeypatch.setattr(type(get_detector("centerface")), "is_available", lambda self: False)
    folder = _inputs(tmp_path, astronaut)
    (folder / "broken.jpg").unlink()
    outcome = deidentify_photos([folder], tmp_path / "out", key_path=tmp_path / "k.key",
                                options=PhotoOptions(screen_text=False))
    [result] = outcome.results
    assert result.status is Status.FAILED and "unavailable" in result.reasons[0]
    assert not list((tmp_path / "out").glob("photo-*"))


@pytest.mark.slow
def test_shared_photos_leave_no_metadata(tmp_path: Path) -> None:
    """Every photo of ../shared/testdata/photos: released ones carry no metadata of any category."""
    folder = shared_or_skip("testdata", "photos")
    detectors_or_skip()
    outcome = deidentify_photos([folder], tmp_path / "out", key_path=tmp_path / "k.key",
                                options=PhotoOptions(screen_text=False, previews=False))
    assert outcome.results and all(r.status is Status.RELEASED for r in outcome.results), \
        [(r.source, r.reasons) for r in outcome.results if r.status is not Status.RELEASED]
    for result in outcome.results:
        assert result.findings == []
        assert check_photo_bytes((tmp_path / "out" / str(result.output)).read_bytes()) == []


def test_zip_member_is_processed_in_memory(tmp_path: Path, astronaut: np.ndarray) -> None:
    import zipfile

    detectors_or_skip()
    archive = tmp_path / "photos.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("case/" + PATIENT_FILE_NAME, planted.jpeg_with_everything(astronaut))
    code = main(["photo", str(archive), str(tmp_path / "out"), "--key", str(tmp_path / "k.key"),
                 "--no-text-screen", "-q", "--no-preview"])
    assert code == EXIT_OK
    assert len(list((tmp_path / "out").glob("photo-*.jpg"))) == 1


def _label_photo() -> bytes:
    """A plain picture with a printed name label, as on a wristband or a specimen tag."""
    from PIL import ImageDraw, ImageFont

    image = Image.new("RGB", (900, 400), (235, 225, 210))
    draw = ImageDraw.Draw(image)
    draw.rectangle([60, 140, 840, 260], fill=(255, 255, 255))
    draw.text((80, 160), "QUARTERMAIN ZEBEDEE 4471902", fill=(0, 0, 0), font=ImageFont.load_default(size=44))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def test_text_read_in_the_picture_withholds_unless_text_review(tmp_path: Path) -> None:
    from medanon.pixels import get_detector

    detectors_or_skip()
    if not get_detector("tesseract").is_available():
        pytest.skip("tesseract not installed: text in photos becomes a review note, not a quarantine")
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "label.jpg").write_bytes(_label_photo())
    strict = deidentify_photos([folder], tmp_path / "strict", key_path=tmp_path / "k.key")
    [withheld] = strict.results
    assert withheld.status is Status.QUARANTINED and "OCR read text" in withheld.reasons[0]
    assert not list((tmp_path / "strict").glob("photo-*"))
    lenient = deidentify_photos([folder], tmp_path / "lenient", key_path=tmp_path / "k.key",
                                options=PhotoOptions(text_review=True))
    [released] = lenient.results
    assert released.status is Status.RELEASED and any("OCR read text" in note for note in released.review)


def test_two_workers_give_the_results_of_one_and_the_header_names_photos(tmp_path: Path,
                                                                         astronaut: np.ndarray) -> None:
    """Parallel cleaning changes nothing but speed: same statuses, same outputs, same order; the
    report header says what photographs follow (not the DICOM standard's edition alone)."""
    detectors_or_skip()
    folder = _inputs(tmp_path, astronaut)
    (folder / "second.jpg").write_bytes(planted.jpeg_with_everything(astronaut[::-1].copy(), orientation=1))
    options = PhotoOptions(screen_text=False, previews=False)
    one = deidentify_photos([folder], tmp_path / "one", key_path=tmp_path / "k.key", options=options)
    two = deidentify_photos([folder], tmp_path / "two", key_path=tmp_path / "k.key", options=options, workers=2)
    assert [(r.source, r.status, r.output) for r in one.results] == [(r.source, r.status, r.output)
                                                                     for r in two.results]
    assert [r.status for r in two.results].count(Status.RELEASED) == 2
    header = json.loads((tmp_path / "two" / "report.json").read_text())["standard"]
    assert header.startswith("photographs:") and "does not apply" in header


def test_a_larger_min_face_is_named_on_every_item(tmp_path: Path, astronaut: np.ndarray) -> None:
    detectors_or_skip()
    folder = _inputs(tmp_path, astronaut)
    (folder / "broken.jpg").unlink()
    outcome = deidentify_photos([folder], tmp_path / "out", key_path=tmp_path / "k.key",
                                options=PhotoOptions(screen_text=False, previews=False, min_face=60))
    [result] = outcome.results
    assert result.status is Status.RELEASED and any("narrower than 60 px" in note for note in result.review)
    report = json.loads(outcome.report_path.read_text())
    assert report["items"][0]["review"] == result.review
    assert main(["photo", str(folder), str(tmp_path / "o2"), "--min-face", "0", "--key",
                 str(tmp_path / "k.key")]) == EXIT_USAGE


def test_texture_is_not_withheld_but_a_printed_surname_is() -> None:
    """The cat photo's fur reads as a few characters at OCR's low bar, never as a word; a name does."""
    from PIL import ImageDraw, ImageFont

    from medanon.photo.text import screen_photo_text
    from medanon.pixels import get_detector

    skdata = pytest.importorskip("skimage.data")
    if not get_detector("tesseract").is_available():
        pytest.skip("tesseract not installed")
    cat = np.ascontiguousarray(skdata.chelsea())
    assert screen_photo_text(cat).confirmed == 0
    labelled = Image.fromarray(cat)
    draw = ImageDraw.Draw(labelled)
    draw.rectangle([40, 200, 260, 250], fill=(250, 250, 245))
    draw.text((50, 208), "HARRISON", fill=(20, 20, 20), font=ImageFont.load_default(size=28))
    assert screen_photo_text(np.asarray(labelled)).confirmed >= 1
