"""Finding identifier forms in bytes and decoded text.

Each form is one ``find`` pass in C over the stretches a pre-filter leaves;
with a few dozen forms and a few kilobytes of header that is tens of
microseconds. Boundaries (a match is not preceded
or followed by an ASCII letter or digit, except ISO 8601's ``T`` between a
date and a time; a number is not part of a longer dotted number, so UID
``1.2.3`` does not match inside ``1.2.3.4``) are checked in Python on the few
hits.

Python's engine still needs a few nanoseconds per byte, too slow for half a
megabyte of pixels per file; a pre-filter (:class:`_Prefilter`) first cuts a
file down to the stretches where a form could match at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from medanon.verify.model import Identifier



@dataclass(frozen=True)
class Hit:
    """Where one form of one identifier was found."""

    offset: int
    identifier: Identifier
    form_index: int


class Matcher:
    """Finds every form of a set of identifiers in raw bytes or in decoded text; it lower-cases.

    Each form is looked for with ``find`` (C speed, no compilation), with word
    boundaries checked in Python on the few hits. A compiled alternation was
    tried first: compiling it cost more than all the searching, because
    instance-level values (UIDs, procedure step IDs) change in every file.
    """

    def __init__(self, identifiers: Iterable[Identifier]) -> None:
        text_pairs: list[tuple[str, tuple[Identifier, int]]] = []
        byte_pairs: list[tuple[bytes, tuple[Identifier, int]]] = []
        for identifier in identifiers:
            texts, encoded = _lookup_pairs(identifier)
            text_pairs += texts
            byte_pairs += encoded
        # the first identifier to name a form owns it (as setdefault would): later pairs go in first
        self._text_lookup = dict(reversed(text_pairs))
        self._byte_lookup = dict(reversed(byte_pairs))
        self._text_forms = tuple(self._text_lookup)
        self._byte_forms = tuple(self._byte_lookup)
        self._prefilter = _prefilter(*_prefilter_key(self._byte_lookup))

    def search_file(self, data: bytes) -> Iterator[Hit]:
        """Hits in a whole file, offsets into *data*; only stretches that could match are searched."""
        for start, end in self._prefilter.spans(data):
            for hit in self.search_bytes(data[start:end]):
                yield Hit(start + hit.offset, hit.identifier, hit.form_index)

    def search_bytes(self, data: bytes) -> Iterator[Hit]:
        """Hits in *data* after ``bytes.lower()`` (which lowers ASCII only; see :func:`byte_forms`)."""
        for start, found in _found_literals(self._byte_forms, data.lower()):
            yield Hit(start, *self._byte_lookup[found])

    def search_text(self, text: str) -> Iterator[Hit]:
        """Hits in decoded *text* after ``str.lower()``."""
        for start, found in _found_literals(self._text_forms, text.lower()):
            yield Hit(start, *self._text_lookup[found])


@lru_cache(maxsize=16384)
def _lookup_pairs(identifier: Identifier) -> tuple[tuple[tuple[str, tuple[Identifier, int]], ...],
                                                   tuple[tuple[bytes, tuple[Identifier, int]], ...]]:
    """(form, owner) and (encoded form, owner) pairs of one identifier; a series repeats most identifiers."""
    texts = tuple((form, (identifier, index)) for index, form in enumerate(identifier.forms))
    encoded = tuple((variant, (identifier, index)) for index, form in enumerate(identifier.forms)
                    for variant in byte_forms(form))
    return texts, encoded


def _found_literals(forms: tuple[Any, ...], data: Any) -> Iterator[tuple[int, Any]]:
    """Every boundary-respecting occurrence of each form, by plain ``find``.

    A hit inside a longer hit ("dixon" inside "jane dixon") is the same
    finding and is dropped, as an alternation tried longest first would.
    """
    hits = []
    for form in forms:
        start = data.find(form)
        while start != -1:
            if _on_boundary(data, start, start + len(form), form):
                hits.append((start, start + len(form), form))
            start = data.find(form, start + 1)
    hits.sort(key=lambda hit: (hit[0], -hit[1]))
    reach = -1
    for start, end, form in hits:
        if end > reach:
            yield start, form
            reach = end


def _on_boundary(data: Any, start: int, end: int, form: Any) -> bool:
    """Not preceded or followed by an ASCII letter or digit; numbers are not part of longer dotted numbers.

    ISO 8601's ``T`` may follow a date ("1961-03-04T10:30").
    """
    before = _char(data, start - 1)
    after = _char(data, end)
    if before.isalnum() and before.isascii():
        return False
    first, last = _char(form, 0), _char(form, len(form) - 1)
    if first.isdigit() and before == "." and _char(data, start - 2).isdigit():
        return False
    if last.isdigit():
        if after == "." and _char(data, end + 1).isdigit():
            return False
        if after == "t" and _char(data, end + 1).isdigit():
            return True
    return not (after.isalnum() and after.isascii())


def _char(data: Any, index: int) -> str:
    """One character of str or bytes as str ('' outside), so one boundary rule serves both."""
    if index < 0 or index >= len(data):
        return ""
    item = data[index]
    return chr(item) if isinstance(item, int) else item


def _prefilter_key(forms: Iterable[bytes]) -> tuple[frozenset[int], int]:
    """What a pre-filter depends on: the bytes the forms use and the shortest form's length.

    Instance UIDs change in every file but use only digits and dots, so files of
    one patient share a key (and the cached pre-filter) although their forms differ.
    """
    forms = tuple(forms)
    return frozenset(b"".join(forms)), min(map(len, forms), default=0)


@lru_cache(maxsize=64)
def _prefilter(used: frozenset[int], shortest: int) -> _Prefilter:
    return _Prefilter(used, shortest)


class _Prefilter:
    """Finds the stretches of a file where a form could match, so the regex skips the rest.

    Python's regex engine walks a file at several nanoseconds per byte even
    when nothing can match. Here ``bytes.translate`` flags the bytes that occur
    in some form (plus letters, digits and ``.``, so that a boundary check at a
    stretch's edge gives the same answer as in the whole file) and numpy keeps
    the runs of flagged bytes as long as the shortest form. In CT pixel data
    every other byte is a small high byte, so no run is long enough and only the
    header is left for the regex.
    """

    _GAP = 64  # stretches closer than this are searched as one, to save calls
    _SMALL = 4096  # below this, a plain search is cheaper than the numpy set-up
    _MAX_WINDOW = 8  # runs are tested over at most this many bytes

    def __init__(self, used: Iterable[int], shortest: int) -> None:
        """*used*: every byte value in some form; *shortest*: the shortest form's length (0: no forms)."""
        self.window = min(shortest, self._MAX_WINDOW)
        allowed = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.")
        allowed.update(used)
        allowed.update(bytes(used).upper())
        self.table = bytes(1 if byte in allowed else 0 for byte in range(256))
        # Runs of >= window flagged bytes contain a whole aligned word of this many bytes (window >= 2 * word - 1).
        self.word = 4 if self.window >= 7 else 2
        self.printable_only = all(0x20 <= byte <= 0x7E for byte in allowed)

    def spans(self, data: bytes) -> list[tuple[int, int]]:
        """Start and end offsets of the stretches of *data* worth searching."""
        k = self.window
        if not k or len(data) < k:
            return []
        if len(data) <= self._SMALL:
            return [(0, len(data))]
        if self.printable_only:
            return self._spans_in_printable_words(data)
        return self._exact_spans(data)

    def _spans_in_printable_words(self, data: bytes) -> list[tuple[int, int]]:
        """A cheap first cut for large data: only aligned words of printable ASCII can be inside a run.

        Every flagged byte is printable here, and a run of ``window`` flagged bytes
        holds a whole aligned ``word``; the runs are therefore inside the windows
        around clusters of all-printable words (a word's width of slack on each
        side catches a run's ragged ends), and the exact cut is made there only.
        In 16-bit pixel data there are usually no such words at all.
        """
        size = self.word
        words = np.frombuffer(data, dtype=f"<u{size}", count=len(data) // size)
        candidates = _printable_word_indices(words, size)
        if not candidates.size:
            return []
        cuts = np.flatnonzero(np.diff(candidates) > self._GAP)
        firsts = np.concatenate((candidates[:1], candidates[cuts + 1]))
        lasts = np.concatenate((candidates[cuts], candidates[-1:]))
        found: list[tuple[int, int]] = []
        for first, last in zip(firsts.tolist(), lasts.tolist(), strict=True):
            start, end = max(0, (first - 1) * size), min(len(data), (last + 2) * size)
            piece = data[start:end]
            spans = [(0, len(piece))] if len(piece) <= self._SMALL else self._exact_spans(piece)
            found += [(start + a, start + b) for a, b in spans]
        return found

    def _exact_spans(self, data: bytes) -> list[tuple[int, int]]:
        k = self.window
        if len(data) < k:
            return []
        flags = np.frombuffer(data.translate(self.table), dtype=np.bool_)
        runs = flags[: len(flags) - k + 1].copy()  # runs[i]: flags[i : i + k] all set
        for shift in range(1, k):
            runs &= flags[shift : len(flags) - k + 1 + shift]
        starts = np.flatnonzero(runs)
        if not starts.size:
            return []
        cuts = np.flatnonzero(np.diff(starts) > self._GAP + k)
        firsts = np.concatenate((starts[:1], starts[cuts + 1]))
        lasts = np.concatenate((starts[cuts], starts[-1:])) + k
        return list(zip(firsts.tolist(), lasts.tolist(), strict=True))


_HIGH_BITS = {2: 0x8080, 4: 0x80808080}
_LOW_SEVEN = {2: 0x7F7F, 4: 0x7F7F7F7F}
_PLUS_60 = {2: 0x6060, 4: 0x60606060}
_PLUS_01 = {2: 0x0101, 4: 0x01010101}
_LOWEST_PRINTABLE = {2: 0x2020, 4: 0x20202020}
_HIGHEST_PRINTABLE = {2: 0x7E7E, 4: 0x7E7E7E7E}


_CHUNK_WORDS = 32768  # 128 kB of words at a time: temporaries stay in L2 and never page-fault (65536: 4x slower)


def _printable_word_indices(words: np.ndarray, size: int) -> np.ndarray:
    """Indices of the words whose every byte is in 0x20..0x7E.

    A word of printable bytes, read as an unsigned number, lies between
    0x20..20 and 0x7E..7E; one subtraction (wrapping below the range) and one
    comparison rule out nearly all pixel data, whose high bytes are small. The
    exact per-byte test runs on the few words left.
    """
    kind = words.dtype.type
    lowest = kind(_LOWEST_PRINTABLE[size])
    span = kind(_HIGHEST_PRINTABLE[size] - _LOWEST_PRINTABLE[size])
    shifted = np.empty(min(len(words), _CHUNK_WORDS), dtype=words.dtype)
    in_range = np.empty(len(words), dtype=np.bool_)
    for start in range(0, len(words), _CHUNK_WORDS):
        chunk = words[start:start + _CHUNK_WORDS]
        part = shifted[:len(chunk)]
        np.subtract(chunk, lowest, out=part)
        np.less_equal(part, span, out=in_range[start:start + len(chunk)])
    candidates = np.flatnonzero(in_range)
    if not candidates.size:
        return candidates
    return candidates[_printable_words(words[candidates], size)]


def _printable_words(words: np.ndarray, size: int) -> np.ndarray:
    """True where every byte of the word is in 0x20..0x7E (SWAR: per-byte sums cannot carry over)."""
    kind = words.dtype.type
    high, low_seven = kind(_HIGH_BITS[size]), kind(_LOW_SEVEN[size])
    plus_60, plus_01 = kind(_PLUS_60[size]), kind(_PLUS_01[size])
    printable = np.empty(len(words), dtype=np.bool_)
    for start in range(0, len(words), _CHUNK_WORDS):
        chunk = words[start:start + _CHUNK_WORDS]
        low = chunk & low_seven
        result = low + plus_60  # bit 7 set where low >= 0x20
        result &= high
        ascii_bytes = np.invert(chunk)  # bit 7 set where the byte is < 0x80
        result &= ascii_bytes
        low += plus_01  # bit 7 set where low == 0x7F (DEL)
        np.invert(low, out=low)
        result &= low
        np.equal(result, high, out=printable[start:start + _CHUNK_WORDS])
    return printable


@lru_cache(maxsize=16384)
def byte_forms(form: str) -> tuple[bytes, ...]:
    """*form* as UTF-8 and latin-1 bytes, also with non-ASCII letters in capitals.

    The file is lowered with ``bytes.lower()``, which leaves non-ASCII bytes as
    they are, so "MÜLLER" in a file stays "mÜller": search that spelling too.
    """
    variants = {form, _ascii_lower(form.upper())}
    encoded: dict[bytes, None] = {}
    for variant in sorted(variants):
        for codec in ("utf-8", "latin-1"):
            try:
                encoded.setdefault(variant.encode(codec), None)
            except UnicodeEncodeError:
                continue
    return tuple(encoded)


def _ascii_lower(text: str) -> str:
    if text.isascii():
        return text.lower()
    return "".join(ch.lower() if ch.isascii() else ch for ch in text)
