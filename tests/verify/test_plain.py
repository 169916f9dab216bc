"""The plain reader sees the same text values as pydicom, and steps aside on anything unusual."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import pydicom
import pytest
from pydicom.uid import DeflatedExplicitVRLittleEndian, ExplicitVRBigEndian, ImplicitVRLittleEndian

from medanon.examples import all_package_files
from medanon.verify import collect_identifiers
from medanon.verify._plain import read_plain
from medanon.verify.residual import _decoded_findings, plain_findings, structural_findings
from tests.conftest import file_bytes, make_ct


def _findings_both_ways(data: bytes):
    ds = pydicom.dcmread(io.BytesIO(data))
    matcher = collect_identifiers(pydicom.dcmread(io.BytesIO(data))).matcher(frozenset())
    plain = read_plain(data)
    if plain is None:
        return None
    by_plain = {(f.check, f.where, f.message) for f in plain_findings(plain, matcher)}
    by_pydicom = {(f.check, f.where, f.message) for f in _decoded_findings(ds, matcher)}
    return by_plain, by_pydicom


def test_every_package_file_it_reads_gives_the_findings_pydicom_gives():
    """Originals scanned against their own identifiers: many hits, and both readings must agree on each."""
    compared = hits = 0
    for path in all_package_files():
        data = Path(path).read_bytes()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                pydicom.dcmread(io.BytesIO(data))
            except Exception:
                continue
            both = _findings_both_ways(data)
        if both is None:
            continue
        by_plain, by_pydicom = both
        assert by_plain == by_pydicom, path.name
        compared += 1
        hits += len(by_plain)
    assert compared >= 150 and hits >= 300


@pytest.mark.parametrize("syntax", [None, ImplicitVRLittleEndian])
def test_planted_identifiers_are_found_at_every_depth(syntax):
    data = file_bytes(make_ct(), syntax)
    by_plain, by_pydicom = _findings_both_ways(data)
    assert by_plain == by_pydicom
    assert any(">" in where for _, where, _ in by_plain)  # nested sequence values were read
    assert any(where == "(0010,0010)" for _, where, _ in by_plain)


def test_structural_values_match_pydicom():
    data = file_bytes(make_ct())
    ds = pydicom.dcmread(io.BytesIO(data))
    top = read_plain(data).top
    assert top[0x00020003] == ds.file_meta.MediaStorageSOPInstanceUID
    assert top[0x00080018] == ds.SOPInstanceUID
    assert structural_findings(ds)  # the planted CT has no PatientIdentityRemoved
    assert 0x00120062 not in top


def test_non_ascii_latin1_values_are_decoded():
    ds = make_ct()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.PatientName = "MÜLLER^JÜRGEN"
    texts = {v.path: v.value for v in read_plain(file_bytes(ds)).texts}
    assert texts["(0010,0010)"] == "MÜLLER^JÜRGEN"


@pytest.mark.parametrize("syntax", [ExplicitVRBigEndian, DeflatedExplicitVRLittleEndian])
def test_steps_aside_for_big_endian_and_deflate(syntax):
    assert read_plain(file_bytes(make_ct(), syntax)) is None


def test_steps_aside_for_iso_2022_and_nested_character_sets():
    ds = make_ct()
    ds.SpecificCharacterSet = ["", "ISO 2022 IR 87"]
    assert read_plain(file_bytes(ds)) is None


@pytest.mark.parametrize("damage", ["truncated", "trailing", "no-preamble"])
def test_steps_aside_for_damaged_files(damage):
    data = file_bytes(make_ct())
    damaged = {"truncated": data[:-3], "trailing": data + b"\x01\x02", "no-preamble": data[132:]}[damage]
    assert read_plain(damaged) is None


def test_collecting_from_raw_bytes_finds_what_collecting_from_converted_values_finds():
    """Plain ASCII values are read without pydicom's conversion; the identifiers must be the same."""
    compared = 0
    for path in all_package_files():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                raw = pydicom.dcmread(path)
                converted = pydicom.dcmread(path)
                for _ in converted.iterall():
                    pass
                expected = collect_identifiers(converted)
            except Exception:
                continue
            assert collect_identifiers(raw) == expected, path.name
        compared += 1
    assert compared >= 200
