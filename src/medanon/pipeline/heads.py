"""Head-series routing for ``medanon dicom``: thin-slice head CT/MR volumes go through the defacer whole.

A surface render of a head volume shows the face, so such a series must not be released slice by
slice. Before the per-file path runs, every item's header (no pixels) is read once and the items are
grouped into stacks: same Study and Series Instance UID, same orientation, pixel spacing and matrix.
A stack is routed to the defacer (``pipeline.deface.deface_series``) when the rule below says it is a
head volume; it is then released defaced, or withheld as a whole with the reason. Every other item
goes the per-file way, untouched by this module.

The rule (:func:`classify`), all from the headers:

1. **Modality** CT or MR, and no image of the stack is a LOCALIZER (a scout is a projection, not a
   volume).
2. **Geometry**: a volume of at least ``MIN_SLICES`` distinct slice positions along the slice normal
   (classic one-file-per-slice or enhanced multi-frame), median gap between slices at most
   ``MAX_GAP_MM`` (thin enough for a surface render to show a face: routine 5 mm head CT included),
   covering at least ``MIN_EXTENT_MM`` along the normal and ``MIN_FOV_MM`` in plane.
3. **Body part**: Body Part Examined, Study/Series Description or Protocol Name name the head
   (``HEAD_WORDS``) -> head. They name only another part (``OTHER_PART_WORDS``, e.g. CHEST) -> not a
   head. They say nothing -> unknown, and the **render check** decides: the stack is read, rendered
   from -45 to +45 degrees and routed if a face is found on any view.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from enum import Enum

import numpy as np
import pydicom
from pydicom.dataset import Dataset

from medanon import dicom, volume
from medanon.core.enum import Status
from medanon.core.results import ItemResult
from medanon.pipeline.deface import DefaceJob, deface_series
from medanon.pipeline.inputs import Item
from medanon.pipeline.run import Job, write_quarantine_record

MIN_SLICES = 10
MAX_GAP_MM = 5.0
MIN_EXTENT_MM = 40.0
MIN_FOV_MM = 100.0
HEAD_WORDS = ("HEAD", "BRAIN", "SKULL", "FACE", "ORBIT", "SINUS", "NEURO", "CRANI", "CEREB", "PITUIT", "IAC",
              "TEMPORAL BONE", "KOPF", "SCHAEDEL", "SCHADEL", "TETE", "CRANE", "CABEZA", "CRANEO", "CERVEAU")
OTHER_PART_WORDS = ("CHEST", "THORAX", "LUNG", "ABDOM", "PELVI", "SPINE", "LSPINE", "TSPINE", "KNEE", "HIP",
                    "SHOULDER", "ANKLE", "FOOT", "HAND", "WRIST", "ELBOW", "LEG", "ARM", "HEART", "CARDIAC",
                    "BREAST", "LIVER", "KIDNEY", "PROSTATE", "EXTREMITY", "COLON", "BOWEL")
DESCRIPTIVE_KEYWORDS = ("BodyPartExamined", "StudyDescription", "SeriesDescription", "ProtocolName")
# Only these are parsed in the header pass (it runs on every item, so it is kept cheap).
HEADER_KEYWORDS = ("Modality", "StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "SOPClassUID",
                   "ImageType", "ImagePositionPatient", "ImageOrientationPatient", "PixelSpacing", "Rows", "Columns",
                   "NumberOfFrames", "SharedFunctionalGroupsSequence", "PerFrameFunctionalGroupsSequence",
                   *DESCRIPTIVE_KEYWORDS)


class HeadDecision(Enum):
    HEAD = "head"
    NOT_HEAD = "not a head volume"
    UNKNOWN = "unknown body part"


@dataclass
class Classified:
    decision: HeadDecision
    why: str


@dataclass
class _Stack:
    """Items sharing a series and a slice plane, with their headers (pixels not read)."""

    items: list[Item] = field(default_factory=list)
    headers: list[Dataset] = field(default_factory=list)


def classify(headers: list[Dataset]) -> Classified:
    """Whether a stack of headers (one series, one slice plane) is a thin-slice head CT/MR volume."""
    first = headers[0]
    modality = str(first.get("Modality", "") or "").upper()
    if modality not in ("CT", "MR"):
        return Classified(HeadDecision.NOT_HEAD, f"modality {modality or 'missing'} is not CT or MR")
    if any("LOCALIZER" in _image_type(ds) for ds in headers):
        return Classified(HeadDecision.NOT_HEAD, "localizer (scout) images")
    geometry = _volume_geometry(headers)
    if geometry:
        return Classified(HeadDecision.NOT_HEAD, geometry)
    words = " ".join(str(first.get(k, "") or "") for k in DESCRIPTIVE_KEYWORDS).upper()
    if any(word in words for word in HEAD_WORDS):
        return Classified(HeadDecision.HEAD, "CT/MR volume whose header names the head")
    if any(word in words for word in OTHER_PART_WORDS):
        return Classified(HeadDecision.NOT_HEAD, "the header names another body part")
    return Classified(HeadDecision.UNKNOWN, "CT/MR volume whose header names no body part")


def route_head_series(items: list[Item], job: Job, on_result: Callable[[ItemResult], None] | None = None,
                      workers: int = 1) -> tuple[list[ItemResult], list[Item]]:
    """Deface the head stacks among ``items``; return their per-file results and the items left for the
    per-file path (in their original order). ``workers`` processes share the header pass."""
    stacks, rest = _stacks(items, workers)
    results: list[ItemResult] = []
    routed: set[int] = set()
    for stack in stacks:
        decision = classify(stack.headers)
        if decision.decision is HeadDecision.NOT_HEAD:
            continue
        datasets = _read_whole(stack)
        if datasets is None:
            continue  # a file that cannot be read fails on the per-file path, with its own reason
        if decision.decision is HeadDecision.UNKNOWN and not _render_shows_face(datasets):
            continue
        for result in _deface_stack(stack, datasets, decision, job):
            results.append(result)
            if on_result is not None:
                on_result(result)
        routed.update(id(item) for item in stack.items)
    left = [item for item in items if id(item) not in routed]
    return results, left


# Below this many items the header pass runs in this process: starting workers would cost more.
PARALLEL_HEADERS_FROM = 64


def _stacks(items: list[Item], workers: int = 1) -> tuple[list[_Stack], list[Item]]:
    stacks: dict[tuple[object, ...], _Stack] = {}
    rest: list[Item] = []
    for item, header in zip(items, _headers(items, workers), strict=True):
        if header is None or str(header.get("Modality", "") or "").upper() not in ("CT", "MR"):
            rest.append(item)
            continue
        stack = stacks.setdefault(_stack_key(header), _Stack())
        stack.items.append(item)
        stack.headers.append(header)
    return list(stacks.values()), rest


def _headers(items: list[Item], workers: int) -> list[Dataset | None]:
    """Every item's routing header, in order. The pass runs before any file is cleaned and costs about
    a millisecond a file, so a large batch shares it among the batch's worker processes."""
    if workers <= 1 or len(items) < PARALLEL_HEADERS_FROM:
        return [_read_header(item) for item in items]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_read_header, items, chunksize=32))


def _read_header(item: Item) -> Dataset | None:
    if item.error:
        return None
    try:
        source = item.path if item.path is not None else io.BytesIO(item.read_bytes())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a damaged file is reported by the per-file path
            return pydicom.dcmread(source, stop_before_pixels=True, specific_tags=list(HEADER_KEYWORDS))
    except Exception:
        return None  # not DICOM or damaged: the per-file path reports it


def _stack_key(ds: Dataset) -> tuple[object, ...]:
    def rounded(keyword: str) -> tuple[float, ...]:
        try:
            return tuple(round(float(v), 3) for v in ds.get(keyword) or ())
        except (TypeError, ValueError):
            return ()

    return (str(ds.get("StudyInstanceUID", "")), str(ds.get("SeriesInstanceUID", "")),
            rounded("ImageOrientationPatient"), rounded("PixelSpacing"), ds.get("Rows"), ds.get("Columns"),
            str(ds.get("SOPInstanceUID", "")) if int(ds.get("NumberOfFrames", 1) or 1) > 1 else "")


def _image_type(ds: Dataset) -> str:
    value = ds.get("ImageType") or ()
    return "\\".join(str(v) for v in (value if isinstance(value, (list, tuple, pydicom.multival.MultiValue))
                                      else [value])).upper()


def _planes(headers: list[Dataset]) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int]] | None:
    """Positions (n, 3), orientation (6,), pixel spacing (2,) and matrix, from classic or enhanced headers."""
    try:
        first = headers[0]
        if len(headers) == 1 and int(first.get("NumberOfFrames", 1) or 1) > 1:
            shared = (first.get("SharedFunctionalGroupsSequence") or [Dataset()])[0]

            def pick(group: Dataset, keyword: str) -> Dataset:
                return (group.get(keyword) or shared.get(keyword))[0]

            frames = first.get("PerFrameFunctionalGroupsSequence") or []
            positions = [pick(g, "PlanePositionSequence").ImagePositionPatient for g in frames]
            orientation = pick(frames[0], "PlaneOrientationSequence").ImageOrientationPatient
            spacing = pick(frames[0], "PixelMeasuresSequence").PixelSpacing
        else:
            positions = [ds.ImagePositionPatient for ds in headers]
            orientation, spacing = first.ImageOrientationPatient, first.PixelSpacing
        return (np.array([[float(v) for v in p] for p in positions]), np.array([float(v) for v in orientation]),
                np.array([float(v) for v in spacing]), (int(first.Rows), int(first.Columns)))
    except Exception:
        return None


def _volume_geometry(headers: list[Dataset]) -> str:
    """Empty when the headers describe a thin-slice volume; else why not."""
    planes = _planes(headers)
    if planes is None:
        return "no usable slice geometry"
    positions, orientation, spacing, (rows, columns) = planes
    normal = np.cross(orientation[:3], orientation[3:])
    if not np.isfinite(normal).all() or np.linalg.norm(normal) < 1e-6:
        return "no usable slice geometry"
    depths = np.unique(np.round(positions @ (normal / np.linalg.norm(normal)), 2))
    if len(depths) < MIN_SLICES:
        return f"{len(depths)} slice position(s): fewer than {MIN_SLICES}"
    gap = float(np.median(np.diff(depths)))
    if gap > MAX_GAP_MM:
        return f"slices {gap:.1f} mm apart: thicker than {MAX_GAP_MM:.0f} mm"
    if depths[-1] - depths[0] < MIN_EXTENT_MM:
        return f"stack covers {depths[-1] - depths[0]:.0f} mm: less than {MIN_EXTENT_MM:.0f} mm"
    if min(rows * spacing[0], columns * spacing[1]) < MIN_FOV_MM:
        return f"field of view below {MIN_FOV_MM:.0f} mm"
    return ""


def _read_whole(stack: _Stack) -> list[Dataset] | None:
    try:
        return [dicom.read(item.read_bytes(), item.source) for item in stack.items]
    except Exception:
        return None


def _render_shows_face(datasets: list[Dataset]) -> bool:
    """The render check for a volume whose header names no body part: a face on any view routes it."""
    try:
        read = volume.read_series(datasets)
        return bool(volume.check_faces(read.volume).views_with_face)
    except Exception:
        return False  # no volume to render: the per-file path handles its files one by one


def _deface_stack(stack: _Stack, datasets: list[Dataset], decision: Classified, job: Job) -> list[ItemResult]:
    """One result per file: all released (defaced) or all withheld with the series' reasons."""
    # Before/after renders only where the caller keeps previews apart from the output (``medanon case``):
    # the "before" render shows the face, so it never goes into OUT by default.
    deface_job = DefaceJob(policy=job.policy, keys=job.keys, quarantine_dir=job.quarantine_dir,
                           preview_dir=job.preview_dir, screen_pixels=job.screen_pixels)
    label = f"head series of {len(stack.items)} file(s) starting {stack.items[0].source}"
    outcome = deface_series(datasets, label, job.out_dir, deface_job)
    series = outcome.result
    done = "defaced and checked" if series.status is Status.RELEASED else "withheld"
    routed_note = f"head series ({decision.why}): {len(stack.items)} file(s) {done} as one volume"
    # The DICOM engine's "deface this series" note is answered by this very step.
    series.review = [note for note in series.review if "medanon deface" not in note]
    results = []
    for index, (item, ds) in enumerate(zip(stack.items, datasets, strict=True)):
        result = ItemResult(source=item.source, status=series.status, reasons=list(series.reasons),
                            review=[routed_note, *series.review], modality=series.modality or _modality(ds),
                            sop_class=str(ds.get("SOPClassUID", "") or "") or None)
        if series.status is Status.RELEASED:
            result.output = str(outcome.outputs[index].relative_to(job.out_dir))
            result.actions = list(outcome.actions[index])
        else:
            result.reasons = [f"head series withheld as a whole: {reason}" for reason in series.reasons]
            write_quarantine_record(result, job)
        results.append(result)
    return results


def _modality(ds: Dataset) -> str | None:
    return str(ds.get("Modality", "") or "") or None
