"""The burnt-in text screen: does any checked frame of a dataset hold text?

The header engine quarantines files whose header admits burnt-in text; this screen covers the
files whose header is silent (a CT or MR with no BurnedInAnnotation and a name in the corner). It
decodes the first and the last frame, and the middle one of longer series, turns each into 8-bit
grey, runs a searching detector (geometric lines by default) and sends the weak candidates to a
confirming detector (Tesseract OCR) when one is available.

Fail closed (DESIGN.md): a frame that cannot be decoded, or a searching detector that is missing or
raises, sets :attr:`Screening.error`, and the caller quarantines. The confirmer can only remove
*weak* candidates; if it is missing or fails, weak candidates stay regions and the screen is more
conservative (more quarantine), never less. The dataset is never modified.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
from pydicom.dataset import Dataset

from medanon.pixels import frames as _frames
from medanon.pixels.base import TextDetector
from medanon.pixels.detectors import get_detector
from medanon.pixels.detectors.lines import join_words
from medanon.pixels.model import Box, Region, Screening

#: Boxes scoring below this are weak and go to the confirmer (LineTextDetector scores strong
#: lines at 0.5 or more).
CONFIRM_BELOW = 0.5

_PIXEL_KEYWORDS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")


def _resolve(detector: str | TextDetector) -> TextDetector:
    return get_detector(detector) if isinstance(detector, str) else detector


def screen_for_text(
    ds: Dataset,
    *,
    detector: str | TextDetector = "lines",
    confirmer: str | TextDetector | None = "tesseract",
    frames: Sequence[int] | None = None,
) -> Screening:
    """Search the pixel data of ``ds`` for burnt-in text.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        The dataset to screen; it is only read (no element changes, no cached pixel array).
    detector : str or TextDetector
        The searching detector, by registry label or instance (default ``"lines"``).
    confirmer : str or TextDetector or None
        The detector that may clear weak candidates (default ``"tesseract"``); ``None`` keeps every
        candidate, as does a confirmer that is unavailable or fails (noted in ``notes``).
    frames : sequence of int, optional
        0-based frames to check instead of every frame (text may sit on any frame of a cine or
        a multi-frame series; a sample would have to be proven sufficient).

    Returns
    -------
    Screening
        Regions found, frames checked, and ``error`` if the pixels could not be screened. A dataset
        without pixel data gives no regions, no frames and no error.
    """
    searcher = _resolve(detector)
    names = [searcher.name]
    notes: list[str] = []
    if not any(keyword in ds for keyword in _PIXEL_KEYWORDS):
        return Screening(notes=("no pixel data",))
    if not searcher.is_available():
        return Screening(
            error=f"text detector {searcher.name!r} is unavailable (needs "
            f"{', '.join(searcher.DEPENDENCIES)})",
            detectors=tuple(names),
        )
    checker: TextDetector | None = None
    if confirmer is not None:
        checker = _resolve(confirmer)
        if checker.is_available():
            names.append(checker.name)
        else:
            notes.append(f"confirmer {checker.name!r} unavailable (needs "
                         f"{', '.join(checker.DEPENDENCIES)}): weak candidates kept as text")
            checker = None
    try:
        n_frames = _frames.number_of_frames(ds)
    except (TypeError, ValueError) as exc:
        return Screening(error=f"NumberOfFrames is unusable: {exc}", detectors=tuple(names))
    indices = tuple(frames) if frames is not None else tuple(range(n_frames))  # every frame: none inferred
    photometric = str(ds.get("PhotometricInterpretation", ""))

    regions: list[Region] = []
    checked: list[int] = []
    for index in indices:
        if not 0 <= index < n_frames:
            return _failed(f"frame {index} does not exist ({n_frames} frames)", regions, checked,
                           names, notes)
        try:
            views = _frames.to_grey(_frames.decode_frame(ds, index, n_frames), photometric)
        except Exception as exc:  # any decoder failure means "cannot prove clean"
            return _failed(f"could not decode frame {index}: {type(exc).__name__}: {exc}",
                           regions, checked, names, notes)
        try:
            boxes = _search(searcher, views)
        except Exception as exc:
            return _failed(f"text detector {searcher.name!r} failed on frame {index}: "
                           f"{type(exc).__name__}: {exc}", regions, checked, names, notes)
        boxes = _confirm(checker, views, boxes, index, notes)
        checked.append(index)
        regions.extend(Region.from_box(index, box) for box in boxes)
    return Screening(tuple(regions), tuple(checked), None, tuple(names), tuple(notes))


def _search(searcher: TextDetector, views: list[np.ndarray]) -> list[Box]:
    boxes: list[Box] = []
    for view in views:
        boxes.extend(searcher.detect(view))
    return join_words(boxes, 0.0) if len(views) > 1 else boxes


def _confirm(checker: TextDetector | None, views: list[np.ndarray], boxes: list[Box], index: int,
             notes: list[str]) -> list[Box]:
    strong = [box for box in boxes if box.score >= CONFIRM_BELOW or box.confirmed]
    weak = [box for box in boxes if box.score < CONFIRM_BELOW and not box.confirmed]
    if checker is None or not weak:
        return boxes
    try:
        confirmed: list[Box] = []
        remaining = weak
        for view in views:
            found = checker.detect(view, remaining)
            confirmed.extend(dataclasses.replace(box, confirmed=True) for box in found)
            remaining = [box for box in remaining if not any(_same(box, f) for f in found)]
            if not remaining:
                break
    except Exception as exc:
        notes.append(f"confirmer {checker.name!r} failed on frame {index} "
                     f"({type(exc).__name__}): {len(weak)} weak candidates kept as text")
        return boxes
    return sorted(strong + confirmed, key=lambda b: (b.y0, b.x0))


def _same(a: Box, b: Box) -> bool:
    return (a.x0, a.y0, a.x1, a.y1) == (b.x0, b.y0, b.x1, b.y1)


def _failed(reason: str, regions: list[Region], checked: list[int], names: list[str],
            notes: list[str]) -> Screening:
    return Screening(tuple(regions), tuple(checked), reason, tuple(names), tuple(notes))
