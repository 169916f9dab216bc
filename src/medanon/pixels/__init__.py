"""Burnt-in text in pixel data: a fail-closed screen, and redaction with verification.

``screen_for_text(ds)`` decodes every frame of a dataset, looks for lines of
glyphs with a fast geometric detector and lets Tesseract OCR clear weak candidates. Any region, or
an ``error`` (pixels that cannot be decoded), means the item must not be released as it is
(DESIGN.md "Fail closed").

``redact_burnt_in(ds, identifier_forms, policy)`` fills the text in every frame, re-encodes the
pixels and verifies the output with OCR; it returns a new dataset or a refusal reason.
"""

from medanon.pixels.base import TextDetector
from medanon.pixels.detectors import available_detectors, detector_names, get_detector
from medanon.pixels.model import Box, Region, Screening
from medanon.pixels.redact import Redaction, RedactionPolicy, redact_burnt_in
from medanon.pixels.screen import CONFIRM_BELOW, screen_for_text

__all__ = [
    "CONFIRM_BELOW",
    "Box",
    "Redaction",
    "RedactionPolicy",
    "Region",
    "Screening",
    "TextDetector",
    "available_detectors",
    "detector_names",
    "get_detector",
    "redact_burnt_in",
    "screen_for_text",
]
