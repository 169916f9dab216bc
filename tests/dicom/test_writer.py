"""The fast encoder writes exactly what pydicom's dcmwrite writes, for every file pip packages ship."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRBigEndian, ImplicitVRLittleEndian

from medanon import dicom
from medanon.core.errors import MedanonError
from medanon.core.policy import Policy
from medanon.dicom import writer
from medanon.dicom.writer import encode_file
from medanon.examples import all_package_files
from tests.conftest import make_ct


def _reference(ds: Dataset) -> bytes:
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def _cleaned(data: bytes, profile: str, keys) -> Dataset:
    return dicom.deidentify(dicom.read(data), Policy.load(profile), keys).dataset


def _as_file(ds: Dataset, syntax: str | None = None) -> bytes:
    buffer = io.BytesIO()
    if syntax:
        ds.file_meta.TransferSyntaxUID = syntax
    ds.save_as(buffer, enforce_file_format=True, implicit_vr=syntax == ImplicitVRLittleEndian,
               little_endian=syntax != ExplicitVRBigEndian)
    return buffer.getvalue()


@pytest.mark.parametrize("profile", ["publication", "limited-access"])
def test_every_package_file_encodes_byte_for_byte_as_pydicom(profile, keys):
    compared = 0
    for path in all_package_files():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                cleaned = _cleaned(path.read_bytes(), profile, keys)
            except MedanonError:
                continue  # refused inputs never reach the writer
            try:
                expected = _reference(cleaned)
            except Exception:
                with pytest.raises(Exception):  # noqa: B017 - what pydicom cannot write, neither does medanon
                    encode_file(cleaned)
                continue
        assert encode_file(cleaned) == expected, path.name
        compared += 1
    assert compared >= 200


@pytest.mark.parametrize("syntax", [ImplicitVRLittleEndian, ExplicitVRBigEndian])
def test_other_transfer_syntaxes_encode_as_pydicom(syntax, keys):
    cleaned = _cleaned(_as_file(make_ct(), syntax), "limited-access", keys)
    assert encode_file(cleaned) == _reference(cleaned)
    assert pydicom.dcmread(io.BytesIO(encode_file(cleaned))).file_meta.TransferSyntaxUID == syntax


def test_undefined_length_sequences_keep_their_form(keys):
    ds = make_ct()
    item = Dataset()
    item.ReferencedSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    item.ReferencedSOPInstanceUID = "1.2.826.0.1.3680043.2.1125.9.9"
    ds.ReferencedImageSequence = Sequence([item])
    ds["ReferencedImageSequence"].is_undefined_length = True
    cleaned = _cleaned(_as_file(ds), "limited-access", keys)
    encoded = encode_file(cleaned)
    assert encoded == _reference(cleaned)
    assert b"\xfe\xff\xdd\xe0" in encoded  # the sequence delimiter


@pytest.mark.parametrize("profile", ["publication", "limited-access"])
def test_engine_reading_raw_bytes_gives_the_values_it_gives_from_converted_elements(profile, keys):
    """The engine reads ASCII values straight from raw bytes; converted first, the output must not change."""
    compared = 0
    for path in all_package_files():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = path.read_bytes()
            try:
                from_raw = _cleaned(data, profile, keys)
                converted = dicom.read(data)
                for _ in converted.iterall():
                    pass
                from_converted = dicom.deidentify(converted, Policy.load(profile), keys).dataset
                expected = pydicom.dcmread(io.BytesIO(_reference(from_converted)))
                written = encode_file(from_raw)
            except Exception:
                continue  # refused, or a file whose kept raw elements no writer can encode (fails either way)
        assert pydicom.dcmread(io.BytesIO(written)) == expected, path.name
        compared += 1
    assert compared >= 200


def test_a_file_that_says_explicit_but_reads_as_implicit_is_released(tmp_path) -> None:
    """pydicom's SC_rgb_jpeg.dcm: its elements carry no VR; kept elements get their dictionary VR."""
    from pydicom.data import get_testdata_file

    from medanon.core.enum import Status
    from medanon.pipeline import deidentify_dicom

    found = get_testdata_file("SC_rgb_jpeg.dcm")
    if found is None:
        pytest.skip("pydicom's SC_rgb_jpeg.dcm is not installed")
    outcome = deidentify_dicom([Path(str(found))], tmp_path / "out", key_path=tmp_path / "k.key")
    [result] = outcome.results
    assert result.status is Status.RELEASED, result.reasons
    released = pydicom.dcmread(tmp_path / "out" / str(result.output))
    assert released.ImageType == ["DERIVED", "SECONDARY", "OTHER"]


@pytest.mark.parametrize("uid", ["2.25.1", "2.25.12", "1.2.840.10008.5.1.4.1.1.2", "2.25." + "9" * 59])
def test_new_uids_are_encoded_as_pydicom_encodes_them(uid):
    from pydicom.dataelem import DataElement

    expected = writer._encode_element(DataElement(0x00080018, "UI", uid), False, "iso8859")
    assert writer.uid_element(0x00080018, uid) == expected


@pytest.mark.parametrize("value", ["", "2.25.1 ", "2.25.1\\2.25.2", "1.2.x", "2.25." + "9" * 61, ["2.25.1"]])
def test_uids_out_of_the_plain_form_are_left_to_pydicom(value):
    assert writer.uid_element(0x00080018, value) is None
