"""``medanon deface`` exit codes and outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medanon.cli import main
from medanon.volume.phantom import axial_geometry, make_head
from tests.volume.conftest import write_nifti


def test_deface_nifti_exits_0_and_writes_output_and_previews(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    source = write_nifti(make_head(*axial_geometry(2.5, 96), "MR"), tmp_path / "in.nii.gz")
    out = tmp_path / "out" / "defaced.nii.gz"
    code = main(["deface", str(source), str(out), "--key", str(tmp_path / "k.key"), "--preview",
                 str(tmp_path / "previews"), "--json"])
    assert code == 0
    assert json.loads(capsys.readouterr().out)["status"] == "released"
    assert out.exists() and len(list((tmp_path / "previews").glob("*.png"))) == 2


def test_deface_blank_volume_exits_1_with_quarantine_record(tmp_path: Path) -> None:
    blank = make_head(*axial_geometry(4.0, 30), "MR")
    blank.volume.data[:] = 0
    source = write_nifti(blank, tmp_path / "in.nii")
    out = tmp_path / "out" / "x.nii.gz"
    assert main(["deface", str(source), str(out), "--key", str(tmp_path / "k.key"), "-q"]) == 1
    assert not out.exists()
    assert len(list((tmp_path / "out" / "quarantine").glob("*.json"))) == 1


def test_deface_nifti_to_a_folder_is_a_usage_error(tmp_path: Path) -> None:
    source = write_nifti(make_head(*axial_geometry(4.0, 30), "MR"), tmp_path / "in.nii")
    assert main(["deface", str(source), str(tmp_path / "outdir"), "--key", str(tmp_path / "k.key"), "-q"]) == 2
