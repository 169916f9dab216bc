"""Burnt-in text in pixel data: a fail-closed screen (detection; redaction is later work).

``screen_for_text(ds)`` decodes the first, middle and last frames of a dataset, looks for lines of
glyphs with a fast geometric detector and lets Tesseract OCR clear weak candidates. Any region, or
an ``error`` (pixels that cannot be decoded), means the item must not be released as it is
(DESIGN.md "Fail closed").
"""

from medanon.pixels.base import TextDetector
from medanon.pixels.detectors import available_detectors, detector_names, get_detector
from medanon.pixels.model import Box, Region, Screening
from medanon.pixels.screen import CONFIRM_BELOW, screen_for_text

__all__ = [
    "CONFIRM_BELOW",
    "Box",
    "Region",
    "Screening",
    "TextDetector",
    "available_detectors",
    "detector_names",
    "get_detector",
    "screen_for_text",
]
