"""End to end: every DICOM file pip packages ship, through both profiles (slow; runs in CI).

Every item is released or withheld with a stated reason; every released file
re-reads with pydicom without ``force`` (and ``dcmdump`` accepts it where
dcmtk is installed); an independent re-scan of each released file against the
identifiers of its own input finds nothing.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pydicom
import pytest

from medanon.core.enum import Status
from medanon.examples import all_package_files
from medanon.pipeline import deidentify_dicom
from medanon.verify import collect_identifiers, scan_file

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("package-corpus")
    for index, path in enumerate(all_package_files()):
        shutil.copy(path, folder / f"{index:04d}_{path.name}")
    return folder


@pytest.mark.parametrize("profile", ["publication", "limited-access"])
def test_every_package_file_is_released_clean_or_withheld_with_a_reason(corpus, tmp_path, profile):
    outcome = deidentify_dicom([corpus], tmp_path / "out", profile, key_path=tmp_path / "k.key", workers=2)
    assert len(outcome.results) >= 250
    released = [r for r in outcome.results if r.status is Status.RELEASED]
    assert len(released) >= 100
    for result in outcome.results:
        if result.status is not Status.RELEASED:
            assert result.reasons and all(reason.strip() for reason in result.reasons), result.source
    dcmdump = shutil.which("dcmdump")
    for result in released:
        output = tmp_path / "out" / result.output
        ds = pydicom.dcmread(output)  # no force
        assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
        original = pydicom.dcmread(corpus / result.source.split("!")[0], force=True)
        assert [f for f in scan_file(output, collect_identifiers(original)) if f.blocks_release] == []
        if dcmdump:
            assert subprocess.run([dcmdump, "-q", str(output)], capture_output=True).returncode == 0
