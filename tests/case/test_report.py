"""The case report: opened in headless Chromium, it shows every item; the JSON names no input file."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from medanon.case import add_material, init_case, run_case
from medanon.case.cleaners import cleaner_for, register, unregister
from medanon.case.enum import MaterialKind
from tests.conftest import make_ct, write

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync")


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("Debian's chromium is not installed (.ci/run installs it): the report is not rendered")


def run_chromium(page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()],
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def case_out(tmp_path: Path) -> Iterator[Path]:
    """Three DICOM files and a note; the note's cleaner is unregistered so the report shows a withheld item."""
    text_cleaner = cleaner_for(MaterialKind.TEXT)
    unregister(MaterialKind.TEXT)
    try:
        yield _run_case(tmp_path)
    finally:
        if text_cleaner is not None:
            register(MaterialKind.TEXT, text_cleaner)


def _run_case(tmp_path: Path) -> Path:
    inputs = tmp_path / "inputs"
    write(make_ct(), inputs / "DOE_JANE.dcm")
    write(make_ct(SOPInstanceUID="1.2.826.0.1.3680043.2.1125.1.77"), inputs / "study" / "b.dcm")
    write(make_ct(SOPInstanceUID="1.2.826.0.1.3680043.2.1125.1.78"), inputs / "study" / "c.dcm")
    (inputs / "note.txt").write_text("Jane Doe seen on 04/03/2023", encoding="utf-8")
    case = tmp_path / "case"
    init_case(case, "teaching", "lecture", in_the_news=True)
    for path in ("DOE_JANE.dcm", "study", "note.txt"):
        add_material(case, inputs / path)
    return run_case(case).out_dir


def test_report_json_lists_every_item_without_file_names(case_out: Path) -> None:
    data = json.loads((case_out / "report.json").read_text(encoding="utf-8"))
    assert {i["source"] for i in data["items"]} == {"dicom-1", "dicom-2#1", "dicom-2#2", "text-1"}
    assert [r["id"] for r in data["review"]] == ["in-the-news"]
    text = (case_out / "report.json").read_text(encoding="utf-8") + (case_out / "report.html").read_text("utf-8")
    for name in ("DOE_JANE", "note.txt", "b.dcm", "Jane Doe"):
        assert name not in text
    released = [i for i in data["items"] if i["status"] == "released"]
    assert released and all(i["actions"] for i in released)  # what was changed, and why, per item


def test_report_page_in_headless_chromium_shows_every_item(case_out: Path, tmp_path: Path) -> None:
    page = case_out / "report.html"
    dom = run_chromium(page, tmp_path / "profile-dom", "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-500:]
    for item in ("dicom-1", "dicom-2#1", "dicom-2#2", "text-1", "in-the-news", "Policy choices", "Sign-off"):
        assert item in dom.stdout, item
    assert "no cleaner for this kind of material" in dom.stdout
    assert dom.stdout.count("data:image/png;base64,") == 3  # an after-preview per released image
    shot = tmp_path / "report.png"
    result = run_chromium(page, tmp_path / "profile-shot", f"--screenshot={shot}", "--window-size=1200,1600")
    assert result.returncode == 0 and shot.exists(), result.stderr[-500:]
    with Image.open(shot) as image:
        grey = image.convert("L")
        low, high = grey.getextrema()
        dark = sum(grey.histogram()[:128])
    assert high - low > 100 and dark > 1000  # text was drawn: not a blank page
