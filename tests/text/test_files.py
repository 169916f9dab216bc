"""Tests of ``medanon text``: files, folders, JSONL batches, keys, exit codes (medanon.text.files, cli)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydicom.dataset import Dataset

from medanon.cli import EXIT_OK, EXIT_USAGE, EXIT_WITHHELD, main
from medanon.core.enum import Status
from medanon.core.keys import KeyRing
from medanon.dicom.engine import _patient_key
from medanon.text.files import TextJob, patient_key_from_id, scrub_paths

NOTE = "Seen by Dr. Okonkwo on 04/03/2019, tel 0161 555 0192. A 92 year old man.\n"


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")


def test_text_file_is_written_with_tags(tmp_path: Path) -> None:
    (tmp_path / "note.txt").write_text(NOTE, encoding="utf-8")
    assert main(["text", str(tmp_path / "note.txt"), str(tmp_path / "out"), "-q"]) == EXIT_OK
    written = (tmp_path / "out" / "note.txt").read_text(encoding="utf-8")
    assert written == "Seen by Dr. [NAME] on [DATE], tel [PHONE]. A 90+ year old man.\n"


def test_input_file_is_never_changed(tmp_path: Path) -> None:
    source = tmp_path / "note.md"
    source.write_text(NOTE, encoding="utf-8")
    main(["text", str(source), str(tmp_path / "out"), "-q"])
    assert source.read_text(encoding="utf-8") == NOTE


def test_folder_keeps_relative_paths_and_skips_other_files(tmp_path: Path) -> None:
    (tmp_path / "in" / "sub").mkdir(parents=True)
    (tmp_path / "in" / "sub" / "a.txt").write_text(NOTE, encoding="utf-8")
    (tmp_path / "in" / "image.png").write_bytes(b"\x89PNG")
    results = scrub_paths(tmp_path / "in", tmp_path / "out", TextJob())
    assert [r.status for r in results] == [Status.RELEASED]
    assert "Okonkwo" not in (tmp_path / "out" / "sub" / "a.txt").read_text(encoding="utf-8")
    assert not (tmp_path / "out" / "image.png").exists()


def test_jsonl_batch_gives_id_text_and_spans(tmp_path: Path) -> None:
    batch = tmp_path / "notes.jsonl"
    batch.write_text(json.dumps({"id": "n1", "text": "Husband John called."}) + "\n", encoding="utf-8")
    assert main(["text", str(batch), str(tmp_path / "out.jsonl"), "-q"]) == EXIT_OK
    record = json.loads((tmp_path / "out.jsonl").read_text(encoding="utf-8"))
    assert record == {"id": "n1", "text": "Husband [NAME] called.",
                      "spans": [{"start": 8, "end": 12, "kind": "NAME", "why": "after husband"}]}


def test_bad_jsonl_line_gives_an_error_record_and_the_batch_goes_on(tmp_path: Path) -> None:
    batch = tmp_path / "notes.jsonl"
    batch.write_text('{"id": 1, "text": "Husband John"}\nnot json\n{"id": 3, "text": 5}\n{"id": 4, "text": "ok"}\n',
                     encoding="utf-8")
    assert main(["text", str(batch), str(tmp_path / "out.jsonl"), "-q"]) == EXIT_WITHHELD
    records = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r.get("id") for r in records] == [1, None, 3, 4]
    assert "error" in records[1] and "error" in records[2] and "text" not in records[2]
    assert records[3]["text"] == "ok"


def test_limited_access_uses_the_key_and_never_writes_it_to_the_output(tmp_path: Path) -> None:
    batch = tmp_path / "notes.jsonl"
    batch.write_text(json.dumps({"id": 1, "text": "Husband John called.", "patient_id": "P1"}) + "\n",
                     encoding="utf-8")
    key = tmp_path / "keys" / "project.key"
    args = ["text", str(batch), str(tmp_path / "out" / "o.jsonl"), "--profile", "limited-access", "--key", str(key),
            "-q"]
    assert main(args) == EXIT_OK
    first = (tmp_path / "out" / "o.jsonl").read_text(encoding="utf-8")
    assert "John" not in first and "[NAME-" in first
    assert main(args) == EXIT_OK
    assert (tmp_path / "out" / "o.jsonl").read_text(encoding="utf-8") == first
    assert key.read_text(encoding="ascii").strip() not in first


def test_key_inside_the_output_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "n.txt").write_text(NOTE, encoding="utf-8")
    args = ["text", str(tmp_path / "n.txt"), str(tmp_path / "out"), "--profile", "limited-access",
            "--key", str(tmp_path / "out" / "k.key"), "-q"]
    assert main(args) == EXIT_USAGE


def test_missing_input_is_a_usage_error(tmp_path: Path) -> None:
    assert main(["text", str(tmp_path / "absent.txt"), str(tmp_path / "out"), "-q"]) == EXIT_USAGE


def test_patient_key_matches_the_dicom_engines(tmp_path: Path) -> None:
    ds = Dataset()
    ds.PatientID = "P1"
    ds.IssuerOfPatientID = "HOSP"
    assert patient_key_from_id("P1", "HOSP") == _patient_key(ds)


def test_note_and_images_of_a_patient_share_the_date_shift() -> None:
    keys = KeyRing(b"k" * 32)
    ds = Dataset()
    ds.PatientID = "P1"
    assert keys.date_shift_days(patient_key_from_id("P1")) == keys.date_shift_days(_patient_key(ds))
