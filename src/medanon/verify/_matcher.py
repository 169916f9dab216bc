"""One compiled regular expression per set of identifiers, for bytes and for decoded text.

Searching each form in a Python loop costs one pass over the file per form;
a single alternation costs one pass in C. The alternation is built as a trie
(``d(?:ix...|oe(?:^jane...|...))``) so that at each byte the regex engine
tries one branch per distinct next character instead of every form.

Boundaries sit at each form's end, as fixed-width look-behinds over the whole
form, so that every branch starts with a literal character: a match is not preceded or
followed by an ASCII letter or digit (except ISO 8601's ``T`` between a date
and a time), and a form that starts or ends with a digit is not part of a
longer dotted number (UID ``1.2.3`` inside ``1.2.3.4``). Longer continuations
are tried before a form ends, so the longest form wins.

Even so, Python's engine needs a few nanoseconds per byte, too slow for half
a megabyte of pixels per file; a pre-filter (:class:`_Prefilter`) first cuts
a file down to the stretches where a form could match at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from medanon.verify.model import Identifier

_END = ""  # trie key marking "a form ends here"
_DIGITS = "0123456789"
Trie = dict[str, "Trie | str"]


@dataclass(frozen=True)
class Hit:
    """Where one form of one identifier was found."""

    offset: int
    identifier: Identifier
    form_index: int


class Matcher:
    """Finds every form of a set of identifiers in raw bytes or in decoded text; it lower-cases."""

    def __init__(self, identifiers: Iterable[Identifier]) -> None:
        self._text_lookup: dict[str, tuple[Identifier, int]] = {}
        self._byte_lookup: dict[bytes, tuple[Identifier, int]] = {}
        for identifier in identifiers:
            for index, form in enumerate(identifier.forms):
                self._text_lookup.setdefault(form, (identifier, index))
                for encoded in byte_forms(form):
                    self._byte_lookup.setdefault(encoded, (identifier, index))
        self._text = _compile_text(self._text_lookup)
        self._bytes = _compile_bytes(self._byte_lookup)
        self._prefilter = _Prefilter(self._byte_lookup)

    def search_file(self, data: bytes) -> Iterator[Hit]:
        """Hits in a whole file, offsets into *data*; only stretches that could match are searched."""
        for start, end in self._prefilter.spans(data):
            for hit in self.search_bytes(data[start:end]):
                yield Hit(start + hit.offset, hit.identifier, hit.form_index)

    def search_bytes(self, data: bytes) -> Iterator[Hit]:
        """Hits in *data* after ``bytes.lower()`` (which lowers ASCII only; see :func:`byte_forms`)."""
        if self._bytes is None:
            return
        for match in self._bytes.finditer(data.lower()):
            yield Hit(match.start(), *self._byte_lookup[match.group()])

    def search_text(self, text: str) -> Iterator[Hit]:
        """Hits in decoded *text* after ``str.lower()``."""
        if self._text is None:
            return
        for match in self._text.finditer(text.lower()):
            yield Hit(match.start(), *self._text_lookup[match.group()])


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

    def __init__(self, forms: Iterable[bytes]) -> None:
        forms = list(forms)
        self.window = min(min((len(form) for form in forms), default=0), self._MAX_WINDOW)
        allowed = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.")
        for form in forms:
            allowed.update(form)
            allowed.update(form.upper())
        self.table = bytes(1 if byte in allowed else 0 for byte in range(256))

    def spans(self, data: bytes) -> list[tuple[int, int]]:
        """Start and end offsets of the stretches of *data* worth searching."""
        k = self.window
        if not k or len(data) < k:
            return []
        if len(data) <= self._SMALL:
            return [(0, len(data))]
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


def byte_forms(form: str) -> list[bytes]:
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
    return list(encoded)


def _ascii_lower(text: str) -> str:
    return "".join(ch.lower() if ch.isascii() else ch for ch in text)


def _compile_text(forms: Iterable[str]) -> re.Pattern[str] | None:
    pattern = trie_pattern(forms)
    return re.compile(pattern) if pattern else None


def _compile_bytes(forms: Iterable[bytes]) -> re.Pattern[bytes] | None:
    # latin-1 maps each byte to one character and back, so a str trie serves bytes too
    pattern = trie_pattern(form.decode("latin-1") for form in forms)
    return re.compile(pattern.encode("latin-1"), re.DOTALL) if pattern else None


def trie_pattern(forms: Iterable[str]) -> str:
    """A regex source matching any of *forms* with boundaries, longest first; "" if none."""
    root: Trie = {}
    for form in forms:
        node = root
        for ch in form:
            child = node.setdefault(ch, {})
            assert isinstance(child, dict)
            node = child
        node[_END] = form
    return _emit(root) if root else ""


def _emit(node: Trie) -> str:
    branches: list[str] = []
    for key in sorted(k for k in node if k != _END):
        literal, child = _chain(key, node[key])
        branches.append(re.escape(literal) + _emit(child))
    end = node.get(_END)
    if isinstance(end, str):
        branches.append(_boundary(end))  # after the longer forms, so the longest wins
    if len(branches) == 1:
        return branches[0]
    return "(?:" + "|".join(branches) + ")"


def _chain(key: str, child: Trie | str) -> tuple[str, Trie]:
    """Follow single-child nodes, so recursion happens at branches, not at every character."""
    literal = [key]
    assert isinstance(child, dict)
    while len(child) == 1 and _END not in child:
        ((key, child),) = child.items()
        assert isinstance(child, dict)
        literal.append(key)
    return "".join(literal), child


def _boundary(form: str) -> str:
    escaped = re.escape(form)
    checks = [f"(?<![a-z0-9]{escaped})"]
    if form[0] in _DIGITS:
        checks.append(f"(?<![0-9]\\.{escaped})")
    if form[-1] in _DIGITS:
        # a number may be followed by ISO 8601's time designator ("1961-03-04T10:30"), not by more of itself
        checks += ["(?!(?!t[0-9])[a-z0-9])", "(?!\\.[0-9])"]
    else:
        checks.append("(?![a-z0-9])")
    return "".join(checks)
