#!/usr/bin/env python3
"""Score medanon on the planted-identifier corpus ``../shared/eval/dicom_dev`` with its own scorer.

    python bench/eval_dicom_dev.py [--profile publication] [--out docs/EVALUATION.md]

Runs ``score.py`` (which copies the corpus, runs ``medanon dicom {in} {out}``
and checks every output against ``key.json``) and writes the table it prints,
with the command, commit and machine, to ``docs/EVALUATION.md``. Skips with a
message when the shared folder is absent.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "eval" / "dicom_dev"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", default="publication")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "EVALUATION.md")
    args = parser.parse_args()
    if not (CORPUS / "score.py").exists():
        print(f"skipped: {CORPUS} is absent")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        result_json = Path(tmp) / "result.json"
        tool = f"{sys.executable} -m medanon dicom {{in}} {{out}} --profile {args.profile} -q " \
               f"--key {Path(tmp) / 'eval.key'} --quarantine {Path(tmp) / 'quarantine'}"
        command = [sys.executable, str(CORPUS / "score.py"), "--corpus", str(CORPUS), "--name", "medanon",
                   "--tool", tool, "--json", str(result_json)]
        run = subprocess.run(command, capture_output=True, text=True)
        print(run.stdout)
        if run.returncode != 0 and not result_json.exists():
            print(run.stderr, file=sys.stderr)
            return run.returncode
        result = json.loads(result_json.read_text())
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                            text=True).stdout.strip() or "uncommitted"
    table = run.stdout[run.stdout.find("| check"):].strip()
    lines = [
        "# Evaluation on the planted-identifier corpus (dicom_dev)", "",
        f"- Command: `python bench/eval_dicom_dev.py --profile {args.profile}` (runs the corpus's own `score.py`)",
        f"- Commit {commit}, {dt.date.today()}, {platform.platform()}, {platform.python_version()}",
        f"- Overall: **{result.get('overall')}**", "",
        table, "",
        "Files withheld because their pixels may hold burnt-in text count apart (not as failures); "
        "every other file not released fails all its checks.", "",
    ]
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
