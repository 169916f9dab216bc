"""DICOM header de-identification by PS3.15 Annex E (2023b), generated from the standard."""

from medanon.dicom._bytes import PlainFile
from medanon.dicom.engine import Deidentified, deidentify
from medanon.dicom.fastpath import FastDeidentified, HeaderRule, NotPlain, deidentify_bytes, header_dataset, read_plain
from medanon.dicom.io import configure_pydicom, make_durable, move_no_replace, read, write_atomic, write_temp
from medanon.dicom.risk import (
    RECOGNISABLE_YES,
    RULE_PRESENCE,
    RULE_READS,
    face_risks,
    is_media_directory,
    pixel_risks,
    review_notes,
    text_risks,
)
from medanon.dicom.tempfiles import TempWriter, temp_writer
from medanon.dicom.writer import encode_file

__all__ = [
    "RECOGNISABLE_YES",
    "RULE_PRESENCE",
    "RULE_READS",
    "Deidentified",
    "FastDeidentified",
    "HeaderRule",
    "NotPlain",
    "PlainFile",
    "TempWriter",
    "configure_pydicom",
    "deidentify",
    "deidentify_bytes",
    "encode_file",
    "face_risks",
    "header_dataset",
    "is_media_directory",
    "make_durable",
    "move_no_replace",
    "pixel_risks",
    "text_risks",
    "read",
    "read_plain",
    "review_notes",
    "temp_writer",
    "write_atomic",
    "write_temp",
]
