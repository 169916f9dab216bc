"""A reading of PS3.10 files element by element, without pydicom's data model.

Building pydicom's Dataset costs more than everything else the residual scan
does, and most files are plain: little endian, one character set that is
ASCII, latin-1 or UTF-8. :class:`_Walker` reads exactly such files (tag, VR,
length; into sequences and items of either length form; over encapsulated
pixel data) and steps aside, by raising ``_NotPlain``, on anything else: big
endian, deflate, an unknown VR, a length past the end, a character set inside
a sequence item, tags out of order or repeated, bytes after the last element.
The caller then reads the file with pydicom, so unusual files lose nothing.

Two readers share it:

* :func:`read_plain` gives the scan every text value of an output file;
* :func:`read_input_visits` gives :func:`~medanon.verify.collect_identifiers_from_bytes`
  the same visits :func:`~medanon.verify._walk.walk_file` makes of the input's
  pydicom Dataset, value for value. Wherever pydicom's reading cannot be
  proven equal (see :class:`_InputReader`), it steps aside too.

It shares no code with the writer or the reader it checks (``dicom/``).
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Callable
from dataclasses import dataclass, field

from pydicom import config, hooks, uid
from pydicom.datadict import DicomDictionary, dictionary_VR, private_dictionary_VR

from medanon.verify._keywords import TEXT_VRS
from medanon.verify._walk import PlainVisit, TextVisit, _date_apart, _plain_values, tag_text

UNDEFINED = 0xFFFFFFFF
ITEM, ITEM_END, SEQUENCE_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
PIXEL_DATA_TAG, PIXEL_REPRESENTATION_TAG = 0x7FE00010, 0x00280103
LONG_VRS = frozenset({b"OB", b"OD", b"OF", b"OL", b"OW", b"OV", b"SQ", b"UC", b"UR", b"UT", b"UN", b"SV", b"UV"})
SHORT_VRS = frozenset({b"AE", b"AS", b"AT", b"CS", b"DA", b"DS", b"DT", b"FL", b"FD", b"IS", b"LO", b"LT", b"PN",
                       b"SH", b"SL", b"SS", b"ST", b"TM", b"UI", b"UL", b"US"})
_VR_NAME = {vr: vr.decode("ascii") for vr in LONG_VRS | SHORT_VRS}
IMPLICIT_SYNTAX = "1.2.840.10008.1.2"
NOT_PLAIN_SYNTAXES = frozenset({"1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99"})
# Specific Character Set -> the codec pydicom decodes it with (PS3.3 C.12.1.1.2).
PLAIN_CHARSETS = {"": "latin_1", "ISO_IR 6": "latin_1", "ISO_IR 100": "latin_1", "ISO_IR 192": "utf_8"}
CHARSET_TAG, TRANSFER_SYNTAX_TAG = 0x00080005, 0x00020010
TEXT_VR_BYTES = frozenset(vr.encode("ascii") for vr in TEXT_VRS)
TOP_VALUES = frozenset({0x00020003, 0x00080018, 0x00120062})
_U16, _U32, _TAG = struct.Struct("<H"), struct.Struct("<L"), struct.Struct("<HH")
_EXPLICIT_HEADER = struct.Struct("<HH2sH")  # tag, VR, and the 2-byte length of a short-VR element
_CAPITALS = range(0x41, 0x5B)


class _NotPlain(Exception):
    """The file is not one this walker reads; the caller falls back to pydicom."""


class _Scope:
    """One dataset being read: the file meta, the main dataset or a sequence item."""

    __slots__ = ("creators", "depth", "meta", "prefix", "sequence")

    def __init__(self, prefix: str, depth: int, sequence: str, meta: bool = False) -> None:
        self.prefix = prefix
        self.depth = depth
        self.sequence = sequence  # keyword of the enclosing sequence ("" at the top)
        self.meta = meta
        self.creators: dict[int, tuple[bytes | None, int, int]] = {}  # private creator tag -> VR, value span


class _Walker:
    """The structure of a plain little-endian PS3.10 file; :meth:`_value` says what each element is.

    Element values are never copied here: a subclass slices only the values it
    reads, so half a megabyte of pixel data costs nothing.
    """

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.implicit = False

    def walk(self) -> None:
        data = self.data
        if len(data) < 132 or data[128:132] != b"DICM":
            raise _NotPlain
        position, syntax = self._meta(132)
        if not syntax.startswith(IMPLICIT_SYNTAX) or syntax in NOT_PLAIN_SYNTAXES:
            raise _NotPlain
        self.implicit = syntax == IMPLICIT_SYNTAX
        if position < len(data):
            if _TAG.unpack_from(data, position)[0] < 0x0004:
                raise _NotPlain  # a command set: pydicom moves it behind the dataset
            if self.implicit and data[position + 4] in _CAPITALS and data[position + 5] in _CAPITALS:
                raise _NotPlain  # pydicom would take this implicit file for explicit VR
        if self._elements(position, len(data), _Scope("", 0, "")) != len(data):
            raise _NotPlain

    def _meta(self, position: int) -> tuple[int, str]:
        """The file meta group (always explicit VR little endian, PS3.10 7.1) and its transfer syntax."""
        self.syntax: str | None = None
        position = self._elements(position, len(self.data), _Scope("", 0, "", meta=True))
        if self.syntax is None:
            raise _NotPlain
        return position, self.syntax

    def _read_syntax(self, position: int) -> None:
        data = self.data
        if data[position + 4:position + 6] != b"UI":
            raise _NotPlain
        raw = data[position + 8:position + 8 + _U16.unpack_from(data, position + 6)[0]]
        if not raw.isascii() or b"\\" in raw:
            raise _NotPlain
        self.syntax = raw.decode("ascii").rstrip("\0 ")  # as pydicom reads a UI

    def _tag(self, position: int) -> int:
        group, number = _TAG.unpack_from(self.data, position)
        return (group << 16) | number

    def _elements(self, position: int, end: int, scope: _Scope, until: int | None = None) -> int:
        """Elements from ``position`` to ``end`` (or to the delimiter ``until``); returns where they stop.

        The file meta stops at the first element of another group. Tags must
        rise strictly: pydicom keeps a repeated tag once, which a reading in
        file order could not match.
        """
        data, meta, value = self.data, scope.meta, self._value
        implicit = self.implicit and not meta
        last = -1
        while position < end:
            if position + 8 > end:
                raise _NotPlain
            group, number, vr_read, length = _EXPLICIT_HEADER.unpack_from(data, position)  # one call, not three
            tag = (group << 16) | number
            if tag == until:
                return position + 8
            if tag <= last or tag >= 0xFFFE0000:
                raise _NotPlain  # out of order, repeated, or an item tag where an element belongs
            last = tag
            if meta:
                if group != 0x0002:
                    return position
                if tag == TRANSFER_SYNTAX_TAG:
                    self._read_syntax(position)
            vr: bytes | None
            if implicit:
                vr = None
                length, start = _U32.unpack_from(data, position + 4)[0], position + 8
            else:
                vr = vr_read
                if vr in SHORT_VRS:
                    start = position + 8
                elif vr in LONG_VRS:
                    length, start = _U32.unpack_from(data, position + 8)[0], position + 12
                else:
                    raise _NotPlain
            if start > end:
                raise _NotPlain
            position = value(tag, vr, length, start, end, scope)
        if until is not None:
            raise _NotPlain  # a delimiter was owed
        return position

    def _value(self, tag: int, vr: bytes | None, length: int, start: int, end: int, scope: _Scope) -> int:
        """Read one element's value (``vr`` is ``None`` in implicit VR); return where the next element starts."""
        raise NotImplementedError

    def _end_of(self, start: int, length: int, end: int) -> int:
        stop = start + length
        if length == UNDEFINED or stop > end:
            raise _NotPlain
        return stop

    def _sequence(self, start: int, length: int, end: int, path: str, scope: _Scope, keyword: str) -> int:
        """A sequence's items, each read as a dataset of its own; returns where the sequence ends."""
        stop = end if length == UNDEFINED else start + length
        if stop > end:
            raise _NotPlain
        position, index = start, 0
        while position < stop:
            if position + 8 > stop:
                raise _NotPlain
            tag = self._tag(position)
            if tag == SEQUENCE_END and length == UNDEFINED:
                return position + 8
            if tag != ITEM:
                raise _NotPlain
            item_length = _U32.unpack_from(self.data, position + 4)[0]
            item = _Scope(f"{path}[{index}]>", scope.depth + 1, keyword)
            if item_length == UNDEFINED:
                position = self._elements(position + 8, stop, item, until=ITEM_END)
            else:
                item_end = position + 8 + item_length
                if item_end > stop:
                    raise _NotPlain
                position = self._elements(position + 8, item_end, item)
            index += 1
        if length == UNDEFINED or position != stop:
            raise _NotPlain
        return position

    def _fragments(self, position: int, end: int) -> int:
        """Encapsulated Pixel Data: items of defined length up to the sequence delimiter.

        pydicom parses them the same way first (and only searches for the
        delimiter's bytes when this parse fails, where this walker steps aside).
        """
        while position + 8 <= end:
            tag = self._tag(position)
            length = _U32.unpack_from(self.data, position + 4)[0]
            if tag == SEQUENCE_END:
                return position + 8
            if tag != ITEM or length == UNDEFINED or position + 8 + length > end:
                raise _NotPlain
            position += 8 + length
        raise _NotPlain


# --- the scan's reading of output files -------------------------------------------------------------------------


@dataclass
class PlainFile:
    """Text values at every depth, and the few top-level values the structural checks compare."""

    texts: list[TextVisit] = field(default_factory=list)  # decoded (non-ASCII) values
    top: dict[int, str] = field(default_factory=dict)
    ascii_paths: list[str] = field(default_factory=list)  # plain-ASCII values, as their bytes, by path
    ascii_values: list[bytes] = field(default_factory=list)


def read_plain(data: bytes) -> PlainFile | None:
    """Every text value of a plain little-endian PS3.10 file, or ``None`` to say "use pydicom"."""
    try:
        return _TextReader(data).read()
    except (_NotPlain, struct.error, UnicodeDecodeError, IndexError):
        return None


class _TextReader(_Walker):
    """Every text value, ASCII ones as raw bytes; the rest decoded once the character set is known."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.out = PlainFile()
        self.codec = "latin_1"
        self.undecoded: list[tuple[str, bytes, bool]] = []

    def read(self) -> PlainFile:
        self.walk()
        for path, value, is_datetime in self.undecoded:
            text = value.decode(self.codec).rstrip(" \0")
            self.out.texts.append(TextVisit(path, _date_apart(text) if is_datetime else text))
        return self.out

    def _value(self, tag: int, vr: bytes | None, length: int, start: int, end: int, scope: _Scope) -> int:
        if vr is None:
            vr = _implicit_vr(tag)
        if vr == b"UN":
            if length == UNDEFINED:
                raise _NotPlain  # a sequence in implicit VR inside an explicit file (PS3.5 6.2.2)
            vr = _implicit_vr(tag) or vr  # a public attribute stored as UN is still read as text
        if vr == b"SQ" or (length == UNDEFINED and vr is None and tag != PIXEL_DATA_TAG):
            return self._sequence(start, length, end, scope.prefix + tag_text(tag), scope, "")
        if length == UNDEFINED:
            if tag != PIXEL_DATA_TAG:
                raise _NotPlain
            return self._fragments(start, end)
        stop = self._end_of(start, length, end)
        if vr in TEXT_VR_BYTES:  # the path is made only for the elements that need one
            self._text(tag, vr, self.data[start:stop], scope.prefix + tag_text(tag), scope.depth)  # type: ignore[arg-type]
        return stop

    def _text(self, tag: int, vr: bytes, value: bytes, path: str, depth: int) -> None:
        if tag == CHARSET_TAG:
            charset = value.decode("ascii").strip(" \0")
            if depth or charset not in PLAIN_CHARSETS:
                raise _NotPlain
            self.codec = PLAIN_CHARSETS[charset]
        if depth == 0 and tag in TOP_VALUES:
            self.out.top[tag] = value.decode("ascii").strip(" \0")
        if not value or b"\x1b" in value:
            if b"\x1b" in value:
                raise _NotPlain  # ISO 2022 escapes: pydicom's decoder knows them
            return
        if value.isascii():
            self.out.ascii_paths.append(path)
            self.out.ascii_values.append(_date_apart(value) if vr == b"DT" else value)
        else:
            self.undecoded.append((path, value, vr == b"DT"))


def _implicit_vr(tag: int) -> bytes | None:
    """The dictionary VR in an implicit-VR file; ``None`` (treated as binary) for private, unknown and
    ambiguous ("US or SS") tags."""
    vr = _dictionary_vr(tag)
    return vr.encode("ascii") if vr is not None and len(vr) == 2 else None


# --- the collector's reading of input files ---------------------------------------------------------------------

#: ``wanted(tag, vr, sequence)``: whether a text element can yield an identifier (or a vendor word).
Wanted = Callable[[int, str, str], bool]


def read_input_visits(data: bytes, wanted: Wanted) -> list[PlainVisit] | None:
    """The visits :func:`~medanon.verify._walk.walk_file` would make of ``dcmread(data)``, wanted ones only.

    ``None`` means "read it with pydicom": the file is not plain, or some
    element's reading by pydicom could not be proven equal to this one's.
    """
    if not _pydicom_reads_as_configured():
        return None
    try:
        return _InputReader(data, wanted).read()
    except (_NotPlain, struct.error, UnicodeDecodeError, IndexError):
        return None


def _pydicom_reads_as_configured() -> bool:
    """pydicom's reading settings that the proofs below assume (its defaults, and medanon's)."""
    return (config.settings.reading_validation_mode != config.RAISE
            and not config.datetime_conversion
            and config.replace_un_with_known_vr
            and not config.convert_wrong_length_to_UN
            and config.data_element_callback is None
            and hooks.hooks.raw_element_vr is hooks.raw_element_vr
            and hooks.hooks.raw_element_value is hooks.raw_element_value
            and not hooks.hooks.raw_element_kwargs
            and not uid.PrivateTransferSyntaxes)


# VRs pydicom decodes with the Specific Character Set; the others always as latin-1 (values.py).
_CHARSET_VRS = frozenset({"LO", "LT", "PN", "SH", "ST", "UC", "UT"})
_AMBIGUOUS_VRS = frozenset({"US or SS or OW", "US or SS", "US or OW", "OB or OW"})
_NUMBER_SIZES = {"FL": 4, "FD": 8, "SL": 4, "SS": 2, "UL": 4, "US": 2, "SV": 8, "UV": 8}
# Converted by pydicom without any error possible (bytes, tags, plain strings).
_HARMLESS_VRS = frozenset({"UN", "OB", "OW", "OD", "OF", "OL", "OV", "AT"})


class _InputReader(_Walker):
    """The input's text values as :func:`~medanon.verify._walk.walk` sees them, element for element.

    ``walk`` reads a text value one of two ways, and so does this reader:

    * plain ASCII without an escape, with a known VR: split and stripped by
      :func:`~medanon.verify._walk._plain_values`;
    * anything else is converted by pydicom: :func:`_converted_values` repeats
      its conversion for the VRs and character sets it can prove, and steps
      aside (``_NotPlain``) on every other case: an escape, a decoding error,
      DS and IS, a private attribute whose VR pydicom takes from its private
      dictionary and whose conversion may fail, an ambiguous VR, a Specific
      Character Set in an item or after a value it would have decoded.
    """

    def __init__(self, data: bytes, wanted: Wanted) -> None:
        super().__init__(data)
        self.wanted = wanted
        self.visits: list[PlainVisit] = []
        self.codec = "latin_1"
        self.codec_settled = False  # something already depended on the dataset's character set

    def read(self) -> list[PlainVisit]:
        self.walk()
        return self.visits

    def _value(self, tag: int, vr: bytes | None, length: int, start: int, end: int, scope: _Scope) -> int:
        if tag >> 16 & 1 and 0x10 <= tag & 0xFFFF <= 0xFF:
            scope.creators[tag] = (vr, start, start + length)
        if vr is None:
            name = _dictionary_vr(tag)
            if name is None:
                return self._unresolved(tag, length, start, end, scope)
            if length == 0 and name in _AMBIGUOUS_VRS:
                raise _NotPlain  # pydicom converts it and resolves the VR from other attributes
        else:
            name = _VR_NAME[vr]
            if name == "UN":
                dictionary = _dictionary_vr(tag)
                if dictionary is None:
                    return self._unresolved(tag, length, start, end, scope)
                if length >= 0xFFFF or dictionary == "SQ" or dictionary in _AMBIGUOUS_VRS:
                    raise _NotPlain  # pydicom keeps UN, parses an implicit sequence, or resolves the VR
                name = dictionary
        if tag == CHARSET_TAG:
            self._charset(name, length, start, end, scope)
        elif tag == PIXEL_REPRESENTATION_TAG and (name != "US" or length % 2):
            raise _NotPlain  # pydicom converts it whenever it converts a sequence beside it
        if name == "SQ":
            return self._read_sequence(tag, length, start, end, scope, _sequence_keyword(tag))
        if length == UNDEFINED:
            if tag != PIXEL_DATA_TAG:
                raise _NotPlain
            return self._fragments(start, end)
        stop = start + length
        if stop > end:
            raise _NotPlain
        if name in TEXT_VRS and self.wanted(tag, name, scope.sequence):
            self._visit(tag, name, self.data[start:stop], scope, converted=False)
        return stop

    def _unresolved(self, tag: int, length: int, start: int, end: int, scope: _Scope) -> int:
        """A private or unknown attribute without a VR (implicit VR, or UN): pydicom decides its VR late."""
        if length == UNDEFINED:
            if self.implicit and start + 4 <= end and self._tag(start) == ITEM:
                return self._read_sequence(tag, length, start, end, scope, "")  # pydicom looks ahead for items
            raise _NotPlain
        stop = self._end_of(start, length, end)
        if not tag >> 16 & 1:  # public but unknown: pydicom reads UN (UL for a group length in implicit VR)
            if self.implicit and not tag & 0xFFFF and length % 4:
                raise _NotPlain
            return stop
        if tag & 0xFF00 == 0:
            return stop  # a private creator (read as LO, no identifier without a keyword) or invalid: UN
        name = self._private_vr(tag, scope)
        if name in _HARMLESS_VRS:
            return stop
        if name in _NUMBER_SIZES:
            if length % _NUMBER_SIZES[name]:
                raise _NotPlain  # pydicom raises on a number of the wrong length
            return stop
        if name == "SQ" and self.implicit:
            return self._read_sequence(tag, length, start, end, scope, "")
        if name in TEXT_VRS and name not in ("DS", "IS"):
            if self.wanted(tag, name, scope.sequence):
                self._visit(tag, name, self.data[start:stop], scope, converted=True)
            return stop
        raise _NotPlain

    def _private_vr(self, tag: int, scope: _Scope) -> str:
        """The VR pydicom gives a private attribute it has no VR for: from its private dictionary, else UN."""
        creator_tag = (tag & 0xFFFF0000) | (tag & 0xFF00) >> 8
        found = scope.creators.get(creator_tag)
        if found is None:
            return "UN"
        vr, start, stop = found
        raw = self.data[start:stop]
        if vr not in (None, b"LO", b"UN") or not raw.isascii() or b"\\" in raw or b"\x1b" in raw:
            raise _NotPlain
        return _private_dictionary_vr(tag, raw.decode("ascii").rstrip("\0 "))

    def _charset(self, name: str, length: int, start: int, end: int, scope: _Scope) -> None:
        if scope.depth or scope.meta or name not in TEXT_VRS or length == UNDEFINED:
            raise _NotPlain
        raw = self.data[start:self._end_of(start, length, end)]
        if not raw.isascii():
            raise _NotPlain
        codec = PLAIN_CHARSETS.get(raw.decode("ascii").rstrip(" \0"))
        if codec is None or (codec != self.codec and self.codec_settled):
            raise _NotPlain
        self.codec = codec

    def _read_sequence(self, tag: int, length: int, start: int, end: int, scope: _Scope, keyword: str) -> int:
        if scope.meta:
            raise _NotPlain
        self.codec_settled = True  # items read before the character set would keep the default one
        return self._sequence(start, length, end, scope.prefix + tag_text(tag), scope, keyword)

    def _visit(self, tag: int, vr: str, value: bytes, scope: _Scope, converted: bool) -> None:
        if not converted and value.isascii() and b"\x1b" not in value:
            values = _plain_values(value, vr)
        else:
            codec = "latin_1"
            if vr in _CHARSET_VRS and not scope.meta:
                codec, self.codec_settled = self.codec, True
            values = _converted_values(value, vr, codec)
        self.visits.append(PlainVisit(scope.prefix + tag_text(tag), scope.sequence, tag, vr, values))


def _converted_values(value: bytes, vr: str, codec: str) -> tuple[str, ...]:
    """A text value as pydicom's converters give it (``pydicom.values``) and ``text_values`` lists it.

    Leading spaces stay (only AE strips them); trailing spaces and NULs go;
    multi-valued VRs split on backslashes; PN loses empty trailing component
    groups; empty values are dropped.
    """
    if b"\x1b" in value or vr in ("DS", "IS"):
        raise _NotPlain  # ISO 2022 escapes; numbers pydicom may fail to convert
    text = value.decode(codec)
    if vr == "PN":
        pieces = [piece.rstrip("=") for piece in text.rstrip("\0 ").split("\\")]
    elif vr in ("LO", "SH", "UC"):
        pieces = [piece.rstrip("\0 ") for piece in text.split("\\")]
    elif vr in ("LT", "ST", "UT"):
        pieces = [text.rstrip("\0 ")]
    elif vr == "AE":
        pieces = [piece.strip() for piece in text.split("\\")]
    elif vr == "UR":
        pieces = [text.rstrip()]
    else:  # AS, CS, DA, DT, TM, UI
        pieces = text.rstrip(" \0").split("\\")
    return tuple(piece for piece in pieces if piece)


@functools.lru_cache(maxsize=8192)
def _dictionary_vr(tag: int) -> str | None:
    """pydicom's dictionary VR of a public tag (repeating groups included); ``None`` for private or unknown."""
    if tag >> 16 & 1:
        return None
    try:
        return str(dictionary_VR(tag))
    except KeyError:
        return None


@functools.lru_cache(maxsize=4096)
def _sequence_keyword(tag: int) -> str:
    """``DataElement.keyword`` of a sequence: its keyword in the main dictionary, else ``""``."""
    entry = DicomDictionary.get(tag)
    return entry[4] if entry is not None else ""


@functools.lru_cache(maxsize=4096)
def _private_dictionary_vr(tag: int, creator: str) -> str:
    try:
        return str(private_dictionary_VR(tag, creator))
    except KeyError:
        return "UN"
