"""The PS3.15 Clean Descriptors Option for free-text DICOM attributes.

Descriptors (Study Description, Series Description, Image Comments, Requested
Procedure Description, Additional Patient History, Protocol Name, SR text
values, ...) mix clinical words with identifiers::

    CT CHEST W CONTRAST - pt John SMITH dob 04.03.1961 MRN 889123 ref Dr Jones

PS3.15 E.3.5 (Clean Descriptors Option) asks that such text be cleaned of
identifying information while its meaning is kept.  The free-text scrubber
(``medanon.text.scrub``) first blanks every identifier it finds by shape or
context (``Dr Head``, ``husband John``, dates, numbers).  Then this module fails closed
(DESIGN.md "Fail closed"): a token survives only if it is *proven* harmless,
that is its lower-case form is in the generated clinical/technical vocabulary
(``_vocabulary.py``, built by ``tools/generate_vocabulary.py``) or it matches
one narrow technical pattern (``5mm``, ``1.25 mm``, ``T1``, ``3D``, ``C+``).
Everything else, including unknown words that look harmless, is dropped; so
are bare numbers (IDs, ages, dates, years) and anything shaped like an e-mail
address, URL, date, telephone number or postcode.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from itertools import permutations

from medanon.text._vocabulary import VOCABULARY, VOCABULARY_COUNTS, VOCABULARY_SOURCE
from medanon.text.model import Kind
from medanon.text.names import CONTEXT_WORDS, find_names

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

MAX_CHARS = 10_000
"""Characters of a descriptor that are read; the rest is dropped unread."""

UNITS = frozenset(
    {"mm", "cm", "m", "kv", "kvp", "ma", "mas", "ms", "s", "sec", "min", "t", "mg", "ml", "mgy", "msv",
     "hu", "%"}
)  # fmt: skip
"""Units a number may carry: attached (``5mm``) or as the next token (``1.25 mm``)."""

# A token is a run of characters between separators: white space and
# - / , ; : ( ) [ ] { } | ^ = _ " < > * # \ ~ ! ? & +.  Two radiology tokens
# contain a separator and are read whole: w/o and c+ / c- (contrast).
_TOKEN = re.compile(
    r"(?i:w/o|c[+\-])(?![A-Za-z0-9])"
    r"|[^\s\-/,;:()\[\]{}|^=_\"<>*#\\~!?&+]+"
)
# Characters stripped from both ends of a token: full stops and quotes.
_STRIP = ".'`\u2018\u2019"

_UNIT_ALT = "|".join(sorted((re.escape(u) for u in UNITS), key=len, reverse=True))
# A number of up to three digits before the decimal point, no leading zero
# (04 looks like part of a date): 0.5, 5, 2.5, 120, 1.25.
_NUMBER = r"(?:0|[1-9][0-9]{0,2})(?:\.[0-9]+)?"
_NUMBER_RE = re.compile(_NUMBER)
_TECHNICAL = re.compile(
    rf"{_NUMBER}(?:{_UNIT_ALT})"  # 5mm, 2.5mm, 120kv, 3t, 50%
    r"|t[12]w?|pd"  # MR weightings
    r"|[234]d"  # dimensions
    r"|c[+\-]"  # with / without contrast
)

# Spans removed whole, white space to white space, before tokenising, so that
# no piece of them can survive as a vocabulary word: e-mail addresses (or
# anything with @), URLs.
_ADDRESS = re.compile(r"(?<!\S)\S*(?:@|://)\S*")
_WWW = re.compile(r"(?<!\S)\S*www\.\S*", re.IGNORECASE)
# A token that is a bare number, or numbers joined by full stops (04.03.1961).
_NUMERIC = re.compile(r"[0-9][0-9.]*")
_TWO_LETTERS = re.compile(r"[A-Za-z]{2}")

# Separators of a forbidden value's parts (PS3.5 Person Name uses ^).
_FORBIDDEN_SPLIT = re.compile(r"[\s^,]+")
_MAX_INITIALS_PARTS = 4
_CONTEXT_CANDIDATE = re.compile(r"[A-Za-z][A-Za-z'-]*\.?")
# A title right before a name the scrubber found (``Mr SMITH``, ``Dr. Head``).
_TITLE_BEFORE = re.compile(r"[A-Za-z]+\.?\s*$")


class ForbiddenTokens(frozenset[str]):
    """Lower-case tokens that must not survive, as made by `forbidden_tokens`.

    Passing one of these to `clean_descriptor` instead of the raw values
    skips re-deriving the tokens for every descriptor of a dataset.
    """


def forbidden_tokens(values: Iterable[object] | object) -> ForbiddenTokens:
    """Derive the tokens to drop from values that identify the patient.

    For each value (name, ID, institution, ...; ``None`` is skipped, anything
    else is read as ``str``, so a pydicom ``PersonName`` gives ``Doe^Jane``;
    bytes should be decoded by the caller)
    the result holds, lower-cased and also without accents: the whole value,
    its parts separated by white space, ``^`` or ``,``, its parts as
    `clean_descriptor` tokenises them, and, for a value of two to four parts,
    the initials in every order (``Smith^John`` -> ``sj``, ``js``) because
    initials identify too (DESIGN.md "Identifiers").

    Parameters
    ----------
    values : Iterable[object]
        Values the caller knows identify this patient.  A single ``str`` or
        ``PersonName`` is one value; nested lists (multi-valued attributes)
        are opened.

    Returns
    -------
    ForbiddenTokens
        A frozenset of lower-case tokens.
    """
    if isinstance(values, ForbiddenTokens):
        return values
    found: set[str] = set()
    for value in _flatten(values, depth=3):
        text = _as_text(value)
        if not text:
            continue
        low = text.lower().strip()
        parts = [p.strip(_STRIP) for p in _FORBIDDEN_SPLIT.split(low)]
        parts = [p for p in parts if p]
        found.add(low)
        found.update(parts)
        found.update(m.group().strip(_STRIP).lower() for m in _TOKEN.finditer(text))
        words = [p for p in parts if p[0].isalpha()]
        if 2 <= len(words) <= _MAX_INITIALS_PARTS:
            letters = [w[0] for w in words]
            for size in range(2, len(letters) + 1):
                found.update("".join(p) for p in permutations(letters, size))
    found.discard("")
    found.update([_fold(t) for t in found if not t.isascii()])
    return ForbiddenTokens(found)


def _flatten(values: object, depth: int) -> Iterable[object]:
    """Single values of ``values``: lists (pydicom MultiValue too) are opened.

    A ``str``, ``bytes`` or pydicom ``PersonName`` is one value, not its
    characters; ``None`` is no value.
    """
    if values is None:
        return
    scalar = isinstance(values, (str, bytes)) or hasattr(values, "components")
    if scalar or depth == 0 or not isinstance(values, Iterable):
        yield values
        return
    for value in values:
        yield from _flatten(value, depth - 1)


def _as_text(value: object) -> str:
    """``str(value)`` cut to `MAX_CHARS`; ``""`` if the value cannot be read."""
    try:
        return str(value)[:MAX_CHARS]
    except Exception:  # noqa: BLE001 - a value that cannot be read forbids nothing more
        return ""


def is_clean_token(token: str) -> bool:
    """Return whether ``token`` alone is proven harmless.

    True if its lower-case form, without surrounding full stops or quotes, is
    in the clinical/technical vocabulary or matches a technical pattern
    (``5mm``, ``2.5mm``, ``50%``, ``t1``, ``t2w``, ``pd``, ``3d``, ``c+``).
    A bare number is never clean (it may be an ID, age, date or year); it
    survives in `clean_descriptor` only followed by a unit (``1.25 mm``).
    """
    if not isinstance(token, str):
        return False
    low = token.strip(_STRIP).lower()
    return low in VOCABULARY or _TECHNICAL.fullmatch(low) is not None


def clean_descriptor(text: str, forbidden: Iterable[object] | object = ()) -> str:
    """Clean a free-text descriptor for publication (PS3.15 Clean Descriptors Option).

    Keeps a token only if it is proven harmless and returns the kept tokens,
    in their original case, joined by single spaces.  Fails closed
    (DESIGN.md "Fail closed"): an unknown word is dropped even if it looks
    harmless.

    A token survives if, and only if, it is not forbidden and

    * its lower-case form is in the vocabulary (``VOCABULARY_SOURCE``), or
    * it is a number with an attached unit (``5mm``, ``2.5mm``, ``3T``,
      ``50%``), an MR weighting (``T1``, ``T2``, ``T1W``, ``T2W``, ``PD``), a
      dimension (``2D``, ``3D``, ``4D``) or ``C+`` / ``C-``, or
    * it is a number of at most three digits before the decimal point
      followed by a unit token (``1.25 mm``: both survive).

    Bare numbers are dropped, and so is a number with a unit that follows
    another number (``04/03/61 min``, ``555 123 s``).  Anything with ``@``,
    ``://`` or ``www.`` is removed whole, white space to white space.  Dates,
    telephone numbers and postcodes fall apart into numbers and letter-digit
    mixes that are never kept; two letters after four digits (a Dutch
    postcode, ``1234 AB``) are dropped too.

    Parameters
    ----------
    text : str
        The descriptor.  Anything but a ``str`` gives ``""``.  Only the first
        `MAX_CHARS` characters are read (cut at white space); the rest is
        dropped.
    forbidden : Iterable[object], optional
        Values that identify this patient (name components, IDs,
        institution, ...), or a `ForbiddenTokens` from `forbidden_tokens`.
        A token equal (case-insensitive) to a forbidden value or to one of its
        parts (see `forbidden_tokens`) is dropped even if it is in the
        vocabulary: patient ``Head^Ann`` makes ``HEAD`` go.

    Returns
    -------
    str
        The cleaned descriptor, ``""`` when nothing survives.  Never raises.

    Examples
    --------
    >>> clean_descriptor("CT CHEST W CONTRAST - John SMITH dob 04.03.1961, tel 0161 555 0192")
    'CT CHEST W CONTRAST'
    >>> clean_descriptor("MR HEAD 1.25 mm T2W", forbidden=["Head^Ann"])
    'MR 1.25 mm T2W'
    """
    try:
        return _clean(text, forbidden)
    except Exception:  # noqa: BLE001 - fail closed: nothing is proven clean
        return ""


def _clean(text: object, forbidden: Iterable[object] | object) -> str:
    if not isinstance(text, str) or not text:
        return ""
    if len(text) > MAX_CHARS:
        cut = text[: MAX_CHARS + 1]
        end = max(cut.rfind(c) for c in " \t\r\n")
        text = cut[:end] if end > 0 else cut[:MAX_CHARS]
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    if "@" in text or "://" in text:
        text = _ADDRESS.sub(" ", text)
    if "www" in text.lower():
        text = _WWW.sub(" ", text)
    text = _blank_identifiers(text)
    drop = forbidden_tokens(forbidden) if forbidden else frozenset()

    tokens = [t for t in (raw.strip(_STRIP) for raw in _TOKEN.findall(text)) if t]
    kept: list[str] = []
    # Dates (1961-03-04, 03/04/1961), telephone numbers (0161 555 0192) and
    # postcodes (M13 9PL, 1234 AB) fall apart into numbers and letter-digit
    # mixes, which are never kept: a number survives only with a unit, never
    # after another number (04/03/61 min, 555 123 s), and two letters after
    # four digits are a Dutch postcode's.
    after_number = False  # the previous token was a number
    after_four_digits = False  # ... of four digits
    unit_next = False  # the previous token was a number kept for this unit
    count = len(tokens)
    for index, token in enumerate(tokens):
        low = token.lower()
        if unit_next:
            unit_next = False
            after_number = False
            kept.append(token)
            continue
        numeric = _NUMERIC.fullmatch(low) is not None
        refused = low in drop or (
            after_number and (low[0].isdigit() or (after_four_digits and _TWO_LETTERS.fullmatch(low)))
        )
        if not refused:
            if low in VOCABULARY or _TECHNICAL.fullmatch(low):
                kept.append(token)
            elif (
                numeric
                and _NUMBER_RE.fullmatch(low)
                and index + 1 < count
                and (unit := tokens[index + 1].lower()) in UNITS
                and unit not in drop
            ):
                kept.append(token)
                unit_next = True
        after_number = numeric
        after_four_digits = numeric and len(low) == 4
    return " ".join(kept)


def _blank_identifiers(text: str) -> str:
    """``text`` with every name and place the free-text scrubber finds by context replaced by spaces.

    The scrubber reads context that single tokens lack: ``Dr Head`` names a
    person although ``head`` is a clinical word, and ``Mr SMITH`` or
    ``husband John`` are names wherever they stand.  What it finds goes
    before the vocabulary decides on the rest.
    """
    # Only context matters here: numbers, dates and words outside the vocabulary (every name of the
    # lexicons) are dropped below anyway.  A descriptor without a context word skips the search.
    words = {m.group().lower().rstrip(".") for m in _CONTEXT_CANDIDATE.finditer(text)}
    if words.isdisjoint(CONTEXT_WORDS):
        return text
    spans = find_names(text)
    if not spans:
        return text
    parts: list[str] = []
    position = 0
    for span in spans:
        start = span.start
        if span.kind is Kind.NAME and span.why.startswith("after the title"):
            # The title goes with the name: a lone "Mr" would read as the Modality MR.
            title = _TITLE_BEFORE.search(text, max(position, start - 12), start)
            start = title.start() if title else start
        parts.append(text[position:start])
        parts.append(" " * (span.end - start))
        position = span.end
    parts.append(text[position:])
    return "".join(parts)


def _fold(text: str) -> str:
    """``text`` without accents (``héad`` -> ``head``)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))
