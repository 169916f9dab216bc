"""Whole batches through ``deidentify_dicom``: release, quarantine, failure, reports, keys, determinism."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydicom.data import get_testdata_file

from medanon.core.enum import Severity, Status
from medanon.core.errors import PolicyError
from medanon.core.results import Finding, ItemResult
from medanon.pipeline import BatchOutcome, deidentify_dicom
from medanon.pipeline import run as run_module
from tests.conftest import make_ct, write

US_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.6.1"
GOOD = ("ct_doe_first.dcm", "ct_doe_second.dcm")
TRUNCATED = "ct_doe_truncated.dcm"
TEXT = "clinic_letter.txt"
US = "us_doe_burned.dcm"
ARCHIVE = "upload.zip"
EVIL = f"{ARCHIVE}!../evil.dcm"


@dataclass
class Batch:
    in_dir: Path
    out_dir: Path
    key_path: Path


def ct_bytes(uid: str) -> bytes:
    buffer = io.BytesIO()
    make_ct(SOPInstanceUID=uid).save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def build_inputs(folder: Path) -> Path:
    """Two good CTs, a truncated CT, a text file, a burnt-in US, a DICOMDIR and a zip with a ``../`` member."""
    write(make_ct(SOPInstanceUID="1.2.826.0.1.3680043.2.1125.1.11"), folder / GOOD[0])
    write(make_ct(SOPInstanceUID="1.2.826.0.1.3680043.2.1125.1.12"), folder / "sub" / GOOD[1])
    (folder / TRUNCATED).write_bytes(ct_bytes("1.2.826.0.1.3680043.2.1125.1.13")[:-10])
    (folder / TEXT).write_text("Dear Dr Smythe, I saw Jane Doe (MRN889123) today.\n", encoding="utf-8")
    write(make_ct(SOPClassUID=US_IMAGE_STORAGE, SOPInstanceUID="1.2.826.0.1.3680043.2.1125.1.14",
                  Modality="US", BurnedInAnnotation="YES"), folder / US)
    shutil.copyfile(get_testdata_file("DICOMDIR"), folder / "DICOMDIR")
    with zipfile.ZipFile(folder / ARCHIVE, "w") as archive:
        archive.writestr("../evil.dcm", ct_bytes("1.2.826.0.1.3680043.2.1125.1.15"))
    return folder


@pytest.fixture
def batch(tmp_path) -> Batch:
    return Batch(in_dir=build_inputs(tmp_path / "in"), out_dir=tmp_path / "out", key_path=tmp_path / "keys" / "k.key")


def run(batch: Batch, out_dir: Path | None = None, key_path: Path | None = None, **kwargs: object) -> BatchOutcome:
    return deidentify_dicom([batch.in_dir], out_dir or batch.out_dir, "publication",
                            key_path=key_path or batch.key_path, **kwargs)


def by_source(outcome: BatchOutcome) -> dict[str, ItemResult]:
    return {r.source: r for r in outcome.results}


def tree_hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def released_files(out_dir: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out_dir)): p.read_bytes() for p in sorted(out_dir.rglob("*.dcm"))}


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


# --- what happens to each item -----------------------------------------------------------------

def test_good_files_are_released_under_out_dir(batch):
    results = by_source(run(batch))
    for name in (GOOD[0], f"sub/{GOOD[1]}"):
        assert results[name].status is Status.RELEASED, results[name].reasons
        assert (batch.out_dir / results[name].output).is_file()
    assert len(released_files(batch.out_dir)) == 2


def test_released_names_contain_no_input_name(batch):
    run(batch)
    released = list(released_files(batch.out_dir))
    assert len(released) == 2
    for relative in released:
        for stem in ("ct_doe", "first", "second", "sub", "1.2.826.0.1.3680043"):
            assert stem not in relative


@pytest.mark.parametrize("source", [TRUNCATED, TEXT, EVIL])
def test_bad_item_fails_with_one_line_reason(batch, source):
    result = by_source(run(batch))[source]
    assert result.status is Status.FAILED
    assert len(result.reasons) == 1 and result.reasons[0] and "\n" not in result.reasons[0]


def test_dotdot_zip_member_failure_names_the_escape(batch):
    assert "'..'" in by_source(run(batch))[EVIL].reasons[0]


def test_burned_in_ultrasound_is_quarantined_with_reason(batch):
    result = by_source(run(batch))[US]
    assert result.status is Status.QUARANTINED and result.output is None
    assert any("BurnedInAnnotation" in reason for reason in result.reasons)


def test_dicomdir_is_skipped_and_not_released(batch):
    result = by_source(run(batch))["DICOMDIR"]
    assert result.status is Status.SKIPPED and result.output is None
    assert "DICOMDIR" in result.reasons[0]


def test_batch_completes_with_every_item_accounted_for(batch):
    outcome = run(batch)
    assert sorted(r.source for r in outcome.results) == sorted(
        [GOOD[0], f"sub/{GOOD[1]}", TRUNCATED, TEXT, US, "DICOMDIR", EVIL])


def test_zip_member_with_bad_crc_fails_as_unreadable(tmp_path):
    in_dir = tmp_path / "in"
    in_dir.mkdir()
    with zipfile.ZipFile(in_dir / "a.zip", "w") as archive:
        archive.writestr("a.dcm", ct_bytes("1.2.826.0.1.3680043.2.1125.1.21"))
    raw = bytearray((in_dir / "a.zip").read_bytes())
    raw[raw.find(b"Acacia")] = ord("X")
    (in_dir / "a.zip").write_bytes(bytes(raw))
    result = deidentify_dicom([in_dir], tmp_path / "out", key_path=tmp_path / "k.key").results[0]
    assert result.status is Status.FAILED and result.reasons[0].startswith("cannot read:")


# --- inputs are never touched --------------------------------------------------------------------

def test_inputs_are_unchanged(batch):
    before = tree_hashes(batch.in_dir)
    run(batch)
    assert tree_hashes(batch.in_dir) == before


def test_output_folder_inside_input_folder_is_not_reprocessed(batch):
    inner_out = batch.in_dir / "released"
    first = run(batch, out_dir=inner_out)
    second = run(batch, out_dir=inner_out)
    assert sorted(r.source for r in second.results) == sorted(r.source for r in first.results)


def test_input_inside_output_folder_is_refused(tmp_path):
    out_dir = tmp_path / "out"
    write(make_ct(), out_dir / "in" / "a.dcm")
    with pytest.raises(PolicyError, match="inside it"):
        deidentify_dicom([out_dir / "in"], out_dir, key_path=tmp_path / "k.key")


# --- quarantine ----------------------------------------------------------------------------------

def test_quarantine_has_a_record_per_failed_or_quarantined_item(batch):
    outcome = run(batch)
    withheld = {r.source for r in outcome.results if r.status in (Status.FAILED, Status.QUARANTINED)}
    records = [json.loads(p.read_text(encoding="utf-8")) for p in (batch.out_dir / "quarantine").glob("*.json")]
    assert {record["source"] for record in records} == withheld
    assert len(records) == len(withheld) == 4


def test_quarantine_record_names_contain_no_input_name(batch):
    run(batch)
    for path in (batch.out_dir / "quarantine").glob("*.json"):
        assert len(path.stem) == 16 and all(c in "0123456789abcdef" for c in path.stem)


def test_quarantine_holds_no_dicom_file(batch):
    run(batch)
    quarantined = files_under(batch.out_dir / "quarantine")
    assert quarantined
    for path in quarantined:
        assert path.read_bytes()[128:132] != b"DICM", path


# --- report --------------------------------------------------------------------------------------

def test_report_json_counts_match_results(batch):
    outcome = run(batch)
    report = json.loads((batch.out_dir / "report.json").read_text(encoding="utf-8"))
    assert report["counts"] == {"total": 7, "released": 2, "quarantined": 1, "failed": 3, "skipped": 1}
    assert len(report["items"]) == len(outcome.results)


def test_report_json_carries_key_fingerprint_and_profile(batch):
    outcome = run(batch)
    report = json.loads(outcome.report_path.read_text(encoding="utf-8"))
    assert report["profile"]["name"] == "publication"
    assert len(report["key_fingerprint"]) == 12


# --- the key -------------------------------------------------------------------------------------

def test_key_never_appears_under_out_dir(batch):
    run(batch)
    hex_text = batch.key_path.read_text(encoding="ascii").strip()
    needles = [hex_text.encode("ascii"), hex_text.upper().encode("ascii"), bytes.fromhex(hex_text)]
    for path in files_under(batch.out_dir):
        data = path.read_bytes()
        for needle in needles:
            assert needle not in data, path


def test_key_file_is_created_outside_out_dir(batch):
    outcome = run(batch)
    assert outcome.key_created and outcome.key_path == batch.key_path and batch.key_path.is_file()
    assert not any(p.name.endswith(".key") for p in files_under(batch.out_dir))


def test_key_path_inside_out_dir_is_refused(batch):
    key_inside = batch.out_dir / "project.key"
    with pytest.raises(PolicyError, match="must not be stored inside the output folder"):
        run(batch, key_path=key_inside)
    assert not key_inside.exists()


def test_unknown_option_is_refused(batch):
    with pytest.raises(PolicyError, match="unknown option 'retain-everything'"):
        run(batch, options=["retain-everything"])


# --- determinism and keys ------------------------------------------------------------------------

def test_same_key_gives_byte_identical_outputs(batch, tmp_path):
    run(batch, out_dir=tmp_path / "first")
    run(batch, out_dir=tmp_path / "second")
    first, second = released_files(tmp_path / "first"), released_files(tmp_path / "second")
    assert len(first) == 2 and first == second


def test_another_key_gives_different_uids(batch, tmp_path):
    run(batch, out_dir=tmp_path / "first")
    run(batch, out_dir=tmp_path / "second", key_path=tmp_path / "other.key")
    first, second = set(released_files(tmp_path / "first")), set(released_files(tmp_path / "second"))
    assert len(first) == len(second) == 2
    first_uids = {part for name in first for part in Path(name).parts}
    second_uids = {part for name in second for part in Path(name).parts}
    assert first_uids.isdisjoint(second_uids)


def test_two_workers_release_the_same_files_as_one(batch, tmp_path):
    serial = run(batch, out_dir=tmp_path / "serial", workers=1)
    parallel = run(batch, out_dir=tmp_path / "parallel", workers=2)
    assert released_files(tmp_path / "serial") == released_files(tmp_path / "parallel")
    assert ({r.source: r.status for r in serial.results} == {r.source: r.status for r in parallel.results})


# --- verification is the last gate ---------------------------------------------------------------

def test_verification_error_quarantines_and_leaves_no_file(batch, monkeypatch):
    scanned: list[bytes] = []

    def leaking_scan(data, identifiers, retained=frozenset()):
        scanned.append(data)
        # what is scanned is exactly what waits in a temp file
        assert any(p.read_bytes() == data for p in batch.out_dir.rglob("*.part"))
        return [Finding(Severity.ERROR, "residual-identifier", "bytes@0", "PatientName in form 'Last^First'")]

    monkeypatch.setattr(run_module.verify, "scan_bytes", leaking_scan)
    results = by_source(run(batch))
    result = results[GOOD[0]]
    assert result.status is Status.QUARANTINED and result.output is None
    assert any(reason.startswith("verification: residual-identifier") for reason in result.reasons)
    assert len(scanned) == 2
    assert list(batch.out_dir.rglob("*.dcm")) == []
    assert [p for p in batch.out_dir.rglob("*") if p.name.endswith(".part")] == []


def test_verification_warning_does_not_block_release(batch, monkeypatch):
    def noisy_scan(data, identifiers, retained=frozenset()):
        return [Finding(Severity.WARNING, "readable", "(0008,0016)", "odd but harmless")]

    monkeypatch.setattr(run_module.verify, "scan_bytes", noisy_scan)
    assert by_source(run(batch))[GOOD[0]].status is Status.RELEASED


def test_two_inputs_claiming_one_sop_instance_uid_release_only_the_first(tmp_path):
    in_dir = tmp_path / "in"
    write(make_ct(), in_dir / "a.dcm")
    write(make_ct(KVP="140"), in_dir / "b.dcm")  # same UID, different kept content
    results = by_source(deidentify_dicom([in_dir], tmp_path / "out", key_path=tmp_path / "k.key"))
    assert results["a.dcm"].status is Status.RELEASED
    assert results["b.dcm"].status is Status.FAILED
    assert "same SOP Instance UID" in results["b.dcm"].reasons[0]


def test_rerun_into_same_out_dir_releases_again(batch):
    run(batch)
    before = released_files(batch.out_dir)
    again = by_source(run(batch))
    assert again[GOOD[0]].status is Status.RELEASED
    assert released_files(batch.out_dir) == before
    assert [p for p in batch.out_dir.rglob("*") if p.name.endswith(".part")] == []  # the second copies went


# --- durability: one flush per batch, before any final name ------------------------------------

def test_flush_failure_releases_nothing_and_leaves_no_part_file(batch, monkeypatch):
    flushed: list[list[Path]] = []

    def failing_flush(paths):
        flushed.append(list(paths))
        assert all(p.is_file() and p.name.endswith(".part") for p in paths)  # verified, not yet released
        assert list(batch.out_dir.rglob("*.dcm")) == []
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(run_module.dicom, "make_durable", failing_flush)
    results = by_source(run(batch))
    for name in (GOOD[0], f"sub/{GOOD[1]}"):
        assert results[name].status is Status.FAILED and results[name].output is None
        assert "could not be flushed" in results[name].reasons[-1]
    assert sum(len(paths) for paths in flushed) == 2
    assert list(batch.out_dir.rglob("*.dcm")) == []
    assert [p for p in batch.out_dir.rglob("*") if p.name.endswith(".part")] == []


def test_flush_happens_once_per_batch_before_release(batch, monkeypatch):
    calls: list[int] = []
    real = run_module.dicom.make_durable

    def counting_flush(paths):
        calls.append(len(paths))
        assert list(batch.out_dir.rglob("*.dcm")) == []  # nothing released before the flush
        real(paths)

    monkeypatch.setattr(run_module.dicom, "make_durable", counting_flush)
    outcome = run(batch)
    assert calls == [2]  # the whole (small) batch: both good CTs, one flush
    assert sum(r.status is Status.RELEASED for r in outcome.results) == 2


def test_next_batch_is_cleaned_while_a_flush_waits_and_nothing_is_released_early(tmp_path, monkeypatch):
    """One worker: batch 1's flush waits on the disk while batch 2 is cleaned (a thread finishes batches)."""
    import threading

    from medanon.core.keys import KeyRing
    from medanon.core.policy import Policy
    from medanon.pipeline.inputs import discover

    folder = tmp_path / "in"
    for index in range(3):
        write(make_ct(SOPInstanceUID=f"1.2.826.0.1.3680043.2.1125.1.2{index}"), folder / f"{index}.dcm")
    out_dir = tmp_path / "out"
    job = run_module.Job(policy=Policy.load("publication"), keys=KeyRing(b"k" * 32), out_dir=out_dir,
                         quarantine_dir=tmp_path / "quarantine", screen_pixels=False)
    second_batch_started = threading.Event()
    real_process, real_flush = run_module._process, run_module.dicom.make_durable
    waited: list[bool] = []

    def process(item, job):
        if item.source.endswith("1.dcm"):
            second_batch_started.set()
        return real_process(item, job)

    def slow_flush(paths):
        assert all(p.name.endswith(".part") for p in paths)
        released = {p.name for p in out_dir.rglob("*.dcm")}
        assert len(released) == len(waited)  # only the batches flushed before this one have final names
        waited.append(second_batch_started.wait(timeout=30) if not waited else True)
        real_flush(paths)

    monkeypatch.setattr(run_module, "_process", process)
    monkeypatch.setattr(run_module.dicom, "make_durable", slow_flush)
    results = run_module.run_items(sorted(discover([folder]), key=lambda i: i.source), job, batch_size=1)
    assert waited[0] is True  # batch 2 was being cleaned while batch 1's flush was still waiting
    assert [r.status for r in results] == [Status.RELEASED] * 3
    assert len(list(out_dir.rglob("*.dcm"))) == 3


def test_a_failure_while_finishing_a_batch_fails_its_items_and_the_run_goes_on(batch, monkeypatch):
    """With several workers the parent finishes the batches; an unexpected error there fails that batch only."""
    def broken_release(checked, job, moved):
        raise RuntimeError("disk vanished")

    monkeypatch.setattr(run_module, "_release_all", broken_release)
    outcome = run(batch, workers=2)
    released = [r for r in outcome.results if r.status is Status.RELEASED]
    assert released == []
    assert any(r.status is Status.FAILED and "could not be released" in r.reasons[-1] for r in outcome.results)
    assert list(batch.out_dir.rglob("*.dcm")) == []
    assert [p for p in batch.out_dir.rglob("*") if p.name.endswith(".part")] == []


def test_without_syncfs_or_sync_each_file_is_fsynced(tmp_path, monkeypatch):
    from medanon.dicom import io as dicom_io

    files = [tmp_path / f"{i}.part" for i in range(3)]
    for path in files:
        path.write_bytes(b"x")
    synced: list[int] = []
    monkeypatch.setattr(dicom_io, "_syncfs", lambda folder: False)
    monkeypatch.delattr(dicom_io.os, "sync")
    monkeypatch.setattr(dicom_io.os, "fsync", lambda fd: synced.append(fd))
    dicom_io.make_durable(files)
    assert len(synced) == 3


# --- outputs written with O_DIRECT by a thread (dicom.TempWriter) ------------------------------

def _large_cts(folder: Path, count: int) -> Path:
    """CTs of 128 KiB of pixels: above TempWriter's threshold for direct writes."""
    for index in range(count):
        write(make_ct(SOPInstanceUID=f"1.2.826.0.1.3680043.2.1125.1.4{index}", Rows=256, Columns=256,
                      PixelData=bytes(index % 7 for _ in range(256 * 256 * 2))), folder / f"{index}.dcm")
    return folder


def test_direct_writes_release_the_same_files_as_buffered_ones(tmp_path, monkeypatch):
    from medanon.dicom import tempfiles

    folder = _large_cts(tmp_path / "in", 5)
    key = tmp_path / "k.key"
    direct = deidentify_dicom([folder], tmp_path / "direct", key_path=key)
    deidentify_dicom([folder], tmp_path / "direct-w2", key_path=key, workers=2)
    monkeypatch.setattr(tempfiles, "DIRECT_MIN", 1 << 40)  # every write buffered
    deidentify_dicom([folder], tmp_path / "buffered", key_path=key)
    assert [r.status for r in direct.results] == [Status.RELEASED] * 5
    assert len(released_files(tmp_path / "direct")) == 5
    assert released_files(tmp_path / "direct") == released_files(tmp_path / "buffered")
    assert released_files(tmp_path / "direct-w2") == released_files(tmp_path / "buffered")
    assert [p for p in (tmp_path / "direct").rglob("*") if p.name.endswith(".part")] == []


def test_a_failed_write_fails_only_its_item_and_leaves_no_part_file(tmp_path, monkeypatch):
    from medanon.dicom import tempfiles

    probe = tempfiles.TempWriter()
    probe.write(bytes(tempfiles.DIRECT_MIN), tmp_path)
    if probe.settle() or not probe.direct or not tempfiles.writes_direct(tmp_path):
        pytest.skip("no O_DIRECT here (not a local block file system, or refused): outputs are written buffered")
    real = tempfiles._write_all
    calls: list[int] = []

    def write_all(handle, data):
        calls.append(len(data))
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real(handle, data)

    monkeypatch.setattr(tempfiles, "_write_all", write_all)
    out_dir = tmp_path / "out"
    outcome = deidentify_dicom([_large_cts(tmp_path / "in", 3)], out_dir, key_path=tmp_path / "k.key")
    statuses = [r.status for r in sorted(outcome.results, key=lambda r: r.source)]
    assert statuses == [Status.RELEASED, Status.FAILED, Status.RELEASED]
    failed = by_source(outcome)["1.dcm"]
    assert failed.output is None and "output could not be written" in failed.reasons[-1]
    assert len(released_files(out_dir)) == 2
    assert [p for p in out_dir.rglob("*") if p.name.endswith(".part")] == []
