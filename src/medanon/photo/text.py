"""Text in a photograph (wristbands, name labels, rulers with names): screened, never read out.

The burnt-in text screen of :mod:`medanon.pixels` is reused as it is: its geometric line detector
searches a grey copy of the photo (shrunk to :data:`MAX_SIDE`), and Tesseract OCR, when installed,
confirms candidates. Lines OCR reads as characters mean the photo must not be released as it is; the
other candidates, or a screen that could not run, are sent to a person for review. Photographs are
full of text-like texture (hair, fabric, leaves), so unconfirmed candidates alone do not withhold a
photo.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from medanon.photo.faces import as_rgb
from medanon.photo.faces._scale import downscale

MAX_SIDE = 1600


@dataclass
class TextScreen:
    """What the screen saw: boxes OCR confirmed, candidates it did not, and why it could not run."""

    confirmed: int = 0
    candidates: int = 0
    notes: list[str] = field(default_factory=list)


def screen_photo_text(image: np.ndarray) -> TextScreen:
    """Search ``image`` for lines of text; never raises (a failure becomes a note for review)."""
    from medanon.pixels import get_detector

    screen = TextScreen()
    try:
        grey = _grey(image)
        searcher = get_detector("lines")
        if not searcher.is_available():
            screen.notes.append("text in the picture not screened (line detector unavailable): review by eye")
            return screen
        boxes = searcher.detect(grey)
    except Exception as exc:  # a screen that fails sends the photo to a person, it does not approve it
        screen.notes.append(f"text screen failed ({type(exc).__name__}): review the picture for text by eye")
        return screen
    if not boxes:
        return screen
    confirmer = get_detector("tesseract")
    if not confirmer.is_available():
        screen.candidates = len(boxes)
        screen.notes.append(f"{len(boxes)} text-like line(s) and no OCR to read them: review for names or numbers")
        return screen
    try:
        confirmed = confirmer.detect(grey, boxes)
    except Exception as exc:
        screen.candidates = len(boxes)
        screen.notes.append(f"OCR failed ({type(exc).__name__}) on {len(boxes)} text-like line(s): review by eye")
        return screen
    screen.confirmed = len(confirmed)
    screen.candidates = len(boxes) - len(confirmed)
    return screen


def _grey(image: np.ndarray) -> np.ndarray:
    rgb, _ = downscale(as_rgb(image), MAX_SIDE)
    weights = np.array([0.299, 0.587, 0.114])
    return np.clip(rgb @ weights, 0, 255).astype(np.uint8)
