"""Clinical photographs: metadata removal by re-encoding, whole-face obscuring, residual checks.

``clean_photo(bytes)`` turns one photograph into a fresh file that holds its pixels (in display
orientation) and ICC profile only, with every face found by two independent detectors filled from
hairline to chin and ear to ear, re-checked for faces after encoding. ``detect_faces(array)`` is the
reusable face finder; ``obscure_dicom_faces(ds)`` does the same to a DICOM photograph's pixels.
"""

from medanon.photo.dicom import PHOTOGRAPH_READS, DicomFaces, is_photograph, obscure_dicom_faces
from medanon.photo.engine import CleanedPhoto, clean_photo
from medanon.photo.faces import DEFAULT_DETECTORS, FaceDetectionUnavailable, detect_faces
from medanon.photo.model import FaceBox, PhotoOutcome
from medanon.photo.obscure import obscure_faces, whole_face

__all__ = [
    "DEFAULT_DETECTORS",
    "CleanedPhoto",
    "DicomFaces",
    "FaceBox",
    "FaceDetectionUnavailable",
    "PhotoOutcome",
    "clean_photo",
    "detect_faces",
    "is_photograph",
    "PHOTOGRAPH_READS",
    "obscure_dicom_faces",
    "obscure_faces",
    "whole_face",
]
