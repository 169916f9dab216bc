"""Dates in free text moved by the patient's keyed shift, written back in their own form.

The shift is ``KeyRing.date_shift_days(patient_key)``, the same number of days
the DICOM engine subtracts from the patient's header dates, so intervals
between a note and its images survive (DESIGN.md "Consistent and keyed").
A date this module cannot read with confidence returns ``None`` and the
caller writes a tag instead (fail closed).
"""

from __future__ import annotations

import datetime as dt
import re

from medanon.text.patterns import MONTHS

_NUMERIC = re.compile(r"^(\d{1,4})([/.-])(\d{1,2})(?:\2('?)(\d{2}|\d{4}))?$")
_MONTH_NAME = re.compile(r"[A-Za-z]+")
_DAY_NUMBER = re.compile(r"\b(\d{1,2})(st|nd|rd|th)?\b")
_YEAR4 = re.compile(r"\b(\d{4})\b")
_YEAR2 = re.compile(r"'(\d{2})\b")
_REFERENCE_YEAR = 2000  # a leap year, for dates written without one (7/22, 29 Feb)
_CENTURY_PIVOT = 30  # 'yy below this is 20yy, else 19yy


def shift_date_text(value: str, days: int) -> str | None:
    """``value`` (a date as the scrubber found it) moved back ``days`` days, in the same form; ``None`` if unread."""
    text = value.strip()
    try:
        if text.isdigit() and len(text) == 4:
            return str(_shift(dt.date(int(text), 7, 1), days).year)
        if re.fullmatch(r"['\u2019]\d{2}", text):
            year = _expand(int(text[1:]))
            return text[0] + f"{_shift(dt.date(year, 7, 1), days).year % 100:02d}"
        numeric = _NUMERIC.match(text)
        if numeric:
            return _shift_numeric(numeric, days)
        return _shift_words(text, days)
    except (ValueError, OverflowError):
        return None


def _expand(two_digits: int) -> int:
    return 2000 + two_digits if two_digits < _CENTURY_PIVOT else 1900 + two_digits


def _shift(date: dt.date, days: int) -> dt.date:
    return date - dt.timedelta(days=days)


def _shift_numeric(match: re.Match[str], days: int) -> str | None:
    first, sep, second, apostrophe, year_text = match.groups()
    if len(first) == 4:  # 1961-03-04
        date = _shift(dt.date(int(first), int(second), int(year_text)), days)
        return f"{date.year:04d}{sep}{date.month:02d}{sep}{date.day:02d}"
    day_first = sep == "." or int(first) > 12
    month, day = (int(second), int(first)) if day_first else (int(first), int(second))
    if year_text is None:
        shifted = _shift(dt.date(_REFERENCE_YEAR, month, day), days)
        parts = (shifted.day, shifted.month) if day_first else (shifted.month, shifted.day)
        return _pad(parts, first, second, sep)
    year = int(year_text) if len(year_text) == 4 else _expand(int(year_text))
    shifted = _shift(dt.date(year, month, day), days)
    parts = (shifted.day, shifted.month) if day_first else (shifted.month, shifted.day)
    written_year = f"{shifted.year:04d}" if len(year_text) == 4 else f"{shifted.year % 100:02d}"
    return _pad(parts, first, second, sep) + sep + apostrophe + written_year


def _pad(parts: tuple[int, int], first: str, second: str, sep: str) -> str:
    """Two numbers written with the zero-padding the original used."""
    a = f"{parts[0]:02d}" if len(first) == 2 else str(parts[0])
    b = f"{parts[1]:02d}" if len(second) == 2 else str(parts[1])
    return f"{a}{sep}{b}"


def _shift_words(text: str, days: int) -> str | None:
    month_word = next((w for w in _MONTH_NAME.findall(text) if _month_number(w)), None)
    if month_word is None:
        return None
    month = _month_number(month_word)
    rest = text.replace(month_word, " ", 1)
    year4 = _YEAR4.search(rest)
    year2 = _YEAR2.search(rest) if not year4 else None
    rest_no_year = _YEAR4.sub(" ", rest) if year4 else rest
    day_match = _DAY_NUMBER.search(rest_no_year)
    year = int(year4.group(1)) if year4 else _expand(int(year2.group(1))) if year2 else _REFERENCE_YEAR
    day = int(day_match.group(1)) if day_match else 15
    shifted = _shift(dt.date(year, month, day), days)
    name = _month_written(shifted.month, month_word)
    if day_match:
        suffix = _ordinal(shifted.day) if day_match.group(2) else ""
        day_text = f"{shifted.day}{suffix}"
        body = f"{day_text} of {name}" if " of " in text.lower() else (
            f"{day_text} {name}" if text.strip()[0].isdigit() else f"{name} {day_text}")
    else:
        body = name
    if year4:
        return f"{body}, {shifted.year}" if "," in text and not text.strip()[0].isdigit() else f"{body} {shifted.year}"
    if year2:
        return f"{body} '{shifted.year % 100:02d}"
    return body


def _month_number(word: str) -> int:
    low = word.lower().rstrip(".")
    if len(low) < 3:
        return 0
    for index, name in enumerate(MONTHS, start=1):
        if name.startswith(low) or (low == "sept" and index == 9):
            return index
    return 0


def _month_written(month: int, like: str) -> str:
    """Month name in the length and case of ``like`` (``Mar``, ``MARCH``, ``march``)."""
    name = MONTHS[month - 1]
    core = like.rstrip(".")
    if len(core) <= 4 and len(core) < len(MONTHS[_month_number(like) - 1]):
        name = name[:3]
    if core.isupper():
        name = name.upper()
    elif core[0].isupper():
        name = name.capitalize()
    return name + ("." if like.endswith(".") and len(name) == 3 else "")


def _ordinal(day: int) -> str:
    if 10 <= day % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
