"""Free-text cleaning: the PS3.15 Clean Descriptors Option for DICOM descriptors.

``clean_descriptor`` keeps only tokens proven harmless (a generated clinical
vocabulary, narrow technical patterns) and drops everything else; see
``docs/guide/text.md``.
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

__all__ = [
    "MAX_CHARS",
    "UNITS",
    "VOCABULARY_COUNTS",
    "VOCABULARY_SOURCE",
    "ForbiddenTokens",
    "clean_descriptor",
    "forbidden_tokens",
    "is_clean_token",
]
