"""``collect_identifiers_from_bytes`` gives exactly what ``collect_identifiers(dcmread(...))`` gives, or steps aside."""

from __future__ import annotations

import io
import tracemalloc
import warnings
from collections import Counter

import pydicom
import pytest
from pydicom import config
from pydicom.datadict import DicomDictionary, keyword_dict
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import DeflatedExplicitVRLittleEndian, ExplicitVRBigEndian, ImplicitVRLittleEndian

from medanon.core.errors import InputError
from medanon.examples import all_package_files
from medanon.verify import collect_identifiers, collect_identifiers_from_bytes
from medanon.verify._keywords import (
    ADDRESS_LIKE_KEYWORDS,
    CODE_SEQUENCES,
    CODE_VALUE_KEYWORDS,
    KEYWORD_CATEGORY,
    NON_IDENTIFYING_UID_KEYWORDS,
)
from medanon.verify._plain import read_input_visits
from medanon.verify.collect import VENDOR_KEYWORDS, _worth_reading
from tests.conftest import file_bytes, make_ct

IMPLICIT = "1.2.840.10008.1.2"


def _by_pydicom(data: bytes):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return collect_identifiers(pydicom.dcmread(io.BytesIO(data)))


def _same_as_pydicom(data: bytes):
    """The bytes reading, asserted accepted and equal (items, order, sources, forms) to pydicom's."""
    got = collect_identifiers_from_bytes(data)
    assert got is not None, "the byte reader stepped aside"
    assert got.items == _by_pydicom(data).items
    return got


def _forms(identifiers, source: str) -> set[str]:
    return {form for item in identifiers if item.source == source for form in item.forms}


def _values(data: bytes, path: str) -> tuple[str, ...]:
    visits = read_input_visits(data, lambda tag, vr, sequence: True)
    assert visits is not None
    return next(visit.values for visit in visits if visit.path == path)


# --- every DICOM file that pip packages ship ---------------------------------------------------------------------


def test_every_package_file_gives_what_pydicom_gives_or_none():
    """Accepted files must match pydicom exactly; files pydicom cannot read or decode must be refused."""
    counts: Counter[str] = Counter()
    identifiers = nested = 0
    for path in all_package_files():
        data = path.read_bytes()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = collect_identifiers_from_bytes(data)
            try:
                ds = pydicom.dcmread(io.BytesIO(data))
            except Exception:
                assert got is None, path.name
                counts["unreadable"] += 1
                continue
            try:
                expected = collect_identifiers(ds)
            except InputError:
                assert got is None, path.name
                counts["undecodable"] += 1
                continue
        syntax = str(ds.file_meta.get("TransferSyntaxUID", ""))
        charset = str(ds.get("SpecificCharacterSet", ""))
        kind = "implicit" if syntax == IMPLICIT else "utf-8" if charset == "ISO_IR 192" else \
            "latin-1" if charset in ("", "ISO_IR 100") else "other"
        counts[f"{kind} files"] += 1
        if got is None:
            continue
        assert got.items == expected.items, path.name
        counts[f"{kind} accepted"] += 1
        identifiers += len(got)
        nested += sum(">" in item.source for item in got)
    # a reader that always stepped aside would pass the comparisons above: it must accept most files
    assert counts["latin-1 accepted"] >= 160 and counts["latin-1 accepted"] >= 0.8 * counts["latin-1 files"]
    assert counts["utf-8 accepted"] >= 25
    assert counts["implicit accepted"] >= 6
    assert identifiers >= 1500 and nested >= 100


def test_the_keyword_lists_name_main_dictionary_attributes():
    """The byte reader names an element by ``keyword_for_tag``, pydicom's element by the main dictionary.

    They differ only for repeating-group attributes (overlays, curves); no
    keyword the classification looks at may be one of those.
    """
    main = {entry[4] for entry in DicomDictionary.values()}
    listed = (set(KEYWORD_CATEGORY) | set(CODE_SEQUENCES) | CODE_VALUE_KEYWORDS | NON_IDENTIFYING_UID_KEYWORDS
              | ADDRESS_LIKE_KEYWORDS | VENDOR_KEYWORDS)
    assert listed <= main
    assert all(keyword in keyword_dict for keyword in listed)


# --- generated edge cases -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("syntax", [None, ImplicitVRLittleEndian])
def test_planted_ct_at_every_depth(syntax):
    got = _same_as_pydicom(file_bytes(make_ct(), syntax))
    assert "doe^jane" in _forms(got, "(0010,0010)")
    assert any(">" in item.source for item in got)  # nested values were read


def test_latin1_names_and_leading_spaces_as_pydicom_converts_them():
    ds = make_ct()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.PatientName = "MÜLLER^JÜRGEN"
    ds.InstitutionName = "  Hôpital Saint-Éloi "  # not ASCII: pydicom keeps the leading spaces
    ds.StationName = "  STATION 9 "  # ASCII: the walker strips both ends
    data = file_bytes(ds)
    got = _same_as_pydicom(data)
    assert "müller^jürgen" in _forms(got, "(0010,0010)")
    assert _values(data, "(0008,0080)") == ("  Hôpital Saint-Éloi",)
    assert _values(data, "(0008,1010)") == ("STATION 9",)


def test_utf8_person_name_with_ideographic_and_phonetic_groups():
    ds = make_ct()
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.PatientName = "Yamada^Tarou=山田^太郎=やまだ^たろう"
    ds.ReferringPhysicianName = "Ødegård^Åse=="  # empty trailing groups go, as str(PersonName) drops them
    data = file_bytes(ds)
    _same_as_pydicom(data)
    assert _values(data, "(0010,0010)") == ("Yamada^Tarou=山田^太郎=やまだ^たろう",)
    assert _values(data, "(0008,0090)") == ("Ødegård^Åse",)


def test_dates_times_and_datetimes():
    ds = make_ct()
    ds.AcquisitionDateTime = "20120820120804.123+0100"
    ds.PatientBirthTime = "101500"
    got = _same_as_pydicom(file_bytes(ds))
    assert "20.08.2012" in _forms(got, "(0008,002A)")


def test_code_values_count_inside_code_sequences_only():
    ds = make_ct()
    institution_code = Dataset()
    institution_code.CodeValue = "RADX991"
    institution_code.CodingSchemeDesignator = "LOCAL"
    institution_code.CodeMeaning = "Radiology Annex West"
    ds.InstitutionCodeSequence = Sequence([institution_code])
    anatomy = Dataset()
    anatomy.CodeValue = "T-D3000"
    anatomy.CodingSchemeDesignator = "SRT"
    anatomy.CodeMeaning = "Chest"
    outer = Dataset()
    outer.AnatomicRegionSequence = Sequence([anatomy])
    ds.ProcedureCodeSequence = Sequence([outer])
    got = _same_as_pydicom(file_bytes(ds))
    assert ("institution", "(0008,0082)[0]>(0008,0100)") in {(i.category, i.source) for i in got}
    assert not any("(0008,2218)" in item.source for item in got)  # anatomy codes name no-one


@pytest.mark.parametrize("syntax", [None, ImplicitVRLittleEndian])
def test_private_attributes_resolved_as_pydicom_resolves_them(syntax):
    """Known private creators give implicit elements their dictionary VR: PN and DA are then identifiers."""
    ds = make_ct()
    ds.add_new(0x31030010, "LO", "AMI Sequence Annotations_01")
    ds.add_new(0x31031080, "PN", "Creator^Annabel")
    ds.add_new(0x310310A0, "DA", "20190312")
    ds.add_new(0x00710010, "LO", "AGFA-AG_HPState")
    item = Dataset()
    item.PatientName = "Hidden^Harriet"
    ds.add_new(0x00711018, "SQ", Sequence([item]))
    ds.add_new(0x00331001, "PN", "Nocreator^Nick")  # no creator: UN in implicit VR, a name in explicit VR
    got = _same_as_pydicom(file_bytes(ds, syntax))
    assert "creator^annabel" in _forms(got, "(3103,1080)")
    assert "hidden^harriet" in _forms(got, "(0071,1018)[0]>(0010,0010)")
    assert bool(_forms(got, "(0033,1001)")) == (syntax is None)


def test_a_private_attribute_stored_as_un_takes_its_private_dictionary_vr():
    """Explicit VR UN under a known private creator: pydicom reads the PN (and numbers) its dictionary gives."""
    ds = make_ct()
    ds.add_new(0x31030010, "LO", "AMI Sequence Annotations_01")
    ds.add(DataElement(0x31031080, "UN", b"Creator^Annabel "))
    ds.add(DataElement(0x310310A0, "UN", b"20190312"))
    got = _same_as_pydicom(file_bytes(ds))
    assert "creator^annabel" in _forms(got, "(3103,1080)")
    assert _forms(got, "(3103,10A0)")


def test_a_public_attribute_stored_as_un_is_read_with_its_dictionary_vr():
    ds = make_ct()
    ds.SpecificCharacterSet = "ISO_IR 100"
    del ds.PatientName
    ds.add(DataElement(0x00100010, "UN", "Bäcker^Ida".encode("latin-1")))
    ds.add(DataElement(0x00101000, "UN", b"  OTHER-ID-1\\OTHER-ID-2 "))  # OtherPatientIDs, ASCII
    data = file_bytes(ds)
    got = _same_as_pydicom(data)
    assert "bäcker^ida" in _forms(got, "(0010,0010)")
    assert _values(data, "(0010,1000)") == ("OTHER-ID-1", "OTHER-ID-2")


def test_multi_valued_padding_and_empty_values():
    ds = make_ct()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.OtherPatientIDs = ["  ALT-1 ", "", "ALT-2"]
    ds.IssuerOfPatientID = ["Ärztehaus ", " Süd"]  # not ASCII: trailing padding goes, leading stays
    ds.PatientID = ""
    ds.AccessionNumber = None
    data = file_bytes(ds)
    got = _same_as_pydicom(data)
    assert _values(data, "(0010,1000)") == ("ALT-1", "ALT-2")
    assert _values(data, "(0010,0021)") == ("Ärztehaus", " Süd")
    assert not _forms(got, "(0010,0020)") and not _forms(got, "(0008,0050)")


def test_vendor_names_are_dropped_the_same_way():
    ds = make_ct()
    ds.Manufacturer = "TOSHIBA"
    ds.InstitutionName = "Toshiba"
    got = _same_as_pydicom(file_bytes(ds))
    assert not _forms(got, "(0008,0080)")


def test_pixel_data_is_not_copied():
    ds = make_ct()
    ds.Rows = ds.Columns = 512
    ds.PixelData = bytes(512 * 512 * 2)
    data = file_bytes(ds)
    collect_identifiers_from_bytes(data)  # warm the caches
    tracemalloc.start()
    try:
        assert collect_identifiers_from_bytes(data) is not None
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024 < len(data)


# --- what the reader refuses --------------------------------------------------------------------------------------


def test_a_character_set_inside_an_item_is_refused():
    ds = make_ct()
    ds.RequestAttributesSequence[0].SpecificCharacterSet = "ISO_IR 192"
    assert collect_identifiers_from_bytes(file_bytes(ds)) is None


def test_a_non_default_character_set_after_a_sequence_is_refused():
    """Items read before (0008,0005) would keep the default character set in pydicom's reading: no proof."""
    ds = make_ct()
    ds.SpecificCharacterSet = "ISO_IR 192"
    record = Dataset()
    record.PatientName = "Ødegård^Åse"
    ds.DirectoryRecordSequence = Sequence([record])  # (0004,1220), before the character set
    assert collect_identifiers_from_bytes(file_bytes(ds)) is None
    ds.SpecificCharacterSet = "ISO_IR 100"  # the default's codec: nothing to prove
    _same_as_pydicom(file_bytes(ds))


def test_iso_2022_and_other_character_sets_are_refused():
    ds = make_ct()
    ds.SpecificCharacterSet = ["", "ISO 2022 IR 87"]
    assert collect_identifiers_from_bytes(file_bytes(ds)) is None
    ds.SpecificCharacterSet = "ISO_IR 144"
    assert collect_identifiers_from_bytes(file_bytes(ds)) is None


@pytest.mark.parametrize("syntax", [ExplicitVRBigEndian, DeflatedExplicitVRLittleEndian])
def test_big_endian_and_deflate_are_refused(syntax):
    assert collect_identifiers_from_bytes(file_bytes(make_ct(), syntax)) is None


@pytest.mark.parametrize("damage", ["truncated", "trailing", "no-preamble", "repeated-tag"])
def test_damaged_files_are_refused(damage):
    data = file_bytes(make_ct())
    at = data.index(b"\x10\x00\x20\x00LO")  # PatientID
    size = 8 + int.from_bytes(data[at + 6:at + 8], "little")
    damaged = {"truncated": data[:-3], "trailing": data + b"\x01\x02", "no-preamble": data[132:],
               "repeated-tag": data[:at + size] + data[at:]}[damage]
    assert collect_identifiers_from_bytes(damaged) is None


def test_an_element_pydicom_cannot_decode_is_refused_and_pydicom_raises():
    """A private UL of six bytes in implicit VR: pydicom raises, so the caller's pydicom path must run."""
    ds = make_ct()
    ds.add_new(0x37110010, "LO", "A.L.I. Technologies, Inc.")
    ds.add_new(0x37111004, "OB", bytes(6))
    data = file_bytes(ds, ImplicitVRLittleEndian)
    assert collect_identifiers_from_bytes(data) is None
    with pytest.raises(InputError):
        _by_pydicom(data)


def test_other_pydicom_settings_are_refused():
    data = file_bytes(make_ct())
    assert collect_identifiers_from_bytes(data) is not None
    config.datetime_conversion = True
    try:
        assert collect_identifiers_from_bytes(data) is None
    finally:
        config.datetime_conversion = False


def test_only_wanted_elements_are_visited():
    """The reader decodes what can matter: identifiers and vendor words, not descriptions or numbers."""
    data = file_bytes(make_ct())
    visits = read_input_visits(data, _worth_reading)
    assert visits is not None
    paths = {visit.path for visit in visits}
    assert "(0010,0010)" in paths and "(0008,0070)" in paths
    assert "(0008,1030)" not in paths and "(0018,0060)" not in paths
