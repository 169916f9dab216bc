#!/usr/bin/env python3
"""Every DICOM file that pip-installed packages ship, through both profiles.

    python bench/package_corpus.py [--out docs/PACKAGE_CORPUS.md]

Inputs: pydicom's test files, pydicom-data, deid-data (see medanon.examples).
For each profile: how many files were released, quarantined, failed or
skipped, and why; every released output is re-read by pydicom without
``force`` and, where dcmtk is installed, by ``dcmdump``. The residual scan
already ran inside medanon before release; here it is the structure that is
re-checked by tools that are not medanon.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import pydicom

from medanon.examples import deid_data_files, pydicom_data_files, pydicom_test_files
from medanon.pipeline import deidentify_dicom

REPO = Path(__file__).resolve().parents[1]


def recheck(out_dir: Path) -> tuple[int, list[str]]:
    """Re-read every released file without force (and with dcmdump); return count and problems."""
    problems = []
    released = [p for p in out_dir.rglob("*.dcm") if "quarantine" not in p.parts]
    dcmdump = shutil.which("dcmdump")
    for path in released:
        try:
            ds = pydicom.dcmread(path)
            if ds.file_meta.MediaStorageSOPInstanceUID != ds.SOPInstanceUID:
                problems.append(f"{path.name}: meta SOP Instance UID differs")
        except Exception as exc:
            problems.append(f"{path.name}: pydicom cannot read it: {exc}")
        if dcmdump:
            result = subprocess.run([dcmdump, "-q", str(path)], capture_output=True)
            if result.returncode != 0:
                problems.append(f"{path.name}: dcmdump exit {result.returncode}")
    return len(released), problems


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "PACKAGE_CORPUS.md")
    args = parser.parse_args()
    groups = {"pydicom test files": pydicom_test_files(), "pydicom-data": pydicom_data_files(),
              "deid-data": deid_data_files()}
    lines = ["# Every DICOM file shipped by pip packages, through both profiles", "",
             f"Command: `python bench/package_corpus.py`; {dt.date.today()}; {platform.platform()}; "
             f"pydicom {pydicom.__version__}; dcmdump {'found' if shutil.which('dcmdump') else 'not installed'}.",
             "", "Released files were re-read by pydicom without `force` and by `dcmdump`; every file not released "
             "is listed in the run's report with its reason.", ""]
    lines += ["| profile | source | files | released | quarantined | failed | skipped | re-read problems |",
              "|---|---|---|---|---|---|---|---|"]
    reasons: dict[str, Counter[str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        key = Path(tmp) / "bench.key"
        for profile in ("publication", "limited-access"):
            reasons[profile] = Counter()
            for label, files in groups.items():
                work = Path(tmp) / profile / label.replace(" ", "_")
                inputs = work / "in"
                inputs.mkdir(parents=True)
                for index, path in enumerate(files):
                    shutil.copy(path, inputs / f"{index:04d}_{path.name}")
                outcome = deidentify_dicom([inputs], work / "out", profile, key_path=key, workers=2)
                counts = Counter(r.status.value for r in outcome.results)
                released, problems = recheck(work / "out")
                for r in outcome.results:
                    for reason in r.reasons:
                        reasons[profile][_reason_kind(reason)] += 1
                lines.append(f"| {profile} | {label} | {len(outcome.results)} | {counts['released']} | "
                             f"{counts['quarantined']} | {counts['failed']} | {counts['skipped']} | "
                             f"{len(problems)} |")
                for problem in problems:
                    print(f"{profile}/{label}: {problem}", file=sys.stderr)
    for profile, counter in reasons.items():
        lines += ["", f"## Reasons, {profile}", "", "| reason | items |", "|---|---|"]
        lines += [f"| {reason} | {n} |" for reason, n in counter.most_common()]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


def _reason_kind(reason: str) -> str:
    """Group reasons without file-specific detail (tag paths, byte counts)."""
    text = reason.split(": ", 1)[-1] if reason.startswith("(") else reason
    for marker in (" declares ", " holds ", " found in form"):
        if marker in text:
            text = text.split(marker)[0] + marker.strip() + " ..."
    return text[:110]


if __name__ == "__main__":
    raise SystemExit(main())
