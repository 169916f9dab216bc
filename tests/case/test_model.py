"""The manifest refuses invalid input and round-trips through TOML."""

from __future__ import annotations

from pathlib import Path

import pytest

from medanon.case import CaseManifest, ConsentLevel, Material, MaterialKind, Purpose, SignOff
from medanon.case.model import load_manifest, save_manifest
from medanon.core.errors import PolicyError


def test_unknown_purpose_is_refused() -> None:
    with pytest.raises(PolicyError, match="purpose: 'marketing' is not one of"):
        CaseManifest(purpose="marketing", destination="x")  # type: ignore[arg-type]


def test_unknown_consent_level_is_refused() -> None:
    with pytest.raises(PolicyError, match="consent: 'verbal' is not one of"):
        CaseManifest(purpose=Purpose.TEACHING, destination="x", consent="verbal")  # type: ignore[arg-type]


def test_destination_is_required() -> None:
    with pytest.raises(PolicyError, match="destination is required"):
        CaseManifest(purpose=Purpose.TEACHING, destination="  ")


@pytest.mark.parametrize("path", ["../elsewhere/a.dcm", "/etc/passwd", "material/../../x"])
def test_material_paths_must_stay_inside_the_case(path: str) -> None:
    with pytest.raises(PolicyError, match="inside the case folder"):
        Material("dicom-1", MaterialKind.DICOM, path)


def test_symlink_out_of_the_case_folder_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "secret.dcm"
    outside.write_bytes(b"x")
    case = tmp_path / "case"
    (case / "material").mkdir(parents=True)
    (case / "material" / "link.dcm").symlink_to(outside)
    with pytest.raises(PolicyError, match="leads outside the case folder"):
        Material("dicom-1", MaterialKind.DICOM, "material/link.dcm").resolve(case)


def test_missing_material_file_is_refused_on_load(tmp_path: Path) -> None:
    manifest = CaseManifest(purpose=Purpose.TEACHING, destination="lecture",
                            material=(Material("dicom-1", MaterialKind.DICOM, "material/gone.dcm"),))
    save_manifest(tmp_path, manifest)
    with pytest.raises(PolicyError, match="dicom-1: file is missing"):
        load_manifest(tmp_path)
    assert load_manifest(tmp_path, check_files=False).material[0].id == "dicom-1"


def test_manifest_round_trips_through_toml(tmp_path: Path) -> None:
    (tmp_path / "a.dcm").write_bytes(b"x")
    manifest = CaseManifest(purpose=Purpose.RESEARCH, destination="Consortium", consent=ConsentLevel.TEACHING,
                            permission_id="P-1", partners=("Uni A", "Uni B"), contract="DSA-9",
                            history='He said "hello"\nline two', rare_condition=True,
                            material=(Material("dicom-1", MaterialKind.DICOM, "a.dcm"),),
                            signoffs=(SignOff("rare-condition", "Dr R", "2026-01-01"),))
    save_manifest(tmp_path, manifest)
    assert load_manifest(tmp_path) == manifest


def test_unknown_manifest_key_is_refused(tmp_path: Path) -> None:
    (tmp_path / "case.toml").write_text('[case]\npurpose = "teaching"\ndestination = "x"\nconsnet = "teaching"\n')
    with pytest.raises(PolicyError, match="case.consnet"):
        load_manifest(tmp_path)


def test_duplicate_material_ids_are_refused() -> None:
    item = Material("dicom-1", MaterialKind.DICOM, "a.dcm")
    with pytest.raises(PolicyError, match="unique"):
        CaseManifest(purpose=Purpose.TEACHING, destination="x", material=(item, item))


def test_consent_beyond_the_purpose_covers_it_and_short_of_it_does_not() -> None:
    assert ConsentLevel.INTERNET_PUBLICATION.covers(ConsentLevel.TEACHING)
    assert not ConsentLevel.TEACHING.covers(ConsentLevel.PRINTED_PUBLICATION)


@pytest.mark.parametrize(("name", "kind"), [("scan.nii.gz", MaterialKind.VOLUME), ("hand.JPG", MaterialKind.PHOTO),
                                            ("letter.txt", MaterialKind.TEXT), ("image.dcm", MaterialKind.DICOM)])
def test_material_kind_is_guessed_from_the_name(tmp_path: Path, name: str, kind: MaterialKind) -> None:
    from medanon.case.workflow import guess_kind

    (tmp_path / name).write_bytes(b"x")
    assert guess_kind(tmp_path / name) is kind


def test_dicom_without_suffix_is_recognised_and_unknown_files_are_refused(tmp_path: Path) -> None:
    from medanon.case.workflow import guess_kind

    (tmp_path / "IM0001").write_bytes(b"\0" * 128 + b"DICM" + b"\0" * 16)
    assert guess_kind(tmp_path / "IM0001") is MaterialKind.DICOM
    (tmp_path / "archive.tar.gz").write_bytes(b"x")
    with pytest.raises(PolicyError, match="pass --kind"):
        guess_kind(tmp_path / "archive.tar.gz")
