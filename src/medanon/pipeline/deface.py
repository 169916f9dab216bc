"""``medanon deface``: one head volume in, one defaced volume (or a quarantine record) out.

Composes the engines in the fail-closed order: read strictly, deface and
pass the render check (``volume``), de-identify every DICOM header
(``dicom``), write to hidden temp files, run the independent residual scan
(``verify``) on each, and only then give the files their final names. Any
step that cannot prove the output clean quarantines the whole volume with a
reason; no partial series is ever released.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pydicom.dataset import Dataset

from medanon import dicom, pixels, verify, volume
from medanon.core.enum import Status
from medanon.core.errors import InputError, MedanonError, PolicyError, safe_message
from medanon.core.keys import KeyRing, default_key_path, load_or_create_key
from medanon.core.policy import Policy
from medanon.core.results import Action, ItemResult
from medanon.pipeline.run import (
    output_name,
    release_file,
    retained_categories,
    screen_reasons,
    text_flags,
    write_quarantine_record,
)


@dataclass
class DefaceJob:
    policy: Policy
    keys: KeyRing
    quarantine_dir: Path
    preview_dir: Path | None = None
    screen_pixels: bool = True


def deface_path(source: Path, destination: Path, profile: str | Path = "publication", *,
                key_path: Path | None = None, quarantine_dir: Path | None = None,
                preview_dir: Path | None = None, screen_pixels: bool = True) -> ItemResult:
    """Deface one head volume: a NIfTI file (``destination`` a .nii/.nii.gz file) or a DICOM series
    (a folder of slices or one enhanced multi-frame file; ``destination`` a folder).

    Never raises for a bad volume: the result says released, quarantined or failed, with reasons.

    Raises
    ------
    PolicyError
        Unknown profile, bad key, or a destination that does not fit the input.
    """
    policy = Policy.load(profile)
    out_root = destination.parent if _nifti_pair(source, destination) else destination
    keys, _ = load_or_create_key(key_path or default_key_path(), forbidden_dirs=(out_root.resolve(),))
    job = DefaceJob(policy=policy, keys=keys,
                    quarantine_dir=(quarantine_dir or out_root / "quarantine").resolve(),
                    preview_dir=preview_dir, screen_pixels=screen_pixels)
    return deface_with(source, destination, job)


def _nifti_pair(source: Path, destination: Path) -> bool:
    """Whether the input is NIfTI; a NIfTI input needs a NIfTI output file (PolicyError otherwise)."""
    nifti_in = volume.is_nifti(source)
    if nifti_in and not volume.is_nifti(destination):
        raise PolicyError("a NIfTI input needs a .nii or .nii.gz output file")
    return nifti_in


def deface_with(source: Path, destination: Path, job: DefaceJob) -> ItemResult:
    """:func:`deface_path` for a caller that holds its policy and key ring already (``medanon case``)."""
    nifti_in = _nifti_pair(source, destination)
    if nifti_in:
        result = _guarded(str(source), lambda: _deface_nifti(source, destination, job))
    else:
        result = _guarded(str(source), lambda: _deface_dicom(source, destination, job).result)
    if result.status is not Status.RELEASED:
        write_quarantine_record(result, job)
    return result


@dataclass
class SeriesDefaced:
    """A DICOM series defaced as a whole: the series' result, and each input's released file (in input
    order; empty unless the whole series was released) with the header actions taken on it."""

    result: ItemResult
    outputs: list[Path] = field(default_factory=list)
    actions: list[list[Action]] = field(default_factory=list)


def deface_series(datasets: list[Dataset], label: str, destination: Path, job: DefaceJob) -> SeriesDefaced:
    """Deface one DICOM series given as read datasets (the head-series route of ``medanon dicom``).

    Never raises for a bad series, and writes no quarantine record: the caller decides how to report it.
    """
    outcome: list[SeriesDefaced] = []

    def run() -> ItemResult:
        outcome.append(_deface_datasets(datasets, label, destination, job))
        return outcome[-1].result

    result = _guarded(label, run)
    return outcome[0] if outcome and outcome[0].result is result else SeriesDefaced(result=result)


def _guarded(source: str, run: Callable[[], ItemResult]) -> ItemResult:
    """Errors become a withheld result with the reason (an engine bug must not leak a file)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return run()
    except MedanonError as exc:
        status = Status.FAILED if isinstance(exc, InputError) else Status.QUARANTINED
        return ItemResult(source=source, status=status, reasons=[exc.message])
    except Exception as exc:
        return ItemResult(source=source, status=Status.FAILED, reasons=[f"internal error: {safe_message(exc)}"])


def _deface_nifti(source: Path, destination: Path, job: DefaceJob) -> ItemResult:
    loaded, image = volume.read_nifti(source)
    defaced = volume.deface(loaded)
    _previews(defaced, source, job)
    volume.write_nifti(image, defaced.plan.removed, destination)
    return _released(source, destination, defaced)


def _deface_dicom(source: Path, destination: Path, job: DefaceJob) -> SeriesDefaced:
    return _deface_datasets(_read_series(source), str(source), destination, job)


def _deface_datasets(datasets: list[Dataset], label: str, destination: Path, job: DefaceJob) -> SeriesDefaced:
    with_text: list[int] = []
    for index, ds in enumerate(datasets):
        risks = dicom.pixel_risks(ds)
        if job.screen_pixels and not risks:
            risks = screen_reasons(ds)
        if risks and all(text_flags(ds, risks)):
            with_text.append(index)
        elif risks:
            return SeriesDefaced(ItemResult(source=label, status=Status.QUARANTINED, reasons=sorted(set(risks))))
    identifiers = [verify.collect_identifiers(ds) for ds in datasets]
    datasets = list(datasets)  # the caller's list is not changed; redacted slices replace their originals
    text_notes = [_redact_text(datasets, index, identifiers[index], job) for index in with_text]
    series = volume.read_series(datasets)
    defaced = volume.deface(series.volume)
    _previews(defaced, label, job)
    cleaned = [dicom.deidentify(ds, job.policy, job.keys) for ds in datasets]
    targets = [c.dataset for c in cleaned]
    volume.write_pixels(datasets, targets, series, defaced.plan.removed)
    written: list[tuple[Path, Path]] = []
    try:
        for target, found in zip(targets, identifiers, strict=True):
            final = destination / output_name(target)
            encoded = dicom.encode_file(target)
            # not flushed one by one: _release_series flushes the whole series before any final name
            temp = dicom.write_temp(encoded, final.parent, durable=False)
            written.append((temp, final))
            findings = verify.scan_bytes(encoded, found, retained_categories(job.policy))
            blocking = [f for f in findings if f.blocks_release]
            if blocking:
                reasons = sorted({f"verification: {f.check} ({f.message})" for f in blocking})
                return SeriesDefaced(ItemResult(source=label, status=Status.QUARANTINED, reasons=reasons))
        _release_series(written)
    finally:
        for temp, _ in written:
            with contextlib.suppress(OSError):
                temp.unlink()
    result = _released(label, destination, defaced)
    result.modality = series.volume.modality or None
    result.review.extend(sorted({note for c in cleaned for note in c.review}))
    result.review.extend(text_notes)
    return SeriesDefaced(result, outputs=[final for _, final in written], actions=[c.actions for c in cleaned])


def _redact_text(datasets: list[Dataset], index: int, found: verify.Identifiers, job: DefaceJob) -> str:
    """Burnt-in text on one slice, filled and OCR-verified like any other image (``pixels``), before the
    volume is built and defaced (defacing may clear part of the text, which the redactor must still see).

    A slice with text (a dose line, a name in a corner) no longer withholds the whole head series;
    text that cannot be removed still does, with the reason.
    """
    forms = [form for identifier in found for form in identifier.forms]
    outcome = pixels.redact_burnt_in(datasets[index], forms, pixels.RedactionPolicy.from_policy(job.policy))
    if outcome.dataset is None:
        raise MedanonError(f"burnt-in text on slice {index + 1} of the series could not be removed: {outcome.reason}")
    datasets[index] = outcome.dataset
    return (f"slice {index + 1}: burnt-in text filled in {len(outcome.regions)} box(es) and verified by OCR "
            f"before defacing")


def _read_series(source: Path) -> list[Dataset]:
    files = [source] if source.is_file() else sorted(
        p for p in source.rglob("*") if p.is_file() and not p.name.startswith(".") and p.name.upper() != "DICOMDIR")
    if not files:
        raise InputError("no files in the input folder", item=str(source))
    datasets = [dicom.read(path, path.name) for path in files]
    series = {str(ds.get("SeriesInstanceUID", "")) for ds in datasets}
    if len(series) != 1:
        raise InputError(f"the input holds {len(series)} series; give one head series at a time",
                         item=str(source))
    return datasets


def _released(source: Path | str, destination: Path, defaced: volume.Defaced) -> ItemResult:
    plan = defaced.plan
    note = (f"defaced: {plan.removed_voxels} voxels cleared in front of and below the brain; "
            f"{plan.brain_voxels} voxels of the grown brain unchanged; no face found on renders at "
            + ", ".join(f"{a:+.0f}" for a in defaced.after.angles) + " degrees")
    return ItemResult(source=str(source), status=Status.RELEASED, output=str(destination),
                      review=[note, *plan.notes])


def _previews(defaced: volume.Defaced, source: Path | str, job: DefaceJob) -> None:
    """Before/after strips for the report. The "before" strip shows the face: it is identifying."""
    if job.preview_dir is None:
        return
    job.preview_dir.mkdir(parents=True, exist_ok=True)
    stem = job.keys.digest("preview", str(source)).hex()[:16]
    if defaced.before is not None:
        defaced.before.preview().save(job.preview_dir / f"{stem}-before.png")
    defaced.after.preview().save(job.preview_dir / f"{stem}-after.png")


def _release_series(written: list[tuple[Path, Path]]) -> None:
    """Flush every checked temp file to disk, then give each its final name: all of them or none.

    The flush comes first (``dicom.make_durable``), so a crash never leaves a final name on half a file.
    If any slice cannot be released, the final names this call already made are taken back before the
    error goes up: a reader of the output never sees part of a head series, whose missing slices would
    not hide the face any better but would look like a complete, defaced release.
    """
    try:
        dicom.make_durable([temp for temp, _ in written])
    except OSError as exc:
        raise MedanonError(f"defaced series could not be flushed to disk: {safe_message(exc)}") from None
    linked: list[Path] = []
    try:
        for temp, final in written:
            if release_file(temp, final):
                linked.append(final)
    except (MedanonError, OSError) as exc:
        for final in linked:
            with contextlib.suppress(OSError):
                final.unlink()
        reason = exc.message if isinstance(exc, MedanonError) else f"output could not be released: {safe_message(exc)}"
        raise MedanonError(f"{reason}; no slice of the series was released") from None
