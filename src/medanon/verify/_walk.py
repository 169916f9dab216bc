"""Visit every element of a dataset at every depth, file meta first, naming each by its tag path.

:func:`walk` converts every element (what :func:`~medanon.verify.collect_identifiers`
needs: keywords, VRs, decoded values). :func:`walk_texts` is the scan's faster
twin: converting an element costs pydicom ~15 us, so a text value whose raw
bytes are plain ASCII (no ISO 2022 escape) is handed over as those bytes, which
every DICOM character set decodes to the same characters; only the rest is
converted and decoded with the Specific Character Set in force.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import AnyStr, NamedTuple

from pydicom.datadict import dictionary_VR, keyword_for_tag
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.tag import BaseTag

from medanon.verify._keywords import TEXT_VRS

_ESC = b"\x1b"
# VRs that cannot hold text; anything unknown (UN, private, implicit) is converted and looked at.
_NO_TEXT_VRS = frozenset({"US", "SS", "UL", "SL", "UV", "SV", "FL", "FD", "OB", "OW", "OD", "OF", "OL", "OV",
                          "AT", "US or SS", "US or OW", "US or SS or OW", "OB or OW"})
_DT_DATE_TEXT = re.compile(r"(?:^|(?<=\\))([0-9]{8})(?=[0-9])")
_DT_DATE_BYTES = re.compile(_DT_DATE_TEXT.pattern.encode("ascii"))


@dataclass(frozen=True)
class Visit:
    """One element met on the walk; ``error`` is set instead when pydicom could not convert it.

    A text element whose raw bytes are plain ASCII is not converted (pydicom
    needs ~15 us for that): ``element`` is ``None`` and ``plain`` holds its VR
    and values, decoded the way pydicom would (split on backslashes where the
    VR is multi-valued, padding stripped).
    """

    path: str
    element: DataElement | None
    sequence: str
    error: Exception | None = None
    tag: int = 0
    plain: tuple[str, tuple[str, ...]] | None = None

    @property
    def vr(self) -> str:
        return self.plain[0] if self.plain is not None else (self.element.VR if self.element else "")

    @property
    def keyword(self) -> str:
        return self.element.keyword if self.element is not None else keyword_of(self.tag)

    @property
    def values(self) -> list[str]:
        if self.plain is not None:
            return list(self.plain[1])
        return text_values(self.element) if self.element is not None else []


class PlainVisit(NamedTuple):
    """A :class:`Visit` of a plain value read from bytes (``medanon.verify._plain``): lighter to make.

    It answers what :class:`Visit` answers for a visit whose ``plain`` is set.
    """

    path: str
    sequence: str
    tag: int
    vr: str
    values: tuple[str, ...]
    error: None = None

    @property
    def keyword(self) -> str:
        return keyword_of(self.tag)


@functools.lru_cache(maxsize=8192)
def keyword_of(tag: int) -> str:
    return keyword_for_tag(tag) if not (tag >> 16) & 1 else ""


@functools.lru_cache(maxsize=8192)
def tag_text(tag: int) -> str:
    """``(gggg,eeee)``, the way DICOM and medanon's records write a tag (cached: tags recur)."""
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


def walk_file(ds: Dataset, skip: Callable[[int, str | None], bool] | None = None) -> Iterator[Visit]:
    """File meta (if any), then the dataset, depth first; ``skip(tag, vr)`` may spare conversions."""
    meta = getattr(ds, "file_meta", None)
    if meta is not None:
        yield from walk(meta, skip=skip)
    yield from walk(ds, skip=skip)


def walk(ds: Dataset, prefix: str = "", sequence: str = "",
         skip: Callable[[int, str | None], bool] | None = None) -> Iterator[Visit]:
    """Depth-first visit of *ds*'s text-like elements and sequences; a failure to convert is reported.

    Elements whose VR carries no text (numbers, binary data) are not converted
    (pydicom would need ~15 us each) and not visited: no identifier lives there.
    """
    for tag in list(ds.keys()):
        raw = _as_stored(ds, tag)
        if isinstance(raw, RawDataElement):
            vr = _raw_vr(raw)
            if vr in _NO_TEXT_VRS or (skip is not None and skip(int(tag), vr)):
                continue
            if vr in TEXT_VRS and raw.value is not None and _plain_ascii(raw.value):
                yield Visit(prefix + tag_text(int(tag)), None, sequence, tag=int(tag),
                            plain=(vr, _plain_values(raw.value, vr)))
                continue
        path = prefix + tag_text(int(tag))
        try:
            element = ds[tag]
        except Exception as exc:  # pydicom raises many kinds on a corrupt value
            yield Visit(path, None, sequence, exc, tag=int(tag))
            continue
        yield Visit(path, element, sequence, tag=int(tag))
        if element.VR == "SQ" and element.value is not None:
            for index, item in enumerate(element.value):
                yield from walk(item, f"{path}[{index}]>", element.keyword, skip)


# Single-valued text VRs: a backslash there is part of the text (PS3.5 6.2).
_SINGLE_VALUED = frozenset({"LT", "ST", "UT", "UR"})


def _plain_values(value: bytes, vr: str) -> tuple[str, ...]:
    """Values of plain ASCII bytes as pydicom reports them: split where multi-valued, padding gone, no empties."""
    text = value.decode("ascii")
    if vr in _SINGLE_VALUED or "\\" not in text:
        text = text.strip(" \0")
        return (text,) if text else ()
    pieces = text.split("\\")
    stripped = (piece.strip(" \0") for piece in pieces)
    return tuple(piece for piece in stripped if piece)


def text_values(element: DataElement) -> list[str]:
    """The element's values as decoded strings (PN component groups included)."""
    value = element.value
    if value is None or value == "":
        return []
    if isinstance(value, MultiValue | list | tuple):
        return [str(item) for item in value if item is not None and str(item) != ""]
    return [str(value)]


class TextVisit(NamedTuple):
    """One text value met by :func:`walk_texts`: plain ASCII bytes, or decoded text, or an error.

    A named tuple, as :class:`PlainVisit`: the scan makes one per text element of every file.
    """

    path: str
    value: bytes | str | None
    error: Exception | None = None


def walk_texts(ds: Dataset, prefix: str = "") -> Iterator[TextVisit]:
    """Every text value of *ds* at every depth, converting only what must be decoded."""
    for tag in list(ds.keys()):
        path = prefix + tag_text(int(tag))
        stored = ds.get_item(tag, keep_deferred=True)
        if isinstance(stored, RawDataElement):
            vr = _raw_vr(stored)
            if vr in TEXT_VRS and stored.value is not None and _plain_ascii(stored.value):
                yield TextVisit(path, _date_apart(stored.value) if vr == "DT" else stored.value)
                continue
            if vr is not None and vr != "SQ" and vr not in TEXT_VRS:
                continue  # binary or numeric: the raw-byte scan covers it
        yield from _converted_texts(ds, tag, path)


def _converted_texts(ds: Dataset, tag: BaseTag, path: str) -> Iterator[TextVisit]:
    try:
        element = ds[tag]
    except Exception as exc:  # pydicom raises many kinds on a corrupt value
        yield TextVisit(path, None, exc)
        return
    if element.VR == "SQ" and element.value is not None:
        for index, item in enumerate(element.value):
            yield from walk_texts(item, f"{path}[{index}]>")
    elif element.VR in TEXT_VRS:
        text = "\\".join(text_values(element))
        yield TextVisit(path, _date_apart(text) if element.VR == "DT" else text)


def _as_stored(ds: Dataset, tag: BaseTag) -> DataElement | RawDataElement | None:
    """``ds.get_item(tag)`` without its per-call ``Tag()``: *tag* is the dataset's own key object.

    A raw element without a value (deferred) is converted by ``get_item``, as before.
    """
    element = ds._dict.get(tag)
    if isinstance(element, RawDataElement) and element.value is None:
        return ds.get_item(tag)  # type: ignore[return-value]
    return element


def _raw_vr(raw: RawDataElement) -> str | None:
    """The VR of an unconverted element; ``None`` when only conversion can tell (private, implicit)."""
    if raw.VR not in (None, "UN"):
        return raw.VR
    try:
        return str(dictionary_VR(raw.tag))
    except KeyError:
        return None


def _plain_ascii(value: bytes) -> bool:
    return value.isascii() and _ESC not in value


def _date_apart(value: AnyStr) -> AnyStr:
    """``20120820 120804`` for DT ``20120820120804``: the date's forms need a boundary after it."""
    if isinstance(value, bytes):
        return _DT_DATE_BYTES.sub(rb"\1 ", value)
    return _DT_DATE_TEXT.sub(r"\1 ", value)
