"""Text in a photograph (wristbands, name labels, rulers with names): screened, never read out.

The burnt-in text screen of :mod:`medanon.pixels` is reused as it is: its geometric line detector
searches a grey copy of the photo (shrunk to :data:`MAX_SIDE`), and Tesseract OCR, when installed,
confirms candidates. Photographs are full of text-like texture (hair, fabric, cobbles, leaves) that
the DICOM screen's deliberately low OCR bar reads as a few characters, so a photo is withheld only
when OCR reads a *word* there: at a confidence of at least :data:`WORD_CONFIDENCE`, a run of
letters with a vowel in one case style (``SMITH``, ``Jane``), or of :data:`MIN_DIGITS` digits (a
record number, a year). Candidates OCR only half reads become a review note; a screen that could
not run also sends the photo to a person. Unconfirmed candidates alone do not withhold a photo.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from medanon.photo.faces import as_rgb
from medanon.photo.faces._scale import downscale
from medanon.pixels.model import Box

MAX_SIDE = 1600
#: Tesseract confidence (0-100) a word needs to count as text in a photograph. Measured on the 21
#: development photos: texture the low bar confirms reads at this bar as nothing or a stray
#: symbol, while printed labels (names, record numbers, dates) read whole.
WORD_CONFIDENCE = 60.0
MIN_LETTERS = 3
MIN_DIGITS = 4
_VOWELS = frozenset("AEIOUYaeiouy")


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
    try:
        words = _reads_words(grey, confirmed)
    except Exception as exc:
        screen.candidates = len(boxes)
        screen.notes.append(f"OCR failed ({type(exc).__name__}) on {len(confirmed)} text-like line(s): review by eye")
        return screen
    screen.confirmed = sum(words)
    screen.candidates = len(boxes) - screen.confirmed
    half_read = len(confirmed) - screen.confirmed
    if half_read:
        screen.notes.append(f"OCR saw character-like marks in {half_read} place(s) but read no word: "
                            "check the picture for a label or name")
    return screen


def _reads_words(grey: np.ndarray, boxes: list[Box]) -> list[bool]:
    """For each box, whether OCR at :data:`WORD_CONFIDENCE` reads a word in it (text never kept)."""
    if not boxes:
        return []
    from medanon.pixels.detectors.tesseract import TesseractConfirmer

    reader = TesseractConfirmer(min_confidence=WORD_CONFIDENCE)
    return [any(is_word(token) for token in text.split()) for text in reader.read_boxes([(grey, b) for b in boxes])]


def is_word(token: str) -> bool:
    """A printed word rather than texture read as characters: letters with a vowel in one case style
    (``SMITH``, ``smith``, ``Smith``) or a run of digits; surrounding punctuation is ignored."""
    core = token.strip(".,;:!?'\"()[]{}<>|/\\-_")
    digits = core.replace("/", "").replace(".", "").replace("-", "")
    if digits.isdigit():  # 4471902, 1961, 03/04/1961
        return len(digits) >= MIN_DIGITS
    if not core.isalpha() or len(core) < MIN_LETTERS or not _VOWELS.intersection(core):
        return False
    return core.isupper() or core.islower() or core.istitle()


def _grey(image: np.ndarray) -> np.ndarray:
    rgb, _ = downscale(as_rgb(image), MAX_SIDE)
    weights = np.array([0.299, 0.587, 0.114])
    return np.clip(rgb @ weights, 0, 255).astype(np.uint8)
