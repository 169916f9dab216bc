"""Free-text de-identification: one scrubber, and the PS3.15 Clean Descriptors cleaner built on it.

``scrub(text, profile)`` finds names, dates, ages, places, postcodes, telephone
numbers, e-mail and web addresses, record numbers, device serials and vehicle
identifiers, and writes the text again with tags, without them, or with keyed
surrogates (limited access).  ``clean_descriptor`` cleans DICOM descriptors
for the header engine.  See ``docs/guide/text.md``.
"""

from medanon.text.descriptors import (
    MAX_CHARS,
    UNITS,
    VOCABULARY_COUNTS,
    VOCABULARY_SOURCE,
    ForbiddenTokens,
    clean_descriptor,
    forbidden_tokens,
    is_clean_token,
)
from medanon.text.model import Kind, Output, ScrubResult, Span
from medanon.text.patterns import nhs_number_valid
from medanon.text.scrubber import MAX_TEXT_CHARS, age_text, find_spans, scrub

__all__ = [
    "MAX_CHARS",
    "MAX_TEXT_CHARS",
    "UNITS",
    "VOCABULARY_COUNTS",
    "VOCABULARY_SOURCE",
    "ForbiddenTokens",
    "Kind",
    "Output",
    "ScrubResult",
    "Span",
    "age_text",
    "clean_descriptor",
    "find_spans",
    "forbidden_tokens",
    "is_clean_token",
    "nhs_number_valid",
    "scrub",
]
