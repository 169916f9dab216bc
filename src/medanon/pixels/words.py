"""What burnt-in text may stay: the publication allow list, and matching read text to identifiers.

The allow list is short on purpose (DESIGN.md, issue 5): laterality and orientation markers and
scale units, with the small numbers that go with a unit ("4.0cm"). Anything else, and anything OCR
could not read, is redacted in the ``publication`` profile: when in doubt it goes.

Identifier matching is loose on purpose, because OCR misreads: a header value matches read text
when its letters and digits appear in the read text with separators removed, or when one of its
words of four or more characters is close (similarity >= :data:`FUZZY_RATIO`) to a read word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from difflib import SequenceMatcher

#: Laterality and orientation markers (PS3.3 C.7.6.1.1.1 patient orientation, projection names).
MARKERS = frozenset({
    "l", "r", "a", "p", "h", "f", "s", "i", "lt", "rt", "left", "right", "ap", "pa", "lat",
    "lao", "rao", "lpo", "rpo", "ll", "rl", "sup", "inf", "ant", "post", "med", "cran", "caud",
})
#: Scale units.
UNITS = frozenset({"mm", "cm", "m", "s", "ms", "cm/s", "mm/s", "m/s", "hz", "khz", "mhz", "db", "%"})
#: Words of four or more characters this close to an identifier word count as a match.
FUZZY_RATIO = 0.8
_TOKEN = re.compile(r"[a-z0-9./%]+")
_NUMBER_WITH_UNIT = re.compile(r"^[-+]?\d{1,3}(?:[.,]\d{1,2})?(" + "|".join(
    re.escape(u) for u in sorted(UNITS, key=len, reverse=True)) + r")?$")


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def is_allowed(text: str) -> bool:
    """True if every token read is an allow-listed marker or unit (numbers only beside a unit).

    Empty text is not allowed: a box OCR could not read is redacted (when in doubt it goes).
    """
    found = [t.strip("./") or t for t in tokens(text)]
    if not found:
        return False
    has_unit = any(t in UNITS or (_NUMBER_WITH_UNIT.match(t) and not t[-1].isdigit()) for t in found)
    for token in found:
        if token in MARKERS or token in UNITS:
            continue
        match = _NUMBER_WITH_UNIT.match(token)
        if match and (match.group(1) or has_unit):
            continue
        return False
    return True


def _compact(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def matches_identifier(text: str, forms: Iterable[str]) -> bool:
    """True if ``text`` (read by OCR) contains any identifier form, allowing for misreadings."""
    compact = _compact(text)
    words = [w for w in re.split(r"[^a-z0-9]+", text.lower()) if len(w) >= 4]
    for form in forms:
        form_compact = _compact(form)
        if len(form_compact) >= 4 and form_compact in compact:
            return True
        for part in re.split(r"[^a-z0-9]+", form.lower()):
            if len(part) < 4:
                continue
            if any(SequenceMatcher(None, part, word).ratio() >= FUZZY_RATIO for word in words):
                return True
    return False
