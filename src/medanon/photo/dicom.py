"""Faces in DICOM photographs (VL Photographic Image, secondary captures of photos, any image IOD).

``obscure_dicom_faces(ds)`` decodes every frame, finds faces with the scan of
:func:`~medanon.photo.faces.detect_faces` (faces from 20 px),
fills each whole face, writes the pixels back uncompressed (Explicit VR Little Endian, so no lossy
re-encoding and no encapsulation mismatch: STYLE.md section 12) and re-runs the detectors on the
pixels it wrote. Palette colour images become RGB (their lookup tables go); YBR images are decoded
to RGB. The header is not touched beyond what describes the pixels: identifiers in it are the DICOM
engine's job, and UIDs are left for it to replace.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from medanon.core.errors import InputError
from medanon.photo.faces import DEFAULT_DETECTORS, FaceDetector, ScanPlan, detect_faces
from medanon.photo.faces.scan import recheck_windows
from medanon.photo.model import FaceBox, PhotoOutcome
from medanon.photo.obscure import obscure_faces

_PALETTE_KEYWORDS = tuple(f"{colour}PaletteColorLookupTable{part}" for colour in ("Red", "Green", "Blue")
                          for part in ("Descriptor", "Data")) + tuple(
    f"Segmented{colour}PaletteColorLookupTableData" for colour in ("Red", "Green", "Blue")) + (
    "PaletteColorLookupTableUID",)
MAX_ROUNDS = 2
#: SOP classes whose images are photographs or may be (secondary captures often are photos).
PHOTOGRAPHIC_SOP_CLASSES = frozenset({
    "1.2.840.10008.5.1.4.1.1.77.1.4",  # VL Photographic Image Storage
    "1.2.840.10008.5.1.4.1.1.77.1.4.1",  # Video Photographic Image Storage
    "1.2.840.10008.5.1.4.1.1.77.1.1",  # VL Endoscopic Image Storage (may show a face at insertion)
    "1.2.840.10008.5.1.4.1.1.77.1.2",  # VL Microscopic Image Storage
    "1.2.840.10008.5.1.4.1.1.7",  # Secondary Capture Image Storage
    "1.2.840.10008.5.1.4.1.1.7.4",  # Multi-frame True Color Secondary Capture
})


#: The attributes :func:`is_photograph` reads (SOP Class UID, Samples per Pixel, Photometric Interpretation).
PHOTOGRAPH_READS = frozenset({0x00080016, 0x00280002, 0x00280004})


def is_photograph(ds: Dataset) -> bool:
    """True for datasets whose pixels may be a photograph of a person: the face step must run on them.

    Photographic and secondary-capture SOP classes, and any colour image (SamplesPerPixel 3 or
    palette colour), since a scanned or captured photo can hide under another class.
    """
    sop_class = str(ds.get("SOPClassUID", "") or "")
    photometric = str(ds.get("PhotometricInterpretation", "") or "")
    return (sop_class in PHOTOGRAPHIC_SOP_CLASSES or int(ds.get("SamplesPerPixel", 1) or 1) == 3
            or photometric == "PALETTE COLOR")


@dataclass
class DicomFaces:
    """The dataset with faces obscured (a new object) and what was done."""

    dataset: Dataset
    outcome: PhotoOutcome


def obscure_dicom_faces(ds: Dataset, *, detectors: Sequence[str | FaceDetector] = DEFAULT_DETECTORS,
                        consent: str | None = None) -> DicomFaces:
    """A copy of ``ds`` whose pixel data has every detected face filled from hairline to chin.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        An image dataset; it is not modified.
    detectors : sequence
        Face detectors to run (their union counts).
    consent : str, optional
        Keep faces unobscured under this consent reference; faces are still detected and reported.

    Returns
    -------
    DicomFaces
        ``outcome.residual`` lists faces still found after obscuring: the caller must then withhold
        the dataset.

    Raises
    ------
    InputError
        If the pixel data cannot be decoded.
    medanon.photo.faces.FaceDetectionUnavailable
        If a face detector cannot run.
    """
    out = copy.deepcopy(ds)
    _ensure_transfer_syntax(out)
    frames, photometric = _decode(out)
    outcome = PhotoOutcome(output_format="DICOM", size=(frames.shape[2], frames.shape[1]),
                           detectors=tuple(d if isinstance(d, str) else d.name for d in detectors), consent=consent)
    plan = ScanPlan()
    filled_in: dict[int, list[FaceBox]] = {}
    for index in range(frames.shape[0]):
        faces = detect_faces(frames[index], detectors, plan)
        outcome.faces.extend(faces)
        if consent is None and faces:
            frames[index], filled = obscure_faces(frames[index], faces, _fill(frames[index]))
            outcome.obscured.extend(filled)
            filled_in[index] = filled
    if consent is not None:
        outcome.review.append(f"{len(outcome.faces)} face(s) kept unobscured under consent {consent!r}")
        return DicomFaces(out, outcome)
    if outcome.obscured:
        _store(out, frames, photometric)
        _recheck(out, detectors, plan, filled_in, outcome)
    return DicomFaces(out, outcome)


def _recheck(ds: Dataset, detectors: Sequence[str | FaceDetector], plan: ScanPlan,
             filled_in: dict[int, list[FaceBox]], outcome: PhotoOutcome) -> None:
    """Scan the stored frames again: the overview everywhere, the fine pass around each frame's fills."""
    for round_ in range(MAX_ROUNDS + 1):
        frames, photometric = _decode(ds)
        rows, columns = frames.shape[1:3]
        residual: list[tuple[int, FaceBox]] = [
            (i, f) for i in range(frames.shape[0])
            for f in detect_faces(frames[i], detectors, plan, recheck_windows(filled_in.get(i, []), columns, rows,
                                                                                plan))]
        outcome.residual = [f for _, f in residual]
        if not residual or round_ == MAX_ROUNDS:
            return
        for index, face in residual:
            frames[index], filled = obscure_faces(frames[index], [face], _fill(frames[index]))
            outcome.obscured.extend(filled)
            filled_in.setdefault(index, []).extend(filled)
        _store(ds, frames, photometric)


def _ensure_transfer_syntax(ds: Dataset) -> None:
    """Files without a file meta header (ACR-NEMA style) get the syntax pydicom read them with."""
    meta = getattr(ds, "file_meta", None)
    if meta is None:
        ds.file_meta = meta = FileMetaDataset()
    if "TransferSyntaxUID" not in meta:
        implicit, little = getattr(ds, "original_encoding", (True, True))
        meta.TransferSyntaxUID = (ImplicitVRLittleEndian if implicit else
                                  ExplicitVRLittleEndian if little else ExplicitVRBigEndian)


def _decode(ds: Dataset) -> tuple[np.ndarray, str]:
    """All frames as (frames, rows, columns[, 3]) and the photometric interpretation they are in."""
    from pydicom.pixels import apply_color_lut

    try:
        array = ds.pixel_array
    except Exception as exc:
        raise InputError(f"cannot decode the pixel data: {type(exc).__name__}") from exc
    photometric = str(ds.get("PhotometricInterpretation", "")).strip()
    frames_n = int(ds.get("NumberOfFrames", 1) or 1)
    samples = int(ds.get("SamplesPerPixel", 1) or 1)
    if photometric == "PALETTE COLOR":
        array = apply_color_lut(array, ds)
        if array.dtype != np.uint8:
            bits = int(ds.RedPaletteColorLookupTableDescriptor[2])
            array = (array.astype(np.uint32) >> max(0, bits - 8)).astype(np.uint8)
        photometric, samples = "RGB", 3
    elif samples == 3:
        photometric = "RGB"  # pydicom decodes YBR to RGB
    if frames_n == 1:
        array = array[None, ...]
    if samples == 3 and array.ndim != 4:
        raise InputError(f"unexpected pixel array shape {array.shape}")
    return np.array(array, copy=True), photometric


def _fill(frame: np.ndarray) -> np.ndarray | int:
    """Mid grey of the frame's own range (a monochrome image's stored bits may be fewer than its dtype's)."""
    if frame.ndim == 3:
        return np.full(frame.shape[2], 128, dtype=frame.dtype)
    low, high = int(frame.min()), int(frame.max())
    return (low + high) // 2


def _store(ds: Dataset, frames: np.ndarray, photometric: str) -> None:
    for keyword in _PALETTE_KEYWORDS:
        if keyword in ds:
            delattr(ds, keyword)
    array = frames if frames.shape[0] > 1 else frames[0]
    bits_stored = 8 if array.dtype == np.uint8 else int(ds.get("BitsStored", 16))
    had_frame_count = "NumberOfFrames" in ds
    ds.set_pixel_data(array, photometric, bits_stored, generate_instance_uid=False)
    if had_frame_count and "NumberOfFrames" not in ds:
        # pydicom drops it for one frame, but multi-frame IODs (NM, enhanced, cine) require it (Type 1)
        ds.NumberOfFrames = frames.shape[0]
