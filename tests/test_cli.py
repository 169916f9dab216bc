"""The ``medanon`` command: exit codes, JSON output, profiles, version, and no patient value printed."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

import medanon
from medanon.cli import EXIT_OK, EXIT_USAGE, EXIT_WITHHELD, main
from tests.conftest import make_ct, write

PHI = ("Doe^Jane", "Jane Doe", "MRN889123", "Acacia", "ACC7781", "19610304", "Smythe", "St Elsewhere",
       "SN-55-0192")


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """rich wraps tables at 80 columns; a wide console keeps every value on one line for the checks."""
    monkeypatch.setenv("COLUMNS", "400")


def good_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    write(make_ct(SOPInstanceUID="1.2.826.0.1.3680043.2.1125.1.31"), folder / "a.dcm")
    write(make_ct(SOPInstanceUID="1.2.826.0.1.3680043.2.1125.1.32"), folder / "b.dcm")
    return folder


def mixed_folder(tmp_path: Path) -> Path:
    folder = good_folder(tmp_path)
    buffer = io.BytesIO()
    make_ct(SOPInstanceUID="1.2.826.0.1.3680043.2.1125.1.33").save_as(buffer, enforce_file_format=True)
    (folder / "cut.dcm").write_bytes(buffer.getvalue()[:-10])
    (folder / "letter.txt").write_text("Jane Doe, MRN889123, 12 Acacia Avenue\n", encoding="utf-8")
    write(make_ct(SOPClassUID="1.2.840.10008.5.1.4.1.1.6.1", SOPInstanceUID="1.2.826.0.1.3680043.2.1125.1.34",
                  Modality="US", BurnedInAnnotation="YES"), folder / "us.dcm")
    return folder


def dicom_args(tmp_path: Path, folder: Path, *extra: str) -> list[str]:
    return ["dicom", str(folder), str(tmp_path / "out"), "--key", str(tmp_path / "k.key"), "--workers", "1",
            *extra]


def test_exit_0_when_everything_is_released(tmp_path):
    assert main(dicom_args(tmp_path, good_folder(tmp_path), "-q")) == EXIT_OK == 0


def test_exit_1_when_something_is_withheld(tmp_path):
    assert main(dicom_args(tmp_path, mixed_folder(tmp_path), "-q")) == EXIT_WITHHELD == 1


def test_exit_1_when_only_a_quarantine_happens(tmp_path):
    folder = tmp_path / "in"
    write(make_ct(SOPClassUID="1.2.840.10008.5.1.4.1.1.6.1", Modality="US", BurnedInAnnotation="YES"),
          folder / "us.dcm")
    assert main(dicom_args(tmp_path, folder, "-q")) == EXIT_WITHHELD


def test_usage_error_with_only_one_path_exits_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as caught:
        main(["dicom", str(good_folder(tmp_path))])
    assert caught.value.code == EXIT_USAGE == 2
    assert "output folder" in capsys.readouterr().err
    assert not (tmp_path / "in" / "report.json").exists()


def test_usage_error_without_command_exits_2():
    with pytest.raises(SystemExit) as caught:
        main([])
    assert caught.value.code == 2


def test_unknown_profile_returns_2(tmp_path, capsys):
    assert main(dicom_args(tmp_path, good_folder(tmp_path), "--profile", "nonesuch", "-q")) == EXIT_USAGE
    assert "nonesuch" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_unknown_option_returns_2(tmp_path):
    assert main(dicom_args(tmp_path, good_folder(tmp_path), "--options", "retain-everything", "-q")) == EXIT_USAGE


def test_json_prints_parseable_report_with_counts(tmp_path, capsys):
    code = main(dicom_args(tmp_path, mixed_folder(tmp_path), "--json"))
    report = json.loads(capsys.readouterr().out)
    assert code == EXIT_WITHHELD
    assert report["counts"] == {"total": 5, "released": 2, "quarantined": 1, "failed": 2, "skipped": 0}


def test_report_file_is_written_to_out(tmp_path):
    main(dicom_args(tmp_path, good_folder(tmp_path), "-q"))
    assert json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))["counts"]["released"] == 2


def test_profiles_lists_both_shipped_profiles(capsys):
    assert main(["profiles"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "publication" in out and "limited-access" in out


def test_profiles_json_names_both_shipped_profiles(capsys):
    assert main(["profiles", "--json"]) == EXIT_OK
    assert set(json.loads(capsys.readouterr().out)) == {"publication", "limited-access"}


def test_python_m_medanon_version():
    done = subprocess.run([sys.executable, "-m", "medanon", "--version"], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0
    assert done.stdout.strip() == f"medanon {medanon.__version__}"


@pytest.mark.parametrize("mode", [[], ["--json"]], ids=["tables", "json"])
def test_no_patient_value_is_printed(tmp_path, capsys, mode):
    main(dicom_args(tmp_path, mixed_folder(tmp_path), *mode))
    captured = capsys.readouterr()
    printed = captured.out + captured.err
    assert "quarantined" in printed  # the run did print its results
    for value in PHI:
        assert value not in printed, value
        assert value.upper() not in printed, value


def test_demo_runs_on_package_data_and_exits_0(tmp_path, capsys):
    assert main(["demo", str(tmp_path / "demo"), "--key", str(tmp_path / "k.key"), "--workers", "1"]) == 0
    report = json.loads((tmp_path / "demo" / "report.json").read_text(encoding="utf-8"))
    assert report["counts"]["released"] >= 1
    assert report["counts"]["skipped"] >= 1  # the DICOMDIR: never released
    notes = [note for item in report["items"] for note in item.get("review", [])]
    assert any("text box(es) filled" in note for note in notes)  # burnt-in text cleaned, not withheld
    assert list((tmp_path / "demo").rglob("*.dcm"))
