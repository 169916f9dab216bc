"""Fixed vocabularies, coerced once at the API edge (STYLE.md section 4)."""

from __future__ import annotations

from enum import Enum


class ActionCode(str, Enum):
    """De-identification action codes of PS3.15 Table E.1-1a, plus medanon's own.

    The standard's codes keep their letters. medanon adds three codes that a
    recipe may use to say more precisely what a ``C`` or ``D`` means for one
    attribute: ``P`` (keyed pseudonym), ``AGE`` (age rounded to 5 years,
    90 and over as 090Y) and ``S`` (per-patient keyed date shift).
    """

    DUMMY = "D"
    ZERO = "Z"
    REMOVE = "X"
    KEEP = "K"
    CLEAN = "C"
    UID = "U"
    ZERO_OR_DUMMY = "Z/D"
    REMOVE_OR_ZERO = "X/Z"
    REMOVE_OR_DUMMY = "X/D"
    REMOVE_OR_ZERO_OR_DUMMY = "X/Z/D"
    REMOVE_OR_ZERO_OR_UID = "X/Z/U*"
    PSEUDONYM = "P"
    AGE = "AGE"
    SHIFT = "S"


class Level(str, Enum):
    """RCR data levels that medanon produces (DESIGN.md "Three levels of data")."""

    PUBLICATION = "publication"
    LIMITED_ACCESS = "limited-access"


class Option(str, Enum):
    """PS3.15 E.3 options; the value is the column heading's short name in Table E.1-1."""

    RETAIN_SAFE_PRIVATE = "retain-safe-private"
    RETAIN_UIDS = "retain-uids"
    RETAIN_DEVICE_IDENTITY = "retain-device-identity"
    RETAIN_INSTITUTION_IDENTITY = "retain-institution-identity"
    RETAIN_PATIENT_CHARACTERISTICS = "retain-patient-characteristics"
    RETAIN_LONGITUDINAL_FULL_DATES = "retain-longitudinal-full-dates"
    RETAIN_LONGITUDINAL_MODIFIED_DATES = "retain-longitudinal-modified-dates"
    CLEAN_DESCRIPTORS = "clean-descriptors"
    CLEAN_STRUCTURED_CONTENT = "clean-structured-content"
    CLEAN_GRAPHICS = "clean-graphics"
    CLEAN_PIXEL_DATA = "clean-pixel-data"
    CLEAN_RECOGNIZABLE_VISUAL_FEATURES = "clean-recognizable-visual-features"


class Status(str, Enum):
    """What happened to one item of a batch."""

    RELEASED = "released"
    QUARANTINED = "quarantined"
    FAILED = "failed"
    SKIPPED = "skipped"


class Severity(int, Enum):
    """Finding levels, numbered like :mod:`logging` (nibabel's battery runner habit)."""

    INFO = 20
    WARNING = 30
    ERROR = 40
    CRITICAL = 50
