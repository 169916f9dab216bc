"""DICOM header de-identification throughput: medanon against dicognito and dicom-anonymizer.

One command (STYLE.md section 9)::

    python bench/bench_dicom.py [--files 2000] [--sizes 500,2000] [--profile 300] [--out docs/BENCHMARKS.md]

* builds (once, deterministically from ``--seed``) corpora of CT-sized files in
  ``bench/_corpus/<N>/`` (gitignored);
* times every tool in the same run on the same files, each in its own child
  process (``--run-one TOOL``) so that peak RSS is per tool, each into a fresh
  output folder;
* runs medanon at every corpus size of ``--sizes`` to show whether memory stays
  flat as the batch grows;
* optionally profiles medanon (workers=1) with cProfile;
* prints a rich table and appends a dated entry to ``--out``.

No timing is asserted anywhere: the numbers are for people to read.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import threading
import time
import warnings
from importlib import metadata
from pathlib import Path
from typing import Any, Self

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import cpu_model, ram_total  # noqa: E402
from _report import append_to_section  # noqa: E402

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
CORPUS_ROOT = BENCH_DIR / "_corpus"
RUNS_ROOT = CORPUS_ROOT / "_runs"
CORPUS_VERSION = 1  # bump when the generator changes, so old corpora are rebuilt
DEFAULT_SEED = 20240611
RESULT_MARKER = "BENCH_RESULT "
SECTION_TITLE = "## DICOM headers: medanon vs dicognito vs dicom-anonymizer (`bench/bench_dicom.py`)"
TARGET_RATIO = 3.0
PEERS = ("dicognito", "dicom-anonymizer")
MB = 1024 * 1024
CHILD_ENV: dict[str, str] = dict(os.environ)  # --at-head points PYTHONPATH at an export of HEAD

# --------------------------------------------------------------------------------------------
# Corpus
# --------------------------------------------------------------------------------------------

N_PATIENTS = 20
FAMILY = ["SMITH", "JOHNSON", "WILLIAMS", "BROWN", "JONES", "GARCIA", "MILLER", "DAVIS", "RODRIGUEZ",
          "MARTINEZ", "HERNANDEZ", "LOPEZ", "GONZALEZ", "WILSON", "ANDERSON", "THOMAS", "TAYLOR", "MOORE",
          "JACKSON", "MARTIN"]
GIVEN = ["MARY", "JAMES", "PATRICIA", "ROBERT", "JENNIFER", "MICHAEL", "LINDA", "WILLIAM", "ELIZABETH",
         "DAVID", "BARBARA", "RICHARD", "SUSAN", "JOSEPH", "JESSICA", "THOMAS", "SARAH", "CHARLES", "KAREN",
         "CHRISTOPHER"]
PHYSICIANS = ["HOUSE^GREGORY^^DR", "QUINN^MICHAELA^^DR", "KILDARE^JAMES^^DR", "GREY^MEREDITH^^DR",
              "SHEPHERD^DEREK^^DR", "CARTER^JOHN^^DR"]
OPERATORS = ["NURSE^JACKIE", "TECH^ALEX", "RADIOGRAPHER^SAM"]
STUDIES = [("CT CHEST WITH CONTRAST", "CHEST"), ("CT ABDOMEN PELVIS WITH CONTRAST", "ABDOMEN"),
           ("CT HEAD WITHOUT CONTRAST", "HEAD"), ("CT CHEST ABDOMEN PELVIS", "CHEST")]
SERIES = ["AXIAL 1.25MM STD", "AXIAL 5MM LUNG", "CORONAL 3MM SOFT TISSUE", "PORTAL VENOUS 2MM"]
INSTITUTIONS = [("ST ELSEWHERE GENERAL HOSPITAL", "159 Westbourne Grove, Boston MA 02115"),
                ("COUNTY GENERAL HOSPITAL", "1200 North State Street, Chicago IL 60611"),
                ("SACRED HEART TEACHING HOSPITAL", "1 Hospital Plaza, San Dimas CA 91773")]
CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
UID_PREFIX = "1.2.826.0.1.3680043.8.498."  # pydicom's root, for test data


def corpus_dir(n: int) -> Path:
    return CORPUS_ROOT / str(n)


def _stamp_path(n: int) -> Path:
    return CORPUS_ROOT / f"{n}.json"


def ensure_corpus(n: int, seed: int) -> Path:
    """``bench/_corpus/<n>/``, (re)generated unless a matching stamp says it is complete."""
    folder = corpus_dir(n)
    stamp = _stamp_path(n)
    wanted = {"version": CORPUS_VERSION, "files": n, "seed": seed}
    if stamp.exists() and folder.is_dir():
        try:
            if json.loads(stamp.read_text())["params"] == wanted:
                return folder
        except (ValueError, KeyError):
            pass
    if folder.exists():
        shutil.rmtree(folder)
    stamp.unlink(missing_ok=True)
    started = time.perf_counter()
    _log(f"generating corpus of {n} files in {folder} (seed {seed}) ...")
    total = generate_corpus(folder, n, seed)
    stamp.write_text(json.dumps({"params": wanted, "bytes": total}, indent=1))
    _log(f"  {n} files, {total / MB:.0f} MB in {time.perf_counter() - started:.1f} s")
    return folder


def generate_corpus(folder: Path, n: int, seed: int) -> int:
    """Write ``n`` CT images (512x512, 16-bit, Explicit VR LE) over 20 patients and ~40 series."""
    import numpy as np
    from pydicom.uid import generate_uid

    rng = np.random.default_rng(seed)

    def uid(*parts: object) -> str:
        return generate_uid(UID_PREFIX, entropy_srcs=[str(seed), *map(str, parts)])

    patients: list[dict[str, Any]] = []
    for p in range(N_PATIENTS):
        birth = dt.date(1935, 1, 1) + dt.timedelta(days=int(rng.integers(0, 365 * 65)))
        study_date = dt.date(2019, 1, 1) + dt.timedelta(days=int(rng.integers(0, 365 * 4)))
        age = (study_date - birth).days // 365
        institution = INSTITUTIONS[p % len(INSTITUTIONS)]
        patients.append({
            "name": f"{FAMILY[p]}^{GIVEN[(p * 7) % len(GIVEN)]}^{chr(65 + p)}",
            "id": f"MRN{int(rng.integers(10**6, 10**7))}",
            "birth": birth.strftime("%Y%m%d"), "sex": "FM"[p % 2], "age": f"{age:03d}Y",
            "weight": f"{float(rng.uniform(50, 110)):.1f}", "size": f"{float(rng.uniform(1.5, 1.95)):.2f}",
            "study_uid": uid("study", p), "for_uid": uid("frame-of-reference", p),
            "study_date": study_date.strftime("%Y%m%d"), "study_time": f"{8 + p % 10:02d}{(p * 7) % 60:02d}12",
            "accession": f"ACC{int(rng.integers(10**7, 10**8))}", "study": STUDIES[p % len(STUDIES)],
            "institution": institution, "referrer": PHYSICIANS[p % len(PHYSICIANS)],
            "performer": PHYSICIANS[(p + 2) % len(PHYSICIANS)], "operator": OPERATORS[p % len(OPERATORS)],
            "n_series": 1 + p % 3,
        })
    series = [(p, s) for p in range(N_PATIENTS) for s in range(patients[p]["n_series"])]
    per_series: dict[tuple[int, int], list[int]] = {}
    for i in range(n):
        per_series.setdefault(series[i * len(series) // n], []).append(i)

    total = 0
    for (p, s), indices in per_series.items():
        pt = patients[p]
        series_uid = uid("series", p, s)
        localizer_uid = uid("localizer", p, s)
        target = folder / f"PAT{p:02d}" / f"SER{s + 1:02d}"
        target.mkdir(parents=True, exist_ok=True)
        for number, i in enumerate(indices, start=1):
            ds = _ct_dataset(pt, s, number, uid("sop", p, s, number), series_uid, localizer_uid,
                             uid("sop", p, s, number - 1) if number > 1 else None,
                             rng.integers(0, 4096, size=(512, 512), dtype=np.uint16).tobytes())
            path = target / f"IM{i:06d}.dcm"
            ds.save_as(path, enforce_file_format=True)
            total += path.stat().st_size
    return total


def _ct_dataset(pt: dict[str, Any], s: int, number: int, sop_uid: str, series_uid: str,
                localizer_uid: str, previous_uid: str | None, pixels: bytes) -> Any:
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import UID, ExplicitVRLittleEndian

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(CT_IMAGE_STORAGE)
    meta.MediaStorageSOPInstanceUID = UID(sop_uid)
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = UID(UID_PREFIX + "1.1")
    meta.ImplementationVersionName = "MEDANON_BENCH"

    ds = Dataset()
    ds.file_meta = meta
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.InstanceCreationDate = pt["study_date"]
    ds.InstanceCreationTime = pt["study_time"]
    ds.SOPClassUID = CT_IMAGE_STORAGE
    ds.SOPInstanceUID = sop_uid
    ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = ds.ContentDate = pt["study_date"]
    ds.StudyTime = pt["study_time"]
    ds.SeriesTime = ds.AcquisitionTime = ds.ContentTime = f"{pt['study_time'][:4]}{30 + s:02d}.{number:06d}"
    ds.AccessionNumber = pt["accession"]
    ds.Modality = "CT"
    ds.Manufacturer = "ACME Medical Systems"
    ds.InstitutionName, ds.InstitutionAddress = pt["institution"]
    ds.ReferringPhysicianName = pt["referrer"]
    ds.StationName = f"CTSCAN{1 + s}"
    ds.StudyDescription = pt["study"][0]
    ds.SeriesDescription = SERIES[s % len(SERIES)]
    ds.InstitutionalDepartmentName = "RADIOLOGY"
    ds.PerformingPhysicianName = pt["performer"]
    ds.OperatorsName = pt["operator"]
    ds.ManufacturerModelName = "Bench CT 128"
    ref = Dataset()
    ref.ReferencedSOPClassUID = CT_IMAGE_STORAGE
    ref.ReferencedSOPInstanceUID = localizer_uid
    refs = [ref]
    if previous_uid:
        prev = Dataset()
        prev.ReferencedSOPClassUID = CT_IMAGE_STORAGE
        prev.ReferencedSOPInstanceUID = previous_uid
        refs.append(prev)
    ds.ReferencedImageSequence = refs
    ds.PatientName = pt["name"]
    ds.PatientID = pt["id"]
    ds.PatientBirthDate = pt["birth"]
    ds.PatientSex = pt["sex"]
    ds.PatientAge = pt["age"]
    ds.PatientSize = pt["size"]
    ds.PatientWeight = pt["weight"]
    ds.BodyPartExamined = pt["study"][1]
    ds.SliceThickness = "1.25"
    ds.KVP = "120"
    ds.DeviceSerialNumber = "SN-0042-7781"
    ds.SoftwareVersions = "BENCH 3.2.1"
    ds.ProtocolName = pt["study"][0].title()
    ds.PatientPosition = "FFS"
    ds.StudyInstanceUID = pt["study_uid"]
    ds.SeriesInstanceUID = series_uid
    ds.StudyID = pt["accession"][-6:]
    ds.SeriesNumber = s + 2
    ds.AcquisitionNumber = 1
    ds.InstanceNumber = number
    z = -1.25 * number
    ds.ImagePositionPatient = ["-250.0", "-250.0", f"{z:.2f}"]
    ds.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    ds.FrameOfReferenceUID = pt["for_uid"]
    ds.PositionReferenceIndicator = ""
    ds.SliceLocation = f"{z:.2f}"
    ds.BurnedInAnnotation = "NO"
    request = Dataset()
    request.RequestedProcedureID = f"RP{pt['accession'][-5:]}"
    request.ScheduledProcedureStepID = f"SPS{pt['accession'][-4:]}"
    request.RequestedProcedureDescription = pt["study"][0]
    request.ScheduledProcedureStepDescription = pt["study"][0]
    request.AccessionNumber = pt["accession"]
    ds.RequestAttributesSequence = [request]
    ds.PerformedProcedureStepStartDate = pt["study_date"]
    ds.PerformedProcedureStepID = f"PPS{number % 7}"
    ds.PerformedProcedureStepDescription = pt["study"][0]
    block = ds.private_block(0x0009, "ACME_IDEN_01", create=True)
    block.add_new(0x01, "LO", "ACME CT ONE")
    block.add_new(0x02, "LO", pt["id"])  # vendors do copy identifiers into private tags
    block.add_new(0x10, "DS", "0.75")
    scan = ds.private_block(0x0019, "ACME_ACQU_01", create=True)
    scan.add_new(0x01, "DS", "512.0")
    scan.add_new(0x02, "SS", -1024)
    scan.add_new(0x03, "LO", "HELICAL")
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = ds.Columns = 512
    ds.PixelSpacing = ["0.976562", "0.976562"]
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.WindowCenter = "40"
    ds.WindowWidth = "400"
    ds.RescaleIntercept = "-1024"
    ds.RescaleSlope = "1"
    ds.PixelData = pixels
    return ds


def corpus_files(folder: Path) -> list[Path]:
    """Every corpus file, in a stable order; dot-files skipped as medanon does."""
    found: list[Path] = []
    for here, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(Path(here) / f for f in sorted(files) if not f.startswith("."))
    return found


def warm_cache(folder: Path) -> int:
    """Read every file once so that the next run starts with the corpus in the page cache.

    Called before every run, not once: this machine pages out memory nobody
    touched for about a minute (a DAMON ``pageout`` scheme), so a corpus read
    once at the start was partly back on disk by the later runs.
    """
    total = 0
    for path in corpus_files(folder):
        total += len(path.read_bytes())
    return total


# --------------------------------------------------------------------------------------------
# One tool in one process (--run-one)
# --------------------------------------------------------------------------------------------


class TreeRss:
    """Samples the summed RSS of this process and all its descendants (for workers > 1)."""

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak_kb = max(self.peak_kb, _tree_rss_kb(os.getpid()))

    @property
    def peak_mb(self) -> float:
        return self.peak_kb / 1024


def _tree_rss_kb(root: int) -> int:
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    fields = handle.read().rsplit(b")", 1)[1].split()
                parents[int(entry)] = int(fields[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in tree:
                tree.add(pid)
                frontier.append(pid)
    total = 0
    for pid in tree:
        try:
            with open(f"/proc/{pid}/status") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            continue
    return total


def run_one(tool: str, corpus: Path, dest: Path, workers: int) -> dict[str, Any]:
    """Time one tool over ``corpus`` into the fresh folder ``dest``; return figures as a dict."""
    warnings.simplefilter("ignore")
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    runner = {"medanon": _run_medanon, "dicognito": _run_dicognito,
              "dicom-anonymizer": _run_dicom_anonymizer}[tool]
    sampler = TreeRss() if workers > 1 else None
    if sampler:
        sampler.__enter__()
    try:
        figures = runner(corpus, dest, workers)
    finally:
        if sampler:
            sampler.__exit__()
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    # RUSAGE_CHILDREN is the peak of the largest reaped child only; with one worker the only children are
    # short helpers (platform.platform() forks `uname`, whose pre-exec RSS would double-count the parent).
    peak = own + workers * children if workers > 1 else own
    figures.update(tool=tool, workers=workers, rss_self_mb=own, rss_children_mb=children,
                   peak_rss_mb=peak, tree_rss_mb=sampler.peak_mb if sampler else own)
    return figures


def _run_medanon(corpus: Path, dest: Path, workers: int) -> dict[str, Any]:
    import tempfile
    from collections import Counter

    from medanon.core.keys import load_or_create_key
    from medanon.pipeline import deidentify_dicom

    with tempfile.TemporaryDirectory(prefix="medanon-bench-key-") as key_dir:
        key_path = Path(key_dir) / "bench.key"
        load_or_create_key(key_path)
        started = time.perf_counter()
        # The header path, as the issue measures it: the burnt-in text screen (pixels/) and head-series
        # defacing (volume/) are separate stages that decode pixels, so they are off here
        # (bench/bench_pixels.py and bench/bench_deface.py time them).
        outcome = deidentify_dicom([corpus], dest, "publication", key_path=key_path, workers=workers,
                                   screen_pixels=False, deface_heads=False)
        seconds = time.perf_counter() - started
    import medanon

    counts = outcome.report["counts"]
    reasons = Counter(r.reasons[0] if r.reasons else r.status.value
                      for r in outcome.results if r.status.value != "released")
    return {"seconds": seconds, "files": counts["total"], "ok": counts["released"],
            "not_ok": counts["total"] - counts["released"], "counts": counts,
            "problems": reasons.most_common(5), "output_files": _count_outputs(dest),
            "medanon_from": str(Path(medanon.__file__).parent)}


def _run_dicognito(corpus: Path, dest: Path, workers: int) -> dict[str, Any]:
    import pydicom
    from dicognito.anonymizer import Anonymizer

    started = time.perf_counter()
    anonymizer = Anonymizer(seed="medanon-bench")  # one per batch, as its CLI does
    ok, problems = 0, []
    files = corpus_files(corpus)
    for path in files:
        try:
            ds = pydicom.dcmread(path)
            anonymizer.anonymize(ds)
            ds.save_as(dest / f"{ds.SOPInstanceUID}.dcm", enforce_file_format=True)  # as SaveToSOPInstanceUID
            ok += 1
        except Exception as exc:  # noqa: BLE001 - a peer's failure is a figure, not a crash of the benchmark
            problems.append(f"{type(exc).__name__}: {exc}"[:120])
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "files": len(files), "ok": ok, "not_ok": len(files) - ok,
            "problems": sorted(set(problems))[:5], "output_files": _count_outputs(dest)}


def _run_dicom_anonymizer(corpus: Path, dest: Path, workers: int) -> dict[str, Any]:
    from dicomanonymizer import anonymize_dicom_file

    started = time.perf_counter()
    ok, problems = 0, []
    files = corpus_files(corpus)
    for index, path in enumerate(files):
        try:
            anonymize_dicom_file(str(path), str(dest / f"{index:06d}.dcm"))
            ok += 1
        except Exception as exc:  # noqa: BLE001
            problems.append(f"{type(exc).__name__}: {exc}"[:120])
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "files": len(files), "ok": ok, "not_ok": len(files) - ok,
            "problems": sorted(set(problems))[:5], "output_files": _count_outputs(dest)}


def _count_outputs(dest: Path) -> int:
    return sum(1 for _ in dest.rglob("*.dcm") if "quarantine" not in _.parts)


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------


class SpentOutputs:
    """Output folders of finished runs, emptied at once but deleted only when the benchmark ends.

    On a file system without a journal (this machine's ext4), Linux skips
    inodes freed in the last minute or more when it allocates new ones
    (``recently_deleted`` in ext4's inode allocator), so creating a file soon
    after thousands were deleted cost 0.1 to 0.8 ms instead of about 0.05 ms
    here. Deleting each run's 2000 outputs before the next run charged every
    tool for the previous tool's clean-up, most visibly the fastest. Truncating
    frees the data blocks and the page cache at once; the inodes go at the end.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def fresh_folder(self, label: str) -> Path:
        """A folder name no earlier run of this benchmark used."""
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        return self.root / f"{label}-{stamp}"

    def set_aside(self, folder: Path) -> None:
        if not folder.exists():
            return
        for path in folder.rglob("*"):
            if path.is_file():
                os.truncate(path, 0)

    def create_cost_us(self, files: int = 500) -> float:
        """Microseconds to create one empty file here now (the probe's files go with the rest at the end)."""
        folder = self.fresh_folder("create-probe")
        folder.mkdir()
        started = time.perf_counter()
        for index in range(files):
            os.close(os.open(folder / f"{index}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        return (time.perf_counter() - started) / files * 1e6

    def delete_all(self) -> None:
        """Delete this run's spent folders and any an interrupted earlier run left behind."""
        shutil.rmtree(self.root, ignore_errors=True)


def spawn(tool: str, n: int, workers: int, seed: int, spent: SpentOutputs) -> dict[str, Any]:
    """Run ``--run-one`` in a fresh interpreter and read back its figures; its output is set aside."""
    label = f"{tool}-w{workers}-{n}"
    dest = spent.fresh_folder(label)
    warm_cache(corpus_dir(n))
    _log(f"running {label} ...")
    command = [sys.executable, str(Path(__file__).resolve()), "--run-one", tool, "--files", str(n),
               "--workers", str(workers), "--seed", str(seed), "--dest", str(dest)]
    proc = subprocess.run(command, capture_output=True, text=True, cwd=REPO, check=False, env=CHILD_ENV)
    figures = None
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_MARKER):
            figures = json.loads(line[len(RESULT_MARKER):])
    spent.set_aside(dest)
    if figures is None:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise SystemExit(f"{label} failed (exit {proc.returncode}):\n" + "\n".join(tail))
    size = json.loads(_stamp_path(n).read_text())["bytes"]
    figures.update(corpus_files=n, corpus_mb=size / MB, files_per_s=figures["files"] / figures["seconds"],
                   mb_per_s=size / MB / figures["seconds"])
    _log(f"  {figures['seconds']:.1f} s, {figures['files_per_s']:.1f} files/s, ok {figures['ok']}/"
         f"{figures['files']}, peak RSS {figures['peak_rss_mb']:.0f} MB")
    return figures


def best_round(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest of one tool's rounds, with every round's files/s kept for the report.

    The rounds of all tools are interleaved and each tool is judged by its
    best, so that a moment of load on this shared machine penalises no tool
    more than another.
    """
    best = dict(min(runs, key=lambda run: run["seconds"]))
    best["rounds_files_per_s"] = [run["files_per_s"] for run in runs]
    return best


def profile_medanon(n: int, seed: int, top: int = 15) -> list[dict[str, Any]]:
    """cProfile medanon workers=1 over ``n`` files; the top cumulative entries in medanon/pydicom."""
    import pstats

    ensure_corpus(n, seed)
    prof = RUNS_ROOT / "medanon-profile.prof"
    dest = RUNS_ROOT / f"medanon-profile-{n}"
    RUNS_ROOT.mkdir(parents=True, exist_ok=True)
    _log(f"profiling medanon workers=1 on {n} files ...")
    subprocess.run([sys.executable, "-m", "cProfile", "-o", str(prof), str(Path(__file__).resolve()),
                    "--run-one", "medanon", "--files", str(n), "--workers", "1", "--seed", str(seed),
                    "--dest", str(dest)], check=True, capture_output=True, cwd=REPO, env=CHILD_ENV)
    shutil.rmtree(dest, ignore_errors=True)
    stats = pstats.Stats(str(prof))
    total = stats.total_tt  # type: ignore[attr-defined]
    rows = []
    for (filename, line, name), (_cc, ncalls, tottime, cumtime, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        where = _short_path(filename)
        if where is None or name == "<module>":
            continue
        rows.append({"function": f"{where}:{line}({name})", "ncalls": ncalls, "tottime": tottime,
                     "cumtime": cumtime, "share": cumtime / total if total else 0.0})
    rows.sort(key=lambda r: r["cumtime"], reverse=True)
    prof.unlink(missing_ok=True)
    return rows[:top]


def _short_path(filename: str) -> str | None:
    for package in ("medanon", "pydicom"):
        marker = f"/{package}/"
        if marker in filename:
            return package + "/" + filename.split(marker, 1)[1]
    return None


def machine_info() -> dict[str, str]:
    cpu, ram = cpu_model(), ram_total()
    versions = []
    for package in ("medanon", "pydicom", "dicognito", "dicom-anonymizer", "numpy"):
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package} absent")
    return {"cpu": cpu, "cores": str(os.cpu_count()), "ram": ram,
            "python": f"Python {platform.python_version()}", "os": platform.platform(),
            "packages": ", ".join(versions)}


def src_fingerprint(root: Path) -> str:
    """A hash of medanon's sources, to notice code that changed while the benchmark ran."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".toml"):
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def export_head(target: Path) -> Path:
    """``git archive HEAD src`` into *target*; returns the folder to put on PYTHONPATH."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", "HEAD", "src"], capture_output=True, cwd=REPO, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target / "src"


def git_state() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=REPO, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "uncommitted"
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "src"], capture_output=True, text=True,
                           cwd=REPO, check=False).stdout.strip()
    return f"{head} (src/ has uncommitted changes)" if dirty else head


def _ratio(row: dict[str, Any], best_peer: float | None) -> str:
    return f"{row['files_per_s'] / best_peer:.2f}×" if best_peer else "n/a"


def _tool_label(row: dict[str, Any]) -> str:
    return row["tool"]


def render_markdown(command: str, headline: list[dict[str, Any]], memory: list[dict[str, Any]],
                    profile: list[dict[str, Any]], n: int, seed: int, commit: str,
                    file_system: dict[str, float] | None = None) -> str:
    info = machine_info()
    best_peer = max((r["files_per_s"] for r in headline if r["tool"] in PEERS), default=None)
    mb = headline[0]["corpus_mb"]
    lines = [
        f"### {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}",
        "",
        f"- Command: `{command}`",
        f"- Commit: {commit}",
        f"- Machine: {info['cpu']}, {info['cores']} cores, {info['ram']} RAM; {info['python']} on {info['os']}",
        f"- Packages: {info['packages']}",
        (f"- Corpus: {n} synthetic CT images ({mb:.0f} MB), 512×512 16-bit, Explicit VR Little Endian, "
         f"{N_PATIENTS} patients, ~40 series, realistic header (names, IDs, birth dates, UIDs, dates/times, "
         "institution, physicians, descriptions, RequestAttributesSequence, ReferencedImageSequence, 2 private "
         f"blocks), seed {seed}; page cache warmed before each run."),
        ("- Each tool ran in its own process on the same files into a fresh, empty output folder. medanon: "
         "`deidentify_dicom(..., \"publication\", workers=W, screen_pixels=False, deface_heads=False)` = "
         "discover, read + strict checks (ordinary files as byte ranges, the rest with pydicom), clean, write "
         "a temp file (O_DIRECT from a writer thread for files of 64 KiB to 16 MiB), independent residual "
         "scan of the bytes written (identifiers read from the input by the "
         "verifier's own byte reader), durability flush (syncfs) on a thread of its own, one per 4 batches of 8 "
         "(more when they queue up during a flush), then rename to the final name (never replacing one), "
         "report.json. dicognito: "
         "`Anonymizer().anonymize(ds)` + `save_as` per file (its CLI's path, single process). dicom-anonymizer: "
         "`anonymize_dicom_file(in, out)` per file (single process). Peers do not fsync or verify."),
        *([(f"- Output file system: creating an empty file took {file_system['create_us_before']:.0f} µs before "
            f"the runs and {file_system['create_us_after']:.0f} µs after. Each run's outputs are emptied when it "
            "ends and deleted only after the last run: on this journal-less ext4, files created within minutes "
            "of mass deletions cost up to ten times more (`SpentOutputs`), a cost every tool would pay for the "
            "previous tool's clean-up.")] if file_system else []),
        ("- Peak RSS: `getrusage` in the tool's own process. workers=1: RUSAGE_SELF `ru_maxrss`. workers=W>1: "
         "RUSAGE_SELF + W × RUSAGE_CHILDREN `ru_maxrss` (the largest worker's peak; an upper bound on the sum). "
         "'tree RSS' samples the summed RSS of the process and all its workers every 0.1 s (same as peak for W=1)."),
        "",
        f"**Target: medanon ≥ {TARGET_RATIO:.0f}× the files/s of the faster peer.**",
        "",
        "| tool | workers | files | ok | seconds | files/s | MB/s | peak RSS MB | tree RSS MB | vs faster peer |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in headline:
        lines.append(_md_row(row, best_peer))
    verdicts = []
    for row in headline:
        if row["tool"] == "medanon" and best_peer:
            ratio = row["files_per_s"] / best_peer
            verdicts.append(f"workers={row['workers']}: {ratio:.2f}× → "
                            f"{'meets' if ratio >= TARGET_RATIO else 'does NOT meet'} the {TARGET_RATIO:.0f}× target")
    lines += ["", "Result: " + "; ".join(verdicts) + "." if verdicts else ""]
    if any(len(r.get("rounds_files_per_s", [])) > 1 for r in headline):
        lines += ["", "Each tool's fastest of its interleaved rounds is in the table; every round, files/s: "
                  + "; ".join(f"{r['tool']} w{r['workers']}: " + ", ".join(f"{v:.0f}" for v in r["rounds_files_per_s"])
                              for r in headline) + "."]
    problems = [f"{r['tool']} w{r['workers']}: {r['not_ok']} not released/failed — "
                + "; ".join(f"{p[0]} ×{p[1]}" if isinstance(p, list) else str(p) for p in r["problems"])
                for r in headline + memory if r["not_ok"]]
    if problems:
        lines += ["", "Problems seen:", *[f"- {p}" for p in problems]]
    if memory:
        lines += ["", "Memory as the corpus grows (medanon, same settings):", "",
                  "| corpus files | workers | seconds | files/s | peak RSS MB | tree RSS MB |",
                  "| ---: | ---: | ---: | ---: | ---: | ---: |"]
        for row in sorted(memory, key=lambda r: (r["workers"], r["corpus_files"])):
            lines.append(f"| {row['corpus_files']} | {row['workers']} | {row['seconds']:.1f} | "
                         f"{row['files_per_s']:.1f} | {row['peak_rss_mb']:.0f} | {row['tree_rss_mb']:.0f} |")
    if profile:
        lines += ["", (f"cProfile, medanon workers=1 on {profile[0]['files']} files: top cumulative entries in "
                       "medanon/pydicom:"), "",
                  "| function | calls | tottime s | cumtime s | share of run |", "| --- | ---: | ---: | ---: | ---: |"]
        for row in profile:
            lines.append(f"| `{row['function']}` | {row['ncalls']} | {row['tottime']:.2f} | "
                         f"{row['cumtime']:.2f} | {row['share']:.0%} |")
    return "\n".join(lines) + "\n"


def _md_row(row: dict[str, Any], best_peer: float | None) -> str:
    return (f"| {_tool_label(row)} | {row['workers']} | {row['files']} | {row['ok']} | {row['seconds']:.1f} | "
            f"{row['files_per_s']:.1f} | {row['mb_per_s']:.1f} | {row['peak_rss_mb']:.0f} | "
            f"{row['tree_rss_mb']:.0f} | {_ratio(row, best_peer)} |")


def append_report(path: Path, entry: str) -> None:
    append_to_section(path, SECTION_TITLE, "bench/bench_dicom.py", entry)


def print_rich(headline: list[dict[str, Any]], memory: list[dict[str, Any]],
               profile: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    best_peer = max((r["files_per_s"] for r in headline if r["tool"] in PEERS), default=None)
    table = Table(title=f"DICOM de-identification, {headline[0]['corpus_files']} CT files "
                        f"({headline[0]['corpus_mb']:.0f} MB); target medanon ≥ {TARGET_RATIO:.0f}× faster peer")
    for name in ("tool", "workers", "files", "ok", "seconds", "files/s", "MB/s", "peak RSS MB", "tree RSS MB",
                 "vs faster peer"):
        table.add_column(name, justify="left" if name == "tool" else "right")
    for row in headline:
        ratio = _ratio(row, best_peer)
        style = None
        if row["tool"] == "medanon" and best_peer:
            style = "green" if row["files_per_s"] / best_peer >= TARGET_RATIO else "red"
        table.add_row(row["tool"], str(row["workers"]), str(row["files"]), str(row["ok"]),
                      f"{row['seconds']:.1f}", f"{row['files_per_s']:.1f}", f"{row['mb_per_s']:.1f}",
                      f"{row['peak_rss_mb']:.0f}", f"{row['tree_rss_mb']:.0f}", ratio, style=style)
    console.print(table)
    if memory:
        mem = Table(title="medanon memory vs corpus size")
        for name in ("corpus files", "workers", "seconds", "files/s", "peak RSS MB", "tree RSS MB"):
            mem.add_column(name, justify="right")
        for row in sorted(memory, key=lambda r: (r["workers"], r["corpus_files"])):
            mem.add_row(str(row["corpus_files"]), str(row["workers"]), f"{row['seconds']:.1f}",
                        f"{row['files_per_s']:.1f}", f"{row['peak_rss_mb']:.0f}", f"{row['tree_rss_mb']:.0f}")
        console.print(mem)
    if profile:
        prof = Table(title="cProfile medanon workers=1 (cumulative, medanon/pydicom)")
        for name in ("function", "calls", "tottime s", "cumtime s", "share"):
            prof.add_column(name, justify="left" if name == "function" else "right")
        for row in profile:
            prof.add_row(row["function"], str(row["ncalls"]), f"{row['tottime']:.2f}", f"{row['cumtime']:.2f}",
                         f"{row['share']:.0%}")
        console.print(prof)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=2000, help="files in the headline corpus (default 2000)")
    parser.add_argument("--sizes", default="500,2000",
                        help="corpus sizes for the medanon memory run, comma-separated (default 500,2000)")
    parser.add_argument("--workers", default="1,2", help="medanon worker counts (default 1,2)")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="also cProfile medanon workers=1 on an N-file corpus (default: off)")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "BENCHMARKS.md",
                        help="markdown file to append the entry to (default docs/BENCHMARKS.md)")
    parser.add_argument("--no-write", action="store_true", help="print only; do not touch --out")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--rounds", type=int, default=3,
                        help="interleaved rounds of the headline runs; each tool's fastest counts (default 3)")
    parser.add_argument("--generate-only", action="store_true", help="build the corpora and stop")
    parser.add_argument("--at-head", action="store_true",
                        help="measure a clean `git archive HEAD` export of src/ instead of the working tree")
    parser.add_argument("--run-one", choices=["medanon", *PEERS], help=argparse.SUPPRESS)
    parser.add_argument("--dest", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.run_one:
        folder = ensure_corpus(args.files, args.seed)
        dest = args.dest or RUNS_ROOT / f"{args.run_one}-w{args.workers}-{args.files}"
        figures = run_one(args.run_one, folder, dest, int(args.workers))
        print(RESULT_MARKER + json.dumps(figures), flush=True)
        return 0

    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    worker_counts = [int(w) for w in args.workers.split(",") if w.strip()]
    for n in sorted({args.files, *sizes}):
        ensure_corpus(n, args.seed)
    if args.profile:
        ensure_corpus(args.profile, args.seed)
    if args.generate_only:
        return 0
    RUNS_ROOT.mkdir(parents=True, exist_ok=True)

    src_root = REPO / "src"
    commit = git_state()
    if args.at_head:
        src_root = export_head(RUNS_ROOT / "_head")
        CHILD_ENV["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src_root), os.environ.get("PYTHONPATH")]))
        commit = commit.split(" ")[0] + " (clean export of HEAD measured)"
    fingerprint = src_fingerprint(src_root / "medanon")

    spent = SpentOutputs(RUNS_ROOT / "_spent")
    try:
        create_before = spent.create_cost_us()
        configs = [("medanon", w) for w in worker_counts] + [(peer, 1) for peer in PEERS]
        rounds = [[spawn(tool, args.files, w, args.seed, spent) for tool, w in configs] for _ in range(args.rounds)]
        headline = [best_round(list(runs)) for runs in zip(*rounds, strict=True)]
        memory = [r for r in headline if r["tool"] == "medanon" and args.files in sizes]
        for n in sizes:
            if n == args.files:
                continue
            memory += [spawn("medanon", n, w, args.seed, spent) for w in worker_counts]
        create_after = spent.create_cost_us()
    finally:
        spent.delete_all()
    file_system = {"create_us_before": create_before, "create_us_after": create_after}
    _log(f"file creation: {create_before:.0f} µs before the runs, {create_after:.0f} µs after")
    profile = []
    if args.profile:
        profile = profile_medanon(args.profile, args.seed)
        for row in profile:
            row["files"] = args.profile

    if src_fingerprint(src_root / "medanon") != fingerprint:
        commit += " — WARNING: medanon's sources changed during the run; the figures mix versions"
        _log("WARNING: medanon's sources changed during the run")
    used = {str(r["medanon_from"]) for r in headline + memory if r.get("medanon_from")}
    if used != {str(src_root / "medanon")}:
        _log(f"WARNING: medanon imported from {sorted(used)}, expected {src_root / 'medanon'}")
    command = "python bench/bench_dicom.py " + " ".join(argv if argv is not None else sys.argv[1:])
    print_rich(headline, memory, profile)
    if not args.no_write:
        out = args.out if args.out.is_absolute() else Path.cwd() / args.out
        append_report(out, render_markdown(command.strip(), headline, memory, profile, args.files, args.seed,
                                                commit, file_system))
        _log(f"appended to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
