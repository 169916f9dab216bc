"""Replacement values: dummies per VR, shifted dates, rounded ages.

Each function takes one value and returns its replacement, or ``None`` when
the value cannot be proven safe to transform (the caller then removes it).
"""

from __future__ import annotations

import datetime as dt
import re

from medanon.core.ages import round_age_years

# PS3.15 "D": a non-zero length value consistent with the VR. The words are
# placeholders that identify no one; verify/ ignores them by the same rule.
DUMMY_BY_VR: dict[str, object] = {
    "AE": "ANONYMIZED",
    "AS": "000Y",
    "CS": "ANONYMIZED",
    "DA": "19000101",
    "DS": "0",
    "DT": "19000101000000",
    "IS": "0",
    "LO": "ANONYMIZED",
    "LT": "ANONYMIZED",
    "PN": "ANONYMIZED",
    "SH": "ANONYMIZED",
    "ST": "ANONYMIZED",
    "TM": "000000",
    "UC": "ANONYMIZED",
    "UT": "ANONYMIZED",
    "UR": "http://example.invalid",
    "FL": 0.0,
    "FD": 0.0,
    "SL": 0,
    "SS": 0,
    "UL": 0,
    "US": 0,
    "SV": 0,
    "UV": 0,
    "OB": b"\x00\x00",
    "OD": b"\x00" * 8,
    "OF": b"\x00" * 4,
    "OL": b"\x00" * 4,
    "OV": b"\x00" * 8,
    "OW": b"\x00\x00",
    "UN": b"\x00\x00",
    "AT": 0,
}

_AGE_RE = re.compile(r"^\s*(\d{1,3})\s*([DWMY])\s*$", re.IGNORECASE)
_DAYS_PER_UNIT = {"D": 1.0, "W": 7.0, "M": 365.25 / 12, "Y": 365.25}
_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def round_age(value: str) -> str | None:
    """``nnnY`` rounded to the nearest 5 years; 90 and over as ``090Y`` (DESIGN.md identifiers).

    Ages in days, weeks or months become years first, so a 14-month-old is
    ``000Y``. A value that is not a valid Age String returns ``None``.
    """
    match = _AGE_RE.match(str(value))
    if not match:
        return None
    years = int(match.group(1)) * _DAYS_PER_UNIT[match.group(2).upper()] / 365.25
    return f"{round_age_years(years):03d}Y"


def shift_date(value: str, days: int) -> str | None:
    """A DA value moved back by ``days``; ``None`` if it is not a full, valid date."""
    match = _DATE_RE.match(str(value).strip())
    if not match:
        return None
    try:
        date = dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None
    try:
        return (date - dt.timedelta(days=days)).strftime("%Y%m%d")
    except OverflowError:
        return None


def shift_datetime(value: str, days: int) -> str | None:
    """A DT value whose date part moves back by ``days``; time and offset stay."""
    text = str(value).strip()
    if len(text) < 8:
        return None
    shifted = shift_date(text[:8], days)
    return None if shifted is None else shifted + text[8:]
