"""An ordinary PS3.10 file read as byte ranges: the element tree the byte engine cleans.

pydicom builds a Dataset of objects for every element (about 0.4 ms for a CT
header); the header path needs only where each element's value lies. This
reader records that for ordinary files (preamble, explicit VR little endian
file meta and dataset, native or encapsulated pixel data, one character set
for the whole file) and raises :class:`NotPlain` on anything else, so that
the caller reads the file the reference way (``dicom.read``), whose strict
checks give damaged input its one-line reason.

It accepts nothing ``dicom.read`` would refuse: every length is checked
against its container, every VR is one PS3.5 defines, the transfer syntax
is a known one, and native Pixel Data must hold the frames its header describes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import NamedTuple

from pydicom.uid import UID

UNDEFINED = 0xFFFFFFFF
ITEM, ITEM_END, SEQUENCE_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
PIXEL_DATA = 0x7FE00010
LONG_VRS = frozenset({"OB", "OD", "OF", "OL", "OW", "OV", "SQ", "UC", "UR", "UT", "SV", "UV"})
SHORT_VRS = frozenset({"AE", "AS", "AT", "CS", "DA", "DS", "DT", "FL", "FD", "IS", "LO", "LT", "PN",
                       "SH", "SL", "SS", "ST", "TM", "UI", "UL", "US"})
EXPLICIT_LITTLE = "1.2.840.10008.1.2.1"
# Encapsulated syntaxes share explicit VR little endian for everything but Pixel Data's fragments.
ENCAPSULATED_PREFIXES = ("1.2.840.10008.1.2.4.", "1.2.840.10008.1.2.5")
NATIVE_CHECKED_ANYWAY = "1.2.840.10008.1.2.4.100"  # dicom.read checks its length as if native
SEQUENCE_END_BYTES = struct.pack("<HHL", 0xFFFE, 0xE0DD, 0)
_HEADER = struct.Struct("<HH2sH")  # tag, VR, and the 2-byte length of a short-VR element
_VR_TEXT = {vr.encode("ascii"): vr for vr in SHORT_VRS | LONG_VRS}
_U16, _U32 = struct.Struct("<H"), struct.Struct("<L")
# Image description read to check native Pixel Data's length, as dicom.read does.
_IMAGE_TAGS = {0x00280010: "rows", 0x00280011: "columns", 0x00280002: "samples", 0x00280100: "bits"}
_NUMBER_OF_FRAMES = 0x00280008


class NotPlain(Exception):
    """Not a file this reader vouches for; read it the reference way."""


class Element(NamedTuple):
    """One element: where it starts and ends, where its value lies, and its items if it is a sequence.

    For an undefined length, ``value_end`` is where the delimiter starts and
    ``end`` is past it.
    """

    tag: int
    vr: str
    start: int
    value_start: int
    value_end: int
    end: int
    undefined: bool = False
    items: list[list[Element]] | None = None


@dataclass(slots=True)
class PlainFile:
    """The file's bytes, its file meta and dataset elements (ascending tags), its transfer syntax."""

    data: bytes
    meta: list[Element]
    elements: list[Element]
    syntax: str
    _index: dict[int, Element] | None = None

    def value(self, element: Element) -> bytes:
        return self.data[element.value_start:element.value_end]

    def index(self) -> dict[int, Element]:
        """File meta and top-level elements by tag (made once)."""
        if self._index is None:
            self._index = {element.tag: element for element in (*self.meta, *self.elements)}
        return self._index


def read_plain(data: bytes) -> PlainFile:
    """The element tree of an ordinary PS3.10 file.

    Raises
    ------
    NotPlain
        The file is not one this reader covers, or is damaged: the caller
        reads it with ``dicom.read``, which explains what is wrong.
    """
    if len(data) < 132 or data[128:132] != b"DICM":
        raise NotPlain("no PS3.10 preamble")
    reader = _Reader(data)
    meta, position = reader.meta(132)
    syntax = _syntax(data, meta)
    elements, position = reader.level(position, len(data), until=None)
    if position != len(data):
        raise NotPlain("bytes after the last element")
    plain = PlainFile(data, meta, elements, syntax)
    if not syntax.startswith(ENCAPSULATED_PREFIXES) or syntax == NATIVE_CHECKED_ANYWAY:
        _check_native_pixels(plain)
    return plain


def _syntax(data: bytes, meta: list[Element]) -> str:
    for element in meta:
        if element.tag == 0x00020010:
            syntax = data[element.value_start:element.value_end].decode("ascii", "replace").strip(" \0")
            if syntax == EXPLICIT_LITTLE or (syntax.startswith(ENCAPSULATED_PREFIXES)
                                             and UID(syntax).is_transfer_syntax):
                return syntax
            raise NotPlain(f"transfer syntax {syntax!r}")
    raise NotPlain("no transfer syntax")


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def meta(self, position: int) -> tuple[list[Element], int]:
        elements: list[Element] = []
        while position + 8 <= len(self.data) and _U16.unpack_from(self.data, position)[0] == 0x0002:
            element = self.element(position, len(self.data))
            if element.items is not None or element.undefined:
                raise NotPlain("a sequence in the file meta")
            elements.append(element)
            position = element.end
        return elements, position

    def level(self, position: int, end: int, until: int | None) -> tuple[list[Element], int]:
        """Elements from ``position`` to ``end``, or to the item delimiter; ascending tags only."""
        elements: list[Element] = []
        previous = -1
        data = self.data
        while position < end:
            if end - position < 8:
                raise NotPlain("a partial element")
            group, number = struct.unpack_from("<HH", data, position)
            tag = group << 16 | number
            if until is not None and tag == until:
                return elements, position + 8
            if tag <= previous:
                raise NotPlain("tags out of order or repeated")
            element = self.element(position, end)
            elements.append(element)
            previous, position = tag, element.end
        if until is not None:
            raise NotPlain("an item delimiter is missing")
        return elements, position

    def element(self, position: int, end: int) -> Element:
        data = self.data
        group, number, vr_bytes, length = _HEADER.unpack_from(data, position)
        tag = group << 16 | number
        vr = _VR_TEXT.get(vr_bytes) or vr_bytes.decode("latin_1")
        if vr in SHORT_VRS:
            start = position + 8
        elif vr in LONG_VRS:
            if data[position + 6:position + 8] != b"\0\0":
                raise NotPlain("reserved bytes are not zero")  # the writer would not copy them
            length, start = _U32.unpack_from(data, position + 8)[0], position + 12
        else:
            raise NotPlain(f"VR {vr!r}")  # UN and unknown VRs: dicom.read's rules apply
        if vr == "SQ":
            return self.sequence(tag, position, start, length, end)
        if length == UNDEFINED:
            if tag != PIXEL_DATA or vr not in ("OB", "OW"):
                raise NotPlain("an undefined length outside Pixel Data")
            return self.fragments(tag, vr, position, start, end)
        stop = start + length
        if stop > end:
            raise NotPlain("a length past its container")
        return Element(tag, vr, position, start, stop, stop)

    def sequence(self, tag: int, position: int, start: int, length: int, end: int) -> Element:
        undefined = length == UNDEFINED
        stop = end if undefined else start + length
        if stop > end:
            raise NotPlain("a sequence past its container")
        items: list[list[Element]] = []
        cursor = start
        while cursor < stop:
            if stop - cursor < 8:
                raise NotPlain("a partial item")
            item_tag = struct.unpack_from("<HH", self.data, cursor)
            item_tag_int = item_tag[0] << 16 | item_tag[1]
            if undefined and item_tag_int == SEQUENCE_END:
                return Element(tag, "SQ", position, start, cursor, cursor + 8, True, items)
            if item_tag_int != ITEM:
                raise NotPlain("not an item inside a sequence")
            item_length = _U32.unpack_from(self.data, cursor + 4)[0]
            if item_length == UNDEFINED:
                elements, cursor = self.level(cursor + 8, stop, until=ITEM_END)
            else:
                item_end = cursor + 8 + item_length
                if item_end > stop:
                    raise NotPlain("an item past its sequence")
                elements, cursor = self.level(cursor + 8, item_end, until=None)
            items.append(elements)
        if undefined:
            raise NotPlain("a sequence delimiter is missing")
        return Element(tag, "SQ", position, start, stop, stop, False, items)

    def fragments(self, tag: int, vr: str, position: int, start: int, end: int) -> Element:
        """Encapsulated Pixel Data, ending where pydicom ends it: at the first sequence delimiter's bytes."""
        cursor = start
        while cursor + 8 <= end:
            fragment_tag = struct.unpack_from("<HH", self.data, cursor)
            length = _U32.unpack_from(self.data, cursor + 4)[0]
            if fragment_tag == (0xFFFE, 0xE0DD):
                if length != 0 or self.data.find(SEQUENCE_END_BYTES[:4], start) != cursor:
                    raise NotPlain("a delimiter pydicom would read otherwise")
                return Element(tag, vr, position, start, cursor, cursor + 8, True)
            if fragment_tag != (0xFFFE, 0xE000) or length == UNDEFINED or cursor + 8 + length > end:
                raise NotPlain("a damaged fragment")
            cursor += 8 + length
        raise NotPlain("encapsulated Pixel Data without its delimiter")


def _check_native_pixels(plain: PlainFile) -> None:
    """Native Pixel Data must hold every frame its header describes (as ``dicom.read`` demands)."""
    pixels = next((e for e in plain.elements if e.tag == PIXEL_DATA), None)
    if pixels is None:
        return
    numbers: dict[str, int] = {"samples": 1, "frames": 1}
    for element in plain.elements:
        name = _IMAGE_TAGS.get(element.tag)
        if name is not None and element.vr == "US" and element.value_end - element.value_start == 2:
            numbers[name] = _U16.unpack_from(plain.data, element.value_start)[0]
        elif element.tag == _NUMBER_OF_FRAMES:
            text = plain.value(element).decode("ascii", "replace").strip(" \0")
            if not text.isdigit():
                raise NotPlain("a Number of Frames that is not a plain number")
            numbers["frames"] = int(text) or 1
    if not {"rows", "columns", "bits"} <= numbers.keys():
        raise NotPlain("an incomplete image description")
    expected = (numbers["rows"] * numbers["columns"] * numbers["samples"] * numbers["frames"]
                * numbers["bits"] + 7) // 8
    if pixels.value_end - pixels.value_start < expected:
        raise NotPlain("Pixel Data shorter than its image")
