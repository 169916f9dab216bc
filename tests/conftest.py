"""Shared fixtures: pydicom strict for writing, a fixed test key, datasets with planted identifiers."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from medanon.core.keys import KeyRing
from medanon.dicom import configure_pydicom

SHARED = Path(__file__).resolve().parents[2] / "shared"
TEST_KEY = bytes(range(32))
CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"


@pytest.fixture(autouse=True)
def _strict_pydicom_and_private_key_home(tmp_path_factory: pytest.TempPathFactory,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """pydicom raises on invalid writes; no test ever touches the user's real key file."""
    configure_pydicom()
    monkeypatch.setenv("MEDANON_KEY_FILE", str(tmp_path_factory.mktemp("keyhome") / "project.key"))


@pytest.fixture
def keys() -> KeyRing:
    return KeyRing(TEST_KEY)


def make_ct(**overrides: object) -> Dataset:
    """A small CT image with identifiers planted at the top level, nested and in private tags."""
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = CT_IMAGE_STORAGE
    ds.SOPInstanceUID = "1.2.826.0.1.3680043.2.1125.1.1"
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.2.1125.1.2"
    ds.SeriesInstanceUID = "1.2.826.0.1.3680043.2.1125.1.3"
    ds.FrameOfReferenceUID = "1.2.826.0.1.3680043.2.1125.1.4"
    ds.Modality = "CT"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.PatientName = "Doe^Jane"
    ds.PatientID = "MRN889123"
    ds.PatientBirthDate = "19610304"
    ds.PatientSex = "F"
    ds.PatientAge = "063Y"
    ds.PatientWeight = "71"
    ds.PatientAddress = "12 Acacia Avenue, Leeds LS6 2QH"
    ds.PatientTelephoneNumbers = "0113 496 0123"
    ds.StudyDate = "20230405"
    ds.SeriesDate = "20230405"
    ds.StudyTime = "101500"
    ds.AccessionNumber = "ACC7781"
    ds.StudyID = "S4411"
    ds.StudyDescription = "CT CHEST WITH CONTRAST Jane Doe"
    ds.SeriesDescription = "AXIAL 5MM"
    ds.InstitutionName = "St Elsewhere General Hospital"
    ds.ReferringPhysicianName = "Smythe^Robert"
    ds.DeviceSerialNumber = "SN-55-0192"
    ds.StationName = "CTSTATION7"
    ds.KVP = "120"
    ds.SliceThickness = "5.0"
    ds.PixelSpacing = ["0.7", "0.7"]
    ds.ImagePositionPatient = ["-150", "-150", "20"]
    ds.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    ds.Manufacturer = "ACME"
    ds.BurnedInAnnotation = "NO"
    request = Dataset()
    request.RequestedProcedureDescription = "CT CHEST Jane Doe"
    request.ScheduledPerformingPhysicianName = "Kaur^Amrit"
    inner = Dataset()
    inner.ReferencedSOPClassUID = CT_IMAGE_STORAGE
    inner.ReferencedSOPInstanceUID = "1.2.826.0.1.3680043.2.1125.1.99"
    request.ReferencedImageSequence = Sequence([inner])
    ds.RequestAttributesSequence = Sequence([request])
    ref = Dataset()
    ref.ReferencedSOPClassUID = CT_IMAGE_STORAGE
    ref.ReferencedSOPInstanceUID = "1.2.826.0.1.3680043.2.1125.1.1"
    ds.ReferencedImageSequence = Sequence([ref])
    ds.add_new(0x00090010, "LO", "ACME PRIVATE")
    ds.add_new(0x00091001, "LO", "Doe^Jane private copy")
    ds.Rows, ds.Columns = 4, 4
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.PixelData = bytes(range(32))
    for keyword, value in overrides.items():
        setattr(ds, keyword, value)
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    return ds


def file_bytes(ds: Dataset, syntax: str | None = None) -> bytes:
    """``ds`` as PS3.10 bytes, in ``syntax`` if given (the file meta is changed to say so)."""
    buffer = io.BytesIO()
    if syntax is not None:
        ds.file_meta.TransferSyntaxUID = syntax
        ds.save_as(buffer, enforce_file_format=True, implicit_vr=syntax == ImplicitVRLittleEndian,
                   little_endian=syntax != ExplicitVRBigEndian)
    else:
        ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def write(ds: Dataset, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path


@pytest.fixture
def ct() -> Dataset:
    return make_ct()


def shared_or_skip(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared test data lives outside the repository)")
    return path


os.environ.setdefault("MEDANON_TESTING", "1")
