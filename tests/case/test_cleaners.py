"""The kind -> cleaner registry: missing cleaners quarantine, failing ones fail one item, new ones plug in."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from medanon.case import MaterialKind, add_material, init_case, register, run_case, unregister
from medanon.case.cleaners import NO_CLEANER, _text_cleaner, cleaner_for
from medanon.core.enum import Status
from medanon.core.keys import KeyRing
from medanon.core.policy import Policy
from medanon.core.results import ItemResult
from tests.conftest import make_ct, write


@pytest.fixture
def restore_photo_cleaner() -> Iterator[None]:
    before = cleaner_for(MaterialKind.PHOTO)
    yield
    if before is None:
        unregister(MaterialKind.PHOTO)
    else:
        register(MaterialKind.PHOTO, before)


def photo_case(tmp_path: Path) -> Path:
    (tmp_path / "DOE_JANE.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a photo, Jane Doe")
    write(make_ct(), tmp_path / "ct.dcm")
    case = tmp_path / "case"
    init_case(case, "teaching", "lecture", "teaching")
    add_material(case, tmp_path / "DOE_JANE.jpg")
    add_material(case, tmp_path / "ct.dcm")
    return case


def statuses(case: Path) -> dict[str, tuple[str, list[str]]]:
    record = json.loads((case / "run.json").read_text(encoding="utf-8"))
    return {k: (v[0]["status"], v[0]["reasons"]) for k, v in record["items"].items()}


def test_a_kind_without_cleaner_is_quarantined_and_the_case_goes_on(tmp_path: Path,
                                                                   restore_photo_cleaner: None) -> None:
    unregister(MaterialKind.PHOTO)
    case = photo_case(tmp_path)
    run_case(case)
    assert statuses(case)["photo-1"] == ("quarantined", [NO_CLEANER])
    assert statuses(case)["dicom-1"][0] == "released"
    assert not (case / "out" / "photo-1").exists()
    assert json.loads((case / "quarantine" / "photo-1.json").read_text())["reasons"] == [NO_CLEANER]


def test_a_failing_cleaner_fails_its_item_only(tmp_path: Path, restore_photo_cleaner: None) -> None:
    def broken(source: Path, out_dir: Path, policy: Policy, keys: KeyRing) -> list[ItemResult]:
        raise RuntimeError("decoder crashed")

    register(MaterialKind.PHOTO, broken)
    case = photo_case(tmp_path)
    run_case(case)
    status, reasons = statuses(case)["photo-1"]
    assert status == "failed" and "decoder crashed" in reasons[0]
    assert statuses(case)["dicom-1"][0] == "released"


def test_a_registered_cleaner_writes_into_its_item_folder(tmp_path: Path, restore_photo_cleaner: None) -> None:
    def grey_square(source: Path, out_dir: Path, policy: Policy, keys: KeyRing) -> list[ItemResult]:
        from PIL import Image

        out_dir.mkdir(parents=True)
        Image.new("L", (8, 8), 128).save(out_dir / "photo.png")
        return [ItemResult(source=source.name, status=Status.RELEASED, output="photo.png")]

    register(MaterialKind.PHOTO, grey_square)
    case = photo_case(tmp_path)
    run_case(case)
    assert statuses(case)["photo-1"][0] == "released"
    assert (case / "out" / "photo-1" / "photo.png").is_file()
    report = json.loads((case / "out" / "report.json").read_text(encoding="utf-8"))
    assert [i["output"] for i in report["items"] if i["source"] == "photo-1"] == ["photo-1/photo.png"]


def test_the_text_cleaner_scrubs_and_names_the_output_by_item(tmp_path: Path) -> None:
    cleaner = _text_cleaner()
    assert cleaner is not None  # medanon.text is part of this installation
    source = tmp_path / "note_Jane_Doe.txt"
    source.write_text("Mrs Jane Doe, seen on 04/03/2019, has a cough.", encoding="utf-8")
    [result] = cleaner(source, tmp_path / "out" / "text-1", Policy.load("publication"), KeyRing(bytes(32)))
    assert result.status is Status.RELEASED and result.output == "text-1.txt"
    cleaned = (tmp_path / "out" / "text-1" / "text-1.txt").read_text(encoding="utf-8")
    assert "Jane" not in cleaned and "Doe" not in cleaned and "2019" not in cleaned
    assert "cough" in cleaned and "[NAME]" in cleaned


def test_a_paediatric_photo_without_consent_is_refused_even_with_a_cleaner(tmp_path: Path,
                                                                           restore_photo_cleaner: None) -> None:
    def never(source: Path, out_dir: Path, policy: Policy, keys: KeyRing) -> list[ItemResult]:
        raise AssertionError("a refused item must not reach its cleaner")

    register(MaterialKind.PHOTO, never)
    (tmp_path / "child.jpg").write_bytes(b"\xff\xd8\xff\xe0")
    case = tmp_path / "case"
    init_case(case, "teaching", "lecture", paediatric=True)
    add_material(case, tmp_path / "child.jpg")
    run_case(case)
    status, reasons = statuses(case)["photo-1"]
    assert status == "quarantined" and "paediatric" in reasons[0]


def test_a_nifti_head_is_defaced_into_its_item_folder_without_its_name(tmp_path: Path) -> None:
    import nibabel as nib

    from medanon.case.cleaners import _clean_volume
    from medanon.volume.phantom import axial_geometry, make_head
    from tests.volume.conftest import write_nifti

    geometry, shape = axial_geometry(2.5, 96, tilt_degrees=0.0)
    head = make_head(geometry, shape, "CT", noise=3.0)
    source = write_nifti(head, tmp_path / "DOE_JANE_head.nii.gz")
    [result] = _clean_volume(source, tmp_path / "out" / "volume-1", Policy.load("publication"), KeyRing(bytes(32)))
    assert result.status is Status.RELEASED, result.reasons
    released = sorted(p.name for p in (tmp_path / "out" / "volume-1").rglob("*") if p.is_file())
    assert released == ["volume.nii.gz"]
    before, after = nib.load(str(source)), nib.load(str(tmp_path / "out" / "volume-1" / "volume.nii.gz"))
    assert after.shape == before.shape and not np.array_equal(np.asanyarray(after.dataobj),
                                                             np.asanyarray(before.dataobj))


def test_burnt_in_redaction_previews_never_land_in_the_shared_output(tmp_path: Path) -> None:
    """Their 'before' half shows the original text, and export packages everything under out/."""
    from medanon.case.cleaners import _clean_dicom
    from medanon.examples import all_package_files
    from medanon.pixels.detectors import get_detector

    if not get_detector("tesseract").is_available():
        pytest.skip("tesseract-ocr is not installed: burnt-in text is withheld, not redacted")
    source = next((p for p in all_package_files() if p.name == "GREYSCALE_IMAGE.dcm"), None)
    if source is None:
        pytest.skip("deid-data's GREYSCALE_IMAGE.dcm is not installed")
    results = _clean_dicom(source, tmp_path / "out" / "dicom-1", Policy.load("publication"), KeyRing(bytes(32)))
    assert [r.status for r in results] == [Status.RELEASED], [r.reasons for r in results]
    written = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert written and all(p.suffix == ".dcm" for p in written), written
    previews = list((tmp_path / "review" / "dicom-1").glob("*.png"))  # for the signer, beside out/
    assert len(previews) == 1 and previews[0].read_bytes().startswith(b"\x89PNG")
