"""Strict reading and atomic writing: damaged input is refused with a reason, output is never half a file."""

from __future__ import annotations

import io
import struct
import warnings
from pathlib import Path

import pydicom
import pytest
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset

from medanon.core.errors import InputError
from medanon.dicom import read, write_atomic, write_temp
from tests.conftest import make_ct, write


def encode(ds: Dataset) -> bytes:
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def explicit_le_header_offset(data: bytes, group: int, element: int) -> int:
    """Offset of an element's tag in explicit-VR little-endian bytes (past the file meta)."""
    offset = data.find(struct.pack("<HH", group, element), 132)
    assert offset > 0, f"({group:04X},{element:04X}) not found"
    return offset


def unencodable(ds: Dataset) -> Dataset:
    """A dataset whose Rows (US) holds text: pydicom fails while writing it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds._dict[0x00280010] = DataElement(0x00280010, "US", "not a number")
    return ds


# --- read: refusals ----------------------------------------------------------------------------

def test_read_refuses_text_file(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("Patient seen in clinic today.\n" * 20, encoding="utf-8")
    with pytest.raises(InputError, match="not a DICOM file"):
        read(path)


def test_read_refuses_file_truncated_inside_pixel_data(ct):
    data = encode(ct)
    with pytest.raises(InputError, match=r"\(7FE0,0010\).*truncated"):
        read(data[:-10])


def test_read_refuses_file_truncated_inside_header(ct):
    data = encode(ct)
    cut = explicit_le_header_offset(data, 0x0010, 0x1040) + 8 + 3  # 3 bytes into PatientAddress's value
    with pytest.raises(InputError, match=r"\(0010,1040\).*truncated"):
        read(data[:cut])


def test_read_refuses_giant_16_bit_element_length(ct):
    data = bytearray(encode(ct))
    offset = explicit_le_header_offset(data, 0x0010, 0x1040)
    assert data[offset + 4:offset + 6] == b"LO"
    data[offset + 6:offset + 8] = struct.pack("<H", 0xFFF0)
    with pytest.raises(InputError, match="declares 65520 bytes"):
        read(bytes(data))


def test_read_refuses_giant_32_bit_element_length_mid_file(ct):
    ct.add_new(0x0018990B, "UT", "unlimited text in the middle of the file")
    data = bytearray(encode(ct))
    offset = explicit_le_header_offset(data, 0x0018, 0x990B)
    assert data[offset + 4:offset + 6] == b"UT"
    data[offset + 8:offset + 12] = struct.pack("<I", 0x7FFFFFF0)
    with pytest.raises(InputError, match=r"\(0018,990B\).*declares 2147483632 bytes"):
        read(bytes(data))


def test_read_refuses_giant_32_bit_pixel_data_length(ct):
    data = bytearray(encode(ct))
    offset = explicit_le_header_offset(data, 0x7FE0, 0x0010)
    assert data[offset + 4:offset + 6] == b"OW"
    data[offset + 8:offset + 12] = struct.pack("<I", 0x7FFFFFF0)
    with pytest.raises(InputError, match=r"\(7FE0,0010\).*declares 2147483632 bytes"):
        read(bytes(data))


def test_read_refuses_unknown_vr(ct):
    data = bytearray(encode(ct))
    offset = explicit_le_header_offset(data, 0x0010, 0x1040)
    data[offset + 4:offset + 6] = b"XY"
    with pytest.raises(InputError, match=r"\(0010,1040\).*(?i:unknown value representation) 'XY'"):
        read(bytes(data))


def test_read_refuses_native_pixel_data_shorter_than_image():
    ds = make_ct()
    ds.PixelData = bytes(16)  # 4 x 4 x 16 bits needs 32 bytes
    with pytest.raises(InputError, match="Pixel Data holds 16 bytes, the image needs 32"):
        read(encode(ds))


def test_read_refuses_multiframe_pixel_data_missing_frames():
    ds = make_ct(NumberOfFrames=3)
    ds.PixelData = bytes(64)  # two frames of 32 bytes, header says three
    with pytest.raises(InputError, match="the image needs 96"):
        read(encode(ds))


def test_read_refuses_file_without_preamble_or_sop_uids():
    ds = make_ct()
    del ds.file_meta
    del ds.SOPClassUID
    del ds.SOPInstanceUID
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=False, implicit_vr=True, little_endian=True)
    with pytest.raises(InputError, match="no DICM preamble and no SOP Class/Instance UID"):
        read(buffer.getvalue())


def test_read_error_names_the_item_not_a_patient_value(ct):
    with pytest.raises(InputError) as caught:
        read(encode(ct)[:-10], "item-7")
    assert str(caught.value).startswith("item-7: ")
    assert "Doe" not in str(caught.value)


# --- read: acceptances -------------------------------------------------------------------------

def test_read_accepts_file_without_preamble_that_has_sop_uids(tmp_path):
    ds = make_ct()
    del ds.file_meta
    path = tmp_path / "acr-nema-style"
    ds.save_as(path, enforce_file_format=False, implicit_vr=True, little_endian=True)
    assert b"DICM" not in path.read_bytes()[:200]
    out = read(path)
    assert out.SOPInstanceUID == "1.2.826.0.1.3680043.2.1125.1.1"


def test_read_accepts_intact_file(tmp_path, ct):
    out = read(write(ct, tmp_path / "ct.dcm"))
    assert out.Rows == 4 and len(out.PixelData) == 32


def test_read_accepts_pydicom_test_file():
    path = Path(pydicom.data.get_testdata_file("CT_small.dcm"))
    assert read(path).Modality == "CT"


# --- writing -----------------------------------------------------------------------------------

def test_write_atomic_writes_a_readable_ps310_file(tmp_path, ct):
    destination = tmp_path / "out" / "ct.dcm"
    write_atomic(ct, destination)
    assert destination.read_bytes()[128:132] == b"DICM"
    assert read(destination).SOPInstanceUID == ct.SOPInstanceUID


def test_write_atomic_failure_leaves_no_part_file(tmp_path):
    with pytest.raises(OSError, match="Rows"):
        write_atomic(unencodable(make_ct()), tmp_path / "ct.dcm")
    assert list(tmp_path.iterdir()) == []


def test_write_atomic_failure_leaves_no_destination(tmp_path):
    destination = tmp_path / "ct.dcm"
    with pytest.raises(OSError):
        write_atomic(unencodable(make_ct()), destination)
    assert not destination.exists()


def test_write_atomic_failure_keeps_previous_destination_intact(tmp_path, ct):
    destination = tmp_path / "ct.dcm"
    write_atomic(ct, destination)
    before = destination.read_bytes()
    with pytest.raises(OSError):
        write_atomic(unencodable(make_ct()), destination)
    assert destination.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ct.dcm"]


def test_write_temp_failure_leaves_no_part_file(tmp_path):
    with pytest.raises(OSError):
        write_temp(unencodable(make_ct()), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_write_temp_gives_hidden_part_file_in_folder(tmp_path, ct):
    temp = write_temp(ct, tmp_path)
    assert temp.parent == tmp_path and temp.name.startswith(".") and temp.suffix == ".part"
    assert read(temp).SOPInstanceUID == ct.SOPInstanceUID


@pytest.mark.parametrize("atomic", [True, False])
def test_move_no_replace_moves_a_file_and_never_replaces_one(tmp_path, monkeypatch, atomic):
    from medanon.dicom import io as dicom_io

    if not atomic:  # the link + unlink fallback where renameat2 is missing
        monkeypatch.setattr(dicom_io, "_renameat2", lambda: None)
    first, second, final = tmp_path / "a.part", tmp_path / "b.part", tmp_path / "final.dcm"
    first.write_bytes(b"first")
    second.write_bytes(b"second")
    dicom_io.move_no_replace(first, final)
    assert final.read_bytes() == b"first" and not first.exists()
    with pytest.raises(FileExistsError):
        dicom_io.move_no_replace(second, final)
    assert final.read_bytes() == b"first" and second.read_bytes() == b"second"
