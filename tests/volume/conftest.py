"""Synthetic heads written as NIfTI and as DICOM series, for the volume tests."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
from pydicom.uid import generate_uid

from medanon.volume.model import Geometry
from medanon.volume.phantom import Phantom
from tests.conftest import make_ct, write

LPS = np.array([-1.0, -1.0, 1.0])


def nifti_affine(geometry: Geometry) -> np.ndarray:
    """The NIfTI affine of a geometry whose slices are evenly spaced (data stored as (c, r, s))."""
    affine = np.eye(4)
    affine[:3, 0] = geometry.column_step
    affine[:3, 1] = geometry.row_step
    affine[:3, 2] = geometry.origins[1] - geometry.origins[0]
    affine[:3, 3] = geometry.origins[0]
    return affine


def write_nifti(phantom: Phantom, path: Path, dtype: type = np.int16) -> Path:
    data = np.rint(phantom.volume.data).astype(dtype).transpose(2, 1, 0)
    image = nib.Nifti1Image(data, nifti_affine(phantom.volume.geometry))
    image.header["descrip"] = b"Doe^Jane 19610304"
    nib.save(image, str(path))
    return path


def write_series(phantom: Phantom, folder: Path, intercept: float = -1024.0) -> list[Path]:
    """One CT file per slice, LPS geometry from the phantom, identifiers planted by ``make_ct``."""
    geometry = phantom.volume.geometry
    rows, columns = phantom.volume.data.shape[1:]
    row_dir = geometry.column_step / np.linalg.norm(geometry.column_step) * LPS
    col_dir = geometry.row_step / np.linalg.norm(geometry.row_step) * LPS
    spacing = [float(np.linalg.norm(geometry.row_step)), float(np.linalg.norm(geometry.column_step))]
    series, study, frame = generate_uid(), generate_uid(), generate_uid()
    paths = []
    for index, origin in enumerate(geometry.origins):
        stored = np.clip(np.rint(phantom.volume.data[index] - intercept), 0, 4095).astype(np.uint16)
        ds = make_ct(
            SOPInstanceUID=generate_uid(), SeriesInstanceUID=series, StudyInstanceUID=study,
            FrameOfReferenceUID=frame, Rows=rows, Columns=columns, PixelData=stored.tobytes(),
            ImagePositionPatient=[f"{v:.6f}" for v in origin * LPS],
            ImageOrientationPatient=[f"{v:.6f}" for v in (*row_dir, *col_dir)],
            PixelSpacing=[f"{v:.6f}" for v in spacing], RescaleIntercept=str(intercept), RescaleSlope="1",
            InstanceNumber=str(index + 1), BodyPartExamined="HEAD", ImageType=["ORIGINAL", "PRIMARY", "AXIAL"],
        )
        paths.append(write(ds, folder / f"{len(geometry.origins) - index:03d}.dcm"))  # files out of order
    return paths


def write_multiframe(phantom: Phantom, path: Path, intercept: float = -1024.0) -> Path:
    """One enhanced CT instance: positions per frame, orientation/spacing/rescale shared."""
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    geometry = phantom.volume.geometry
    frames, rows, columns = phantom.volume.data.shape
    row_dir = geometry.column_step / np.linalg.norm(geometry.column_step) * LPS
    col_dir = geometry.row_step / np.linalg.norm(geometry.row_step) * LPS
    stored = np.clip(np.rint(phantom.volume.data - intercept), 0, 4095).astype(np.uint16)
    ds = make_ct(SOPClassUID="1.2.840.10008.5.1.4.1.1.2.1", SOPInstanceUID=generate_uid(), Rows=rows,
                 Columns=columns, NumberOfFrames=frames, PixelData=stored.tobytes())
    for keyword in ("ImagePositionPatient", "ImageOrientationPatient", "PixelSpacing"):
        delattr(ds, keyword)
    shared = Dataset()
    orientation, measures, transform = Dataset(), Dataset(), Dataset()
    orientation.ImageOrientationPatient = [f"{v:.6f}" for v in (*row_dir, *col_dir)]
    measures.PixelSpacing = [f"{np.linalg.norm(geometry.row_step):.6f}", f"{np.linalg.norm(geometry.column_step):.6f}"]
    measures.SliceThickness = "2.5"
    transform.RescaleIntercept, transform.RescaleSlope, transform.RescaleType = str(intercept), "1", "HU"
    shared.PlaneOrientationSequence = Sequence([orientation])
    shared.PixelMeasuresSequence = Sequence([measures])
    shared.PixelValueTransformationSequence = Sequence([transform])
    ds.SharedFunctionalGroupsSequence = Sequence([shared])
    per_frame = []
    for index in range(frames)[::-1]:  # frames stored superior to inferior
        group, position = Dataset(), Dataset()
        position.ImagePositionPatient = [f"{v:.6f}" for v in geometry.origins[index] * LPS]
        group.PlanePositionSequence = Sequence([position])
        per_frame.append(group)
    ds.PerFrameFunctionalGroupsSequence = Sequence(per_frame)
    ds.PixelData = stored[::-1].tobytes()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    return write(ds, path)
