"""A second reading of an output file, element by element, without pydicom's data model.

The decoded look of the residual scan needs every text value of the file at
every depth. Building pydicom's Dataset for that costs more than everything
else the scan does, and the files medanon writes are plain: little endian,
one character set that is ASCII, latin-1 or UTF-8. This walker reads exactly
such files (tag, VR, length; into sequences and items of either length form;
over encapsulated pixel data) and steps aside, by returning ``None``, on
anything else: big endian, deflate, an unknown VR, a length past the end, a
character set inside a sequence item, bytes after the last element. The scan
then reads the file with pydicom as before, so unusual files lose nothing.

It shares no code with the writer it checks (``dicom/writer.py``).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from pydicom.datadict import dictionary_VR

from medanon.verify._keywords import TEXT_VRS
from medanon.verify._walk import TextVisit, _date_apart, tag_text

UNDEFINED = 0xFFFFFFFF
ITEM, ITEM_END, SEQUENCE_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
LONG_VRS = frozenset({b"OB", b"OD", b"OF", b"OL", b"OW", b"OV", b"SQ", b"UC", b"UR", b"UT", b"UN", b"SV", b"UV"})
SHORT_VRS = frozenset({b"AE", b"AS", b"AT", b"CS", b"DA", b"DS", b"DT", b"FL", b"FD", b"IS", b"LO", b"LT", b"PN",
                       b"SH", b"SL", b"SS", b"ST", b"TM", b"UI", b"UL", b"US"})
NOT_PLAIN_SYNTAXES = frozenset({"1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99"})
# Specific Character Set -> the codec pydicom decodes it with (PS3.3 C.12.1.1.2).
PLAIN_CHARSETS = {"": "latin_1", "ISO_IR 6": "latin_1", "ISO_IR 100": "latin_1", "ISO_IR 192": "utf_8"}
CHARSET_TAG, TRANSFER_SYNTAX_TAG = 0x00080005, 0x00020010
TOP_VALUES = frozenset({0x00020003, 0x00080018, 0x00120062})
_U16, _U32, _TAG = struct.Struct("<H"), struct.Struct("<L"), struct.Struct("<HH")


class _NotPlain(Exception):
    """The file is not one this walker reads; the scan falls back to pydicom."""


@dataclass
class PlainFile:
    """Text values at every depth, and the few top-level values the structural checks compare."""

    texts: list[TextVisit] = field(default_factory=list)
    top: dict[int, str] = field(default_factory=dict)


def read_plain(data: bytes) -> PlainFile | None:
    """Every text value of a plain little-endian PS3.10 file, or ``None`` to say "use pydicom"."""
    try:
        return _Reader(data).read()
    except (_NotPlain, struct.error, UnicodeDecodeError):
        return None


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.out = PlainFile()
        self.implicit = False
        self.codec = "latin_1"
        self.undecoded: list[tuple[str, bytes, bool]] = []

    def read(self) -> PlainFile:
        data = self.data
        if len(data) < 132 or data[128:132] != b"DICM":
            raise _NotPlain
        position = self._meta(132)
        syntax = self.out.top.pop(TRANSFER_SYNTAX_TAG, "")
        if not syntax.startswith("1.2.840.10008.1.2") or syntax in NOT_PLAIN_SYNTAXES:
            raise _NotPlain
        self.implicit = syntax == "1.2.840.10008.1.2"
        if self._elements(position, len(data), "", depth=0) != len(data):
            raise _NotPlain
        for path, value, is_datetime in self.undecoded:
            text = value.decode(self.codec).rstrip(" \0")
            self.out.texts.append(TextVisit(path, _date_apart(text) if is_datetime else text))
        return self.out

    def _meta(self, position: int) -> int:
        """The file meta group: always explicit VR little endian (PS3.10 7.1)."""
        while position + 8 <= len(self.data) and _U16.unpack_from(self.data, position)[0] == 0x0002:
            position = self._element(position, len(self.data), "", depth=0, implicit=False)
        if TRANSFER_SYNTAX_TAG not in self.out.top:
            raise _NotPlain
        return position

    def _elements(self, position: int, end: int, prefix: str, depth: int, until: int | None = None) -> int:
        """Elements from ``position`` to ``end`` (or to the delimiter ``until``); returns where they stop."""
        while position < end:
            if until is not None and self._tag(position) == until:
                return position + 8
            position = self._element(position, end, prefix, depth, self.implicit)
        if until is not None:
            raise _NotPlain  # a delimiter was owed
        return position

    def _tag(self, position: int) -> int:
        group, number = _TAG.unpack_from(self.data, position)
        return (group << 16) | number

    def _element(self, position: int, end: int, prefix: str, depth: int, implicit: bool) -> int:
        data = self.data
        tag = self._tag(position)
        if implicit:
            vr = _implicit_vr(tag)
            length, start = _U32.unpack_from(data, position + 4)[0], position + 8
        else:
            vr = data[position + 4:position + 6]
            if vr in LONG_VRS:
                length, start = _U32.unpack_from(data, position + 8)[0], position + 12
            elif vr in SHORT_VRS:
                length, start = _U16.unpack_from(data, position + 6)[0], position + 8
            else:
                raise _NotPlain
        path = prefix + tag_text(tag)
        if vr == b"UN":
            if length == UNDEFINED:
                raise _NotPlain  # a sequence in implicit VR inside an explicit file (PS3.5 6.2.2)
            vr = _implicit_vr(tag) or vr  # a public attribute stored as UN is still read as text
        if vr == b"SQ" or (length == UNDEFINED and vr is None and tag != 0x7FE00010):
            return self._sequence(start, length, end, path, depth)
        if length == UNDEFINED:
            if tag != 0x7FE00010:
                raise _NotPlain
            return self._fragments(start, end)
        stop = start + length
        if stop > end:
            raise _NotPlain
        if vr is not None and vr.decode("ascii") in TEXT_VRS:
            self._text(tag, vr, data[start:stop], path, depth)
        return stop

    def _text(self, tag: int, vr: bytes, value: bytes, path: str, depth: int) -> None:
        if tag == CHARSET_TAG:
            charset = value.decode("ascii").strip(" \0")
            if depth or charset not in PLAIN_CHARSETS:
                raise _NotPlain
            self.codec = PLAIN_CHARSETS[charset]
        if depth == 0 and tag in TOP_VALUES | {TRANSFER_SYNTAX_TAG}:
            self.out.top[tag] = value.decode("ascii").strip(" \0")
        if not value or b"\x1b" in value:
            if b"\x1b" in value:
                raise _NotPlain  # ISO 2022 escapes: pydicom's decoder knows them
            return
        if value.isascii():
            self.out.texts.append(TextVisit(path, _date_apart(value) if vr == b"DT" else value))
        else:
            self.undecoded.append((path, value, vr == b"DT"))

    def _sequence(self, start: int, length: int, end: int, path: str, depth: int) -> int:
        stop = end if length == UNDEFINED else start + length
        if stop > end:
            raise _NotPlain
        position, index = start, 0
        while position < stop:
            tag = self._tag(position)
            if tag == SEQUENCE_END and length == UNDEFINED:
                return position + 8
            if tag != ITEM:
                raise _NotPlain
            item_length = _U32.unpack_from(self.data, position + 4)[0]
            prefix = f"{path}[{index}]>"
            if item_length == UNDEFINED:
                position = self._elements(position + 8, stop, prefix, depth + 1, until=ITEM_END)
            else:
                item_end = position + 8 + item_length
                if item_end > stop:
                    raise _NotPlain
                position = self._elements(position + 8, item_end, prefix, depth + 1)
            index += 1
        if length == UNDEFINED or position != stop:
            raise _NotPlain
        return position

    def _fragments(self, position: int, end: int) -> int:
        """Encapsulated Pixel Data: items of defined length up to the sequence delimiter."""
        while position + 8 <= end:
            tag = self._tag(position)
            length = _U32.unpack_from(self.data, position + 4)[0]
            if tag == SEQUENCE_END:
                return position + 8
            if tag != ITEM or length == UNDEFINED or position + 8 + length > end:
                raise _NotPlain
            position += 8 + length
        raise _NotPlain


def _implicit_vr(tag: int) -> bytes | None:
    """The dictionary VR in an implicit-VR file; ``None`` (treated as binary) for private and unknown tags."""
    if tag >> 16 & 1:
        return None
    try:
        vr = dictionary_VR(tag)
    except KeyError:
        return None
    return vr.encode("ascii") if len(vr) == 2 else None
