"""Batch runs: each item read, cleaned, written to a temp file, verified, released or quarantined.

Only this module turns exceptions into results (STYLE.md section 5): an
engine raises, the item gets a reason, and the batch goes on. The order of the
steps is the fail-closed contract: nothing reaches its final name before the
independent residual scan has passed it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import json
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pydicom.dataset import Dataset

from medanon import dicom, photo, pixels, verify
from medanon.core.enum import Option, Status
from medanon.core.errors import InputError, MedanonError, safe_message
from medanon.core.keys import KeyRing
from medanon.core.policy import Policy
from medanon.core.results import Action, ItemResult
from medanon.pipeline.inputs import Item

QUARANTINE_NOTE = (
    "Items medanon could not prove clean. Each *.json names the source and the reason.\n"
    "No copy of an input is kept here: the originals stay where they were, untouched.\n"
    "This folder and report.json are for the data controller, not for sharing.\n"
)
RETAINED_BY_OPTION = {
    Option.RETAIN_UIDS: "uid",
    Option.RETAIN_LONGITUDINAL_FULL_DATES: "date",
    Option.RETAIN_INSTITUTION_IDENTITY: "institution",
    Option.RETAIN_DEVICE_IDENTITY: "device",
}


@dataclass(frozen=True)
class Job:
    """Everything a worker needs; picklable so it crosses process boundaries."""

    policy: Policy
    keys: KeyRing
    out_dir: Path
    quarantine_dir: Path
    screen_pixels: bool = True
    # Before/after previews show the original pixels: ``None`` puts them in OUT/previews/ for the data
    # controller; a caller that shares all of its output folder (``medanon case``) sends them elsewhere.
    preview_dir: Path | None = None


def retained_categories(policy: Policy) -> frozenset[str]:
    return frozenset(cat for option, cat in RETAINED_BY_OPTION.items() if option in policy.options)


@dataclass
class _Checked:
    """An item whose output passed verification and waits in its temp file for the batch's flush."""

    result: ItemResult
    temp: Path
    destination: Path


def process_item(item: Item, job: Job) -> ItemResult:
    """One item from bytes to a released file or a quarantine record; never raises."""
    return process_items([item], job)[0]


def process_items(items: list[Item], job: Job) -> list[ItemResult]:
    """A batch of items, in order; never raises.

    Each item is cleaned and verified into a temp file; then one durability
    flush covers the batch (``dicom.make_durable``) and only then do the checked
    files get their final names. A crash at any point leaves temp files, never
    a partial file under a final name.
    """
    return finish_items(check_items(items, job), job)


Outcome = ItemResult | _Checked


def check_items(items: list[Item], job: Job) -> list[Outcome]:
    """The CPU half of a batch (read, clean, verify into temp files); never raises.

    Kept apart from :func:`finish_items` so that a batch's flush can wait on the
    disk while the next batch is being cleaned (see :func:`_iter_results`).
    """
    writer = dicom.temp_writer()
    outcomes = [_guarded(functools.partial(_process, item, job), item.source) for item in items]
    unwritten = writer.settle()  # every output of the batch is on disk (or named here) before it goes back
    return [_unwritten(o, unwritten[o.temp]) if isinstance(o, _Checked) and o.temp in unwritten else o
            for o in outcomes]


def _unwritten(checked: _Checked, error: OSError) -> ItemResult:
    with contextlib.suppress(OSError):
        checked.temp.unlink()
    _fail_in_place(checked.result, f"output could not be written: {_first_line(error)}")
    return checked.result


def finish_items(outcomes: list[Outcome], job: Job) -> list[ItemResult]:
    """The disk half: one flush for the batch, then final names, then quarantine records."""
    checked = [o for o in outcomes if isinstance(o, _Checked)]
    moved: set[Path] = set()  # temp files that became their final file: nothing left to remove
    try:
        _release_all(checked, job, moved)
    finally:
        for entry in checked:
            if entry.temp not in moved:
                with contextlib.suppress(OSError):
                    entry.temp.unlink()
    results = [o.result if isinstance(o, _Checked) else o for o in outcomes]
    for result in results:
        if result.status in (Status.FAILED, Status.QUARANTINED):
            write_quarantine_record(result, job)
    return results


def _guarded(step: Callable[[], ItemResult | _Checked], source: str) -> ItemResult | _Checked:
    """Exceptions become a FAILED result for this item only (STYLE.md section 5)."""
    try:
        return step()
    except MedanonError as exc:
        return _failed(source, exc.message if not exc.where else f"{exc.where}: {exc.message}")
    except Exception as exc:  # an engine bug must not stop the batch or leak a file
        return _failed(source, f"internal error: {_first_line(exc)}")


def _failed(source: str, reason: str) -> ItemResult:
    return ItemResult(source=source, status=Status.FAILED, reasons=[reason])


def _release_all(checked: list[_Checked], job: Job, moved: set[Path]) -> None:
    try:
        dicom.make_durable([entry.temp for entry in checked])
    except OSError as exc:
        for entry in checked:
            _fail_in_place(entry.result, f"output could not be flushed to disk: {_first_line(exc)}")
        return
    for entry in checked:
        try:
            if release_file(entry.temp, entry.destination):
                moved.add(entry.temp)
            entry.result.output = str(entry.destination.relative_to(job.out_dir))
        except MedanonError as exc:
            _fail_in_place(entry.result, exc.message)
        except OSError as exc:
            _fail_in_place(entry.result, f"output could not be released: {_first_line(exc)}")


def _fail_in_place(result: ItemResult, reason: str) -> None:
    result.status = Status.FAILED
    result.reasons.append(reason)


def _process(item: Item, job: Job) -> ItemResult | _Checked:
    if item.error:
        return _failed(item.source, item.error)
    try:
        data = item.read_bytes()
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        return _failed(item.source, f"cannot read: {_first_line(exc)}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _process_bytes(item, data, job)


def _process_bytes(item: Item, data: bytes, job: Job) -> ItemResult | _Checked:
    fast = _header_only(item, data, job)
    if fast is not None:
        return fast
    ds = dicom.read(data, item.source)
    result = ItemResult(source=item.source, status=Status.RELEASED,
                        modality=str(ds.get("Modality", "") or "") or None,
                        sop_class=str(ds.get("SOPClassUID", "") or "") or None)
    if dicom.is_media_directory(ds):
        result.status = Status.SKIPPED
        result.reasons.append("DICOMDIR index file: never released (it repeats patient names); "
                              "its instances are processed as files")
        return result
    if not ds.get("SOPClassUID") or not ds.get("SOPInstanceUID"):
        raise InputError("no SOP Class UID or SOP Instance UID: not a storable DICOM instance")
    # The engine first: it reads only what it changes, so kept elements stay raw bytes for the writer;
    # collecting decodes every value (it never changes one).
    cleaned = dicom.deidentify(ds, job.policy, job.keys)
    identifiers = verify.collect_identifiers(ds)
    risks = dicom.pixel_risks(ds)
    result.actions = cleaned.actions
    result.review = cleaned.review
    if not risks and job.screen_pixels:
        risks = screen_reasons(ds)
    face = dicom.face_risks(ds)
    risks = _redact_burnt_in_text(ds, cleaned, risks, identifiers, job, result, clearable_later=face)
    if all(r in face for r in risks) and (risks or photo.is_photograph(ds)):
        risks = _obscure_faces(cleaned, result, risks)
    if risks:
        result.status = Status.QUARANTINED
        result.reasons.extend(risks)
        return result
    destination = job.out_dir / output_name(cleaned.dataset)
    return _write_checked(result, dicom.encode_file(cleaned.dataset), destination, identifiers, job)


def _header_only(item: Item, data: bytes, job: Job) -> ItemResult | _Checked | None:
    """The byte path (``dicom.deidentify_bytes``) for an ordinary file whose pixels need no cleaning.

    ``None`` hands the file to the reference path: anything unusual in its
    bytes, a pixel risk (text or face cleaners may be needed), text found by
    the screen, a photograph, a DICOMDIR, or input the verifier's own reader
    does not read. Both paths write the same bytes (tests/dicom/test_fastpath.py).
    """
    try:
        plain = dicom.read_plain(data)
        verdict = _HEADER_VERDICT(plain)
        if verdict.withheld or not _has_value(plain, 0x00080018):
            return None
        if job.screen_pixels and screen_reasons(dicom.read(data, item.source)):
            return None  # the screen decodes pixels the reference way; what it finds, that path handles
        identifiers = verify.collect_identifiers_from_bytes(data)
        if identifiers is None:
            return None
        cleaned = dicom.deidentify_bytes(plain, job.policy, job.keys)
    except dicom.NotPlain:
        return None
    result = ItemResult(source=item.source, status=Status.RELEASED, modality=verdict.modality,
                        sop_class=verdict.sop_class, actions=cleaned.actions, review=cleaned.review)
    names = cleaned.names
    destination = job.out_dir / _output_path(names.get(0x0020000D), names.get(0x0020000E), names.get(0x00080018))
    return _write_checked(result, cleaned.encoded, destination, identifiers, job)


@dataclass(frozen=True)
class _HeaderVerdict:
    """What the header rules say of a file before any cleaning: the same through a series."""

    withheld: bool  # a DICOMDIR, a pixel risk, a photograph or no SOP Class UID: the reference path decides
    modality: str | None
    sop_class: str | None


def _header_verdict(header: Dataset) -> _HeaderVerdict:
    withheld = (dicom.is_media_directory(header) or bool(dicom.pixel_risks(header)) or photo.is_photograph(header)
                or not header.get("SOPClassUID"))
    return _HeaderVerdict(withheld, str(header.get("Modality", "") or "") or None,
                          str(header.get("SOPClassUID", "") or "") or None)


_VERDICT_READS = frozenset({0x00080016, 0x00080060})  # what _header_verdict reads itself: SOP Class UID, Modality
_HEADER_VERDICT = dicom.HeaderRule(_header_verdict, dicom.RULE_READS | photo.PHOTOGRAPH_READS | _VERDICT_READS,
                                   dicom.RULE_PRESENCE)


def _has_value(plain: dicom.PlainFile, tag: int) -> bool:
    """A top-level element with a value that is not only padding (as ``ds.get(keyword)`` is truthy)."""
    element = plain.index().get(tag)
    return element is not None and bool(plain.value(element).strip(b" \0"))


def _write_checked(result: ItemResult, encoded: bytes, destination: Path, identifiers: verify.Identifiers,
                   job: Job) -> ItemResult | _Checked:
    """Write the output to a temp file and scan the bytes written; release waits for the batch's flush.

    The writer copies ``encoded`` as it is (``dicom.TempWriter``) and may
    still be writing while the scan runs: :func:`check_items` waits for it
    before the batch leaves the worker.
    """
    temp = dicom.temp_writer().write(encoded, destination.parent)
    try:
        findings = verify.scan_bytes(encoded, identifiers, retained_categories(job.policy))
    except BaseException:
        temp.unlink()
        raise
    result.findings = findings
    blocking = [f for f in findings if f.blocks_release]
    if blocking:
        temp.unlink()
        result.status = Status.QUARANTINED
        result.reasons.extend(sorted({f"verification: {f.check} ({f.message})" for f in blocking}))
        return result
    return _Checked(result, temp, destination)


def screen_reasons(ds: Dataset) -> list[str]:
    """Reasons from the burnt-in text screen (pixels/): text found, or pixels that could not be screened."""
    screening = pixels.screen_for_text(ds)
    if screening.error:
        return [f"pixel screen could not check the image: {screening.error}"]
    if screening.regions:
        frames = sorted({r.frame for r in screening.regions})
        return [f"pixel screen found {len(screening.regions)} text-like region(s) on frame(s) "
                f"{', '.join(map(str, frames))}: possible burnt-in text"]
    return []


# -- burnt-in text redaction (issue 5): one call at the screen/quarantine decision -----------------
SCREEN_TEXT_PREFIX = "pixel screen found"


def text_flags(ds: Dataset, risks: list[str]) -> list[bool]:
    """For each pixel risk of ``ds``: is it burnt-in text (which the text redactor may clear)?"""
    text = set(dicom.text_risks(ds))
    return [r in text or r.startswith(SCREEN_TEXT_PREFIX) for r in risks]


def _redact_burnt_in_text(ds: Dataset, cleaned: dicom.Deidentified, risks: list[str],
                          identifiers: verify.Identifiers, job: Job, result: ItemResult,
                          clearable_later: Sequence[str] = ()) -> list[str]:
    """Clean burnt-in text when every pixel risk is text or one a later step may clear (faces).

    Returns the risks that remain: on success the later steps' risks only. ``cleaned.dataset``
    becomes the redacted, OCR-verified dataset and a before/after preview is written to
    ``OUT/previews/``; a refusal adds its reason (the item is quarantined).
    """
    is_text = text_flags(ds, risks)
    if not any(is_text) or not all(t or r in clearable_later for r, t in zip(risks, is_text, strict=True)):
        return risks
    later = [r for r, t in zip(risks, is_text, strict=True) if not t]
    forms = [form for identifier in identifiers for form in identifier.forms]
    outcome = pixels.redact_burnt_in(cleaned.dataset, forms, pixels.RedactionPolicy.from_policy(job.policy))
    if outcome.dataset is None:
        return [*risks, f"burnt-in text could not be removed: {outcome.reason}"]
    cleaned.dataset = outcome.dataset
    result.review.extend(f"pixels: {note}" for note in outcome.notes)
    result.review.append(f"pixels re-encoded as {outcome.encoding}")
    if outcome.preview_png:
        folder = job.preview_dir or job.out_dir / "previews"
        folder.mkdir(parents=True, exist_ok=True)
        note = folder / "README.txt"
        if not note.exists():
            note.write_text("Before/after previews of burnt-in text redaction. The 'before' half shows the "
                            "original text: for the data controller's review, never for sharing.\n",
                            encoding="utf-8")
        name = f"{job.keys.digest('preview', result.source).hex()[:16]}.png"
        (folder / name).write_bytes(outcome.preview_png)
        shown = f"previews/{name}" if job.preview_dir is None else name
        result.review.append(f"before/after preview: {shown} (shows the original text; not for sharing)")
    return later


def _obscure_faces(cleaned: dicom.Deidentified, result: ItemResult, face_risks: list[str]) -> list[str]:
    """Photographs and images that may show a face (medanon.photo): every face filled whole and re-checked.

    A residual face withholds. Runs on photographs even when the header says there is no
    recognisable feature (headers can be wrong). When the header says a face is there
    (``RECOGNISABLE_YES`` among *face_risks*) finding none withholds too: the detectors, not the
    header, would be wrong. Returns the reasons that withhold the file.
    """
    face_required = dicom.RECOGNISABLE_YES in face_risks
    faces = photo.obscure_dicom_faces(cleaned.dataset)
    if faces.outcome.residual:
        return [f"{len(faces.outcome.residual)} face(s) still detected after obscuring"]
    if face_required and not faces.outcome.obscured:
        return [f"{dicom.RECOGNISABLE_YES} but the face detectors found none to obscure"]
    if face_risks and not faces.outcome.obscured:
        result.review.append("faces: none found by the face detectors although the modality may show one; "
                             "look at the image before sharing")
    if faces.outcome.obscured:
        cleaned.dataset = faces.dataset
        result.actions.extend(Action(f"PixelData/face-region[{i}]", "FILL", f"whole face {list(r.as_tuple())} "
                                     f"filled solid (found by {r.detector})")
                              for i, r in enumerate(faces.outcome.obscured))
    return []


def output_name(ds: object) -> Path:
    """Folders by new Study and Series UIDs, file by new SOP Instance UID: no input name survives."""
    return _output_path(getattr(ds, "StudyInstanceUID", ""), getattr(ds, "SeriesInstanceUID", ""),
                        getattr(ds, "SOPInstanceUID", ""))


def _output_path(study: object, series: object, instance: object) -> Path:
    return Path(str(study or "") or "no-study") / (str(series or "") or "no-series") / \
        f"{str(instance or '') or 'no-instance'}.dcm"


def release_file(temp: Path, destination: Path) -> bool:
    """Give the checked temp file its final name; refuse to replace a different file.

    Outputs are deterministic, so an identical file at the destination is the
    same instance met twice (or a re-run) and is fine (``False``: nothing new
    was released, ``temp`` is still there); a different one means two inputs
    claim one SOP Instance UID. ``True``: ``temp`` is now ``destination``.
    """
    try:
        dicom.move_no_replace(temp, destination)
    except FileExistsError:
        if _sha256(destination) != _sha256(temp):
            raise MedanonError("another input with the same SOP Instance UID was already released") from None
        return False
    return True


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class QuarantineTarget(Protocol):
    """What a quarantine record needs from a job (DICOM, photo and deface jobs all have it)."""

    @property
    def quarantine_dir(self) -> Path: ...

    @property
    def keys(self) -> KeyRing: ...


def write_quarantine_record(result: ItemResult, job: QuarantineTarget) -> None:
    """A JSON note per withheld item, named by a keyed hash so that no input name appears."""
    try:
        job.quarantine_dir.mkdir(parents=True, exist_ok=True)
        note = job.quarantine_dir / "README.txt"
        if not note.exists():
            note.write_text(QUARANTINE_NOTE, encoding="utf-8")
        name = job.keys.digest("quarantine", result.source).hex()[:16]
        record = {"source": result.source, "status": result.status.value, "reasons": result.reasons,
                  "findings": [f.to_dict() for f in result.findings]}
        (job.quarantine_dir / f"{name}.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
    except OSError:
        result.reasons.append("quarantine record could not be written")


def _first_line(exc: BaseException) -> str:
    return safe_message(exc, 200)


def _init_worker() -> None:
    dicom.configure_pydicom()


def run_items(items: Iterable[Item], job: Job, workers: int = 1,
              on_result: Callable[[ItemResult], None] | None = None, batch_size: int = 8) -> list[ItemResult]:
    """Process items in batches of ``batch_size``, at most ``2 * workers`` batches in flight (flat memory)."""
    results: list[ItemResult] = []
    for result in _iter_results(items, job, workers, batch_size):
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results


def _batches(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _iter_results(items: Iterable[Item], job: Job, workers: int, batch_size: int) -> Iterator[ItemResult]:
    """Results batch by batch; flushing and releasing run on a thread of their own (:class:`_Releaser`).

    ``syncfs`` waits for the disk, not the CPU: while it runs, this process
    goes on cleaning (one worker) or feeding the worker processes (several).
    No file gets its final name before a flush that covers it has returned.
    """
    with _Releaser(job, limit=4 * max(1, workers), min_batches=4) as releaser:
        if workers <= 1:
            _init_worker()
            for batch in _batches(items, batch_size):
                yield from releaser.add(_Done(check_items(batch, job)), batch)
        else:
            with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker) as pool:
                pending: dict[Future[list[Outcome]], list[Item]] = {}
                for batch in _batches(items, batch_size):
                    pending[pool.submit(check_items, batch, job)] = batch
                    if len(pending) >= 2 * workers:
                        done, _ = wait(pending, return_when=FIRST_COMPLETED)
                        for future in done:
                            yield from releaser.add(future, pending.pop(future))
                for future in list(pending):
                    future.exception()  # wait for it (a failure is turned into results by the releaser)
                    yield from releaser.add(future, pending.pop(future))
        yield from releaser.drain()


class _Done:
    """A batch checked in this process, shaped like the future a worker returns."""

    def __init__(self, outcomes: list[Outcome]) -> None:
        self.outcomes = outcomes

    def result(self) -> list[Outcome]:
        return self.outcomes


class _Releaser:
    """Flushes and releases checked batches on one thread; batches that arrive during a flush share the next.

    One ``syncfs`` per batch made the disk's latency the batch rate when the
    output is large; here a flush covers at least ``min_batches`` batches, or
    every batch checked since the last one started, so slow flushes get rarer
    rather than longer queues. At most ``limit`` batches wait (their temp
    files are on disk; memory stays flat).
    """

    def __init__(self, job: Job, limit: int, min_batches: int = 1) -> None:
        self.job, self.limit, self.min_batches = job, limit, min(min_batches, limit)
        self.thread = ThreadPoolExecutor(max_workers=1)
        self.waiting: list[tuple[_Done | Future[list[Outcome]], list[Item]]] = []
        self.running: Future[list[ItemResult]] | None = None

    def __enter__(self) -> _Releaser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.thread.shutdown(wait=True)

    def add(self, checked: _Done | Future[list[Outcome]], batch: list[Item]) -> Iterator[ItemResult]:
        """Queue a checked batch; yield the results of flushes that have finished meanwhile."""
        self.waiting.append((checked, batch))
        if self.running is not None and (self.running.done() or len(self.waiting) >= self.limit):
            yield from self.running.result()
            self.running = None
        if self.running is None and len(self.waiting) >= self.min_batches:
            self.running = self.thread.submit(_release_batches, self.waiting, self.job)
            self.waiting = []

    def drain(self) -> Iterator[ItemResult]:
        if self.running is not None:
            yield from self.running.result()
            self.running = None
        if self.waiting:
            yield from _release_batches(self.waiting, self.job)
            self.waiting = []


def _release_batches(batches: list[tuple[_Done | Future[list[Outcome]], list[Item]]], job: Job) -> list[ItemResult]:
    """Several checked batches, one flush: each batch's failures stay its own."""
    outcomes: list[Outcome] = []
    for checked, batch in batches:
        try:
            outcomes += checked.result()
        except Exception as exc:  # a worker died (e.g. out of memory): its items fail, the run goes on
            outcomes += [_failed(item.source, f"worker failed: {_first_line(exc)}") for item in batch]
    try:
        return finish_items(outcomes, job)
    except Exception as exc:  # these items fail, the run goes on
        return [_failed(o.result.source if isinstance(o, _Checked) else o.source,
                        f"could not be released: {_first_line(exc)}") for o in outcomes]
