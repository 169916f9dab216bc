"""Encoding a de-identified dataset as PS3.10 bytes, fast where that is safe.

pydicom's ``dcmwrite`` is the reference and is used whenever anything is
unusual. It spends most of its time on elements the engine carried over
unchanged (a header of ~100 elements costs ~2 ms), yet those are raw bytes
that only need a tag, a VR and a length in front of them. This module writes
those directly and hands every element medanon created to pydicom's own
``write_data_element``, so value encoding (character sets, padding, numbers)
stays pydicom's. ``tests/dicom/test_writer.py`` holds the output to be byte
for byte what ``dcmwrite(enforce_file_format=True)`` writes.
"""

from __future__ import annotations

import io
import struct

from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_data_element, write_file_meta_info
from pydicom.multival import MultiValue
from pydicom.uid import UID, DeflatedExplicitVRLittleEndian, ExplicitVRBigEndian, ImplicitVRLittleEndian

from medanon.dicom._elements import stored, tags_in_order

UNDEFINED_LENGTH = 0xFFFFFFFF
LONG_LENGTH_VRS = frozenset({"OB", "OD", "OF", "OL", "OW", "OV", "SQ", "UC", "UR", "UT", "UN", "SV", "UV"})
ITEM = struct.pack("<HH", 0xFFFE, 0xE000)
ITEM_DELIMITER = struct.pack("<HHL", 0xFFFE, 0xE00D, 0)
SEQUENCE_DELIMITER = struct.pack("<HHL", 0xFFFE, 0xE0DD, 0)
REQUIRED_META = ("MediaStorageSOPClassUID", "MediaStorageSOPInstanceUID")
# What write_file_meta_info(enforce_standard=True) would add or refuse if absent: with all of them
# present it only writes the group length and the elements, which _encode_meta does for less.
COMPLETE_META = frozenset({0x00020001, 0x00020002, 0x00020003, 0x00020010, 0x00020012})
SMALL_BYTES = 64  # short byte values (the meta version) are worth remembering encoded; pixels are not
PLAIN_TYPES = (str, int, float, UID)
CACHE_LIMIT = 4096
_ENCODED: dict[tuple, bytes] = {}
NOT_FAST = frozenset({str(ExplicitVRBigEndian), str(DeflatedExplicitVRLittleEndian)})


class _Unusual(Exception):
    """Something the fast encoder leaves to pydicom (the whole file then goes the reference way)."""


def encode_file(ds: Dataset) -> bytes:
    """PS3.10 bytes of ``ds`` (preamble, file meta, dataset) in its file meta's transfer syntax."""
    return b"".join(encode_parts(ds))


def encode_parts(ds: Dataset) -> list[bytes]:
    """:func:`encode_file` as consecutive pieces, so a writer need not copy Pixel Data into one buffer."""
    meta = getattr(ds, "file_meta", None)
    syntax = str(meta.get("TransferSyntaxUID", "")) if meta is not None else ""
    if meta is not None and syntax and syntax not in NOT_FAST and all(k in meta for k in REQUIRED_META):
        try:
            return _fast_parts(ds, implicit=syntax == str(ImplicitVRLittleEndian))
        except _Unusual:
            pass
    return [_reference_file(ds)]


def _reference_file(ds: Dataset) -> bytes:
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def _fast_parts(ds: Dataset, implicit: bool) -> list[bytes]:
    parts = [getattr(ds, "preamble", None) or b"\x00" * 128, b"DICM", *_encode_meta(ds.file_meta)]
    _encode_dataset(ds, parts, implicit, "iso8859")
    return parts


def _encode_meta(meta: FileMetaDataset) -> list[bytes]:
    """Group 2 as explicit VR little endian behind its group length (PS3.10 7.1).

    pydicom's ``write_file_meta_info`` costs about a third of encoding a whole
    header; for a complete meta it writes exactly this, so an incomplete one is
    left to it.
    """
    if not COMPLETE_META.issubset(meta.keys()):
        buffer = DicomBytesIO()
        buffer.is_little_endian, buffer.is_implicit_VR = True, False
        write_file_meta_info(buffer, meta, enforce_standard=True)
        return [buffer.getvalue()]
    body: list[bytes] = []
    for tag in tags_in_order(meta):
        if tag == 0x00020000:
            continue
        element = stored(meta, tag)
        if isinstance(element, RawDataElement):
            _encode_raw(element, body, implicit=False)
        else:
            body.append(_by_pydicom(element, False, "iso8859"))
    return [struct.pack("<HH2sHL", 0x0002, 0x0000, b"UL", 4, sum(map(len, body))), *body]


def _encode_dataset(ds: Dataset, parts: list[bytes], implicit: bool, parent_encoding: str | list[str]) -> None:
    re_encodes = ds.original_encoding != (implicit, True) or ds.original_character_set != ds._character_set
    if re_encodes and any(_needs_correcting(stored(ds, tag)) for tag in ds.keys()):
        raise _Unusual  # pydicom would re-encode raw values or resolve ambiguous VRs here
    encodings = ds.get("SpecificCharacterSet", parent_encoding)
    for tag in tags_in_order(ds):
        if tag & 0xFFFF == 0 and tag >> 16 > 6:
            continue  # retired group lengths are not written (PS3.5 7.2), as pydicom does
        element = stored(ds, tag)
        if isinstance(element, RawDataElement):
            _encode_raw(element, parts, implicit)
        elif element.VR == "SQ":
            _encode_sequence(element, parts, implicit, encodings)
        else:
            parts.append(_by_pydicom(element, implicit, encodings))


def _needs_correcting(element: DataElement | RawDataElement) -> bool:
    return isinstance(element, RawDataElement) or not element.VR or len(element.VR) != 2


def _encode_raw(element: RawDataElement, parts: list[bytes], implicit: bool) -> None:
    vr, value = element.VR, element.value or b""
    undefined = element.length == UNDEFINED_LENGTH
    if vr == "SQ" or (not implicit and (not vr or len(vr) != 2)):
        raise _Unusual
    length = UNDEFINED_LENGTH if undefined else len(value)
    parts.append(_header(element.tag, vr, length, implicit))
    parts.append(value)
    if undefined:
        parts.append(SEQUENCE_DELIMITER)


def _encode_sequence(element: DataElement, parts: list[bytes], implicit: bool,
                     encodings: str | list[str]) -> None:
    body: list[bytes] = []
    for item in element.value:
        item_parts: list[bytes] = []
        _encode_dataset(item, item_parts, implicit, encodings)
        if getattr(item, "is_undefined_length_sequence_item", False):
            body += [ITEM, struct.pack("<L", UNDEFINED_LENGTH), *item_parts, ITEM_DELIMITER]
        else:
            body += [ITEM, struct.pack("<L", sum(map(len, item_parts))), *item_parts]
    undefined = element.is_undefined_length
    parts.append(_header(element.tag, "SQ", UNDEFINED_LENGTH if undefined else sum(map(len, body)), implicit))
    parts += body
    if undefined:
        parts.append(SEQUENCE_DELIMITER)


def _header(tag: int, vr: str | None, length: int, implicit: bool) -> bytes:
    group, number = tag >> 16, tag & 0xFFFF
    if implicit:
        return struct.pack("<HHL", group, number, length)
    assert vr is not None
    if vr in LONG_LENGTH_VRS:
        return struct.pack("<HH2sHL", group, number, vr.encode("ascii"), 0, length)
    if length > 0xFFFF:
        raise _Unusual  # pydicom would rewrite the VR as UN (PS3.5 6.2.2); leave that to it
    return struct.pack("<HH2sH", group, number, vr.encode("ascii"), length)


def uid_element(tag: int, value: object) -> bytes | None:
    """A new UID of digits and dots as pydicom's writer encodes it in explicit VR (NUL-padded to even length).

    The byte path gives every file a new SOP Instance UID and new references;
    building a pydicom element for each cost more than the rest of its value.
    Anything else (``None``) goes to :func:`_by_pydicom`.
    """
    if not isinstance(value, str) or not 0 < len(value) <= 64 or not value.isascii() \
            or not value.replace(".", "").isdigit():
        return None
    raw = value.encode("ascii")
    if len(raw) % 2:
        raw += b"\0"
    return _header(tag, "UI", len(raw), False) + raw


def _by_pydicom(element: DataElement, implicit: bool, encodings: str | list[str]) -> bytes:
    """An element medanon created: pydicom encodes its value (charsets, padding, numbers).

    A series repeats most created values (a shifted date, a dummy, a Study
    UID), so encodings of plain values are remembered per worker process.
    """
    key = _cache_key(element, implicit, encodings)
    if key is None:
        return _encode_element(element, implicit, encodings)
    encoded = _ENCODED.get(key)
    if encoded is None:
        if len(_ENCODED) >= CACHE_LIMIT:
            _ENCODED.clear()
        encoded = _ENCODED[key] = _encode_element(element, implicit, encodings)
    return encoded


def _encode_element(element: DataElement, implicit: bool, encodings: str | list[str]) -> bytes:
    buffer = DicomBytesIO()
    buffer.is_little_endian, buffer.is_implicit_VR = True, implicit
    write_data_element(buffer, element, encodings)
    return buffer.getvalue()


def _cache_key(element: DataElement, implicit: bool, encodings: str | list[str]) -> tuple | None:
    """A key only for values whose type fully determines their encoding (never PersonName or bytes)."""
    value = element.value
    if type(value) in PLAIN_TYPES or (type(value) is bytes and len(value) <= SMALL_BYTES):
        value_key: object = (type(value), value)
    elif isinstance(value, list | MultiValue) and all(type(v) is str for v in value):
        value_key = ("multi", tuple(value))
    else:
        return None
    charset = tuple(encodings) if isinstance(encodings, list | MultiValue) else encodings
    return element.tag, element.VR, value_key, charset, implicit
