"""DICOM head series as volumes: one file per slice, or one enhanced multi-frame instance.

Geometry comes from each slice's own Image Position/Orientation (Patient) and
Pixel Spacing, so gantry tilt, uneven spacing and any slice orientation are
handled exactly; LPS is turned into RAS+ here. Only Pixel Data is written
back, in the stored values of each slice (no rescale round trip).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydicom.dataset import Dataset
from pydicom.uid import ExplicitVRLittleEndian

from medanon.core.errors import InputError, UnsupportedInput
from medanon.volume.model import Geometry, Volume

LPS_TO_RAS = np.array([-1.0, -1.0, 1.0])
ORIENTATION_TOLERANCE = 1e-3


@dataclass
class SliceRef:
    """Where one slice of the volume lives: which dataset, which frame (None for single-frame)."""

    dataset: int
    frame: int | None
    slope: float
    intercept: float


@dataclass
class _Plane:
    """One slice's header geometry as read (LPS), and where its pixels are."""

    position: np.ndarray
    orientation: np.ndarray
    spacing: np.ndarray
    ref: SliceRef


@dataclass
class DicomVolume:
    volume: Volume
    slices: list[SliceRef]  # in volume order


def read_series(datasets: list[Dataset]) -> DicomVolume:
    """A volume from a classic series (many single-frame datasets) or one multi-frame dataset.

    Raises
    ------
    InputError / UnsupportedInput
        Missing geometry, mixed orientations or sizes, colour images, fewer
        than 2 slices, duplicate positions.
    """
    if len(datasets) == 1 and int(datasets[0].get("NumberOfFrames", 1) or 1) > 1:
        planes = _enhanced_planes(datasets[0])
    else:
        planes = [_classic_plane(ds, i) for i, ds in enumerate(datasets)]
    if len(planes) < 2:
        raise UnsupportedInput("a head volume needs at least 2 slices")
    orientation, spacing = planes[0].orientation, planes[0].spacing
    for plane in planes:
        if np.max(np.abs(plane.orientation - orientation)) > ORIENTATION_TOLERANCE or \
                np.max(np.abs(plane.spacing - spacing)) > 1e-4:
            raise UnsupportedInput("slices differ in orientation or pixel spacing: not one volume")
    row_dir = orientation[:3] * LPS_TO_RAS  # along a row: next column
    col_dir = orientation[3:] * LPS_TO_RAS  # down a column: next row
    normal = np.cross(row_dir, col_dir)
    planes.sort(key=lambda plane: float((plane.position * LPS_TO_RAS) @ normal))
    slices = [plane.ref for plane in planes]
    pixels = [_frame(datasets, ref.dataset, ref.frame) for ref in slices]
    if len({p.shape for p in pixels}) != 1:
        raise UnsupportedInput("slices differ in rows or columns: not one volume")
    data = np.stack([p.astype(np.float32) * ref.slope + ref.intercept for p, ref in zip(pixels, slices, strict=True)])
    geometry = Geometry(origins=np.array([plane.position * LPS_TO_RAS for plane in planes]),
                        column_step=row_dir * spacing[1], row_step=col_dir * spacing[0])
    modality = str(datasets[0].get("Modality", "") or "")
    return DicomVolume(volume=Volume(data=data, geometry=geometry, modality=modality), slices=slices)


def _floats(value: object, count: int, what: str) -> np.ndarray:
    try:
        out = np.array([float(v) for v in value], dtype=np.float64)  # type: ignore[attr-defined]
    except Exception:
        raise InputError(f"{what} missing or not numeric") from None
    if out.shape != (count,) or not np.all(np.isfinite(out)):
        raise InputError(f"{what} must hold {count} numbers")
    return out


def _classic_plane(ds: Dataset, index: int) -> _Plane:
    _check_grey(ds)
    return _Plane(_floats(ds.get("ImagePositionPatient"), 3, "ImagePositionPatient"),
                  _floats(ds.get("ImageOrientationPatient"), 6, "ImageOrientationPatient"),
                  _floats(ds.get("PixelSpacing"), 2, "PixelSpacing"),
                  SliceRef(index, None, float(ds.get("RescaleSlope", 1) or 1),
                           float(ds.get("RescaleIntercept", 0) or 0)))


def _enhanced_planes(ds: Dataset) -> list[_Plane]:
    _check_grey(ds)
    shared = (ds.get("SharedFunctionalGroupsSequence") or [Dataset()])[0]
    per_frame = ds.get("PerFrameFunctionalGroupsSequence") or []
    frames = int(ds.NumberOfFrames)
    if len(per_frame) != frames:
        raise InputError("Per-frame Functional Groups do not match Number of Frames")

    def pick(group: Dataset, keyword: str) -> Dataset | None:
        for source in (group, shared):
            seq = source.get(keyword)
            if seq:
                return seq[0]
        return None

    planes = []
    for i, group in enumerate(per_frame):
        position, orientation, measures = (pick(group, k) for k in (
            "PlanePositionSequence", "PlaneOrientationSequence", "PixelMeasuresSequence"))
        transform = pick(group, "PixelValueTransformationSequence")
        if position is None or orientation is None or measures is None:
            raise InputError("enhanced multi-frame image without plane position, orientation or pixel measures")
        slope = float(transform.get("RescaleSlope", 1) or 1) if transform else 1.0
        intercept = float(transform.get("RescaleIntercept", 0) or 0) if transform else 0.0
        planes.append(_Plane(_floats(position.get("ImagePositionPatient"), 3, "ImagePositionPatient"),
                             _floats(orientation.get("ImageOrientationPatient"), 6, "ImageOrientationPatient"),
                             _floats(measures.get("PixelSpacing"), 2, "PixelSpacing"),
                             SliceRef(0, i, slope, intercept)))
    return planes


def _check_grey(ds: Dataset) -> None:
    if int(ds.get("SamplesPerPixel", 1) or 1) != 1:
        raise UnsupportedInput("colour images are not head CT/MR volumes")


def _frame(datasets: list[Dataset], dataset: int, frame: int | None) -> np.ndarray:
    try:
        pixels = datasets[dataset].pixel_array
    except Exception as exc:
        raise InputError(f"cannot decode Pixel Data: {type(exc).__name__}") from None
    return np.asarray(pixels if frame is None else pixels[frame])


def write_pixels(datasets: list[Dataset], target: list[Dataset], source: DicomVolume, removed: np.ndarray) -> None:
    """Put each slice's defaced stored values into ``target`` (de-identified copies of ``datasets``).

    Removed voxels get the stored value of the volume's background (its
    lowest real value); kept voxels keep their stored values bit for bit.
    Encapsulated (compressed) Pixel Data is written uncompressed, with the
    Transfer Syntax changed to match.
    """
    background = float(np.min(source.volume.data))
    stacks: dict[int, np.ndarray] = {}
    for index, ref in enumerate(source.slices):
        original = datasets[ref.dataset].pixel_array
        stack = stacks.setdefault(ref.dataset, np.array(original, copy=True))
        plane = stack if ref.frame is None else stack[ref.frame]
        value = np.rint((background - ref.intercept) / ref.slope) if ref.slope else plane.min()
        info = np.iinfo(plane.dtype) if plane.dtype.kind in "iu" else None
        if info is not None:
            value = np.clip(value, info.min, info.max)
        plane[removed[index]] = value
    for dataset_index, stack in stacks.items():
        ds = target[dataset_index]
        ds.PixelData = np.ascontiguousarray(stack.astype(stack.dtype.newbyteorder("<"))).tobytes()
        ds["PixelData"].VR = "OW" if int(ds.BitsAllocated) > 8 else "OB"
        ds["PixelData"].is_undefined_length = False
        syntax = ds.file_meta.TransferSyntaxUID
        if syntax.is_encapsulated:
            ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        elif not syntax.is_little_endian:
            raise UnsupportedInput("big-endian Pixel Data is not rewritten")
