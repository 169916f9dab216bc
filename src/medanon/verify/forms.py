"""Search variants ("forms") of one identifying value.

A value leaks in more shapes than DICOM stores it: ``DOE^JANE`` comes back as
"Jane Doe" in a report, ``19610304`` as "04.03.1961" on a slide (DESIGN.md
"Verify, don't trust"). Each function here turns one value into the lower-case
strings that :func:`medanon.verify.scan_file` looks for. Every form is at least
:data:`MIN_FORM_LENGTH` characters: shorter strings match random pixel bytes and
would quarantine clean files for nothing.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable

from medanon.verify._keywords import PLACEHOLDERS

#: Shortest form searched for; also the minimum length of an ID.
MIN_FORM_LENGTH = 3
#: A name component searched on its own must be at least this long ("Doe" is not, "Dixon" is).
MIN_LONE_NAME_LENGTH = 4
#: Plausible years for a date; outside them an 8-digit DA is a dummy (``00000000``, ``99991231``).
YEAR_RANGE = range(1800, 2201)

_NAME_COMPONENTS = 5  # family ^ given ^ middle ^ prefix ^ suffix (PS3.5 6.2.1)
_UK_POSTCODE = re.compile(r"(?<![A-Z0-9])([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})(?![A-Z0-9])")
_US_ZIP = re.compile(r"(?<![0-9])([0-9]{5})(?:-([0-9]{4}))?(?![0-9])")
_ADDRESS_SEPARATORS = re.compile(r"[,;\\^\r\n]+")
_PHONE_SEPARATORS = re.compile(r"[,;\\\r\n]+")
_DA = re.compile(r"(?<![0-9])([0-9]{4})\.?([0-9]{2})\.?([0-9]{2})(?![0-9])")
_DT = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")
_NUMBERISH_ID = re.compile(r"[0-9][0-9 ./-]*[0-9]")


def is_placeholder(value: str) -> bool:
    """Whether *value* identifies no-one: a known dummy word, or nothing but zeros and punctuation."""
    text = value.strip().lower()
    if text in PLACEHOLDERS:
        return True
    return not any(ch.isalnum() and ch != "0" for ch in text)


def finish(forms: Iterable[str]) -> tuple[str, ...]:
    """Lower-case, strip, drop short and placeholder forms, de-duplicate keeping order."""
    kept: dict[str, None] = {}
    for form in forms:
        text = form.strip().lower()
        if len(text) >= MIN_FORM_LENGTH and not is_placeholder(text):
            kept.setdefault(text, None)
    return tuple(kept)


def plain_forms(value: str) -> tuple[str, ...]:
    """The value as written: UIDs, institution and device values, other identifiers."""
    return finish([value])


def id_forms(value: str) -> tuple[str, ...]:
    """An ID as written, plus digits-only and 3-3-4 forms of a spaced number (NHS numbers)."""
    forms = [value]
    text = value.strip()
    if _NUMBERISH_ID.fullmatch(text):
        digits = re.sub(r"[^0-9]", "", text)
        if len(digits) >= 6:
            forms.append(digits)
        if len(digits) == 10:
            forms += [f"{digits[:3]} {digits[3:6]} {digits[6:]}", f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"]
    return finish(forms)


def phone_forms(value: str) -> tuple[str, ...]:
    """Each number as written and as bare digits (7 digits or more)."""
    forms = [value]
    for piece in _PHONE_SEPARATORS.split(value):
        forms.append(piece)
        digits = re.sub(r"[^0-9]", "", piece)
        if len(digits) >= 7:
            forms.append(digits)
    return finish(forms)


def address_forms(value: str) -> tuple[str, ...]:
    """The address, each part of 4 characters or more, and every postcode or ZIP inside it."""
    forms = [value]
    forms += [part for part in _ADDRESS_SEPARATORS.split(value) if len(part.strip()) >= 4]
    forms += postcodes(value)
    return finish(forms)


def postcodes(value: str) -> list[str]:
    """UK postcodes (full, unspaced, outward code) and US ZIP codes found in *value*."""
    found: list[str] = []
    for outward, inward in _UK_POSTCODE.findall(value.upper()):
        found += [f"{outward} {inward}", f"{outward}{inward}", outward]
    for zip5, plus4 in _US_ZIP.findall(value):
        found.append(zip5)
        if plus4:
            found.append(f"{zip5}-{plus4}")
    return found


def dates_in(value: str, vr: str) -> list[datetime.date]:
    """The plausible calendar dates in a DA value (ranges too) or the date part of a DT value."""
    if vr == "DT":
        first = _DT.match(value)
        matches = [first] if first else []
    else:
        matches = list(_DA.finditer(value))
    dates: list[datetime.date] = []
    for match in matches:
        year, month, day = (int(group) for group in match.groups())
        if year in YEAR_RANGE:
            try:
                dates.append(datetime.date(year, month, day))
            except ValueError:
                continue
    return dates


def date_forms(date: datetime.date) -> tuple[str, ...]:
    """Every common way of writing *date*: DICOM, ISO, UK and US, padded and not."""
    y, m, d = date.year, date.month, date.day
    return finish(
        [
            f"{y}{m:02}{d:02}",
            f"{y}-{m:02}-{d:02}",
            f"{d:02}.{m:02}.{y}",
            f"{m:02}/{d:02}/{y}",
            f"{d:02}/{m:02}/{y}",
            f"{y}/{m:02}/{d:02}",
            f"{d}.{m}.{y}",
            f"{m}/{d}/{y}",
            f"{d}/{m}/{y}",
            f"{d:02}-{m:02}-{y}",
            f"{y}.{m:02}.{d:02}",
        ]
    )


def name_forms(value: str) -> tuple[str, ...]:
    """Forms of one PN value, every component group (alphabetic = ideographic = phonetic).

    Per group: the raw value, ``family^given``, "given family", "family, given",
    "family,given", "family given", the same with middle names, the family name
    alone when it has :data:`MIN_LONE_NAME_LENGTH` characters, and for non-ASCII
    groups "familygiven" without a space (how CJK names are written).
    """
    forms = [value] if "=" in value else []
    for group in value.split("="):
        forms += _group_forms(group)
    return finish(forms)


def _group_forms(group: str) -> list[str]:
    raw = [part.strip().lower() for part in group.split("^")]
    parts = [("" if is_placeholder(part) else part) for part in raw]
    parts += [""] * (_NAME_COMPONENTS - len(parts))
    family, given, middle = parts[0], parts[1], parts[2]
    forms: list[str] = []
    if parts[: len(raw)] == raw:  # no placeholder component: the raw value itself is a form
        forms += [group, group.rstrip("^ ")]
    if family and given:
        forms += [f"{family}^{given}", f"{given} {family}", f"{family}, {given}", f"{family},{given}"]
        forms.append(f"{family} {given}")
        if middle:
            forms += [f"{family}^{given}^{middle}", f"{given} {middle} {family}", f"{family}, {given} {middle}"]
            forms.append(f"{family} {given} {middle}")
        if not (family + given).isascii():
            forms.append(f"{family}{given}")
    lone = family or given
    if len(lone) >= MIN_LONE_NAME_LENGTH:
        forms.append(lone)
    return forms
