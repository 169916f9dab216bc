"""One call for a batch of photographs: cleaned files, quarantine records, previews and report.json.

Each item goes: bytes → :func:`medanon.photo.clean_photo` (pixels only, faces obscured and re-checked)
→ temp file in the output folder → independent metadata check (:mod:`medanon.verify.photo`, plus
exiftool when installed) → final name. A residual face, a metadata finding, text that OCR reads in the
picture, an unreadable file or a detector that cannot run sends the item to quarantine with the reason;
a quarantine record never holds a copy of the input. Output names are keyed hashes of the source, so
no input name (often a patient's name or a date) survives.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import warnings
import zipfile
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from medanon.core.enum import Severity, Status
from medanon.core.errors import MedanonError, PolicyError, safe_message
from medanon.core.keys import KeyRing
from medanon.core.policy import Policy
from medanon.core.results import Action, Finding, ItemResult
from medanon.photo.faces.scan import DEFAULT_MIN_FACE
from medanon.photo.model import PhotoOutcome
from medanon.pipeline.batch import BatchOutcome, prepare_batch
from medanon.pipeline.inputs import Item
from medanon.pipeline.report import ReportWriter
from medanon.pipeline.run import Job, write_quarantine_record


@dataclass(frozen=True)
class PhotoOptions:
    """How a photo batch runs.

    ``consent`` names the consent under which faces are kept unobscured (the report records it on
    every item); ``text_review`` releases a photo in which OCR read text with a review note instead
    of withholding it (a person must then check it before sharing); ``screen_text=False`` skips the
    text screen altogether (every photo then carries a review note); ``min_face`` is the smallest face
    width (pixels) searched for: the default 20 costs seconds on a 12-megapixel photo, a larger value
    is faster and every item's review notes then say which faces were not searched for.

    Raises
    ------
    PolicyError
        If ``consent`` is given but empty.
    """

    consent: str | None = None
    previews: bool = True
    screen_text: bool = True
    text_review: bool = False
    use_exiftool: bool = True
    min_face: int = DEFAULT_MIN_FACE

    def __post_init__(self) -> None:
        if self.consent is not None and not self.consent.strip():
            raise PolicyError("--consent must name the consent (its form or record reference)")
        if self.min_face < 1:
            raise PolicyError("--min-face must be a positive number of pixels")


#: The report header's "standard" line for photographs: DICOM PS3.15 governs DICOM headers, not these.
PHOTO_STANDARD = ("photographs: new files from pixels and ICC profile only (no EXIF, XMP, IPTC, comments, "
                  "thumbnails); every face found filled whole; DICOM PS3.15 does not apply")

PREVIEW_NOTE = (
    "Before/after previews for the reviewer: the left half shows the input, faces outlined in red.\n"
    "They are for the data controller, like report.json and quarantine/: never share this folder.\n"
)


def deidentify_photos(
    inputs: list[Path],
    out_dir: Path,
    *,
    key_path: Path | None = None,
    quarantine_dir: Path | None = None,
    options: PhotoOptions | None = None,
    on_start: Callable[[int], None] | None = None,
    on_result: Callable[[ItemResult], None] | None = None,
    workers: int = 1,
) -> BatchOutcome:
    """Clean every photograph under ``inputs`` into ``out_dir``; write ``report.json``.

    Without ``options.consent`` every face found is obscured (see :class:`PhotoOptions`). With
    ``workers`` > 1 photos are cleaned in that many processes (one OpenCV thread each); results
    and the report keep the input order.

    Raises
    ------
    medanon.core.errors.PolicyError
        Bad or misplaced key, or an input inside the output folder.
    """
    options = options or PhotoOptions()
    batch = prepare_batch(inputs, out_dir, key_path, quarantine_dir)
    out_dir, keys, items = batch.out_dir, batch.keys, batch.items
    if on_start is not None:
        on_start(len(items))
    policy = Policy.load("publication")
    job = Job(policy=policy, keys=keys, out_dir=out_dir, quarantine_dir=batch.quarantine_dir)
    writer = ReportWriter(out_dir / "report.json", standard=PHOTO_STANDARD)
    results: list[ItemResult] = []
    try:
        for result in _results(items, job, options, workers):
            writer.add(result)
            results.append(result)
            if on_result is not None:
                on_result(result)
    except BaseException:
        writer.close()
        raise
    report = writer.finish(policy, keys.fingerprint, [str(p) for p in inputs])
    return BatchOutcome(results=results, report=report, report_path=writer.path, key_path=batch.key_file,
                        key_created=batch.key_created)


def _results(items: list[Item], job: Job, options: PhotoOptions, workers: int) -> Iterator[ItemResult]:
    """Each item's result in input order; at most ``2 * workers`` photos in flight (flat memory)."""
    if workers <= 1:
        yield from (process_photo(item, job, options) for item in items)
        return
    # spawn, not fork: a process forked after OpenCV started its thread pool can hang in its first call
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_photo_worker, mp_context=context) as pool:
        pending: deque[tuple[Item, Future[ItemResult]]] = deque()
        for item in items:
            pending.append((item, pool.submit(process_photo, item, job, options)))
            if len(pending) >= 2 * workers:
                yield _result_of(*pending.popleft(), job)
        while pending:
            yield _result_of(*pending.popleft(), job)


def _init_photo_worker() -> None:
    """One OpenCV thread per worker process: the processes already use every core."""
    import cv2

    cv2.setNumThreads(1)


def _result_of(item: Item, future: Future[ItemResult], job: Job) -> ItemResult:
    try:
        return future.result()
    except Exception as exc:  # a worker died (e.g. out of memory): this photo fails, the batch goes on
        result = ItemResult(source=item.source, status=Status.FAILED,
                            reasons=[f"worker failed: {safe_message(exc, 200)}"])
        write_quarantine_record(result, job)
        return result


def process_photo(item: Item, job: Job, options: PhotoOptions) -> ItemResult:
    """One photograph from bytes to a released file or a quarantine record; never raises."""
    try:
        result = _process(item, job, options)
    except MedanonError as exc:
        result = ItemResult(source=item.source, status=Status.FAILED, reasons=[exc.message])
    except Exception as exc:  # an engine bug must not stop the batch or leak a file
        result = ItemResult(source=item.source, status=Status.FAILED,
                            reasons=[f"internal error: {safe_message(exc, 200)}"])
    if result.status in (Status.FAILED, Status.QUARANTINED):
        write_quarantine_record(result, job)
    return result


def _process(item: Item, job: Job, options: PhotoOptions) -> ItemResult:
    from medanon.photo import clean_photo

    if item.error:
        return ItemResult(source=item.source, status=Status.FAILED, reasons=[item.error])
    try:
        data = item.read_bytes()
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        return ItemResult(source=item.source, status=Status.FAILED, reasons=[f"cannot read: {safe_message(exc)}"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cleaned = clean_photo(data, item.source, consent=options.consent, screen_text=options.screen_text,
                              preview=options.previews, min_face=options.min_face)
    outcome = cleaned.outcome
    result = ItemResult(source=item.source, status=Status.RELEASED, modality="photo",
                        actions=_actions(outcome), review=list(outcome.review))
    if options.min_face > DEFAULT_MIN_FACE:
        result.review.append(f"faces narrower than {options.min_face} px were not searched for (--min-face): "
                             "check the picture for small faces")
    name = output_name(job.keys, item.source)
    if cleaned.preview is not None:
        _write_preview(job.preview_dir or job.out_dir / "previews", name, cleaned.preview)
    if _withheld(outcome, options, result):
        return result
    _write_verified(cleaned.data, job.out_dir / f"{name}{cleaned.extension}", options, result)
    return result


def _withheld(outcome: PhotoOutcome, options: PhotoOptions, result: ItemResult) -> bool:
    """Quarantine for a residual face or (unless ``text_review``) text OCR read; True if withheld."""
    from medanon.photo.engine import MAX_ROUNDS

    if outcome.residual:
        result.findings.extend(Finding(Severity.ERROR, "residual-face", f"box {list(f.as_tuple())}",
                                       f"face still detected by {f.detector} after obscuring")
                               for f in outcome.residual)
        result.status = Status.QUARANTINED
        result.reasons.append(f"{len(outcome.residual)} face(s) still detected after {1 + MAX_ROUNDS} obscuring rounds")
        return True
    if outcome.text_regions and options.text_review:
        result.review.append(f"OCR read text in {outcome.text_regions} place(s) of the picture: check for names, "
                             "numbers or labels before sharing (released under --text-review)")
    elif outcome.text_regions:
        result.status = Status.QUARANTINED
        result.reasons.append(f"OCR read text in {outcome.text_regions} place(s) of the picture (a wristband, "
                              "label or name?): crop or redact it, then run again")
        return True
    return False


def _write_verified(data: bytes, destination: Path, options: PhotoOptions, result: ItemResult) -> None:
    """Temp file beside ``destination``, independent metadata check, then the final name (or quarantine)."""
    from medanon.verify.photo import check_photo_file

    handle, temp_name = tempfile.mkstemp(prefix=".photo-", suffix=destination.suffix, dir=destination.parent)
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        findings = check_photo_file(temp, use_exiftool=options.use_exiftool)
        result.findings.extend(findings)
        blocking = [f for f in findings if f.blocks_release]
        if blocking:
            result.status = Status.QUARANTINED
            result.reasons.extend(sorted({f"verification: metadata left ({f.where})" for f in blocking}))
            return
        os.replace(temp, destination)
        result.output = destination.name
    finally:
        temp.unlink(missing_ok=True)


def output_name(keys: KeyRing, source: str) -> str:
    """A keyed hash of the source label: stable across runs, says nothing about the input's name."""
    return "photo-" + keys.digest("photo-output", source).hex()[:16]


def _actions(outcome: PhotoOutcome) -> list[Action]:
    actions = [Action(f"metadata:{kind}", "X", "left behind: the output is written from pixels only")
               for kind in outcome.metadata_removed if kind != "icc (kept)"]
    if "icc (kept)" in outcome.metadata_removed:
        actions.append(Action("metadata:icc", "K", "colour profile kept (clinical colour)"))
    if outcome.orientation_applied != 1:
        actions.append(Action("orientation", "C", f"EXIF orientation {outcome.orientation_applied} applied "
                                                  "to the pixels, then dropped"))
    for index, face in enumerate(outcome.faces):
        if outcome.consent is not None:
            actions.append(Action(f"face[{index}]", "K", f"kept unobscured under consent {outcome.consent!r} "
                                                         f"(found by {face.detector} at {list(face.as_tuple())})"))
    for index, region in enumerate(outcome.obscured):
        actions.append(Action(f"face-region[{index}]", "FILL",
                              f"whole face {list(region.as_tuple())} filled solid (found by {region.detector})"))
    return actions


def _write_preview(folder: Path, name: str, preview: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    note = folder / "README.txt"
    if not note.exists():
        note.write_text(PREVIEW_NOTE, encoding="utf-8")
    (folder / f"{name}.jpg").write_bytes(preview)
