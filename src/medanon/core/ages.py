"""The one age-rounding rule of medanon (DESIGN.md "Identifiers").

Adult ages are rounded to the nearest 5 years and ages of 90 and over are one
band.  DICOM Age Strings (``medanon.dicom.values.round_age``) and ages written
in free text (``medanon.text``) both use `round_age_years`, so a case's
header and its notes agree.
"""

from __future__ import annotations

AGE_TOP_CODE = 90
"""Ages of this many years and over are reported as one band (``090Y``, ``90+``)."""


def round_age_years(years: float) -> int:
    """Years rounded to the nearest 5; `AGE_TOP_CODE` for 90 and over.

    >>> round_age_years(42), round_age_years(43), round_age_years(89), round_age_years(92)
    (40, 45, 90, 90)
    """
    if years >= AGE_TOP_CODE:
        return AGE_TOP_CODE
    return min(int(years / 5 + 0.5) * 5, AGE_TOP_CODE)
